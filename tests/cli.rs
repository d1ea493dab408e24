//! The `mei4llm` binary end to end: `inspect` and `plan`, their JSON, their tables and their
//! errors.

use serde_json::Value;
use std::path::Path;
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

/// Runs the binary, expects success, and parses its stdout as JSON.
fn json(args: &[&str]) -> Value {
    let o = run(args);
    assert!(
        o.status.success(),
        "{args:?} failed: {}\n{}",
        stderr(&o),
        stdout(&o)
    );
    serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{args:?}: not JSON: {e}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn inspect_a_scenario_as_json() {
    let v = json(&["inspect", "--scenario", "scenarios/small.toml", "--json"]);
    assert_eq!(v["scenario"], "small");
    assert_eq!(v["devices"], 8);
    assert_eq!(v["edge_servers"], 2);
    let models = v["models"].as_array().unwrap();
    let names: Vec<&str> = models
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Llama-2-7B", "Llama-3.2-3B"]);
    for m in models {
        let layers = m["layers"].as_u64().unwrap() as usize;
        let splits = m["splits"].as_array().unwrap();
        assert_eq!(splits.len(), layers + 1, "{}", m["model"]);
        for s in splits {
            assert!(f(&s["activation_bytes_per_token"]) >= 0.0);
            assert!(f(&s["device_weight_bytes"]) >= 0.0);
        }
        // An inner split sends one hidden state per token.
        assert!(f(&splits[1]["activation_bytes_per_token"]) > 0.0);
        // Two device kinds, two edge servers, one cloud.
        assert_eq!(m["speeds"].as_array().unwrap().len(), 5);
    }
}

#[test]
fn inspect_a_model_on_a_device_as_json() {
    let v = json(&[
        "inspect",
        "--model",
        "Llama-2-7B",
        "--device",
        "NVIDIA L4 24GB",
        "--json",
    ]);
    assert_eq!(v["model"], "Llama-2-7B");
    assert_eq!(v["total_params"], 6_738_415_616u64);
    let units = v["units"].as_array().unwrap();
    assert_eq!(units.len(), 34, "embedding + 32 blocks + head");
    assert_eq!(units[0]["unit"], "embedding");
    assert_eq!(units[33]["unit"], "head");
    assert_eq!(v["splits"].as_array().unwrap().len(), 33);
    let speeds = v["speeds"].as_array().unwrap();
    assert_eq!(speeds.len(), 1);
    assert_eq!(speeds[0]["node"], "NVIDIA L4 24GB");
    assert!(f(&speeds[0]["decode_tokens_per_s"]) > 0.0);
}

/// `--batch N --context C` adds the decode step of the batch: N sequences share one reading of
/// the weights, so the batch's tokens per second are N over the step; `--context` needs
/// `--batch`, and a batch of 0 is refused.
#[test]
fn inspect_a_batch_step() {
    let args = |batch: &str| {
        let mut a = vec![
            "inspect",
            "--model",
            "Llama-3.1-8B",
            "--device",
            "NVIDIA L4 24GB",
        ];
        a.extend(["--batch", batch, "--context", "2048", "--json"]);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run_json = |batch: &str| {
        let a = args(batch);
        json(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let (one, sixteen) = (run_json("1"), run_json("16"));
    let step = |v: &Value| f(&v["speeds"][0]["batch"]["step_s"]);
    assert_eq!(sixteen["speeds"][0]["batch"]["sequences"], 16);
    assert_eq!(sixteen["speeds"][0]["batch"]["context_tokens"], 2048);
    let batch_rate = f(&sixteen["speeds"][0]["batch"]["tokens_per_s"]);
    assert!((batch_rate - 16.0 / step(&sixteen)).abs() <= 1e-9 * batch_rate);
    assert!(step(&sixteen) > step(&one) && batch_rate > 1.0 / step(&one));
    let plain = json(&[
        "inspect",
        "--model",
        "Llama-3.1-8B",
        "--device",
        "NVIDIA L4 24GB",
        "--json",
    ]);
    assert!(plain["speeds"][0].get("batch").is_none());
    let text = stdout(&run(&["inspect", "--scenario", "small", "--batch", "8"]));
    assert!(
        text.contains("One decode step of a batch of 8 sequences"),
        "{text}"
    );
    for bad in [
        vec!["inspect", "--model", "Llama-3.1-8B", "--context", "2048"],
        vec!["inspect", "--model", "Llama-3.1-8B", "--batch", "0"],
    ] {
        let o = run(&bad);
        assert!(!o.status.success(), "{bad:?}");
    }
}

#[test]
fn inspect_an_unknown_model_lists_the_known_ones() {
    let o = run(&["inspect", "--model", "NoSuchModel"]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("NoSuchModel"), "{e}");
    assert!(
        e.contains("Llama-2-7B") && e.contains("Llama-3.2-3B"),
        "{e}"
    );
}

/// The plan of `solver` on small.toml, checked for consistency; returns its objective.
fn plan_json(solver: &str) -> (Value, f64) {
    let v = json(&[
        "plan",
        "--scenario",
        "scenarios/small.toml",
        "--solver",
        solver,
        "--json",
    ]);
    assert_eq!(v["solver"], solver);
    assert_eq!(v["requests"], 8);
    assert_eq!(v["minimises"], "latency");
    let status = v["status"].as_str().unwrap();
    assert!(["optimal", "feasible"].contains(&status), "{solver}: {v}");
    assert!(v["reason"].is_null());
    let objective = f(&v["objective"]);
    let plan = v["plan"].as_array().unwrap();
    assert_eq!(plan.len(), 8);
    let costs: f64 = plan.iter().map(|r| f(&r["cost"])).sum();
    assert!(
        (costs - objective).abs() <= 1e-9 * objective.max(1.0),
        "{solver}: objective {objective}, sum of costs {costs}"
    );
    // Latency objective: each request's cost is its end-to-end latency.
    for r in plan {
        assert!((f(&r["cost"]) - f(&r["e2e_s"])).abs() <= 1e-12 * f(&r["e2e_s"]));
        assert!(f(&r["ttft_s"]) <= f(&r["e2e_s"]));
        let (split, layers) = (r["split"].as_u64().unwrap(), r["layers"].as_u64().unwrap());
        assert!(split <= layers);
    }
    assert_eq!(v["check"]["feasible"], true, "{solver}: {}", v["check"]);
    assert!((f(&v["check"]["objective"]) - objective).abs() <= 1e-9 * objective.max(1.0));
    assert!(f(&v["time_s"]) >= 0.0);
    (v, objective)
}

#[test]
fn plan_small_with_exact_heuristic_and_baseline() {
    let (exact, optimum) = plan_json("exact");
    assert_eq!(exact["status"], "optimal");
    let bound = f(&exact["bound"]);
    assert!(bound <= optimum * (1.0 + 1e-9), "bound {bound} > {optimum}");
    assert!(f(&exact["gap"]) <= 1e-6);
    let (descent, by_descent) = plan_json("descent");
    assert!(descent["bound"].is_null());
    let (device, device_only) = plan_json("device-only");
    assert!(
        device["plan"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["tier"] == "device" && r["server_name"] == "-")
    );
    for other in [by_descent, device_only] {
        assert!(
            optimum <= other * (1.0 + 1e-6),
            "exact {optimum} above {other}"
        );
    }
}

#[test]
fn plan_with_an_unknown_solver_lists_the_solvers() {
    let o = run(&[
        "plan",
        "--scenario",
        "scenarios/small.toml",
        "--solver",
        "nosuch",
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("nosuch"), "{e}");
    for name in mei4llm::problems::formulation::default_solvers(mei4llm::problems::split::SOLVERS) {
        assert!(e.contains(name), "{name} missing from: {e}");
    }
}

#[test]
fn plan_prints_a_header_and_one_row_per_request() {
    let o = run(&["plan", "--scenario", "scenarios/small.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for field in [
        "scenario:",
        "requests:",
        "solver:",
        "status:",
        "objective:",
        "proven bound:",
        "gap:",
        "solve time:",
        "nodes:",
        "rounds:",
    ] {
        assert!(out.contains(field), "{field} missing from:\n{out}");
    }
    assert!(out.contains("small") && out.contains("exact") && out.contains("optimal"));
    let lines: Vec<&str> = out.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("request ") && l.contains("split"))
        .unwrap_or_else(|| panic!("no table in:\n{out}"));
    // The header, its rule, then one row per request up to the blank line.
    let rows: Vec<&&str> = lines[header + 2..]
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(rows.len(), 8, "{out}");
    for row in rows {
        assert!(
            row.contains("Llama-2-7B") || row.contains("Llama-3.2-3B"),
            "{row}"
        );
    }
    assert!(out.contains("8 requests:"), "{out}");
}

#[test]
fn plan_help_teaches_objectives_and_solvers() {
    let o = run(&["plan", "--help"]);
    assert!(o.status.success());
    let out = stdout(&o);
    for word in ["latency", "energy", "mixed", "--per-joule", "Example"] {
        assert!(out.contains(word), "{word} missing from:\n{out}");
    }
    for name in mei4llm::problems::formulation::default_solvers(mei4llm::problems::split::SOLVERS) {
        assert!(out.contains(name), "{name} missing from:\n{out}");
    }
}

#[test]
fn plan_rejects_bad_input() {
    let o = run(&["plan", "--scenario", "scenarios/no-such-file.toml"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no-such-file.toml"), "{}", stderr(&o));
    let o = run(&[
        "plan",
        "--scenario",
        "scenarios/small.toml",
        "--objective",
        "mixed",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--per-second"), "{}", stderr(&o));
    let o = run(&["plan", "--scenario", "scenarios/small.toml", "--gap", "-1"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("gap"), "{}", stderr(&o));
}

/// small.toml with the trace path made absolute and `edit` applied, written into `dir`.
fn small_variant(dir: &Path, name: &str, edit: impl Fn(String) -> String) -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("scenarios/small.toml")).unwrap();
    let trace = root.join("datasets/traces/azure_llm_2023_conv.csv");
    let text = text.replace(
        "trace = \"../datasets/traces/azure_llm_2023_conv.csv\"",
        &format!("trace = '{}'", trace.display()),
    );
    let edited = edit(text.clone());
    assert_ne!(edited, text, "the edit of {name} changes nothing");
    let path = dir.join(name);
    std::fs::write(&path, edited).unwrap();
    path
}

/// An instance proven infeasible (a 1 ms TTFT no choice meets) is the answer of every solver,
/// with the reason; a baseline stuck on a feasible instance (device-only, with Llama-3.1-8B at
/// fp16 on 16 GB phones) is `not_found` and exits 3.
#[test]
fn an_infeasible_epoch_is_an_answer_and_a_stuck_baseline_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_variant(dir.path(), "impossible.toml", |text| {
        text.replace("[workload]", "[workload]\nttft_slo = \"1 ms\"")
    });
    let path = path.to_str().unwrap();
    for solver in ["exact", "device-only"] {
        let v = json(&["plan", "--scenario", path, "--solver", solver, "--json"]);
        assert_eq!(v["status"], "infeasible", "{solver}");
        assert!(v["reason"].as_str().unwrap().contains("TTFT"), "{v}");
        assert!(v["objective"].is_null());
        assert!(v["plan"].as_array().unwrap().is_empty());
    }
    let o = run(&["plan", "--scenario", path]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("infeasible"), "{}", stdout(&o));

    let stuck = small_variant(dir.path(), "stuck.toml", |text| {
        text.replace(
            "name = \"Llama-2-7B\"\ndevice_precision = \"int4\"",
            "name = \"Llama-3.1-8B\"\ndevice_precision = \"fp16\"",
        )
    });
    let stuck = stuck.to_str().unwrap();
    assert_eq!(
        json(&["plan", "--scenario", stuck, "--json"])["status"],
        "optimal"
    );
    let o = run(&[
        "plan",
        "--scenario",
        stuck,
        "--solver",
        "device-only",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["status"], "not_found");
    assert!(
        v["reason"].as_str().unwrap().contains("device memory"),
        "{v}"
    );
}

/// Requests kept on their device by `[workload.locality]` are planned there: with every
/// request device-only and phones that cannot hold the model, the epoch is infeasible and the
/// reason names the class and the memory; shares out of range are refused naming the field.
#[test]
fn locality_classes_keep_requests_where_the_scenario_says() {
    let dir = tempfile::tempdir().unwrap();
    let kept = small_variant(dir.path(), "kept.toml", |text| {
        format!("{text}\n[workload.locality]\ndevice = 1.0\n")
    });
    let v = json(&["plan", "--scenario", kept.to_str().unwrap(), "--json"]);
    assert_eq!(v["status"], "optimal", "{v}");
    for row in v["plan"].as_array().unwrap() {
        assert_eq!(row["tier"], "device", "{row}");
    }
    let stuck = small_variant(dir.path(), "stuck.toml", |text| {
        let text = text.replace(
            "name = \"Llama-2-7B\"\ndevice_precision = \"int4\"",
            "name = \"Llama-3.1-8B\"\ndevice_precision = \"fp16\"",
        );
        format!("{text}\n[workload.locality]\ndevice = 1.0\n")
    });
    let v = json(&["plan", "--scenario", stuck.to_str().unwrap(), "--json"]);
    assert_eq!(v["status"], "infeasible", "{v}");
    let reason = v["reason"].as_str().unwrap();
    assert!(
        reason.contains("locality `device`") && reason.contains("device memory"),
        "{reason}"
    );
    for (name, shares, field) in [
        ("over.toml", "device = 0.7\nedge = 0.5", "workload.locality"),
        ("negative.toml", "edge = -0.1", "workload.locality.edge"),
    ] {
        let bad = small_variant(dir.path(), name, |text| {
            format!("{text}\n[workload.locality]\n{shares}\n")
        });
        let o = run(&["plan", "--scenario", bad.to_str().unwrap()]);
        assert!(!o.status.success());
        assert!(stderr(&o).contains(field), "{}", stderr(&o));
    }
}

/// `plan --problem caching`: the exact placement is certified, fits every server as re-checked,
/// and no heuristic's hit ratio beats it; the storage each server uses is within its capacity.
#[test]
fn plan_caching_exact_and_heuristics() {
    let plan = |solver: &str| {
        json(&[
            "plan",
            "--problem",
            "caching",
            "--scenario",
            "scenarios/caching-small.toml",
            "--solver",
            solver,
            "--json",
        ])
    };
    let exact = plan("exact");
    assert_eq!(exact["status"], "optimal", "{exact}");
    assert_eq!(exact["feasible"], true);
    let best = f(&exact["objective"]);
    assert!(f(&exact["bound"]) >= best - 1e-9);
    assert!(f(&exact["metrics"]["hit_ratio"]) == best);
    for server in exact["placement"].as_array().expect("placement") {
        assert!(f(&server["used_bytes"]) <= f(&server["storage_bytes"]) * (1.0 + 1e-9));
    }
    for solver in ["greedy", "trimcaching", "sharing-blind", "popularity"] {
        let o = plan(solver);
        assert_eq!(o["status"], "feasible", "{solver}: {o}");
        assert!(f(&o["objective"]) <= best + 1e-9, "{solver} beats exact");
    }
    let unknown = run(&[
        "plan",
        "--problem",
        "caching",
        "--scenario",
        "scenarios/caching-small.toml",
        "--solver",
        "descent",
    ]);
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("trimcaching"),
        "{}",
        stderr(&unknown)
    );
    let no_section = run(&[
        "plan",
        "--problem",
        "caching",
        "--scenario",
        "scenarios/small.toml",
    ]);
    assert!(!no_section.status.success());
    assert!(
        stderr(&no_section).contains("[caching]"),
        "{}",
        stderr(&no_section)
    );
}

/// From an empty folder, away from the checkout: the bundled scenarios are listed, planned,
/// inspected and replayed by name, on their bundled data.
#[test]
fn bundled_scenarios_work_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let run_here = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mei4llm"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("the mei4llm binary runs")
    };
    let listed = run_here(&["inspect", "--scenarios"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    for name in ["small", "city", "caching-small", "batching-small"] {
        assert!(stdout(&listed).contains(name), "{}", stdout(&listed));
    }
    let plan = run_here(&["plan", "--scenario", "small", "--json"]);
    assert!(plan.status.success(), "{}", stderr(&plan));
    let v: Value = serde_json::from_str(&stdout(&plan)).unwrap();
    assert_eq!(v["status"], "optimal");
    for (problem, scenario) in [("caching", "caching-small"), ("batching", "batching-small")] {
        let o = run_here(&["plan", "--problem", problem, "--scenario", scenario]);
        assert!(o.status.success(), "{problem}: {}", stderr(&o));
    }
    let o = run_here(&["inspect", "--scenario", "small"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_here(&[
        "solve-trace",
        "--scenario",
        "small",
        "--solvers",
        "greedy",
        "--max-epochs",
        "2",
        "--quiet",
        "--out",
        "run",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let run: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("run/run.json")).unwrap())
            .unwrap();
    assert!(
        run["trace"].as_str().unwrap().starts_with("bundled:"),
        "{run}"
    );
}
