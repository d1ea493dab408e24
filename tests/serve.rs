//! The continuous-batching simulation: every request ends once, SLO-aware planners keep the
//! SLOs the formulation guarantees, runs are deterministic, bad input is a clear error.

use mei4llm::problems::batching::TOLERANCE;
use mei4llm::serve::{
    Policy, PolicyRun, PolicySummary, RequestStatus, Workload, WorkloadOptions, simulate,
};
use mei4llm::solve::Budget;
use mei4llm::system::{Part, Precision, Scenario};
use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scenario() -> Scenario {
    Scenario::from_path(&root().join("scenarios/batching-serve.toml")).unwrap()
}

/// `requests` of the scenario's Azure conversation trace, `speedup` times faster than recorded.
fn workload(requests: usize, speedup: f64, trace: Option<&str>) -> Workload {
    let options = WorkloadOptions {
        trace: trace.map(|t| root().join(t).into()),
        requests: Some(requests),
        arrival_speedup: Some(speedup),
        ..WorkloadOptions::default()
    };
    Workload::from_scenario(&scenario(), &options).unwrap()
}

fn run(workload: &Workload, policy: &str) -> PolicyRun {
    let budget = Budget::default().with_time_limit(Duration::from_secs(20));
    simulate(
        workload,
        &Policy::by_name(policy).unwrap(),
        &budget,
        &mut |_| {},
    )
    .unwrap()
}

/// Every request of the workload has exactly one record, served or dropped, in arrival order.
fn assert_conserved(workload: &Workload, run: &PolicyRun) {
    assert_eq!(run.records.len(), workload.requests.len());
    let ids: HashSet<u64> = run.records.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), workload.requests.len(), "{}", run.policy);
    for (r, w) in run.records.iter().zip(&workload.requests) {
        assert_eq!(r.id, w.id);
        let served = r.status != RequestStatus::Dropped;
        assert_eq!(served, r.finish_s.is_some(), "{r:?}");
        assert_eq!(served, r.drop_reason.is_none(), "{r:?}");
        if served {
            let (admitted, first, finish) = (
                r.admitted_s.unwrap(),
                r.first_token_s.unwrap(),
                r.finish_s.unwrap(),
            );
            assert!(
                r.arrival_s <= admitted && admitted < first && first <= finish,
                "{r:?}"
            );
        }
    }
    let s = PolicySummary::of(run);
    assert_eq!(s.served + s.dropped, s.requests);
}

/// Served requests of an SLO-aware policy meet their TTFT SLO, and every decode step they take
/// is within their TPOT SLO (the formulation's sufficient condition).
fn assert_planner_slos(run: &PolicyRun) {
    for r in run
        .records
        .iter()
        .filter(|r| r.status != RequestStatus::Dropped)
    {
        let slack = 1.0 + TOLERANCE;
        assert!(r.ttft_s.unwrap() <= r.ttft_slo_s * slack, "{r:?}");
        if r.output_tokens >= 2 {
            assert!(r.longest_step_s.unwrap() <= r.tpot_slo_s * slack, "{r:?}");
            // The measured TPOT includes prefill stalls, so it is at least the mean step.
            assert!(r.tpot_s.unwrap() > 0.0);
        }
    }
}

#[test]
fn heuristics_and_baselines_keep_the_slos_and_every_request_ends_once() {
    for (trace, speedup) in [
        (None, 8.0),
        (
            Some("datasets/traces/mooncake_conversation_trace.jsonl"),
            1.0,
        ),
    ] {
        let w = workload(150, speedup, trace);
        for policy in ["assignment", "density", "fcfs", "spf"] {
            let r = run(&w, policy);
            assert_conserved(&w, &r);
            assert_planner_slos(&r);
            // Every planner call admits somebody: calls happen only when some request has a
            // server on which it meets its SLOs alone.
            let served = r.records.iter().filter(|r| r.finish_s.is_some()).count() as u64;
            assert!(
                r.planner_calls >= 1 && r.planner_calls <= served,
                "{policy}"
            );
        }
    }
}

#[test]
fn the_exact_planner_keeps_the_slos() {
    let w = workload(60, 8.0, None);
    let r = run(&w, "exact");
    assert_conserved(&w, &r);
    assert_planner_slos(&r);
    assert!(r.planner_calls > 0);
}

#[test]
fn the_vllm_baseline_serves_everyone_and_may_break_the_slos() {
    let w = workload(150, 8.0, None);
    let r = run(&w, "vllm");
    assert_conserved(&w, &r);
    assert_eq!(r.planner_calls, 0);
    assert!(r.records.iter().all(|r| r.status != RequestStatus::Dropped));
    // At 8x the recorded pace the queue builds up: without deadlines, some first tokens come
    // after the TTFT SLO.
    assert!(r.records.iter().any(|r| r.ttft_s.unwrap() > r.ttft_slo_s));
    // SLO-aware planning meets the SLOs of more requests on the same arrivals.
    let planned = PolicySummary::of(&run(&w, "assignment"));
    assert!(planned.met > PolicySummary::of(&r).met);
}

#[test]
fn one_request_alone_gets_the_cost_model_times() {
    let w = workload(1, 1.0, None);
    let r = run(&w, "assignment");
    let rec = &r.records[0];
    let server = w
        .servers
        .iter()
        .find(|s| Some(&s.name) == rec.server.as_ref())
        .unwrap();
    let precision: Precision = rec.precision.unwrap();
    let cost = w.model.cost(precision);
    let whole = Part::whole(w.model.layers);
    let (n, m) = (rec.prompt_tokens as u64, rec.output_tokens as u64);
    let prefill = server.node.batch_prefill_s(&cost, whole, &[n]).unwrap();
    assert!((rec.ttft_s.unwrap() - prefill).abs() <= 1e-12, "{rec:?}");
    // Alone, its decode steps run at contexts n + 1, ..., n + m - 1, without stalls.
    let steps: f64 = (1..m)
        .map(|g| {
            server
                .node
                .batch_decode_step_s(&cost, whole, &[n + g])
                .unwrap()
        })
        .sum();
    let tpot = steps / (m - 1) as f64;
    assert!(
        (rec.tpot_s.unwrap() - tpot).abs() <= 1e-9 * tpot,
        "{rec:?} vs {tpot}"
    );
    let last = server
        .node
        .batch_decode_step_s(&cost, whole, &[n + m - 1])
        .unwrap();
    assert_eq!(rec.longest_step_s, Some(last));
    assert_eq!(rec.status, RequestStatus::Met);
}

#[test]
fn runs_are_deterministic() {
    let w = workload(100, 8.0, None);
    for policy in ["assignment", "vllm"] {
        assert_eq!(run(&w, policy).records, run(&w, policy).records);
    }
}

#[test]
fn bad_input_is_a_clear_error() {
    let e = Policy::by_name("lifo").err().unwrap().to_string();
    assert!(e.contains("lifo") && e.contains("vllm"), "{e}");
    let missing = WorkloadOptions {
        trace: Some("no/such/trace.csv".into()),
        ..WorkloadOptions::default()
    };
    let e = Workload::from_scenario(&scenario(), &missing)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no/such/trace.csv"), "{e}");
    let small = Scenario::from_path(&root().join("scenarios/small.toml")).unwrap();
    let e = Workload::from_scenario(&small, &WorkloadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("[batching]"), "{e}");
    let slow = WorkloadOptions {
        arrival_speedup: Some(0.0),
        ..WorkloadOptions::default()
    };
    let e = Workload::from_scenario(&scenario(), &slow)
        .unwrap_err()
        .to_string();
    assert!(e.contains("speed-up"), "{e}");
}

#[test]
fn the_cli_writes_the_table_csv_files_and_plots() {
    let out = tempfile::tempdir().unwrap();
    let cli = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_mei4llm"))
            .current_dir(root())
            .args([
                "serve",
                "--scenario",
                "scenarios/batching-serve.toml",
                "--requests",
                "30",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let dir = out.path().to_str().unwrap();
    let ok = cli(&[
        "--policies",
        "fcfs,vllm",
        "--arrival-speedup",
        "4",
        "--out",
        dir,
    ]);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        stdout.contains("TTFT p99") && stdout.contains("vllm"),
        "{stdout}"
    );
    let requests = std::fs::read_to_string(out.path().join("requests.csv")).unwrap();
    assert_eq!(requests.lines().count(), 1 + 2 * 30);
    let summary = std::fs::read_to_string(out.path().join("summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 3);
    for svg in ["ttft_cdf.svg", "tpot_cdf.svg", "goodput.svg"] {
        assert!(
            std::fs::read_to_string(out.path().join(svg))
                .unwrap()
                .starts_with("<svg")
        );
    }
    let bad = cli(&["--policies", "fcfs,lifo", "--out", dir]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown policy `lifo`"));
}
