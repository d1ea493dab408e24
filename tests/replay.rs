//! Replaying traces end to end: `mei4llm solve-trace`, `report` and `export` on slices of the
//! Azure conversation trace, checked against the trace, the CSV files and HiGHS.

mod common;

use common::{azure, json, ok, root, run, stderr};
use mei4llm::problems::split::Split;
use mei4llm::problems::split::replay::{Slo, SplitRecord};
use mei4llm::problems::split::{Exact, Objective, SplitInstance};
use mei4llm::replay::{ReplayOptions, SolvedEpoch, read_csv, replay};
use mei4llm::solve::milp::{record, solve_model_file};
use mei4llm::solve::{Budget, Solver};
use mei4llm::system::Scenario;
use mei4llm::system::trace::TraceReader;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// small.toml with the trace path made absolute and `extra` added to its [workload].
fn scenario(dir: &Path, extra: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("scenarios/small.toml")).unwrap();
    let text = text.replace(
        "trace = \"../datasets/traces/azure_llm_2023_conv.csv\"",
        &format!("trace = '{}'\n{extra}", azure().display()),
    );
    let path = dir.join("small.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The files a seed must reproduce byte for byte.
const REPRODUCIBLE: [&str; 6] = [
    "run.json",
    "epochs.csv",
    "requests.csv",
    "summary.json",
    "latency_cdf.svg",
    "choices.svg",
];

#[test]
fn files_are_byte_identical_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let outs: Vec<PathBuf> = [("1", "1"), ("3", "2"), ("2", "16")]
        .iter()
        .map(|(threads, in_flight)| {
            let out = dir.path().join(format!("t{threads}-{in_flight}"));
            ok(&[
                "solve-trace",
                "--scenario",
                "scenarios/small.toml",
                "--epoch",
                "1s",
                "--max-epochs",
                "25",
                "--solvers",
                "exact,descent,greedy,device-only,random",
                "--seed",
                "7",
                "--threads",
                threads,
                "--in-flight",
                in_flight,
                "--quiet",
                "--out",
                out.to_str().unwrap(),
            ]);
            out
        })
        .collect();
    for name in REPRODUCIBLE {
        let first = std::fs::read(outs[0].join(name)).unwrap();
        assert!(!first.is_empty(), "{name} is empty");
        for other in &outs[1..] {
            assert!(
                first == std::fs::read(other.join(name)).unwrap(),
                "{name} differs between {} and {}",
                outs[0].display(),
                other.display()
            );
        }
    }
    // 25 epochs × 5 solvers, in epoch order and the given solver order.
    let rows: Vec<_> = read_csv::<mei4llm::replay::EpochRecord>(&outs[0].join("epochs.csv"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 125);
    assert!(rows.windows(2).all(|w| w[0].epoch <= w[1].epoch));
    assert_eq!(rows[1].solver, "descent");
    // A different seed draws other devices and models.
    let other = dir.path().join("seed8");
    ok(&[
        "solve-trace",
        "--scenario",
        "scenarios/small.toml",
        "--epoch",
        "1s",
        "--max-epochs",
        "25",
        "--solvers",
        "exact,descent,greedy,device-only,random",
        "--seed",
        "8",
        "--quiet",
        "--out",
        other.to_str().unwrap(),
    ]);
    assert_ne!(
        std::fs::read(outs[0].join("requests.csv")).unwrap(),
        std::fs::read(other.join("requests.csv")).unwrap()
    );
}

#[test]
fn the_library_delivers_the_same_epochs_with_any_window() {
    let scenario = Arc::new(Scenario::from_path(&root().join("scenarios/small.toml")).unwrap());
    let problem = Split::with(scenario, Objective::Latency, Slo::default()).unwrap();
    let solve = |threads, in_flight| {
        let options = ReplayOptions {
            rule: "8".parse().unwrap(),
            solvers: vec!["greedy".into(), "neurosurgeon".into()],
            threads,
            in_flight,
            seed: 3,
            max_epochs: Some(12),
            ..ReplayOptions::default()
        };
        let mut epochs: Vec<SolvedEpoch<SplitRecord>> = Vec::new();
        let mut calls = 0;
        let totals = replay(
            &problem,
            TraceReader::open(azure()).unwrap(),
            &options,
            &mut epochs,
            &mut |_| calls += 1,
        )
        .unwrap();
        assert!(totals.stopped_by.is_none());
        assert_eq!((totals.epochs, totals.requests, calls), (12, 96, 12));
        epochs
    };
    let one = solve(1, 1);
    let many = solve(2, 7);
    let strip = |e: &[SolvedEpoch<SplitRecord>]| -> Vec<_> {
        e.iter()
            .map(|s| (s.epoch, s.epochs.clone(), s.requests.clone()))
            .collect()
    };
    assert_eq!(strip(&one), strip(&many));
    // Count epochs of 8: indices 0..12, each with 8 requests and 2 × 8 records.
    for (i, e) in one.iter().enumerate() {
        assert_eq!(e.epoch.index, i as u64);
        assert_eq!(e.requests.len(), 16);
    }
    // Unknown solvers are refused before anything runs.
    let options = ReplayOptions {
        solvers: vec!["simplex".into()],
        ..ReplayOptions::default()
    };
    let error = replay(
        &problem,
        TraceReader::open(azure()).unwrap(),
        &options,
        &mut Vec::new(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(error.to_string().contains("simplex"), "{error}");
}

/// The first 60 rows of the Azure trace with row `bad` (1-based data row) corrupted in its
/// `ContextTokens` field.
fn corrupt_trace(dir: &Path, bad: usize) -> PathBuf {
    let text = std::fs::read_to_string(azure()).unwrap();
    let mut lines: Vec<String> = text.lines().take(61).map(String::from).collect();
    let fields: Vec<&str> = lines[bad].split(',').collect();
    lines[bad] = format!("{},lots,{}", fields[0], fields[2]);
    let path = dir.join("corrupt.csv");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

#[test]
fn a_bad_row_stops_the_run_with_its_place_or_is_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    // Data row 30 is line 31 of the file (after the header).
    let trace = corrupt_trace(dir.path(), 30);
    let out = dir.path().join("strict");
    let args = |out: &Path, skip: bool| {
        let mut a: Vec<String> = [
            "solve-trace",
            "--scenario",
            "scenarios/small.toml",
            "--trace",
            trace.to_str().unwrap(),
            "--epoch",
            "4",
            "--solvers",
            "descent,device-only",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if skip {
            a.push("--skip-bad-rows".into());
        }
        a
    };
    let strict = args(&out, false);
    let o = run(&strict.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(1));
    let message = stderr(&o);
    assert!(
        message.contains("corrupt.csv:31") && message.contains("ContextTokens"),
        "{message}"
    );
    // The 29 good rows before it fill 7 epochs of 4; those are written, complete.
    let run_json = json(&out.join("run.json"));
    assert_eq!(run_json["complete"], false);
    assert!(run_json["stopped_by"].as_str().unwrap().contains(":31"));
    assert_eq!(run_json["epochs"], 7);
    let epochs: Vec<_> = read_csv::<mei4llm::replay::EpochRecord>(&out.join("epochs.csv"))
        .unwrap()
        .collect();
    assert_eq!(epochs.len(), 14);
    let requests = read_csv::<SplitRecord>(&out.join("requests.csv"))
        .unwrap()
        .count();
    assert_eq!(requests, 2 * 28);
    assert!(out.join("summary.json").is_file());

    let out = dir.path().join("lenient");
    let lenient = args(&out, true);
    ok(&lenient.iter().map(String::as_str).collect::<Vec<_>>());
    let run_json = json(&out.join("run.json"));
    assert_eq!(run_json["complete"], true);
    assert_eq!(run_json["rows"]["skipped_rows"], 1);
    assert!(
        run_json["rows"]["first_skipped"][0]
            .as_str()
            .unwrap()
            .contains("corrupt.csv:31: field `ContextTokens`")
    );
    assert_eq!(run_json["requests"], 59);
    assert_eq!(run_json["epochs"], 15);
}

#[test]
fn an_infeasible_epoch_is_recorded_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    // A 150 ms TTFT deadline: the long prompts of some epochs cannot meet it anywhere.
    let path = scenario(dir.path(), "ttft_slo = \"150 ms\"");
    let out = dir.path().join("out");
    ok(&[
        "solve-trace",
        "--scenario",
        path.to_str().unwrap(),
        "--epoch",
        "1s",
        "--max-epochs",
        "20",
        "--solvers",
        "exact,descent,device-only",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let rows: Vec<_> = read_csv::<mei4llm::replay::EpochRecord>(&out.join("epochs.csv"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 60);
    let infeasible: Vec<_> = rows
        .iter()
        .filter(|r| r.solver == "exact" && r.status == "infeasible")
        .collect();
    assert!(!infeasible.is_empty());
    for r in &infeasible {
        assert!(r.reason.contains("TTFT"), "{}", r.reason);
        assert!(r.objective.is_none());
    }
    // Epochs after the first infeasible one are solved, some optimally.
    let first = infeasible[0].epoch;
    assert!(
        rows.iter()
            .any(|r| r.epoch > first && r.solver == "exact" && r.status == "optimal")
    );
    // The requests of an infeasible epoch are recorded as not planned, missing the SLO, and the
    // run's SLO is the scenario's 150 ms.
    let summary = json(&out.join("summary.json"));
    assert_eq!(summary["run"]["settings"]["slo"]["ttft_s"], 0.15);
    let unplanned: usize = read_csv::<SplitRecord>(&out.join("requests.csv"))
        .unwrap()
        .map(Result::unwrap)
        .filter(|r| r.solver == "exact" && r.epoch == first)
        .inspect(|r| assert!(r.tier == "none" && !r.meets_slo && r.ttft_s.is_none()))
        .count();
    assert_eq!(unplanned, infeasible[0].requests);
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((q * sorted.len() as f64).ceil() as usize).max(1) - 1]
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn the_summary_is_what_requests_csv_says_and_report_rebuilds_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();
    ok(&[
        "solve-trace",
        "--scenario",
        "scenarios/small.toml",
        "--epoch",
        "2s",
        "--max-epochs",
        "30",
        "--solvers",
        "descent,neurosurgeon,edge-only,random",
        "--ttft-slo",
        "300ms",
        "--tpot-slo",
        "40ms",
        "--quiet",
        "--out",
        out_s,
    ]);
    let summary = json(&out.join("summary.json"));
    assert_eq!(summary["run"]["settings"]["slo"]["ttft_s"], 0.3);
    // Recompute from requests.csv, reading it as plain CSV (not through the library's types).
    let mut reader = csv::Reader::from_path(out.join("requests.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (solver, tier, ttft, e2e, out_tokens, meets, energy) = (
        column("solver"),
        column("tier"),
        column("ttft_s"),
        column("e2e_s"),
        column("output_tokens"),
        column("meets_slo"),
        column("device_energy_j"),
    );
    #[derive(Default)]
    struct Acc {
        n: u64,
        met: u64,
        ttft: Vec<f64>,
        e2e: Vec<f64>,
        energy: f64,
        tiers: BTreeMap<String, u64>,
    }
    let mut per: BTreeMap<String, Acc> = BTreeMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        let a = per.entry(row[solver].to_string()).or_default();
        a.n += 1;
        *a.tiers.entry(row[tier].to_string()).or_default() += 1;
        if row[tier] == *"none" {
            continue;
        }
        let (t, e): (f64, f64) = (row[ttft].parse().unwrap(), row[e2e].parse().unwrap());
        let m: f64 = row[out_tokens].parse().unwrap();
        // The SLO by hand: TTFT ≤ 0.3 s and E2E ≤ 0.3 s + 0.04 s · (m − 1), with the same
        // relative slack of 1e-7 as the feasibility check.
        let met = t <= 0.3 * (1.0 + 1e-7) && e <= (0.3 + 0.04 * (m - 1.0)) * (1.0 + 1e-7);
        assert_eq!(met, row[meets] == *"true");
        a.met += u64::from(met);
        a.ttft.push(t);
        a.e2e.push(e);
        a.energy += row[energy].parse::<f64>().unwrap();
    }
    let solvers = summary["solvers"].as_array().unwrap();
    assert_eq!(solvers.len(), 4);
    for s in solvers {
        let a = per.get_mut(s["solver"].as_str().unwrap()).unwrap();
        let r = &s["requests"];
        assert_eq!(r["requests"], a.n);
        assert_eq!(r["slo_met"], a.met);
        assert!(close(
            r["slo_goodput"].as_f64().unwrap(),
            a.met as f64 / a.n as f64
        ));
        for (key, values) in [("ttft_s", &mut a.ttft), ("e2e_s", &mut a.e2e)] {
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            values.sort_by(f64::total_cmp);
            let d = &r[key];
            assert!(close(d["mean"].as_f64().unwrap(), mean), "{key} mean");
            for (p, q) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
                assert_eq!(d[p].as_f64().unwrap(), percentile(values, q), "{key} {p}");
            }
            assert_eq!(d["max"].as_f64().unwrap(), *values.last().unwrap());
        }
        assert!(close(
            r["device_energy_total_j"].as_f64().unwrap(),
            a.energy
        ));
        for (t, n) in &a.tiers {
            assert_eq!(r["tiers"][t], *n, "tier {t}");
        }
    }
    // `report` rebuilds the same summary and plots from the CSV files.
    let before: Vec<Vec<u8>> = [
        "summary.json",
        "latency_cdf.svg",
        "choices.svg",
        "solve_time.svg",
    ]
    .iter()
    .map(|f| std::fs::read(out.join(f)).unwrap())
    .collect();
    for f in [
        "summary.json",
        "latency_cdf.svg",
        "choices.svg",
        "solve_time.svg",
    ] {
        std::fs::remove_file(out.join(f)).unwrap();
    }
    ok(&["report", out_s, "--quiet"]);
    for (f, bytes) in [
        "summary.json",
        "latency_cdf.svg",
        "choices.svg",
        "solve_time.svg",
    ]
    .iter()
    .zip(before)
    {
        assert!(std::fs::read(out.join(f)).unwrap() == bytes, "{f} differs");
    }
}

#[test]
fn exported_masters_read_back_to_the_same_optimum() {
    let dir = tempfile::tempdir().unwrap();
    // The master solved in memory, as the exact solver builds it.
    let scenario = Arc::new(Scenario::from_path(&root().join("scenarios/small.toml")).unwrap());
    let instance = SplitInstance::from_scenario(scenario, Objective::Latency).unwrap();
    let (_, models) = record(|| {
        Exact { max_rounds: 1 }
            .solve(&instance, &Budget::default())
            .unwrap()
    });
    assert_eq!(models.len(), 1);
    // The solver lets HiGHS stop its first master early (an absolute gap from its warm start);
    // here the same model is solved to optimality.
    let mut master = models[0].clone();
    master.model.set_absolute_gap(0.0);
    let direct = master.solve(&Budget::default().with_gap(1e-9)).unwrap();
    assert_eq!(direct.status, mei4llm::solve::milp::MilpStatus::Optimal);
    assert!(direct.objective.is_finite() && direct.objective > 0.0);
    for (format, file) in [("mps", "master.mps"), ("lp", "master.lp")] {
        let path = dir.path().join(file);
        let o = ok(&[
            "export",
            "--problem",
            "split",
            "--scenario",
            "scenarios/small.toml",
            "--format",
            format,
            "--out",
            path.to_str().unwrap(),
        ]);
        let said = String::from_utf8_lossy(&o.stdout);
        assert!(said.contains("8 requests"), "{said}");
        let (status, objective) = solve_model_file(&path, 1e-9).unwrap();
        assert_eq!(status, highs_sys::MODEL_STATUS_OPTIMAL, "{format}");
        assert!(
            (objective - direct.objective).abs() <= 1e-6 * direct.objective.abs(),
            "{format}: {objective} read back, {} in memory",
            direct.objective
        );
    }
    // Without --format the extension decides; an unknown one is refused.
    let o = run(&[
        "export",
        "--scenario",
        "scenarios/small.toml",
        "--out",
        dir.path().join("master.txt").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--format"), "{}", stderr(&o));
}

#[test]
fn help_teaches_with_examples() {
    for command in ["solve-trace", "report", "export"] {
        let o = ok(&[command, "--help"]);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("Examples:"), "{command}: {text}");
        assert!(text.contains(&format!("mei4llm {command}")), "{command}");
    }
    let o = ok(&["solve-trace", "--help"]);
    let text = String::from_utf8_lossy(&o.stdout);
    for word in [
        "--skip-bad-rows",
        "MLPerf",
        "summary.json",
        "byte-identical",
    ] {
        assert!(text.contains(word), "{word} missing");
    }
    for name in mei4llm::problems::formulation::default_solvers(mei4llm::problems::split::SOLVERS) {
        assert!(text.contains(name), "{name} missing");
    }
}
