//! `mei4llm plan --problem batching` end to end: its JSON, its tables and its errors.

use serde_json::Value;
use std::process::{Command, Output};

/// Runs the binary from the crate root (where `scenarios/` is).
fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mei4llm"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the mei4llm binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The plan of `solver` on batching-small.toml, checked for consistency; returns its report.
fn plan(solver: &str) -> Value {
    let args = [
        "plan",
        "--problem",
        "batching",
        "--scenario",
        "scenarios/batching-small.toml",
        "--solver",
        solver,
        "--json",
    ];
    let o = run(&args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["solver"], solver);
    assert_eq!(v["scenario"], "batching-small");
    assert_eq!(v["model"], "Llama-3.1-8B");
    assert_eq!(v["maximises"], "requests");
    assert_eq!(
        (v["servers"].as_u64(), v["requests"].as_u64()),
        (Some(2), Some(40))
    );
    assert_eq!(v["check"]["feasible"], true, "{solver}: {}", v["check"]);
    // The objective is the number of admitted requests, each meeting its SLOs.
    let plan = v["plan"].as_array().unwrap();
    let admitted: Vec<&Value> = plan.iter().filter(|p| !p["server"].is_null()).collect();
    assert_eq!(admitted.len() as u64, v["admitted"].as_u64().unwrap());
    assert_eq!(f(&v["objective"]), admitted.len() as f64);
    assert_eq!(f(&v["check"]["objective"]), f(&v["objective"]));
    for p in admitted {
        assert!(f(&p["ttft_s"]) <= f(&p["ttft_slo_s"]) * (1.0 + 1e-9), "{p}");
        assert!(f(&p["tpot_s"]) <= f(&p["tpot_slo_s"]) * (1.0 + 1e-9), "{p}");
    }
    for b in v["batches"].as_array().unwrap() {
        assert!(
            f(&b["weight_bytes"]) + f(&b["kv_bytes"]) <= f(&b["memory_bytes"]),
            "{b}"
        );
    }
    v
}

#[test]
fn every_solver_plans_a_batch_the_exact_one_best() {
    let exact = plan("exact");
    assert_eq!(exact["status"], "optimal");
    assert_eq!(f(&exact["bound"]), f(&exact["objective"]));
    for solver in ["assignment", "density", "fcfs", "spf"] {
        let v = plan(solver);
        assert_eq!(v["status"], "feasible", "{solver}");
        assert!(v["bound"].is_null());
        assert!(f(&v["objective"]) <= f(&exact["objective"]), "{solver}");
    }
}

#[test]
fn the_tables_show_each_server_and_each_request() {
    let o = run(&[
        "plan",
        "--problem",
        "batching",
        "--scenario",
        "scenarios/batching-small.toml",
        "--solver",
        "fcfs",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for needle in [
        "status:       feasible",
        "weighted admitted requests, maximised",
        "edge-l4",
        "edge-orin",
        "longest decode step",
        "TTFT SLO",
        "waits",
        "of 40 requests admitted",
    ] {
        assert!(text.contains(needle), "missing `{needle}`:\n{text}");
    }
}

#[test]
fn unknown_solvers_and_missing_sections_are_errors() {
    let o = run(&[
        "plan",
        "--problem",
        "batching",
        "--scenario",
        "scenarios/batching-small.toml",
        "--solver",
        "lifo",
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("lifo") && e.contains("assignment") && e.contains("spf"),
        "{e}"
    );
    let o = run(&[
        "plan",
        "--problem",
        "batching",
        "--scenario",
        "scenarios/small.toml",
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("no [batching] section"), "{e}");
}

#[test]
fn help_lists_the_batching_solvers() {
    let o = run(&["plan", "--help"]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.contains("--problem batching"), "{text}");
    assert!(text.contains("Moore-Hodgson"), "{text}");
}
