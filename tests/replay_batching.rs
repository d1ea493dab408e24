//! `solve-trace --problem batching`: the Azure conversation trace (2023) replayed through every
//! batching solver on the scenarios' edge servers; files, records, summary, report, shards and
//! bad input.

mod common;

use common::{azure, json, ok, root, run, stderr};
use mei4llm::problems::batching::Batching;
use mei4llm::problems::batching::replay::{BatchingRecord, BatchingStats};
use mei4llm::problems::batching::{self, BatchDecision, BatchingInstance, TraceWindow};
use mei4llm::problems::formulation::{Formulation, Replays};
use mei4llm::replay::{
    EpochRecord, ReplayOptions, RunInfo, RunInputs, RunRecords, Shard, SolvedEpoch, instance_seed,
    read_csv, replay,
};
use mei4llm::solve::milp::solve_model_file;
use mei4llm::solve::{Budget, Problem, Solver};
use mei4llm::system::Scenario;
use mei4llm::system::trace::{EpochRule, Epochs, TraceReader};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

const SMALL: &str = "scenarios/batching-small.toml";
const TRACE: &str = "datasets/traces/azure_llm_2023_conv.csv";
const SOLVERS: &str = "exact,assignment,density,fcfs,spf";

/// `solve-trace --problem batching` on the small scenario and the Azure trace, with `extra`
/// flags, into `out`.
fn solve_trace(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "solve-trace",
        "--problem",
        "batching",
        "--scenario",
        SMALL,
        "--trace",
        TRACE,
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

fn rows<T: serde::de::DeserializeOwned>(path: &Path) -> Vec<T> {
    read_csv::<T>(path).unwrap().map(Result::unwrap).collect()
}

fn small() -> Scenario {
    Scenario::from_path(&root().join(SMALL)).unwrap()
}

/// The small scenario with the trace's arrival gaps as recorded (`arrival_speedup = 1`), so
/// that requests of long windows wait past their TTFT SLO; written into `dir`.
fn unhurried(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(root().join(SMALL)).unwrap();
    assert!(text.contains("arrival_speedup = 20"));
    let text = text
        .replace("arrival_speedup = 20", "arrival_speedup = 1")
        .replace(
            "\"../datasets/",
            &format!("\"{}/datasets/", root().display()),
        );
    let path = dir.join("batching-unhurried.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The files a seed must reproduce byte for byte.
const REPRODUCIBLE: [&str; 5] = [
    "run.json",
    "epochs.csv",
    "requests.csv",
    "summary.json",
    "admitted_share.svg",
];

#[test]
fn files_are_byte_identical_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let outs: Vec<PathBuf> = ["1", "2"]
        .iter()
        .map(|threads| {
            let out = dir.path().join(format!("t{threads}"));
            let o = solve_trace(
                &out,
                &[
                    "--epoch",
                    "20",
                    "--max-epochs",
                    "6",
                    "--seed",
                    "7",
                    "--threads",
                    threads,
                ],
            );
            assert!(o.status.success(), "{}", stderr(&o));
            out
        })
        .collect();
    for name in REPRODUCIBLE {
        let first = std::fs::read(outs[0].join(name)).unwrap();
        assert!(!first.is_empty(), "{name} is empty");
        assert!(
            first == std::fs::read(outs[1].join(name)).unwrap(),
            "{name} differs between 1 and 2 threads"
        );
    }
    // 6 epochs × 5 solvers (every solver but the brute force by default), in epoch order and
    // solver order; one record per request and solver.
    let epochs: Vec<EpochRecord> = rows(&outs[0].join("epochs.csv"));
    assert_eq!(epochs.len(), 30);
    let names: Vec<&str> = epochs[..5].iter().map(|e| e.solver.as_str()).collect();
    assert_eq!(names, SOLVERS.split(',').collect::<Vec<_>>());
    assert!(epochs.iter().all(|e| e.requests == 20));
    let records: Vec<BatchingRecord> = rows(&outs[0].join("requests.csv"));
    assert_eq!(records.len(), 5 * 6 * 20);
    let run_json = json(&outs[0].join("run.json"));
    assert_eq!(run_json["problem"], "batching");
    assert_eq!(run_json["exact_solver"], "exact");
    assert_eq!(run_json["seed"], 7);
    assert_eq!(run_json["settings"]["ttft_slo_s"], 2.0);
    assert_eq!(run_json["settings"]["tpot_slo_s"], 0.1);
    assert_eq!(run_json["settings"]["arrival_speedup"], 20.0);
    // Without --trace, --epoch and --seed the [batching] section's trace, request count and
    // seed are the run's.
    let defaults = dir.path().join("defaults");
    ok(&[
        "solve-trace",
        "--problem",
        "batching",
        "--scenario",
        SMALL,
        "--solvers",
        "fcfs",
        "--max-epochs",
        "2",
        "--quiet",
        "--out",
        defaults.to_str().unwrap(),
    ]);
    let run_json = json(&defaults.join("run.json"));
    assert_eq!(run_json["epoch_rule"], "40");
    assert_eq!(run_json["seed"], 1);
    assert!(
        run_json["trace"]
            .as_str()
            .unwrap()
            .ends_with("azure_llm_2023_conv.csv")
    );
    let epochs: Vec<EpochRecord> = rows(&defaults.join("epochs.csv"));
    assert_eq!(
        epochs.iter().map(|e| e.requests).collect::<Vec<_>>(),
        [40, 40]
    );
}

/// What [`check_replay`] saw.
#[derive(Debug, Default)]
struct Seen {
    /// Epochs the exact solver certified.
    certified: usize,
    /// (epoch, heuristic) pairs strictly below a certified exact objective.
    beaten: usize,
    /// Admitted records checked.
    admitted: usize,
    /// Records of requests no server could serve.
    unservable: usize,
}

/// Replays `max_epochs` epochs of the Azure trace cut by `rule` through every batching solver,
/// rebuilds every epoch's instance, rebuilds each solver's decision from its records and
/// checks it with the problem's own `evaluate` (feasible, the epoch's objective, every
/// record's TTFT and TPOT), and every heuristic against the certified exact objective.
fn check_replay(scenario: &Scenario, rule: EpochRule, max_epochs: u64) -> Seen {
    let seed = 3;
    let problem = Batching::of(Arc::new(scenario.clone())).unwrap();
    let solvers: Vec<String> = SOLVERS.split(',').map(String::from).collect();
    let options = ReplayOptions {
        rule,
        solvers: solvers.clone(),
        threads: 2,
        seed,
        max_epochs: Some(max_epochs),
        ..ReplayOptions::default()
    };
    let mut solved: Vec<SolvedEpoch<BatchingRecord>> = Vec::new();
    let trace = TraceReader::open(azure()).unwrap();
    let totals = replay(&problem, trace, &options, &mut solved, &mut |_| {}).unwrap();
    assert!(totals.stopped_by.is_none());
    assert_eq!(solved.len() as u64, max_epochs);
    let speedup = problem.section().arrival_speedup;
    let epochs = Epochs::new(TraceReader::open(azure()).unwrap(), rule).unwrap();
    let mut seen = Seen::default();
    for (epoch, solved) in epochs.zip(&solved) {
        let epoch = epoch.unwrap();
        assert_eq!(epoch.index, solved.epoch.index);
        let instance = problem
            .epoch(&epoch, instance_seed(seed, epoch.index))
            .unwrap();
        // The decision is taken at the epoch's end, times counted from its start.
        assert_eq!(instance.now_s, (epoch.end_s - epoch.start_s) / speedup);
        let window = TraceWindow {
            origin_s: epoch.start_s,
            decision_s: epoch.end_s,
        };
        let direct = BatchingInstance::from_requests(
            scenario,
            problem.section(),
            &epoch.requests,
            window,
            instance_seed(seed, epoch.index),
            true,
        )
        .unwrap();
        assert_eq!(direct.requests, instance.requests);
        let n = instance.requests.len();
        let exact = &solved.epochs[0];
        assert_eq!(exact.solver, "exact");
        for (s, name) in solvers.iter().enumerate() {
            let row = &solved.epochs[s];
            let records = &solved.requests[s * n..(s + 1) * n];
            // The decision the records describe.
            let mut decision = BatchDecision::empty(instance.servers.len(), n);
            for (k, r) in records.iter().enumerate() {
                let q = &instance.requests[k];
                assert_eq!(
                    (r.epoch, r.request, r.solver.as_str()),
                    (epoch.index, q.id, name.as_str())
                );
                assert_eq!(
                    (r.prompt_tokens, r.output_tokens, r.min_precision),
                    (q.prompt_tokens, q.output_tokens, q.min_precision)
                );
                assert_eq!(r.waited_s, instance.waited_s(k));
                assert_eq!(r.servable, instance.candidates(k).next().is_some());
                assert_eq!(r.kv_bytes, instance.kv_bytes(k));
                assert!(r.planned, "{name}: epoch {} unplanned", epoch.index);
                if r.admitted {
                    assert!(r.servable);
                    let j = instance
                        .servers
                        .iter()
                        .position(|s| s.name == r.server)
                        .unwrap();
                    decision.assignments[k] = Some(j);
                    let p = r.precision.unwrap();
                    assert!(batching::accepts(q.min_precision, p));
                    assert!(decision.precisions[j].is_none_or(|d| d == p));
                    decision.precisions[j] = Some(p);
                } else {
                    assert!(r.server.is_empty() && r.precision.is_none());
                    assert!(r.ttft_s.is_none() && r.tpot_s.is_none() && r.value == 0.0);
                }
                seen.unservable += usize::from(!r.servable);
            }
            let evaluation = instance.evaluate(&decision);
            assert!(evaluation.is_feasible(), "{name}: {evaluation:?}");
            let objective = row.objective.unwrap();
            assert!(
                (objective - evaluation.objective).abs() <= 1e-9,
                "{name}, epoch {}: {objective} reported, evaluate says {}",
                epoch.index,
                evaluation.objective
            );
            let value: f64 = records.iter().map(|r| r.value).sum();
            assert_eq!(value, evaluation.objective);
            let (_, metrics) = instance.metrics(&decision);
            for ((r, m), slo) in records.iter().zip(&metrics).zip(&instance.requests) {
                if r.admitted {
                    assert_eq!(r.ttft_s, Some(m.ttft_s));
                    assert_eq!(r.tpot_s, Some(m.tpot_s));
                    assert!(m.ttft_s <= slo.ttft_slo_s * (1.0 + batching::TOLERANCE));
                    assert!(m.tpot_s <= slo.tpot_slo_s * (1.0 + batching::TOLERANCE));
                    seen.admitted += 1;
                }
            }
            if exact.status == "optimal" {
                let best = exact.objective.unwrap();
                assert!(
                    objective <= best + 1e-9,
                    "{name} beats the certified exact solver on epoch {}: {objective} > {best}",
                    epoch.index
                );
                assert!(row.gap_to_exact.unwrap() >= -1e-9);
                seen.beaten += usize::from(objective < best - 1e-9);
            }
        }
        seen.certified += usize::from(exact.status == "optimal");
    }
    seen
}

#[test]
fn every_record_is_what_the_decision_does_and_exact_is_never_beaten() {
    // Count epochs: the decision at each epoch's last arrival.
    let seen = check_replay(&small(), EpochRule::Count { requests: 30 }, 6);
    assert_eq!(seen.certified, 6);
    // The heuristics are below the optimum somewhere, so the comparison is not vacuous.
    assert!(seen.beaten > 0, "{seen:?}");
    assert!(seen.admitted > 0);
    // Time windows with the arrival gaps as recorded: requests that arrived more than 2 s
    // before the window closed are past their TTFT SLO, recorded and never admitted.
    let dir = tempfile::tempdir().unwrap();
    let slow = Scenario::from_path(&unhurried(dir.path())).unwrap();
    let seen = check_replay(&slow, EpochRule::Window { seconds: 5.0 }, 4);
    assert_eq!(seen.certified, 4);
    assert!(seen.unservable > 0, "{seen:?}");
    assert!(seen.admitted > 0);
}

#[test]
fn exact_matches_the_brute_force_on_small_epochs() {
    let problem = Batching::of(Arc::new(small())).unwrap();
    let options = ReplayOptions {
        rule: EpochRule::Count { requests: 5 },
        solvers: vec!["exact".into(), "brute-force".into()],
        threads: 2,
        seed: 11,
        max_epochs: Some(12),
        ..ReplayOptions::default()
    };
    let mut solved: Vec<SolvedEpoch<BatchingRecord>> = Vec::new();
    let trace = TraceReader::open(azure()).unwrap();
    replay(&problem, trace, &options, &mut solved, &mut |_| {}).unwrap();
    assert_eq!(solved.len(), 12);
    for e in &solved {
        let (exact, brute) = (&e.epochs[0], &e.epochs[1]);
        assert_eq!(
            (exact.status.as_str(), brute.status.as_str()),
            ("optimal", "optimal")
        );
        assert_eq!(exact.objective, brute.objective, "epoch {}", e.epoch.index);
        assert_eq!(exact.gap_to_exact, Some(0.0));
    }
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
    let o = solve_trace(&out, &["--epoch", "25", "--max-epochs", "8"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let printed = String::from_utf8_lossy(&o.stdout);
    assert!(
        printed.contains("of servable") && printed.contains("admitted_share.svg"),
        "{printed}"
    );
    let summary = json(&out.join("summary.json"));
    // Recompute from requests.csv, reading it as plain CSV (not through the library's types).
    let mut reader = csv::Reader::from_path(out.join("requests.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let c = |name: &str| column(name);
    #[derive(Default)]
    struct Acc {
        n: u64,
        servable: u64,
        planned: u64,
        admitted: u64,
        value: f64,
        ttft: Vec<f64>,
        tpot: Vec<f64>,
        servers: BTreeMap<String, u64>,
        precisions: BTreeMap<String, u64>,
        /// Per epoch: requests and admitted requests.
        epochs: BTreeMap<u64, (u64, u64)>,
    }
    let mut per: BTreeMap<String, Acc> = BTreeMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        let a = per.entry(row[c("solver")].to_string()).or_default();
        let admitted = &row[c("admitted")] == "true";
        a.n += 1;
        a.servable += u64::from(&row[c("servable")] == "true");
        a.planned += u64::from(&row[c("planned")] == "true");
        let e = a
            .epochs
            .entry(row[c("epoch")].parse().unwrap())
            .or_default();
        e.0 += 1;
        e.1 += u64::from(admitted);
        if admitted {
            a.admitted += 1;
            a.value += row[c("value")].parse::<f64>().unwrap();
            a.ttft.push(row[c("ttft_s")].parse().unwrap());
            if row[c("output_tokens")].parse::<u32>().unwrap() >= 2 {
                a.tpot.push(row[c("tpot_s")].parse().unwrap());
            }
            *a.servers.entry(row[c("server")].to_string()).or_default() += 1;
            *a.precisions
                .entry(row[c("precision")].to_string())
                .or_default() += 1;
        } else {
            assert!(row[c("ttft_s")].is_empty() && row[c("precision")].is_empty());
        }
    }
    // Each epoch's objective in epochs.csv is its number of admitted requests in requests.csv.
    for e in rows::<EpochRecord>(&out.join("epochs.csv")) {
        let (n, admitted) = per[&e.solver].epochs[&e.epoch];
        assert_eq!(n as usize, e.requests);
        assert_eq!(e.objective, Some(admitted as f64));
    }
    let solvers = summary["solvers"].as_array().unwrap();
    assert_eq!(solvers.len(), 5);
    for s in solvers {
        let a = per.get_mut(s["solver"].as_str().unwrap()).unwrap();
        let r = &s["requests"];
        assert_eq!(r["requests"], a.n);
        assert_eq!(r["planned"], a.n);
        assert_eq!(r["servable"], a.servable);
        assert_eq!(r["admitted"], a.admitted);
        assert!(close(r["value"].as_f64().unwrap(), a.value));
        assert!(close(
            r["admitted_share"].as_f64().unwrap(),
            a.admitted as f64 / a.n as f64
        ));
        assert!(close(
            r["admitted_share_of_servable"].as_f64().unwrap(),
            a.admitted as f64 / a.servable as f64
        ));
        for (d, values) in [(&r["ttft_s"], &mut a.ttft), (&r["tpot_s"], &mut a.tpot)] {
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            values.sort_by(f64::total_cmp);
            assert_eq!(d["count"], values.len());
            assert!(close(d["mean"].as_f64().unwrap(), mean));
            for (p, q) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
                assert_eq!(d[p].as_f64().unwrap(), percentile(values, q), "{p}");
            }
            assert_eq!(d["max"].as_f64().unwrap(), *values.last().unwrap());
        }
        // Every admitted request meets the MLPerf SLOs the scenario plans with.
        assert!(r["ttft_s"]["max"].as_f64().unwrap() <= 2.0 * (1.0 + 1e-7));
        assert!(r["tpot_s"]["max"].as_f64().unwrap() <= 0.1 * (1.0 + 1e-7));
        let shares: Vec<f64> = a
            .epochs
            .values()
            .map(|&(n, admitted)| admitted as f64 / n as f64)
            .collect();
        let d = &r["epoch_admitted_share"];
        assert_eq!(d["count"], 8);
        assert_eq!(
            d["min"].as_f64().unwrap(),
            shares.iter().copied().fold(f64::INFINITY, f64::min)
        );
        for (name, n) in &a.servers {
            assert_eq!(r["served_by"][name], *n, "server {name}");
        }
        for (p, n) in &a.precisions {
            assert_eq!(r["precisions"][p], *n, "precision {p}");
        }
    }
    // `report` rebuilds the same summary and plots from the CSV files.
    let derived = ["summary.json", "admitted_share.svg", "solve_time.svg"];
    let before: Vec<Vec<u8>> = derived
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
    for f in derived {
        std::fs::remove_file(out.join(f)).unwrap();
    }
    let o = ok(&["report", out.to_str().unwrap()]);
    let printed = String::from_utf8_lossy(&o.stdout);
    assert!(
        printed.contains("batching run over") && printed.contains("of servable"),
        "{printed}"
    );
    for (f, bytes) in derived.iter().zip(before) {
        assert!(std::fs::read(out.join(f)).unwrap() == bytes, "{f} differs");
    }
}

/// One run of `shard` (the whole run without one) of 9 epochs of 20 requests, in memory.
fn shard_run(problem: &Batching, shard: Option<Shard>) -> RunRecords<BatchingRecord> {
    let options = ReplayOptions {
        rule: EpochRule::Count { requests: 20 },
        solvers: vec!["exact".into(), "assignment".into(), "fcfs".into()],
        threads: 2,
        seed: 5,
        max_epochs: Some(9),
        shard,
        ..ReplayOptions::default()
    };
    let mut epochs: Vec<SolvedEpoch<BatchingRecord>> = Vec::new();
    let trace = TraceReader::open(azure()).unwrap();
    let totals = replay(problem, trace, &options, &mut epochs, &mut |_| {}).unwrap();
    let inputs = RunInputs {
        scenario_file: SMALL.into(),
        trace: TRACE.into(),
        trace_format: "azure".into(),
        epoch_rule: "20".into(),
    };
    let info = RunInfo::new(
        problem,
        problem.settings(),
        "batching-small",
        inputs,
        &options,
    );
    RunRecords::new(info, &totals, epochs)
}

#[test]
fn shards_merged_are_the_whole_run() {
    let problem = Batching::of(Arc::new(small())).unwrap();
    let whole = shard_run(&problem, None);
    assert_eq!(whole.epochs.len(), 9);
    let parts: Vec<_> = (0..3)
        .map(|index| {
            let part = shard_run(&problem, Some(Shard { index, count: 3 }));
            let back = RunRecords::<BatchingRecord>::from_bytes(&part.to_bytes().unwrap()).unwrap();
            assert_eq!(back, part, "bytes read back to the same run");
            back
        })
        .collect();
    let merged = RunRecords::merge(parts).unwrap();
    assert_eq!(merged.run, whole.run);
    let rows = |r: &RunRecords<BatchingRecord>| {
        (
            r.epoch_rows().cloned().collect::<Vec<_>>(),
            r.request_rows().cloned().collect::<Vec<_>>(),
        )
    };
    assert_eq!(rows(&merged), rows(&whole));
    let summary = |r: &RunRecords<BatchingRecord>| {
        serde_json::to_value(r.summary::<BatchingStats>().unwrap()).unwrap()
    };
    assert_eq!(summary(&merged), summary(&whole));
    assert_eq!(
        summary(&whole)["solvers"][0]["epochs"]["by_status"]["optimal"],
        9
    );
}

fn corrupt_trace(dir: &Path, bad: usize) -> PathBuf {
    let text = std::fs::read_to_string(azure()).unwrap();
    let mut lines: Vec<String> = text.lines().take(61).map(String::from).collect();
    let fields: Vec<&str> = lines[bad].split(',').collect();
    lines[bad] = format!("{},{},-3", fields[0], fields[1]);
    let path = dir.join("corrupt.csv");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

#[test]
fn bad_input_is_refused_with_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();
    let fails = |args: &[&str]| {
        let o = run(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        stderr(&o)
    };
    let with = |scenario: &str, extra: &[&str]| {
        let mut args = vec![
            "solve-trace",
            "--problem",
            "batching",
            "--scenario",
            scenario,
            "--quiet",
            "--out",
            out_s,
        ];
        args.extend_from_slice(extra);
        fails(&args)
    };
    let e = with("scenarios/small.toml", &["--trace", TRACE]);
    assert!(e.contains("no [batching] section"), "{e}");
    let e = with(SMALL, &["--objective", "energy"]);
    assert!(
        e.contains("--objective does not apply to the `batching` problem"),
        "{e}"
    );
    let e = with(SMALL, &["--ttft-slo", "1s"]);
    assert!(
        e.contains("--ttft-slo does not apply to the `batching` problem"),
        "{e}"
    );
    let e = with(SMALL, &["--solvers", "exact,lifo"]);
    assert!(e.contains("lifo") && e.contains("assignment"), "{e}");
    let e = with(SMALL, &["--epoch", "0"]);
    assert!(e.contains("epoch"), "{e}");
    // A malformed row stops the run with file, line and field; the epochs before it are kept.
    let corrupt = corrupt_trace(dir.path(), 45);
    let e = with(
        SMALL,
        &["--trace", corrupt.to_str().unwrap(), "--epoch", "20"],
    );
    assert!(
        e.contains("corrupt.csv:46") && e.contains("GeneratedTokens"),
        "{e}"
    );
    let epochs: Vec<EpochRecord> = rows(&out.join("epochs.csv"));
    assert_eq!(epochs.len(), 2 * 5);
    assert_eq!(json(&out.join("run.json"))["complete"], false);
    // With --skip-bad-rows the row is skipped and counted.
    let o = run(&[
        "solve-trace",
        "--problem",
        "batching",
        "--scenario",
        SMALL,
        "--trace",
        corrupt.to_str().unwrap(),
        "--epoch",
        "20",
        "--solvers",
        "fcfs",
        "--skip-bad-rows",
        "--quiet",
        "--out",
        out_s,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json(&out.join("run.json"))["rows"]["skipped_rows"], 1);
}

#[test]
fn the_exported_admission_milp_reads_back_to_the_same_optimum() {
    let dir = tempfile::tempdir().unwrap();
    let instance = BatchingInstance::from_scenario(&small()).unwrap();
    let outcome = batching::Exact
        .solve(&instance, &Budget::default())
        .unwrap();
    assert!(outcome.is_optimal());
    let best = outcome.objective.unwrap();
    for format in ["mps", "lp"] {
        let path = dir.path().join(format!("admission.{format}"));
        let o = ok(&[
            "export",
            "--problem",
            "batching",
            "--scenario",
            SMALL,
            "--out",
            path.to_str().unwrap(),
        ]);
        let said = String::from_utf8_lossy(&o.stdout);
        assert!(said.contains("2 servers, 40 waiting requests"), "{said}");
        let (status, objective) = solve_model_file(&path, 1e-9).unwrap();
        assert_eq!(status, highs_sys::MODEL_STATUS_OPTIMAL, "{format}");
        // The file's optimum is the best batch: an integer, the exact solver's.
        assert!(
            (objective - best).abs() <= 1e-6,
            "{format}: {objective} read back, {best} in memory"
        );
    }
    let o = run(&[
        "export",
        "--problem",
        "batching",
        "--scenario",
        SMALL,
        "--per-second",
        "1",
        "--out",
        dir.path().join("x.mps").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--per-second does not apply"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn help_teaches_batching_with_examples() {
    let o = ok(&["solve-trace", "--help"]);
    let help = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "--problem batching",
        "epoch's end",
        "arrival_speedup",
        "admitted_share.svg",
        "--problem batching: which waiting requests",
        "Moore-Hodgson",
        "--scenario batching-edge",
    ] {
        assert!(help.contains(needle), "solve-trace --help lacks {needle}");
    }
    let o = ok(&["export", "--help"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("--problem batching"));
}
