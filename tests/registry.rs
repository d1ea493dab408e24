//! Every registered problem through its registry entry: an instance saved as text and restored
//! on the same scenario solves and evaluates as the original (the scenario's own instance and
//! one an environment reported at an epoch end).

use mei4llm::problems::registry::{self, AnyInstance, GivenDecision, Registered};
use mei4llm::solve::Budget;
use serde_json::json;
use std::sync::Arc;

/// The first non-exact solver of `entry` (a heuristic or baseline, fast on any instance).
fn quick_solver(entry: &dyn Registered) -> &'static str {
    entry
        .solvers()
        .iter()
        .find(|s| !s.exact && s.default)
        .map(|s| s.name)
        .expect("every problem has a heuristic")
}

/// `instance` saved and restored: the same text again, and the same answers.
fn check_round_trip(entry: &dyn Registered, instance: &Arc<dyn AnyInstance>) {
    let scenario = registry::open_scenario(entry.default_scenario()).unwrap();
    let text = instance.save().unwrap();
    let restored = entry.restore(scenario, &text).unwrap();
    assert_eq!(restored.save().unwrap(), text, "{}", entry.name());
    assert_eq!(restored.size(), instance.size());
    assert_eq!(restored.facts(), instance.facts());
    let solver = quick_solver(entry);
    let budget = Budget::default();
    let (a, b) = (
        instance.solve(solver, &budget).unwrap(),
        restored.solve(solver, &budget).unwrap(),
    );
    assert_eq!(
        (a.status, a.objective),
        (b.status, b.objective),
        "{}",
        entry.name()
    );
    let decision = GivenDecision::Json(a.decision.unwrap().to_string());
    let (x, y) = (
        instance.evaluate(&decision).unwrap(),
        restored.evaluate(&decision).unwrap(),
    );
    assert_eq!(x.objective, y.objective);
    assert_eq!(x.violations.len(), y.violations.len());
}

#[test]
fn the_scenarios_instance_survives_save_and_restore() {
    for entry in registry::all() {
        let scenario = registry::open_scenario(entry.default_scenario()).unwrap();
        let instance = entry.instance(scenario, &json!({})).unwrap();
        check_round_trip(*entry, &instance);
    }
}

#[test]
fn an_environments_epoch_instance_survives_save_and_restore() {
    for entry in registry::all() {
        let scenario = registry::open_scenario(entry.default_scenario()).unwrap();
        let options = json!({"optimum": quick_solver(*entry)});
        let mut env = entry.env(scenario, &options).unwrap();
        env.reset(Some(5)).unwrap();
        let instance = loop {
            let action = env.action_mask().iter().position(|&m| m).unwrap();
            if let Some(report) = env.step(action).unwrap().report {
                break report
                    .instance
                    .expect("an epoch report carries its instance");
            }
        };
        check_round_trip(*entry, &instance);
    }
}

#[test]
fn a_saved_instance_that_does_not_fit_the_scenario_is_an_error() {
    let batching = registry::find("batching").unwrap();
    let scenario = registry::open_scenario(batching.default_scenario()).unwrap();
    let text = batching
        .instance(Arc::clone(&scenario), &json!({}))
        .unwrap()
        .save()
        .unwrap();
    let renamed = text.replacen("\"name\":\"", "\"name\":\"no-such-", 1);
    let error = batching
        .restore(scenario, &renamed)
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("is not an edge server"), "{error}");
    let split = registry::find("split").unwrap();
    let scenario = registry::open_scenario(split.default_scenario()).unwrap();
    let error = split
        .restore(scenario, "{\"requests\": 3}")
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("saved split instance"), "{error}");
}
