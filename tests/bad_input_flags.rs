//! Bad command lines, one table: every case exits with an error (not a panic), and its message
//! names the flag or value at fault. Each case is `(arguments, fragments the error contains)`;
//! `{out}` stands for a fresh output folder, `{file}` for a plain file and `{dir}` for a
//! folder holding an earlier run.

mod common;

use common::{ok, root, run, stderr};
use std::path::Path;

/// `(arguments, fragments)`.
type Case = (&'static [&'static str], &'static [&'static str]);

const PLAN: &[Case] = &[
    (
        &["plan", "--scenario", "small", "--gap", "2"],
        &["gap", "[0, 1)", "2"],
    ),
    (
        &["plan", "--scenario", "small", "--gap", "-1"],
        &["gap", "-1"],
    ),
    (
        &["plan", "--scenario", "small", "--gap", "1"],
        &["gap", "[0, 1)"],
    ),
    (
        &["plan", "--scenario", "small", "--gap", "nan"],
        &["gap", "NaN"],
    ),
    (
        &["plan", "--scenario", "small", "--gap", "inf"],
        &["gap", "inf"],
    ),
    (
        &["plan", "--scenario", "small", "--gap", "0.1x"],
        &["--gap", "0.1x"],
    ),
    (
        &["plan", "--scenario", "small", "--time-limit", "1e30s"],
        &["--time-limit", "at most"],
    ),
    (
        &["plan", "--scenario", "small", "--time-limit", "-1s"],
        &["--time-limit", "positive"],
    ),
    (
        &["plan", "--scenario", "small", "--time-limit", "0s"],
        &["--time-limit", "positive"],
    ),
    (
        &["plan", "--scenario", "small", "--time-limit", "nans"],
        &["--time-limit", "positive"],
    ),
    (
        &["plan", "--scenario", "small", "--time-limit", "soon"],
        &["--time-limit", "soon"],
    ),
    (
        &["plan", "--scenario", "small", "--time-limit", "5h"],
        &["--time-limit", "5h"],
    ),
    (
        &["plan", "--scenario", "small", "--seed", "-1"],
        &["--seed", "-1"],
    ),
    (
        &["plan", "--scenario", "small", "--seed", "1e3"],
        &["--seed", "1e3"],
    ),
    (
        &["plan", "--scenario", "small", "--solver", "simplex"],
        &["simplex", "exact"],
    ),
    (
        &["plan", "--scenario", "small", "--solver", ""],
        &["solver"],
    ),
    (&["plan", "--scenario", "nowhere"], &["nowhere"]),
    (&["plan", "--scenario", "nowhere.toml"], &["nowhere.toml"]),
    (
        &["plan", "--scenario", "datasets/README.md"],
        &["README.md"],
    ),
    (&["plan", "--scenario", "datasets"], &["datasets"]),
    (&["plan", "--scenario", ""], &["scenario"]),
    (
        &["plan", "--problem", "routing", "--scenario", "small"],
        &["routing", "split"],
    ),
    (
        &["plan", "--problem", "caching", "--scenario", "small"],
        &["caching"],
    ),
    (
        &["plan", "--problem", "batching", "--scenario", "small"],
        &["batching"],
    ),
    (
        &["plan", "--scenario", "small", "--objective", "cost"],
        &["--objective", "cost"],
    ),
    (
        &[
            "plan",
            "--scenario",
            "small",
            "--objective",
            "mixed",
            "--per-second",
            "-1",
            "--per-joule",
            "1",
        ],
        &["--per-second", "-1"],
    ),
    (
        &[
            "plan",
            "--scenario",
            "small",
            "--objective",
            "mixed",
            "--per-second",
            "1",
            "--per-joule",
            "nan",
        ],
        &["--per-joule", "nan"],
    ),
    (
        &["plan", "--scenario", "small", "--per-joule", "1"],
        &["--per-joule", "mixed"],
    ),
    (
        &["plan", "--scenario", "small", "--set", "objective"],
        &["--set", "KEY=VALUE"],
    ),
    (
        &["plan", "--scenario", "small", "--set", "colour=blue"],
        &["colour"],
    ),
    (
        &["plan", "--scenario", "small", "--set", "objective=3"],
        &["objective"],
    ),
    (
        &[
            "plan",
            "--problem",
            "caching",
            "--scenario",
            "caching-small",
            "--objective",
            "energy",
        ],
        &["objective", "caching"],
    ),
    (
        &["plan", "--scenario", "small", "--json", "--json"],
        &["--json"],
    ),
    (&["plan", "--scenario"], &["--scenario"]),
    (&["plan"], &["--scenario"]),
    (&["plan", "--scenario", "small", "--colour"], &["--colour"]),
];

const SOLVE_TRACE: &[Case] = &[
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--epoch",
            "-1s",
        ],
        &["epoch", "-1"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--epoch",
            "0",
        ],
        &["epoch"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--epoch",
            "0s",
        ],
        &["epoch"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--epoch",
            "1e30s",
        ],
        &["epoch"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--epoch",
            "fast",
        ],
        &["epoch", "fast"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--epoch",
            "1.5",
        ],
        &["epoch", "1.5"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--threads",
            "0",
        ],
        &["--threads", "1..=256"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--threads",
            "10000",
        ],
        &["--threads", "1..=256"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--threads",
            "-2",
        ],
        &["--threads", "-2"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--threads",
            "two",
        ],
        &["--threads", "two"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--gap",
            "2",
        ],
        &["gap", "[0, 1)"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--gap",
            "-0.5",
        ],
        &["gap", "-0.5"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--time-limit",
            "1e30s",
        ],
        &["--time-limit", "at most"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--time-limit",
            "-3s",
        ],
        &["--time-limit", "positive"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--max-epochs",
            "-1",
        ],
        &["--max-epochs", "-1"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--in-flight",
            "-1",
        ],
        &["--in-flight", "-1"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--seed",
            "-7",
        ],
        &["--seed", "-7"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--solvers",
            "exact,simplex",
        ],
        &["simplex", "descent"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--solvers",
            "exact,exact",
        ],
        &["exact", "twice"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--solvers",
            "",
        ],
        &["solvers"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--trace",
            "nowhere.csv",
        ],
        &["nowhere.csv"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--trace",
            "scenarios/small.toml",
        ],
        &["small.toml"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--trace",
            "bundled:datasets/traces/none.csv",
        ],
        &["none.csv"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--ttft-slo",
            "-1s",
        ],
        &["--ttft-slo", "positive"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--tpot-slo",
            "1e30s",
        ],
        &["--tpot-slo", "at most"],
    ),
    (
        &[
            "solve-trace",
            "--scenario",
            "small",
            "--out",
            "{out}",
            "--e2e-slo",
            "0ms",
        ],
        &["--e2e-slo", "positive"],
    ),
    (
        &[
            "solve-trace",
            "--problem",
            "caching",
            "--scenario",
            "caching-small",
            "--out",
            "{out}",
            "--ttft-slo",
            "2s",
        ],
        &["--ttft-slo", "caching"],
    ),
    (
        &["solve-trace", "--scenario", "small", "--out", "{file}"],
        &["{file}"],
    ),
    (&["solve-trace", "--scenario", "small"], &["--out"]),
    (
        &["solve-trace", "--scenario", "nowhere", "--out", "{out}"],
        &["nowhere"],
    ),
    (
        &[
            "solve-trace",
            "--problem",
            "routing",
            "--scenario",
            "small",
            "--out",
            "{out}",
        ],
        &["routing"],
    ),
];

const SERVE: &[Case] = &[
    (
        &[
            "serve",
            "--scenario",
            "batching-serve",
            "--out",
            "{out}",
            "--threads",
            "0",
        ],
        &["--threads", "1..=256"],
    ),
    (
        &[
            "serve",
            "--scenario",
            "batching-serve",
            "--out",
            "{out}",
            "--threads",
            "100000",
        ],
        &["--threads", "1..=256"],
    ),
    (
        &[
            "serve",
            "--scenario",
            "batching-serve",
            "--out",
            "{out}",
            "--duration",
            "1e30s",
        ],
        &["--duration", "at most"],
    ),
    (
        &[
            "serve",
            "--scenario",
            "batching-serve",
            "--out",
            "{out}",
            "--duration",
            "-1s",
        ],
        &["--duration", "positive"],
    ),
    (
        &[
            "serve",
            "--scenario",
            "batching-serve",
            "--out",
            "{out}",
            "--time-limit",
            "1e30s",
        ],
        &["--time-limit", "at most"],
    ),
    (
        &[
            "serve",
            "--scenario",
            "batching-serve",
            "--out",
            "{out}",
            "--requests",
            "-5",
        ],
        &["--requests", "-5"],
    ),
    (
        &[
            "serve",
            "--scenario",
            "batching-serve",
            "--out",
            "{out}",
            "--arrival-speedup",
            "-2",
        ],
        &["speed-up", "-2"],
    ),
    (
        &[
            "serve",
            "--scenario",
            "batching-serve",
            "--out",
            "{out}",
            "--arrival-speedup",
            "0",
        ],
        &["speed-up", "0"],
    ),
    (
        &[
            "serve",
            "--scenario",
            "batching-serve",
            "--out",
            "{out}",
            "--policies",
            "lifo",
        ],
        &["lifo", "fcfs"],
    ),
    (
        &[
            "serve",
            "--scenario",
            "batching-serve",
            "--out",
            "{out}",
            "--trace",
            "nowhere.jsonl",
        ],
        &["nowhere.jsonl"],
    ),
    (
        &["serve", "--scenario", "small", "--out", "{out}"],
        &["batching"],
    ),
    (
        &["serve", "--scenario", "batching-serve", "--out", "{file}"],
        &["{file}"],
    ),
];

const OTHERS: &[Case] = &[
    (&["inspect", "--model", "GPT-5"], &["GPT-5"]),
    (
        &["inspect", "--model", "Llama-2-7B", "--precision", "fp3"],
        &["fp3"],
    ),
    (
        &["inspect", "--model", "Llama-2-7B", "--prompt-tokens", "0"],
        &["--prompt-tokens", "0"],
    ),
    (
        &["inspect", "--model", "Llama-2-7B", "--output-tokens", "-1"],
        &["--output-tokens"],
    ),
    (
        &["inspect", "--model", "Llama-2-7B", "--device", "Abacus"],
        &["Abacus"],
    ),
    (&["inspect", "--scenario", "nowhere"], &["nowhere"]),
    (
        &["export", "--scenario", "small", "--out", "{out}/model.xyz"],
        &["model.xyz"],
    ),
    (
        &[
            "export",
            "--scenario",
            "small",
            "--out",
            "{out}/missing/model.mps",
        ],
        &["model.mps"],
    ),
    (
        &[
            "export",
            "--scenario",
            "nowhere",
            "--out",
            "{out}/model.mps",
        ],
        &["nowhere"],
    ),
    (
        &[
            "export",
            "--problem",
            "routing",
            "--scenario",
            "small",
            "--out",
            "{out}/m.mps",
        ],
        &["routing"],
    ),
    (&["export", "--scenario", "small"], &["--out"]),
    (&["report", "{out}"], &["run.json"]),
    (&["report", "{file}"], &["{file}"]),
    (&["report"], &["DIR"]),
    (&["unknown-command"], &["unknown-command"]),
    (&["--version-of-everything"], &["--version-of-everything"]),
];

/// Runs every case of `cases` in a fresh folder; returns the failures.
fn check(cases: &[Case], folder: &Path) -> Vec<String> {
    let file = folder.join("plain.txt");
    std::fs::write(&file, "not a folder\n").unwrap();
    let mut failures = Vec::new();
    for (i, (args, fragments)) in cases.iter().enumerate() {
        let out = folder.join(format!("out-{i}"));
        let fill = |text: &str| {
            text.replace("{out}", out.to_str().unwrap())
                .replace("{file}", file.to_str().unwrap())
        };
        let args: Vec<String> = args.iter().map(|a| fill(a)).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&args);
        let message = stderr(&o);
        let code = o.status.code();
        if o.status.success() || code == Some(101) || message.contains("panicked") {
            failures.push(format!("{args:?}: exit {code:?}\n{message}"));
            continue;
        }
        let missing: Vec<String> = fragments
            .iter()
            .map(|f| fill(f))
            .filter(|f| !message.contains(f.as_str()))
            .collect();
        if !missing.is_empty() {
            failures.push(format!("{args:?}: {missing:?} missing from\n{message}"));
        }
    }
    failures
}

#[test]
fn every_bad_command_line_is_refused_with_a_message_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let groups = [PLAN, SOLVE_TRACE, SERVE, OTHERS];
    let failures: Vec<String> = groups.iter().flat_map(|g| check(g, dir.path())).collect();
    let count: usize = groups.iter().map(|g| g.len()).sum();
    println!("{count} bad command lines checked");
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// A refused command line leaves an earlier run in `--out` as it was.
#[test]
fn a_refused_command_line_leaves_an_earlier_run_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let out_text = out.to_str().unwrap();
    ok(&[
        "solve-trace",
        "--scenario",
        "small",
        "--epoch",
        "1s",
        "--max-epochs",
        "2",
        "--solvers",
        "greedy",
        "--quiet",
        "--out",
        out_text,
    ]);
    let before = std::fs::read(out.join("epochs.csv")).unwrap();
    for bad in [["--threads", "0"], ["--gap", "3"], ["--epoch", "-1s"]] {
        let o = run(&[
            "solve-trace",
            "--scenario",
            "small",
            "--quiet",
            "--out",
            out_text,
            bad[0],
            bad[1],
        ]);
        assert!(!o.status.success(), "{bad:?}");
    }
    assert_eq!(std::fs::read(out.join("epochs.csv")).unwrap(), before);
    assert!(root().join("scenarios/small.toml").is_file());
}
