//! Replaying traces through the caching problem: `mei4llm solve-trace --problem caching`,
//! `report` and `export --problem caching` on slices of the Azure conversation trace and the
//! small caching scenario, checked against the placements, the problem's own `evaluate`, the
//! CSV files and HiGHS.

mod common;

use common::{azure, json, ok, root, run, stderr};
use mei4llm::problems::caching::Caching;
use mei4llm::problems::caching::replay::CachingRecord;
use mei4llm::problems::caching::{self, CachingInstance};
use mei4llm::problems::formulation::Replays;
use mei4llm::replay::{
    EpochRecord, ReplayOptions, SolvedEpoch, instance_seed, read_csv, replay, solver_seed,
};
use mei4llm::solve::milp::{MilpStatus, record, solve_model_file};
use mei4llm::solve::{Budget, Problem, Solver};
use mei4llm::system::Scenario;
use mei4llm::system::trace::{EpochRule, Epochs, TraceReader};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

const SMALL: &str = "scenarios/caching-small.toml";
const TRACE: &str = "datasets/traces/azure_llm_2023_conv.csv";
const SOLVERS: &str = "exact,greedy,trimcaching,sharing-blind,popularity";

/// `solve-trace --problem caching` on the small scenario and the Azure trace, with `extra`
/// flags, into `out`.
fn solve_trace(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "solve-trace",
        "--problem",
        "caching",
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

/// The files a seed must reproduce byte for byte.
const REPRODUCIBLE: [&str; 6] = [
    "run.json",
    "epochs.csv",
    "requests.csv",
    "summary.json",
    "hit_ratio.svg",
    "latency_cdf.svg",
];

#[test]
fn files_are_byte_identical_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let outs: Vec<PathBuf> = [("1", "1"), ("2", "2"), ("2", "16")]
        .iter()
        .map(|(threads, in_flight)| {
            let out = dir.path().join(format!("t{threads}-{in_flight}"));
            let o = solve_trace(
                &out,
                &[
                    "--epoch",
                    "20s",
                    "--max-epochs",
                    "12",
                    "--solvers",
                    SOLVERS,
                    "--seed",
                    "7",
                    "--threads",
                    threads,
                    "--in-flight",
                    in_flight,
                ],
            );
            assert!(o.status.success(), "{}", stderr(&o));
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
    // 12 epochs × 5 solvers, in epoch order and the given solver order; one record per
    // request and solver.
    let epochs: Vec<EpochRecord> = rows(&outs[0].join("epochs.csv"));
    assert_eq!(epochs.len(), 60);
    assert!(epochs.windows(2).all(|w| w[0].epoch <= w[1].epoch));
    assert_eq!(epochs[1].solver, "greedy");
    let requests: usize = epochs.iter().step_by(5).map(|e| e.requests).sum();
    let records: Vec<CachingRecord> = rows(&outs[0].join("requests.csv"));
    assert_eq!(records.len(), 5 * requests);
    let run_json = json(&outs[0].join("run.json"));
    assert_eq!(run_json["problem"], "caching");
    assert_eq!(run_json["exact_solver"], "exact");
    assert_eq!(run_json["settings"]["latency_bound_s"], 1800.0);
    // A different seed draws other users and models.
    let other = dir.path().join("seed8");
    let o = solve_trace(
        &other,
        &[
            "--epoch",
            "20s",
            "--max-epochs",
            "12",
            "--solvers",
            SOLVERS,
            "--seed",
            "8",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_ne!(
        std::fs::read(outs[0].join("requests.csv")).unwrap(),
        std::fs::read(other.join("requests.csv")).unwrap()
    );
}

/// What [`check_replay`] saw.
#[derive(Debug, Default)]
struct Seen {
    /// Epochs the exact solver certified.
    certified: usize,
    /// (epoch, solver) pairs strictly below a certified exact hit ratio.
    beaten: usize,
    /// Records checked.
    records: usize,
}

/// Replays `max_epochs` epochs of the Azure trace cut by `rule` through every caching solver
/// with `seed`, rebuilds every epoch's instance, solves it again, and checks every record
/// against the placement and the problem's own `evaluate`, and the exact solver's hit ratio
/// against every other when it is certified.
fn check_replay(scenario: &Scenario, seed: u64, rule: EpochRule, max_epochs: u64) -> Seen {
    let problem = Caching::of(Arc::new(scenario.clone())).unwrap();
    let solvers: Vec<String> = SOLVERS.split(',').map(String::from).collect();
    let options = ReplayOptions {
        rule,
        solvers: solvers.clone(),
        threads: 2,
        seed,
        max_epochs: Some(max_epochs),
        ..ReplayOptions::default()
    };
    let mut solved: Vec<SolvedEpoch<CachingRecord>> = Vec::new();
    let totals = replay(
        &problem,
        TraceReader::open(azure()).unwrap(),
        &options,
        &mut solved,
        &mut |_| {},
    )
    .unwrap();
    assert!(totals.stopped_by.is_none());
    let epochs = Epochs::new(TraceReader::open(azure()).unwrap(), rule).unwrap();
    let mut seen = Seen::default();
    for (epoch, solved) in epochs.zip(&solved) {
        let epoch = epoch.unwrap();
        assert_eq!(epoch.index, solved.epoch.index);
        let data = problem
            .epoch(&epoch, instance_seed(seed, epoch.index))
            .unwrap();
        let instance: &CachingInstance = &data.instance;
        // Every epoch shares the scenario's library instead of copying it.
        assert!(Arc::ptr_eq(
            &instance.library,
            &problem.scenario_instance().library
        ));
        let n = data.requests.len();
        assert_eq!(n, epoch.requests.len());
        let budget = Budget {
            seed: solver_seed(seed, epoch.index),
            ..Budget::default()
        };
        let exact = &solved.epochs[0];
        assert_eq!(exact.solver, "exact");
        for (s, name) in solvers.iter().enumerate() {
            let row = &solved.epochs[s];
            let records = &solved.requests[s * n..(s + 1) * n];
            let outcome = caching::solver(name)
                .unwrap()
                .solve(instance, &budget)
                .unwrap();
            let placement = outcome.decision.as_ref().unwrap();
            let evaluation = instance.evaluate(placement);
            assert!(evaluation.is_feasible(), "{name}: {evaluation:?}");
            // The solve is repeatable, and the records are what the placement does.
            assert_eq!(row.objective, Some(evaluation.objective), "{name}");
            let hits = records.iter().filter(|r| r.hit).count();
            assert!(
                (hits as f64 / n as f64 - evaluation.objective).abs() <= 1e-12,
                "{name}, epoch {}: {hits} hits of {n}, evaluate says {}",
                epoch.index,
                evaluation.objective
            );
            let cloud: f64 = records.iter().map(|r| r.cloud_bytes.unwrap()).sum();
            let expected = instance.metrics(placement).miss_bytes_per_request * n as f64;
            assert!((cloud - expected).abs() <= 1e-9 * expected.max(1.0));
            for (r, q) in records.iter().zip(&data.requests) {
                assert_eq!(
                    (r.epoch, r.request, r.solver.as_str()),
                    (epoch.index, q.id, name.as_str())
                );
                assert_eq!(r.user, instance.users[q.user].name);
                assert_eq!(r.model, instance.library.models[q.model].name);
                assert_eq!(r.model_bytes, instance.model_bytes(q.model));
                let in_time: Vec<usize> = instance.servers_in_time(q.user, q.model).collect();
                assert_eq!(r.reachable, !in_time.is_empty());
                let storing: Vec<usize> = in_time
                    .iter()
                    .copied()
                    .filter(|&s| placement.stores(s, q.model))
                    .collect();
                assert_eq!(r.hit, !storing.is_empty(), "request {}", r.request);
                if r.hit {
                    // Served by a server that stores the model and delivers it in time, the
                    // fastest of them.
                    let server = instance
                        .servers
                        .iter()
                        .position(|s| s.name == r.server)
                        .unwrap();
                    assert!(storing.contains(&server));
                    let latency = r.latency_s.unwrap();
                    assert_eq!(latency, instance.latency_s(q.user, server, q.model));
                    assert!(latency <= instance.latency_bound_s);
                    for &s in &storing {
                        assert!(latency <= instance.latency_s(q.user, s, q.model));
                    }
                    assert_eq!((r.tier.as_str(), r.cloud_bytes), ("edge", Some(0.0)));
                } else {
                    assert_eq!(r.tier, "cloud");
                    assert!(r.server.is_empty() && r.latency_s.is_none());
                    assert_eq!(r.cloud_bytes, Some(r.model_bytes));
                }
            }
            seen.records += records.len();
            // A certified exact hit ratio is never beaten.
            if exact.status == "optimal" {
                let best = exact.objective.unwrap();
                let got = row.objective.unwrap();
                assert!(
                    got <= best + 1e-9,
                    "{name} beats the certified exact solver on epoch {}: {got} > {best}",
                    epoch.index
                );
                assert!(row.gap_to_exact.unwrap() >= -1e-9);
                if got < best - 1e-9 {
                    seen.beaten += 1;
                }
            }
        }
        seen.certified += usize::from(exact.status == "optimal");
    }
    assert_eq!(solved.len() as u64, max_epochs);
    seen
}

fn small() -> Scenario {
    Scenario::from_path(&root().join(SMALL)).unwrap()
}

#[test]
fn every_record_is_what_the_placement_does_and_exact_is_never_beaten() {
    // Minute-long epochs: enough requests that storage binds and the solvers differ.
    let seen = check_replay(&small(), 3, EpochRule::Window { seconds: 60.0 }, 6);
    assert_eq!(seen.certified, 6);
    assert!(
        seen.beaten > 0,
        "no solver fell below the exact one: {seen:?}"
    );
    assert!(seen.records > 5 * 6 * 100, "{seen:?}");
}

#[test]
fn on_the_city_the_fastest_storing_server_serves_each_hit() {
    // Every link of the city has its own measured rate, so which server serves a hit matters.
    let city = Scenario::from_path(&root().join("scenarios/caching-city.toml")).unwrap();
    let seen = check_replay(&city, 11, EpochRule::Count { requests: 250 }, 2);
    assert_eq!(seen.certified, 2);
    assert_eq!(seen.records, 5 * 2 * 250);
}

fn config() -> ProptestConfig {
    ProptestConfig {
        // `PROPTEST_CASES=100 cargo test --test replay_caching` for a deeper search.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(8),
        failure_persistence: None,
        // A fixed seed, so that a run is reproducible; `PROPTEST_RNG_SEED=n` draws others.
        rng_seed: match std::env::var_os("PROPTEST_RNG_SEED") {
            Some(_) => ProptestConfig::default().rng_seed,
            None => RngSeed::Fixed(2026),
        },
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn records_agree_with_evaluate_for_any_seed_and_epoch_size(
        seed in any::<u64>(),
        requests in 1usize..120,
    ) {
        let seen = check_replay(&small(), seed, EpochRule::Count { requests }, 3);
        prop_assert_eq!(seen.records, 5 * 3 * requests);
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
    let o = solve_trace(
        &out,
        &["--epoch", "15s", "--max-epochs", "16", "--solvers", SOLVERS],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let printed = String::from_utf8_lossy(&o.stdout);
    assert!(
        printed.contains("hit ratio") && printed.contains("hit_ratio.svg"),
        "{printed}"
    );
    let summary = json(&out.join("summary.json"));
    // Recompute from requests.csv, reading it as plain CSV (not through the library's types).
    let mut reader = csv::Reader::from_path(out.join("requests.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (epoch, solver, reachable, tier, server, hit, latency, cloud) = (
        column("epoch"),
        column("solver"),
        column("reachable"),
        column("tier"),
        column("server"),
        column("hit"),
        column("latency_s"),
        column("cloud_bytes"),
    );
    #[derive(Default)]
    struct Acc {
        n: u64,
        reachable: u64,
        hits: u64,
        latency: Vec<f64>,
        cloud: f64,
        tiers: BTreeMap<String, u64>,
        servers: BTreeMap<String, u64>,
        /// Per epoch: requests and hits.
        epochs: BTreeMap<u64, (u64, u64)>,
    }
    let mut per: BTreeMap<String, Acc> = BTreeMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        let a = per.entry(row[solver].to_string()).or_default();
        let is_hit = &row[hit] == "true";
        a.n += 1;
        a.reachable += u64::from(&row[reachable] == "true");
        *a.tiers.entry(row[tier].to_string()).or_default() += 1;
        let e = a.epochs.entry(row[epoch].parse().unwrap()).or_default();
        e.0 += 1;
        e.1 += u64::from(is_hit);
        a.cloud += row[cloud].parse::<f64>().unwrap();
        if is_hit {
            a.hits += 1;
            *a.servers.entry(row[server].to_string()).or_default() += 1;
            a.latency.push(row[latency].parse().unwrap());
        } else {
            assert!(row[latency].is_empty());
        }
    }
    // Each epoch's objective in epochs.csv is its hit ratio in requests.csv.
    for e in rows::<EpochRecord>(&out.join("epochs.csv")) {
        let (n, hits) = per[&e.solver].epochs[&e.epoch];
        assert_eq!(n as usize, e.requests);
        assert!(close(e.objective.unwrap(), hits as f64 / n as f64));
    }
    let solvers = summary["solvers"].as_array().unwrap();
    assert_eq!(solvers.len(), 5);
    for s in solvers {
        let a = per.get_mut(s["solver"].as_str().unwrap()).unwrap();
        let r = &s["requests"];
        assert_eq!(r["requests"], a.n);
        assert_eq!(r["planned"], a.n);
        assert_eq!(r["reachable"], a.reachable);
        assert_eq!(r["hits"], a.hits);
        assert!(close(
            r["hit_ratio"].as_f64().unwrap(),
            a.hits as f64 / a.n as f64
        ));
        assert!(close(
            r["hit_ratio_of_reachable"].as_f64().unwrap(),
            a.hits as f64 / a.reachable as f64
        ));
        assert!(close(r["cloud_bytes"].as_f64().unwrap(), a.cloud));
        assert!(close(
            r["cloud_bytes_per_request"].as_f64().unwrap(),
            a.cloud / a.n as f64
        ));
        let mean = a.latency.iter().sum::<f64>() / a.latency.len() as f64;
        a.latency.sort_by(f64::total_cmp);
        let d = &r["latency_s"];
        assert_eq!(d["count"], a.hits);
        assert!(close(d["mean"].as_f64().unwrap(), mean));
        for (p, q) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
            assert_eq!(d[p].as_f64().unwrap(), percentile(&a.latency, q), "{p}");
        }
        assert_eq!(d["max"].as_f64().unwrap(), *a.latency.last().unwrap());
        let ratios: Vec<f64> = a
            .epochs
            .values()
            .map(|&(n, hits)| hits as f64 / n as f64)
            .collect();
        let d = &r["epoch_hit_ratio"];
        assert_eq!(d["count"], 16);
        assert_eq!(
            d["min"].as_f64().unwrap(),
            ratios.iter().copied().fold(f64::INFINITY, f64::min)
        );
        assert!(close(
            d["mean"].as_f64().unwrap(),
            ratios.iter().sum::<f64>() / ratios.len() as f64
        ));
        for (t, n) in &a.tiers {
            assert_eq!(r["tiers"][t], *n, "tier {t}");
        }
        for (name, n) in &a.servers {
            assert_eq!(r["served_by"][name], *n, "server {name}");
        }
    }
    // `report` rebuilds the same summary and plots from the CSV files.
    let derived = [
        "summary.json",
        "hit_ratio.svg",
        "latency_cdf.svg",
        "solve_time.svg",
    ];
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
        printed.contains("caching run over") && printed.contains("of reachable"),
        "{printed}"
    );
    for (f, bytes) in derived.iter().zip(before) {
        assert!(std::fs::read(out.join(f)).unwrap() == bytes, "{f} differs");
    }
}

#[test]
fn an_epoch_that_cannot_reach_the_least_hit_ratio_is_recorded_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    // caching-small with a least hit ratio of 75%: an epoch with more than a quarter of its
    // requests out of reach (LTE users asking for models too large to download in time)
    // cannot reach it.
    let text = std::fs::read_to_string(root().join(SMALL)).unwrap();
    let text = text.replace("seed = 1\n", "seed = 1\nmin_hit_ratio = 0.75\n");
    let scenario = dir.path().join("least.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = dir.path().join("out");
    ok(&[
        "solve-trace",
        "--problem",
        "caching",
        "--scenario",
        scenario.to_str().unwrap(),
        "--trace",
        TRACE,
        "--epoch",
        "1s",
        "--max-epochs",
        "60",
        "--solvers",
        "exact,greedy",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(json(&out.join("run.json"))["complete"], true);
    let epochs: Vec<EpochRecord> = rows(&out.join("epochs.csv"));
    assert_eq!(epochs.len(), 120);
    let infeasible: Vec<&EpochRecord> = epochs
        .iter()
        .filter(|r| r.solver == "exact" && r.status == "infeasible")
        .collect();
    assert!(!infeasible.is_empty());
    for r in &infeasible {
        assert!(r.reason.contains("least hit ratio 0.75"), "{}", r.reason);
        assert!(r.objective.is_none());
    }
    // The greedy does not prove anything: it reports that it found no placement.
    let greedy: Vec<&EpochRecord> = epochs
        .iter()
        .filter(|r| r.solver == "greedy" && infeasible.iter().any(|e| e.epoch == r.epoch))
        .collect();
    assert!(
        greedy
            .iter()
            .all(|r| r.status == "not_found" && !r.reason.is_empty())
    );
    // Later epochs are solved, some optimally, at or above the least hit ratio.
    let first = infeasible[0].epoch;
    let later: Vec<&EpochRecord> = epochs
        .iter()
        .filter(|r| r.epoch > first && r.solver == "exact" && r.status == "optimal")
        .collect();
    assert!(!later.is_empty());
    assert!(later.iter().all(|r| r.objective.unwrap() >= 0.75 - 1e-9));
    // The requests of an infeasible epoch are recorded without a placement.
    let records: Vec<CachingRecord> = rows(&out.join("requests.csv"));
    let unplanned: Vec<&CachingRecord> = records
        .iter()
        .filter(|r| r.solver == "exact" && r.epoch == first)
        .collect();
    assert_eq!(unplanned.len(), infeasible[0].requests);
    for r in unplanned {
        assert!(r.tier == "none" && !r.hit && r.cloud_bytes.is_none());
    }
    let summary = json(&out.join("summary.json"));
    let exact = &summary["solvers"][0];
    assert_eq!(
        exact["epochs"]["by_status"]["infeasible"],
        infeasible.len() as u64
    );
    assert_eq!(
        exact["requests"]["tiers"]["none"],
        infeasible.iter().map(|r| r.requests as u64).sum::<u64>()
    );
}

/// The first 60 rows of the Azure trace with row `bad` (1-based data row) corrupted in its
/// `GeneratedTokens` field.
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
    let base = [
        "solve-trace",
        "--problem",
        "caching",
        "--scenario",
        SMALL,
        "--trace",
        TRACE,
        "--epoch",
        "1s",
        "--quiet",
        "--out",
        out_s,
    ];
    let with = |extra: &[&'static str]| -> Vec<&str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };
    // An unknown solver is named, with the solvers there are.
    let message = fails(&with(&["--solvers", "greedy,lru"]));
    assert!(
        message.contains("unknown caching solver `lru`") && message.contains("trimcaching"),
        "{message}"
    );
    // A split solver is not a caching one.
    let message = fails(&with(&["--solvers", "descent"]));
    assert!(message.contains("`descent`"), "{message}");
    // Split's flags do not apply.
    let message = fails(&with(&["--ttft-slo", "2s"]));
    assert!(
        message.contains("--ttft-slo does not apply to the `caching` problem"),
        "{message}"
    );
    // A scenario without a [caching] section, or a caching scenario without a trace
    // (`caching-city` names none).
    let message = fails(&[
        "solve-trace",
        "--problem",
        "caching",
        "--scenario",
        "scenarios/small.toml",
        "--quiet",
        "--out",
        out_s,
    ]);
    assert!(message.contains("has no [caching] section"), "{message}");
    let message = fails(&[
        "solve-trace",
        "--problem",
        "caching",
        "--scenario",
        "scenarios/caching-city.toml",
        "--epoch",
        "1s",
        "--quiet",
        "--out",
        out_s,
    ]);
    assert!(message.contains("give --trace"), "{message}");

    // A malformed row stops the run with its file, line and field; the epochs before it are
    // complete. Data row 30 is line 31 of the file.
    let trace = corrupt_trace(dir.path(), 30);
    let args = |skip: bool| {
        let mut a = vec![
            "solve-trace",
            "--problem",
            "caching",
            "--scenario",
            SMALL,
            "--trace",
            trace.to_str().unwrap(),
            "--epoch",
            "4",
            "--solvers",
            "exact,popularity",
            "--quiet",
            "--out",
            out_s,
        ];
        if skip {
            a.push("--skip-bad-rows");
        }
        a
    };
    let message = fails(&args(false));
    assert!(
        message.contains("corrupt.csv:31") && message.contains("GeneratedTokens"),
        "{message}"
    );
    let run_json = json(&out.join("run.json"));
    assert_eq!(run_json["complete"], false);
    assert_eq!(run_json["epochs"], 7);
    assert_eq!(rows::<EpochRecord>(&out.join("epochs.csv")).len(), 14);
    assert_eq!(
        rows::<CachingRecord>(&out.join("requests.csv")).len(),
        2 * 28
    );
    assert!(out.join("summary.json").is_file() && out.join("hit_ratio.svg").is_file());
    // With --skip-bad-rows it is skipped and counted.
    ok(&args(true));
    let run_json = json(&out.join("run.json"));
    assert_eq!(run_json["complete"], true);
    assert_eq!(run_json["rows"]["skipped_rows"], 1);
    assert!(
        run_json["rows"]["first_skipped"][0]
            .as_str()
            .unwrap()
            .contains("corrupt.csv:31: field `GeneratedTokens`")
    );
    assert_eq!(run_json["requests"], 59);

    // The library refuses an unknown solver before anything runs.
    let problem = Caching::of(Arc::new(small())).unwrap();
    let options = ReplayOptions {
        solvers: vec!["exact".into(), "lfu".into()],
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
    assert!(error.to_string().contains("`lfu`"), "{error}");
    let error = Caching::of(Arc::new(
        Scenario::from_path(&root().join("scenarios/small.toml")).unwrap(),
    ))
    .unwrap_err();
    assert!(error.to_string().contains("[caching]"), "{error}");
}

#[test]
fn the_exported_placement_milp_reads_back_to_the_same_optimum() {
    let dir = tempfile::tempdir().unwrap();
    let instance = CachingInstance::from_scenario(&small()).unwrap();
    let (outcome, models) = record(|| caching::Exact.solve(&instance, &Budget::default()).unwrap());
    assert!(outcome.is_optimal());
    let hit_ratio = outcome.objective.unwrap();
    // The model as the exact solver built it, solved again in memory: the optimal hit ratio.
    let direct = models[0]
        .clone()
        .solve(&Budget::default().with_gap(1e-9))
        .unwrap();
    assert_eq!(direct.status, MilpStatus::Optimal);
    assert!(
        (direct.objective - hit_ratio).abs() <= 1e-9,
        "{} vs {hit_ratio}",
        direct.objective
    );
    for format in ["mps", "lp"] {
        let path = dir.path().join(format!("placement.{format}"));
        let o = ok(&[
            "export",
            "--problem",
            "caching",
            "--scenario",
            SMALL,
            "--out",
            path.to_str().unwrap(),
        ]);
        let said = String::from_utf8_lossy(&o.stdout);
        assert!(said.contains("3 servers, 16 models, 24 users"), "{said}");
        let (status, objective) = solve_model_file(&path, 1e-9).unwrap();
        assert_eq!(status, highs_sys::MODEL_STATUS_OPTIMAL, "{format}");
        assert!(
            (objective - hit_ratio).abs() <= 1e-6 * hit_ratio,
            "{format}: {objective} read back, {hit_ratio} in memory"
        );
    }
    // The objective flags belong to split.
    let o = run(&[
        "export",
        "--problem",
        "caching",
        "--scenario",
        SMALL,
        "--objective",
        "energy",
        "--out",
        dir.path().join("x.mps").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--objective does not apply"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn help_teaches_caching_with_examples() {
    let o = ok(&["solve-trace", "--help"]);
    let text = String::from_utf8_lossy(&o.stdout);
    for word in [
        "mei4llm solve-trace --problem caching",
        "refilled before every epoch",
        "hit_ratio.svg",
        "cloud_bytes",
    ] {
        assert!(text.contains(word), "{word} missing");
    }
    for name in mei4llm::problems::formulation::default_solvers(caching::SOLVERS) {
        assert!(text.contains(name), "{name} missing");
    }
    let o = ok(&["export", "--help"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("mei4llm export --problem caching"));
    let o = ok(&["report", "--help"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("hit_ratio.svg"));
}
