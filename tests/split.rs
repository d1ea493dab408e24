//! The split problem end to end: every solver's plan passes `evaluate`, the exact MILP agrees
//! with brute force, nothing beats the exact plan, solvers repeat themselves, deadlines and
//! infeasibility are handled with reasons, the deadline allocation matches a grid search, and
//! `evaluate` catches every kind of bad decision.
//!
//! Scenarios are written inline; request sizes come from the Azure LLM conversation trace
//! (2023).

use mei4llm::problems::formulation::default_solvers;
use mei4llm::problems::split::{
    Assignment, BruteForce, Choice, Exact, Locality, Objective, OptionCost, SOLVERS, SplitDecision,
    SplitInstance, SplitRequest, Terms, Tier, allocate, solver,
};
use mei4llm::solve::{Budget, Outcome, Problem, Solver, Status};
use mei4llm::system::trace::{Request, TraceReader};
use mei4llm::system::{Part, Scenario, TOKEN_ID_BYTES};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use std::path::Path;
use std::sync::{Arc, OnceLock};

// ---------------------------------------------------------------- fixtures

/// Radios with measured link figures (as in `scenarios/small.toml`) and a distant H100 cloud.
const LINKS: &str = r#"
[radios.5g-static]
uplink = { dataset = "nuwins", radio = "5G", mobility = "static", percentile = "p50" }
downlink = { dataset = "irish5g", radio = "5G (NetworkMode field)", mobility = "static", percentile = "p50" }
rtt = { dataset = "nuwins", radio = "5G", mobility = "static", percentile = "p50" }

[radios.lte-walking]
uplink = { dataset = "nuwins", radio = "LTE", mobility = "walking", percentile = "p50" }
downlink = { dataset = "irish5g", radio = "LTE (NetworkMode field)", mobility = "driving", percentile = "p50" }
rtt = { dataset = "nuwins", radio = "LTE", mobility = "walking", percentile = "p50" }

[cloud]
hardware = "NVIDIA H100 SXM 80GB"
rtt = { dataset = "5gophers", radio = "5G mmWave VERIZON", mobility = "static", notes = "US-West", percentile = "p50" }
"#;

/// A device group: hardware, radio and the indices of the edge servers covering it.
struct Group<'a> {
    name: &'a str,
    count: u32,
    hardware: &'a str,
    radio: &'a str,
    covered_by: &'a [usize],
}

/// A scenario with edge servers `edge-0`, `edge-1`, ... of the given hardware, the given device
/// groups, and models `(name, device precision, server precision)`.
fn world(edges: &[&str], groups: &[Group], models: &[(&str, &str, &str)]) -> Arc<Scenario> {
    world_in(CLOUD, edges, groups, models)
}

/// [`world`] with the cloud's GPUs of hardware `cloud`.
fn world_in(
    cloud: &str,
    edges: &[&str],
    groups: &[Group],
    models: &[(&str, &str, &str)],
) -> Arc<Scenario> {
    let links = LINKS.replace(CLOUD, cloud);
    let mut text = format!("name = \"test\"\n{links}\n");
    for g in groups {
        let covered: Vec<String> = g
            .covered_by
            .iter()
            .map(|e| format!("\"edge-{e}\""))
            .collect();
        text += &format!(
            "[[device_groups]]\nname = \"{}\"\ncount = {}\nhardware = \"{}\"\nradio = \"{}\"\ncovered_by = [{}]\n\n",
            g.name,
            g.count,
            g.hardware,
            g.radio,
            covered.join(", ")
        );
    }
    for (i, e) in edges.iter().enumerate() {
        text += &format!("[[edge_servers]]\nname = \"edge-{i}\"\nhardware = \"{e}\"\n\n");
    }
    for (name, device, server) in models {
        text += &format!(
            "[[models]]\nname = \"{name}\"\ndevice_precision = \"{device}\"\nserver_precision = \"{server}\"\n\n"
        );
    }
    Arc::new(
        Scenario::from_toml_str("inline.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}")),
    )
}

/// The cloud's GPU in [`LINKS`].
const CLOUD: &str = "NVIDIA H100 SXM 80GB";
const PHONE: &str = "Qualcomm Snapdragon 8 Gen 3";
const PHONE_ELITE: &str = "Qualcomm Snapdragon 8 Elite";
const JETSON: &str = "NVIDIA Jetson Orin Nano 8GB";
const L4: &str = "NVIDIA L4 24GB";
const A100: &str = "NVIDIA A100 SXM 80GB";

/// Small models, so that brute force stays small: 12, 24 and 32 blocks.
const SMALL_MODELS: [(&str, &str, &str); 3] = [
    ("GPT-2", "int4", "fp16"),
    ("Qwen2-0.5B", "int4", "fp16"),
    ("SmolLM2-360M", "int8", "fp16"),
];

/// Devices 0–2: phones on 5G covered by every edge server; 3–5: phones on LTE covered by
/// `edge-0`; 6–8: Jetsons on 5G covered by the last edge server.
fn random_world(edges: &[&str]) -> Arc<Scenario> {
    let all: Vec<usize> = (0..edges.len()).collect();
    let last = [edges.len() - 1];
    world(
        edges,
        &[
            Group {
                name: "s24",
                count: 3,
                hardware: PHONE,
                radio: "5g-static",
                covered_by: &all,
            },
            Group {
                name: "elite",
                count: 3,
                hardware: PHONE_ELITE,
                radio: "lte-walking",
                covered_by: &[0],
            },
            Group {
                name: "jetson",
                count: 3,
                hardware: JETSON,
                radio: "5g-static",
                covered_by: &last,
            },
        ],
        &SMALL_MODELS,
    )
}

/// `(prompt, output)` tokens of the first rows of the Azure conversation trace.
fn trace_rows() -> &'static [(u32, u32)] {
    static ROWS: OnceLock<Vec<(u32, u32)>> = OnceLock::new();
    ROWS.get_or_init(|| {
        TraceReader::open(Path::new("datasets/traces/azure_llm_2023_conv.csv"))
            .unwrap()
            .take(4000)
            .map(|r| {
                let r = r.unwrap();
                (r.prompt_tokens, r.output_tokens)
            })
            .collect()
    })
}

fn request(id: u64, device: usize, model: usize, prompt: u32, output: u32) -> SplitRequest {
    SplitRequest {
        id,
        device,
        model,
        prompt_tokens: prompt.max(1),
        output_tokens: output.max(1),
        weight: 1.0,
        ttft_deadline_s: None,
        e2e_deadline_s: None,
        locality: Locality::Anywhere,
    }
}

/// The oracle used throughout (a little more room than the default, since some random
/// instances have 129³ combinations; the bound keeps the work far below that).
fn brute() -> BruteForce {
    BruteForce {
        max_combinations: 4_000_000,
    }
}

/// Every registered solver plus brute force.
fn all_solvers() -> Vec<(String, Box<dyn Solver<SplitInstance> + Send + Sync>)> {
    let mut list: Vec<(String, Box<dyn Solver<SplitInstance> + Send + Sync>)> =
        default_solvers(SOLVERS)
            .into_iter()
            .map(|n| (n.to_string(), solver(n).expect("registered")))
            .collect();
    list.push(("brute-force".into(), Box::new(brute())));
    list
}

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-300)
}

fn describe(o: &Outcome<SplitDecision>) -> String {
    let plan = o.decision.as_ref().map(|d| {
        d.assignments
            .iter()
            .map(|a| {
                format!(
                    "{} (b {:.4}, f {:.4})",
                    a.choice, a.bandwidth_share, a.compute_share
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    });
    format!(
        "{}: {} objective {:?} bound {:?} plan [{}]",
        o.solver,
        o.status,
        o.objective,
        o.bound,
        plan.unwrap_or_default()
    )
}

/// Property (a): a plan reported `Optimal` or `Feasible` (or any plan at all) passes
/// `evaluate`, and its reported objective is the evaluated one.
fn check_outcome(instance: &SplitInstance, o: &Outcome<SplitDecision>) -> Result<(), String> {
    match (&o.status, &o.decision, o.objective) {
        (Status::Optimal | Status::Feasible, Some(_), Some(_)) => {}
        (Status::Optimal | Status::Feasible, _, _) => {
            return Err(format!("{} without a plan or objective", describe(o)));
        }
        (Status::Infeasible(why) | Status::NotFound(why), None, None) if !why.is_empty() => {
            return Ok(());
        }
        (Status::Infeasible(_) | Status::NotFound(_), _, _) => {
            return Err(format!("{}: no reason, or a plan with it", describe(o)));
        }
        (Status::TimeLimit, _, _) => return Err(format!("{} hit a limit", describe(o))),
        (Status::Invalid(why), _, _) => return Err(format!("{}: {why}", describe(o))),
    }
    let decision = o.decision.as_ref().expect("checked");
    let evaluation = instance.evaluate(decision);
    if !evaluation.is_feasible() {
        return Err(format!(
            "{} breaks {:?}",
            describe(o),
            evaluation.violations
        ));
    }
    let reported = o.objective.expect("checked");
    if relative(reported, evaluation.objective) > 1e-9 {
        return Err(format!(
            "{} reports {reported} but evaluate says {}",
            describe(o),
            evaluation.objective
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- random instances

/// One drawn request: `(device, model, trace row, weight, TTFT share, E2E share)`.
type Drawn = (usize, usize, usize, f64, Option<f64>, Option<f64>);

/// A random small instance, as drawn.
#[derive(Debug, Clone)]
struct Draw {
    edges: Vec<&'static str>,
    /// `(device, model, trace row, weight, TTFT share, E2E share)`: a deadline is the
    /// request's fastest TTFT (or end-to-end latency) over all its choices when it gets that
    /// share of the cell and the GPU; small shares give loose deadlines, shares near 1 bind
    /// once requests share a cell, and shares above 1 cannot be met.
    requests: Vec<Drawn>,
    objective: Objective,
}

impl Draw {
    fn instance(&self) -> SplitInstance {
        let scenario = random_world(&self.edges);
        let rows = trace_rows();
        let free: Vec<SplitRequest> = self
            .requests
            .iter()
            .enumerate()
            .map(|(k, &(device, model, row, weight, _, _))| {
                // Rows beyond the model's context window would make every draw infeasible.
                let window = scenario.models[model].architecture.max_position_embeddings;
                let fitting: Vec<(u32, u32)> = rows
                    .iter()
                    .copied()
                    .filter(|&(p, o)| u64::from(p.max(1)) + u64::from(o.max(1)) <= window)
                    .collect();
                let (prompt, output) = fitting[row % fitting.len()];
                SplitRequest {
                    weight,
                    ..request(row as u64 * 10 + k as u64, device, model, prompt, output)
                }
            })
            .collect();
        let probe = SplitInstance::new(scenario.clone(), free.clone(), self.objective)
            .expect("a valid instance");
        let requests = free
            .into_iter()
            .enumerate()
            .map(|(k, r)| {
                let (ttft, e2e) = (self.requests[k].4, self.requests[k].5);
                let fastest = |share: f64, pick: fn(&OptionCost) -> &Terms| {
                    probe
                        .all_choices(k)
                        .into_iter()
                        .filter_map(|c| probe.option_cost(k, c).ok())
                        .map(|o| pick(&o).at(share, share))
                        .fold(f64::INFINITY, f64::min)
                };
                SplitRequest {
                    ttft_deadline_s: ttft.map(|s| fastest(s, |o| &o.ttft_s)),
                    e2e_deadline_s: e2e.map(|s| fastest(s, |o| &o.e2e_s)),
                    ..r
                }
            })
            .collect();
        SplitInstance::new(scenario, requests, self.objective).expect("a valid instance")
    }
}

fn draw() -> impl Strategy<Value = Draw> {
    let edge = prop_oneof![Just(L4), Just(A100)];
    let edges = prop::collection::vec(edge, 1..=2);
    let share = 0.2f64..1.05;
    let deadline = prop_oneof![
        2 => Just((None, None)),
        1 => share.clone().prop_map(|t| (Some(t), None)),
        1 => share.clone().prop_map(|e| (None, Some(e))),
        1 => (share.clone(), share).prop_map(|(t, e)| (Some(t), Some(e))),
    ];
    let one = (
        0usize..9,
        0usize..SMALL_MODELS.len(),
        0usize..4000,
        prop_oneof![Just(1.0), Just(0.5), Just(2.0)],
        deadline,
    )
        .prop_map(|(d, m, row, w, (t, e))| (d, m, row, w, t, e));
    let requests = prop::collection::vec(one, 1..=3);
    let objective = prop_oneof![
        Just(Objective::Latency),
        Just(Objective::Energy),
        (0.01f64..1.0).prop_map(|per_joule| Objective::Mixed {
            per_second: 1.0,
            per_joule
        }),
    ];
    (edges, requests, objective).prop_map(|(edges, requests, objective)| Draw {
        edges,
        requests,
        objective,
    })
}

fn config() -> ProptestConfig {
    ProptestConfig {
        // `PROPTEST_CASES=1000 cargo test --test split` for a deeper search.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(128),
        failure_persistence: None,
        max_shrink_time: 60_000,
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

    /// (a) every solver's plan passes `evaluate` with the objective it reports, and (c) no
    /// heuristic or baseline beats the exact plan.
    #[test]
    fn every_plan_is_valid_and_none_beats_exact(d in draw()) {
        let instance = d.instance();
        let budget = Budget::default();
        let mut outcomes = Vec::new();
        for (name, s) in all_solvers() {
            let o = s.solve(&instance, &budget).map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
            prop_assert_eq!(&o.solver, &name);
            check_outcome(&instance, &o).map_err(TestCaseError::fail)?;
            outcomes.push(o);
        }
        let exact = &outcomes[0];
        if let Some(best) = exact.objective {
            for o in &outcomes[1..] {
                if let Some(v) = o.objective {
                    prop_assert!(
                        best <= v * (1.0 + 1e-6),
                        "exact {} is worse than {}",
                        describe(exact),
                        describe(o)
                    );
                }
            }
        } else {
            for o in &outcomes[1..] {
                prop_assert!(
                    o.decision.is_none(),
                    "{} but {}",
                    describe(exact),
                    describe(o)
                );
            }
        }
    }

    /// (b) the exact MILP and brute force agree: both infeasible, or both optimal with the same
    /// objective.
    #[test]
    fn exact_agrees_with_brute_force(d in draw()) {
        exact_and_brute_force_agree(&d.instance()).map_err(TestCaseError::fail)?;
    }

    /// (d) the same instance, budget and seed give the same plan.
    #[test]
    fn solvers_repeat_themselves(d in draw(), seed in 0u64..1000) {
        let instance = d.instance();
        let budget = Budget::default().with_seed(seed);
        for (name, s) in all_solvers() {
            let first = s.solve(&instance, &budget).unwrap();
            let second = s.solve(&instance, &budget).unwrap();
            prop_assert_eq!(&first.status, &second.status, "{}", name);
            prop_assert_eq!(&first.decision, &second.decision, "{}", name);
            prop_assert_eq!(first.objective, second.objective, "{}", name);
        }
    }
}

/// Why the exact MILP and brute force disagree on `instance`, if they do: they must be both
/// infeasible, or both optimal with the same objective and the exact bound below it.
fn exact_and_brute_force_agree(instance: &SplitInstance) -> Result<(), String> {
    let budget = Budget::default();
    let exact = Exact::default().solve(instance, &budget).unwrap();
    let brute = brute().solve(instance, &budget).unwrap();
    match (&exact.status, &brute.status) {
        (Status::Infeasible(_), Status::Infeasible(_)) => Ok(()),
        (Status::Optimal, Status::Optimal) => {
            let (e, b) = (exact.objective.unwrap(), brute.objective.unwrap());
            let bound = exact.bound.unwrap();
            if relative(e, b) > 1e-6 {
                Err(format!(
                    "objectives differ by {:.3e}: {} / {}",
                    relative(e, b),
                    describe(&exact),
                    describe(&brute)
                ))
            } else if bound > e {
                Err(format!("bound {bound} above objective {e}"))
            } else {
                Ok(())
            }
        }
        _ => Err(format!(
            "disagree: {} / {}",
            describe(&exact),
            describe(&brute)
        )),
    }
}

/// `d`'s instance with request `k` of class `classes[k]`.
fn with_localities(d: &Draw, classes: &[Locality]) -> SplitInstance {
    let drawn = d.instance();
    let requests = drawn
        .requests
        .iter()
        .zip(classes)
        .map(|(r, &locality)| SplitRequest {
            locality,
            ..r.clone()
        })
        .collect();
    SplitInstance::new(drawn.scenario.clone(), requests, drawn.objective).expect("valid")
}

fn locality() -> impl Strategy<Value = Locality> {
    prop_oneof![
        Just(Locality::Anywhere),
        Just(Locality::Edge),
        Just(Locality::Device)
    ]
}

proptest! {
    #![proptest_config(config())]

    /// With locality classes, exact and brute force still agree, and no solver's plan that
    /// `evaluate` accepts serves a request on a tier its class forbids.
    #[test]
    fn locality_classes_are_kept_by_every_solver(
        d in draw(),
        classes in prop::collection::vec(locality(), 3),
    ) {
        let instance = with_localities(&d, &classes);
        exact_and_brute_force_agree(&instance).map_err(TestCaseError::fail)?;
        let budget = Budget::default();
        for (name, s) in all_solvers() {
            let o = s.solve(&instance, &budget).unwrap();
            check_outcome(&instance, &o).map_err(TestCaseError::fail)?;
            for (k, a) in o.decision.iter().flat_map(|p| p.assignments.iter().enumerate()) {
                let class = instance.requests[k].locality;
                prop_assert!(class.allows(a.choice.tier), "{name}: request {k} of {class:?} on {:?}", a.choice.tier);
            }
        }
    }
}

/// A request kept on its device, served in the cloud, breaks `locality` in `evaluate`; a
/// device-only request whose phone cannot hold its model leaves the instance infeasible,
/// naming the request and its class; a cloud-only baseline cannot serve an edge-class request.
#[test]
fn locality_breaches_are_named() {
    let d = Draw {
        edges: vec![A100],
        requests: vec![(0, 0, 31, 1.0, None, None)],
        objective: Objective::Latency,
    };
    let anywhere = d.instance();
    let cloud = Choice::cloud(0, 0);
    let option = anywhere.option_cost(0, cloud).unwrap();
    let plan = SplitDecision {
        assignments: vec![Assignment {
            choice: cloud,
            bandwidth_share: 1.0,
            compute_share: 0.0,
        }],
    };
    assert!(anywhere.evaluate(&plan).is_feasible(), "{option:?}");
    let kept = with_localities(&d, &[Locality::Device]);
    let judged = kept.evaluate(&plan);
    assert_eq!(judged.violations[0].constraint, "locality");
    assert!(judged.violations[0].subject.contains("class `device`"));
    let edge = with_localities(&d, &[Locality::Edge]);
    no_cloud_for_the_first_request(&edge, "locality");
}

/// Checks that `instance`'s first request has no cloud candidate and that the cloud-only
/// baseline finds no plan, saying `why`.
fn no_cloud_for_the_first_request(instance: &SplitInstance, why: &str) {
    let cloud_only = solver("cloud-only")
        .unwrap()
        .solve(instance, &Budget::default())
        .unwrap();
    assert!(
        matches!(&cloud_only.status, Status::NotFound(reason) if reason.contains(why)),
        "{:?}",
        cloud_only.status
    );
    assert!(
        instance
            .candidates(0)
            .iter()
            .all(|o| o.choice.tier != Tier::Cloud)
    );
}

/// The instances of an epoch of the trace (through `from_trace`) are solved alike by the exact
/// MILP and brute force.
/// Drawn instances the property tests once failed on, kept as fixed cases: this one needs a
/// request to run on a sliver of the cell under energy pricing and TTFT deadlines.
#[test]
fn exact_agrees_with_brute_force_on_past_failures() {
    let cases = [Draw {
        edges: vec![L4],
        requests: vec![
            (0, 1, 130, 1.0, Some(0.2341593302017416), None),
            (0, 0, 31, 1.0, Some(0.2), None),
            (6, 0, 1017, 0.5, Some(0.48530588534623703), None),
        ],
        objective: Objective::Energy,
    }];
    for (i, d) in cases.iter().enumerate() {
        let instance = d.instance();
        let budget = Budget::default();
        let exact = Exact::default().solve(&instance, &budget).unwrap();
        let brute = brute().solve(&instance, &budget).unwrap();
        assert_eq!(
            exact.status,
            Status::Optimal,
            "case {i}: {}",
            describe(&exact)
        );
        assert_eq!(
            brute.status,
            Status::Optimal,
            "case {i}: {}",
            describe(&brute)
        );
        let (e, b) = (exact.objective.unwrap(), brute.objective.unwrap());
        assert!(relative(e, b) <= 1e-6, "case {i}: {e} vs {b}");
    }
}

/// `count` requests of the Azure 2023 conversation trace after its first `skip`.
fn azure_rows(skip: usize, count: usize) -> Vec<Request> {
    TraceReader::open(Path::new("datasets/traces/azure_llm_2023_conv.csv"))
        .unwrap()
        .skip(skip)
        .take(count)
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_trace_epoch_through_from_trace() {
    let scenario = random_world(&[L4]);
    let epoch = azure_rows(100, 3);
    let instance = SplitInstance::from_trace(scenario, &epoch, Objective::Latency, 7).unwrap();
    assert_eq!(instance.requests.len(), 3);
    let exact = Exact::default()
        .solve(&instance, &Budget::default())
        .unwrap();
    let brute = brute().solve(&instance, &Budget::default()).unwrap();
    check_outcome(&instance, &exact).unwrap();
    check_outcome(&instance, &brute).unwrap();
    assert_eq!(exact.status, Status::Optimal, "{}", describe(&exact));
    assert_eq!(brute.status, Status::Optimal, "{}", describe(&brute));
    assert!(relative(exact.objective.unwrap(), brute.objective.unwrap()) <= 1e-6);
}

/// The small scenario with every cloud GPU decoding `sequences` background sequences of 1,149
/// tokens (the Azure 2023 conversation medians, 1,020 + 129).
fn loaded_small(sequences: u64) -> Arc<Scenario> {
    let text = std::fs::read_to_string("scenarios/small.toml")
        .unwrap()
        .replace("../datasets/", "datasets/")
        .replace(
            "[cloud]\n",
            &format!("[cloud]\nbackground = {{ sequences = {sequences}, context = 1149 }}\n"),
        );
    Arc::new(Scenario::from_toml_str("small-loaded.toml", &text).unwrap())
}

/// A loaded cloud decodes each request beside its background: slower than an idle GPU, whole
/// requests only, its memory holding the background's KV cache too; exact and brute force
/// still agree.
#[test]
fn a_loaded_cloud_serves_whole_requests_beside_its_background() {
    let idle = Arc::new(Scenario::from_path(Path::new("scenarios/small.toml")).unwrap());
    let idle = SplitInstance::from_scenario(idle, Objective::Latency).unwrap();
    let loaded = SplitInstance::from_scenario(loaded_small(64), Objective::Latency).unwrap();
    let home = |i: &SplitInstance, k: usize| i.scenario.devices[i.requests[k].device].covered_by[0];
    for k in 0..idle.requests.len() {
        let whole = Choice::cloud(home(&idle, k), 0);
        let (a, b) = (
            idle.option_cost(k, whole).unwrap(),
            loaded.option_cost(k, whole).unwrap(),
        );
        assert!(b.e2e_s.fixed > a.e2e_s.fixed, "request {k}: {b:?} vs {a:?}");
        assert_eq!(
            b.ttft_s, a.ttft_s,
            "the prompt is prefilled in an iteration of its own"
        );
        assert!(loaded.cloud_memory_bytes(k, whole) > idle.cloud_memory_bytes(k, whole));
        let inner = loaded
            .option_cost(k, Choice::cloud(home(&idle, k), 1))
            .unwrap_err();
        assert!(inner.contains("whole requests only"), "{inner}");
        assert!(
            loaded
                .candidates(k)
                .iter()
                .all(|o| o.choice.tier != Tier::Cloud || o.choice.split == 0)
        );
    }
    let budget = Budget::default();
    let cloud_only = |i: &SplitInstance| solver("cloud-only").unwrap().solve(i, &budget).unwrap();
    assert!(cloud_only(&loaded).objective.unwrap() > cloud_only(&idle).objective.unwrap());
    let exact = Exact::default().solve(&loaded, &budget).unwrap();
    check_outcome(&loaded, &exact).unwrap();
    assert_eq!(exact.status, Status::Optimal, "{}", describe(&exact));

    let epoch = azure_rows(100, 3);
    let three = SplitInstance::from_trace(loaded_small(16), &epoch, Objective::Latency, 7).unwrap();
    exact_and_brute_force_agree(&three).unwrap();

    // 100,000 sequences of KV cache fill no GPU: the cloud is then no choice.
    let full = SplitInstance::from_scenario(loaded_small(100_000), Objective::Latency).unwrap();
    no_cloud_for_the_first_request(&full, "cloud memory");
}

/// A time limit too short for the first master: the exact solver stops at the limit with its
/// warm start, checked by `evaluate`, and a finite bound below it (each request alone at whole
/// shares), never `optimal`.
#[test]
fn a_solve_stopped_before_its_first_master_keeps_its_warm_start_and_a_bound() {
    let scenario = random_world(&[L4, A100]);
    let epoch: Vec<_> = TraceReader::open(Path::new("datasets/traces/azure_llm_2023_conv.csv"))
        .unwrap()
        .take(400)
        .map(Result::unwrap)
        .collect();
    let instance = SplitInstance::from_trace(scenario, &epoch, Objective::Latency, 3).unwrap();
    let budget = Budget {
        time_limit: Some(std::time::Duration::from_micros(1)),
        ..Budget::default()
    };
    let o = Exact::default().solve(&instance, &budget).unwrap();
    assert_eq!(o.status, Status::TimeLimit, "{}", describe(&o));
    let objective = o.objective.expect("the warm start");
    let bound = o.bound.expect("a bound");
    assert!(bound > 0.0 && bound <= objective, "{}", describe(&o));
    let evaluation = instance.evaluate(o.decision.as_ref().unwrap());
    assert!(evaluation.is_feasible(), "{:?}", evaluation.violations);
    assert!(relative(evaluation.objective, objective) <= 1e-9);
}

// ---------------------------------------------------------------- brute force itself

#[test]
fn brute_force_refuses_too_many_combinations_and_names_the_count() {
    let scenario = random_world(&[L4, A100]);
    // Three SmolLM2 requests on phones covered by both servers: (1 + 2·2·32)³ = 2,146,689.
    let requests = (0..3).map(|k| request(k, k as usize, 2, 100, 10)).collect();
    let instance = SplitInstance::new(scenario, requests, Objective::Latency).unwrap();
    assert_eq!(instance.all_choices(0).len(), 129);
    let err = BruteForce::default()
        .solve(&instance, &Budget::default())
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("2146689"), "{text}");
    assert!(text.contains("brute-force"), "{text}");
    let tiny = BruteForce {
        max_combinations: 128,
    };
    let one = SplitInstance::new(
        instance.scenario.clone(),
        vec![request(0, 0, 2, 100, 10)],
        Objective::Latency,
    )
    .unwrap();
    assert!(tiny.solve(&one, &Budget::default()).is_err());
    assert!(
        BruteForce {
            max_combinations: 129
        }
        .solve(&one, &Budget::default())
        .unwrap()
        .is_optimal()
    );
    assert_eq!(solver("brute-force").unwrap().name(), "brute-force");
    assert!(BruteForce::default().is_exact());
}

// ---------------------------------------------------------------- deadlines

/// One L4 edge server, phones on 5G, Qwen2-0.5B (int4 on the phone, fp16 on the server).
fn qwen_on_one_l4() -> Arc<Scenario> {
    world(
        &[L4],
        &[Group {
            name: "s24",
            count: 2,
            hardware: PHONE,
            radio: "5g-static",
            covered_by: &[0],
        }],
        &[("Qwen2-0.5B", "int4", "fp16")],
    )
}

/// A 374-token prompt (the first row of the trace) and 10 output tokens: the phone's int4
/// weights decode faster than the L4's fp16 ones and the cloud is 99 ms away, so running
/// on the device is the fastest plan; but its prefill takes about 32 ms, while the L4 reads
/// the prompt in about 7 ms behind a 14 ms round trip. A 25 ms TTFT deadline therefore moves
/// the request off the device.
#[test]
fn a_ttft_deadline_moves_a_request_off_the_device() {
    let scenario = qwen_on_one_l4();
    let (prompt, _) = trace_rows()[0];
    assert_eq!(prompt, 374);
    let free = request(0, 0, 0, prompt, 10);
    let instance =
        SplitInstance::new(scenario.clone(), vec![free.clone()], Objective::Latency).unwrap();

    // The device-only TTFT is the phone's prefill of the whole model, by the cost model.
    let device = &scenario.devices[0];
    let model = &scenario.models[0];
    let prefill = device
        .node
        .prefill_s(&model.on_device, Part::whole(24), prompt as u64)
        .unwrap();
    let device_only = instance.option_cost(0, Choice::device_only(24)).unwrap();
    assert_eq!(device_only.ttft_s.fixed, prefill);
    assert_eq!(
        (device_only.ttft_s.upload, device_only.ttft_s.edge),
        (0.0, 0.0)
    );
    let deadline = 0.025;
    assert!(prefill > deadline, "device prefill {prefill} s");
    // Edge split 0: round trip + first token down, prompt token ids up, and the L4's prefill
    // of the whole model (all at the whole cell and GPU).
    let edge = instance.option_cost(0, Choice::edge(0, 0)).unwrap();
    let radio = device.radio;
    let down = 8.0 * TOKEN_ID_BYTES / radio.downlink_bps;
    assert!(relative(edge.ttft_s.fixed, radio.rtt_s + down) < 1e-12);
    let up = 8.0 * prompt as f64 * model.on_server.activation_bytes_per_token(0) / radio.uplink_bps;
    assert!(relative(edge.ttft_s.upload, up) < 1e-12);
    let l4_prefill = scenario.edge_servers[0]
        .node
        .prefill_s(&model.on_server, Part::server(0, 24), prompt as u64)
        .unwrap();
    assert!(relative(edge.ttft_s.edge, l4_prefill) < 1e-12);
    assert!(
        edge.ttft_s.at(1.0, 1.0) < deadline,
        "edge TTFT {:?}",
        edge.ttft_s
    );
    // Without the deadline the device is fastest end to end (it decodes faster than the L4,
    // and the cloud is a 99 ms round trip away).
    let cloud = instance.option_cost(0, Choice::cloud(0, 0)).unwrap();
    assert!(device_only.e2e_s.fixed < edge.e2e_s.at(1.0, 1.0));
    assert!(device_only.e2e_s.fixed < cloud.e2e_s.at(1.0, 1.0));

    let exact = Exact::default();
    let without = exact.solve(&instance, &Budget::default()).unwrap();
    assert!(without.is_optimal(), "{}", describe(&without));
    let plan = without.decision.unwrap();
    assert_eq!(plan.assignments[0].choice, Choice::device_only(24));

    let bound = SplitRequest {
        ttft_deadline_s: Some(deadline),
        ..free
    };
    let instance = SplitInstance::new(scenario, vec![bound], Objective::Latency).unwrap();
    let with = exact.solve(&instance, &Budget::default()).unwrap();
    check_outcome(&instance, &with).unwrap();
    assert!(with.is_optimal(), "{}", describe(&with));
    let plan = with.decision.unwrap();
    assert_ne!(plan.assignments[0].choice.tier, Tier::Device);
    let ttft = instance.metrics(&plan)[0].ttft_s;
    assert!(ttft <= deadline, "TTFT {ttft} s");
    // Nothing else meets the deadline more cheaply: brute force agrees.
    let oracle = brute().solve(&instance, &Budget::default()).unwrap();
    assert!(relative(oracle.objective.unwrap(), with.objective.unwrap()) < 1e-6);
    assert!(with.objective.unwrap() > without.objective.unwrap());
}

/// Minimises a convex function of one share over `[0, 1]` (`None` where infeasible) by grid
/// search, zooming in around the best point: for a convex function the minimiser lies within
/// a step of the best grid point, so each level keeps it.
fn zoom(objective: impl Fn(f64) -> Option<f64>) -> Option<(f64, f64)> {
    let n = 200;
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut best: Option<(f64, f64)> = None;
    for _ in 0..6 {
        let step = (hi - lo) / n as f64;
        for i in 0..=n {
            let x = (lo + i as f64 * step).clamp(1e-12, 1.0 - 1e-12);
            if let Some(v) = objective(x) {
                if best.is_none_or(|b| v < b.0) {
                    best = Some((v, x));
                }
            }
        }
        let (_, x) = best?;
        (lo, hi) = ((x - 2.0 * step).max(0.0), (x + 2.0 * step).min(1.0));
    }
    best
}

/// The best shares of two fixed choices in one cell by grid search: over `β₀` with
/// `β₁ = 1 − β₀`, and for each `β₀` over `f₀` with `f₁ = 1 − f₀` when both are at the edge
/// (the objective falls with every share, so both sums are 1 at the optimum; a request alone
/// on the GPU gets all of it). The objective and the deadlines are convex in the shares, so
/// the best value over `f₀` is convex in `β₀` and both searches can zoom. Returns the
/// objective, `β₀` and `f₀`.
fn grid_optimum(instance: &SplitInstance, options: [&OptionCost; 2]) -> Option<(f64, f64, f64)> {
    let at_edge = options.map(|o| o.choice.tier == Tier::Edge);
    let value = |b: f64, f: f64| -> Option<f64> {
        let (f0, f1) = match at_edge {
            [true, true] => (f, 1.0 - f),
            [true, false] => (1.0, 0.0),
            [false, true] => (0.0, 1.0),
            [false, false] => (0.0, 0.0),
        };
        let mut total = 0.0;
        for (k, (o, (bk, fk))) in options.iter().zip([(b, f0), (1.0 - b, f1)]).enumerate() {
            let r = &instance.requests[k];
            for (terms, deadline) in [(&o.ttft_s, r.ttft_deadline_s), (&o.e2e_s, r.e2e_deadline_s)]
            {
                if deadline.is_some_and(|d| terms.at(bk, fk) > d) {
                    return None;
                }
            }
            total += o.cost.at(bk, fk);
        }
        Some(total)
    };
    let inner = |b: f64| -> Option<(f64, f64)> {
        if at_edge == [true, true] {
            zoom(|f| value(b, f))
        } else {
            value(b, 0.5).map(|v| (v, f64::NAN))
        }
    };
    let (v, b) = zoom(|b| inner(b).map(|x| x.0))?;
    let (_, f) = inner(b)?;
    Some((v, b, f))
}

/// Clarabel's shares for two deadline-bound requests in one cell against a grid search, for
/// several pairs of choices and objectives. The deadline of the second request is set below
/// what it gets at the deadline-free optimum, so that it binds.
#[test]
fn deadline_allocation_matches_a_grid_search() {
    let scenario = qwen_on_one_l4();
    let rows = trace_rows();
    let (p0, o0) = (rows[0].0, 30);
    let (p1, o1) = (rows[2].0, 20);
    let cases: Vec<(Objective, Choice, Choice, bool, f64)> = vec![
        (
            Objective::Latency,
            Choice::edge(0, 0),
            Choice::edge(0, 0),
            false,
            0.9,
        ),
        (
            Objective::Latency,
            Choice::edge(0, 6),
            Choice::edge(0, 12),
            true,
            0.95,
        ),
        (
            Objective::Latency,
            Choice::edge(0, 0),
            Choice::cloud(0, 6),
            false,
            0.9,
        ),
        (
            Objective::Energy,
            Choice::edge(0, 6),
            Choice::edge(0, 12),
            false,
            0.97,
        ),
        (
            Objective::Energy,
            Choice::cloud(0, 6),
            Choice::edge(0, 6),
            true,
            0.97,
        ),
        (
            Objective::Mixed {
                per_second: 1.0,
                per_joule: 0.05,
            },
            Choice::edge(0, 6),
            Choice::edge(0, 0),
            false,
            0.9,
        ),
        // Badly scaled: split 0 uploads only token ids (terms of 1e-4 s and 2e-5 J).
        (
            Objective::Energy,
            Choice::cloud(0, 0),
            Choice::cloud(0, 0),
            true,
            0.5,
        ),
        (
            Objective::Energy,
            Choice::edge(0, 0),
            Choice::edge(0, 0),
            false,
            0.9,
        ),
        (
            Objective::Energy,
            Choice::edge(0, 0),
            Choice::edge(0, 0),
            true,
            0.5,
        ),
        (
            Objective::Latency,
            Choice::cloud(0, 0),
            Choice::edge(0, 0),
            true,
            0.3,
        ),
        (
            Objective::Latency,
            Choice::cloud(0, 0),
            Choice::cloud(0, 0),
            true,
            0.1,
        ),
    ];
    let mut report = Vec::new();
    for (objective, c0, c1, ttft, tighten) in cases {
        let free = vec![request(0, 0, 0, p0, o0), request(1, 1, 0, p1, o1)];
        let instance = SplitInstance::new(scenario.clone(), free.clone(), objective).unwrap();
        let options = [
            instance.option_cost(0, c0).unwrap(),
            instance.option_cost(1, c1).unwrap(),
        ];
        let closed = allocate(&instance, &[&options[0], &options[1]]).unwrap();
        let metrics = instance.metrics(&closed.decision);
        // Deadline on request 1 below what it gets without one.
        let mut requests = free;
        let got = if ttft {
            metrics[1].ttft_s
        } else {
            metrics[1].e2e_s
        };
        let alone = if ttft {
            options[1].ttft_s.at(1.0, 1.0)
        } else {
            options[1].e2e_s.at(1.0, 1.0)
        };
        let deadline = alone + tighten * (got - alone);
        if ttft {
            requests[1].ttft_deadline_s = Some(deadline);
        } else {
            requests[1].e2e_deadline_s = Some(deadline);
        }
        // A loose deadline on request 0 too, so that both rows are in the cone program.
        requests[0].e2e_deadline_s = Some(100.0);
        let instance = SplitInstance::new(scenario.clone(), requests, objective).unwrap();
        let options = [
            instance.option_cost(0, c0).unwrap(),
            instance.option_cost(1, c1).unwrap(),
        ];
        let grid = grid_optimum(&instance, [&options[0], &options[1]]);
        let conic = match allocate(&instance, &[&options[0], &options[1]]) {
            Ok(c) => c,
            Err(why) => {
                report.push(format!(
                    "{objective:?} {c0} + {c1} ({} deadline {deadline:.6} s): allocate fails: {why}; grid {grid:?}; relative error inf",
                    if ttft { "TTFT" } else { "E2E" },
                ));
                continue;
            }
        };
        let evaluation = instance.evaluate(&conic.decision);
        assert!(
            evaluation.is_feasible(),
            "{objective:?} {c0} + {c1}: {:?}",
            evaluation.violations
        );
        let (grid, b, f) = grid.expect("the grid finds the feasible point Clarabel found");
        let shares: Vec<(f64, f64)> = conic
            .decision
            .assignments
            .iter()
            .map(|a| (a.bandwidth_share, a.compute_share))
            .collect();
        let error = (conic.objective - grid) / grid;
        report.push(format!(
            "{objective:?} {c0} + {c1} ({} deadline {deadline:.6} s): Clarabel {:.9e} at {shares:?}, grid {grid:.9e} at β₀ {b:.6} f₀ {f:.6}, deadline-free {:.9e}; relative error {error:.2e}",
            if ttft { "TTFT" } else { "E2E" },
            conic.objective,
            closed.objective,
        ));
        assert!(conic.objective >= closed.objective * (1.0 - 1e-9));
    }
    let text = report.join("\n");
    println!("{text}");
    for line in &report {
        let error: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(error.abs() <= 1e-5, "Clarabel is off:\n{text}");
    }
}

/// Without a binding deadline, the cone program gives the closed form's shares.
#[test]
fn loose_deadlines_give_the_closed_form() {
    let scenario = qwen_on_one_l4();
    for objective in [Objective::Latency, Objective::Energy] {
        let free = vec![request(0, 0, 0, 374, 44), request(1, 1, 0, 879, 55)];
        let instance = SplitInstance::new(scenario.clone(), free.clone(), objective).unwrap();
        let c = [Choice::edge(0, 6), Choice::edge(0, 0)];
        let o: Vec<OptionCost> = (0..2)
            .map(|k| instance.option_cost(k, c[k]).unwrap())
            .collect();
        let closed = allocate(&instance, &[&o[0], &o[1]]).unwrap();
        let loose: Vec<SplitRequest> = free
            .into_iter()
            .map(|r| SplitRequest {
                e2e_deadline_s: Some(1e3),
                ttft_deadline_s: Some(1e3),
                ..r
            })
            .collect();
        let instance = SplitInstance::new(scenario.clone(), loose, objective).unwrap();
        let o: Vec<OptionCost> = (0..2)
            .map(|k| instance.option_cost(k, c[k]).unwrap())
            .collect();
        let conic = allocate(&instance, &[&o[0], &o[1]]).unwrap();
        assert!(
            relative(conic.objective, closed.objective) < 1e-6,
            "{objective:?}: cone {} vs closed form {}",
            conic.objective,
            closed.objective
        );
        for (a, b) in conic
            .decision
            .assignments
            .iter()
            .zip(&closed.decision.assignments)
        {
            assert!(
                (a.bandwidth_share - b.bandwidth_share).abs() < 1e-4,
                "{a:?} vs {b:?}"
            );
            if objective == Objective::Latency {
                assert!(
                    (a.compute_share - b.compute_share).abs() < 1e-4,
                    "{a:?} vs {b:?}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------- infeasible instances

/// Every solver on an infeasible instance: `Infeasible` (or `NotFound` for a baseline whose
/// fixed choice is impossible) with a reason naming the request and a constraint; never a plan.
/// Panics with every solver's reason when one falls short.
fn assert_all_infeasible(instance: &SplitInstance, constraints: &[&str]) -> Vec<String> {
    let mut reasons = Vec::new();
    let mut failures = Vec::new();
    for (name, s) in all_solvers() {
        let o = s
            .solve(instance, &Budget::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        check_outcome(instance, &o).unwrap();
        let baseline =
            ["device-only", "edge-only", "cloud-only", "random"].contains(&name.as_str());
        let why = match &o.status {
            Status::Infeasible(why) => why.clone(),
            Status::NotFound(why) if baseline => why.clone(),
            other => {
                failures.push(format!("{name}: expected infeasible, got {other}"));
                continue;
            }
        };
        if !(why.contains("request 0") || why.contains("request 1")) {
            failures.push(format!("{name} does not name the request"));
        }
        if !constraints.iter().any(|c| why.contains(c)) {
            failures.push(format!("{name} names none of {constraints:?}"));
        }
        reasons.push(format!("{name}: {}", o.status));
    }
    assert!(
        failures.is_empty(),
        "{}\n--- reasons:\n{}",
        failures.join("\n"),
        reasons.join("\n")
    );
    reasons
}

/// One 8 GB Jetson on 5G covered by an edge server that is another 8 GB Jetson, the cloud's
/// GPUs of hardware `cloud`, and Llama-3.1-8B in fp16 (16 GB of weights).
fn jetsons_with_llama(cloud: &str) -> Arc<Scenario> {
    world_in(
        cloud,
        &[JETSON],
        &[Group {
            name: "jetson",
            count: 1,
            hardware: JETSON,
            radio: "5g-static",
            covered_by: &[0],
        }],
        &[("Llama-3.1-8B", "fp16", "fp16")],
    )
}

/// Llama-3.1-8B in fp16 (16 GB of weights) on an 8 GB Jetson whose only edge server is
/// another 8 GB Jetson: it fits on neither for any split (the device holds at most 15 blocks,
/// the server at most 15), and the cloud is 99 ms away, beyond a 90 ms TTFT deadline.
#[test]
fn a_model_that_fits_nowhere_is_infeasible_for_every_solver() {
    let scenario = jetsons_with_llama(CLOUD);
    let r = SplitRequest {
        ttft_deadline_s: Some(0.09),
        ..request(0, 0, 0, 374, 44)
    };
    let instance = SplitInstance::new(scenario, vec![r], Objective::Latency).unwrap();
    let why = instance.infeasibility().expect("infeasible").to_string();
    for part in ["request 0", "device memory", "edge memory", "TTFT deadline"] {
        assert!(why.contains(part), "{part} missing: {why}");
    }
    let reasons = assert_all_infeasible(&instance, &["device memory", "edge memory", "deadline"]);
    println!("{}", reasons.join("\n"));
}

/// Llama-3.1-8B in fp16 (16 GB of weights) on an 8 GB Jetson whose edge server and cloud GPUs
/// are 8 GB Jetsons too: no node holds the whole model, and no split leaves a part both sides
/// hold. Without a deadline only memory rules the cloud out.
#[test]
fn a_model_larger_than_every_node_is_infeasible_for_every_solver() {
    let scenario = jetsons_with_llama(JETSON);
    let instance = SplitInstance::new(
        scenario,
        vec![request(0, 0, 0, 374, 44)],
        Objective::Latency,
    )
    .unwrap();
    let why = instance.infeasibility().expect("infeasible").to_string();
    for part in ["request 0", "device memory", "edge memory", "cloud memory"] {
        assert!(why.contains(part), "{part} missing: {why}");
    }
    assert_all_infeasible(&instance, &["memory"]);
    let in_the_cloud = SplitDecision {
        assignments: vec![assign(Choice::cloud(0, 0), 1.0, 0.0)],
    };
    expect_violation(&instance, &in_the_cloud, "cloud memory", "request 0");
}

/// GPT-2 was trained for 1,024 tokens of context: a request of 1,000 prompt and 100 output
/// tokens fits no tier, however much memory there is.
#[test]
fn a_request_beyond_its_models_context_window_is_infeasible_for_every_solver() {
    let scenario = random_world(&[L4, A100]);
    let requests = vec![request(0, 0, 0, 1000, 100), request(1, 1, 1, 91, 16)];
    let instance = SplitInstance::new(scenario, requests, Objective::Latency).unwrap();
    let why = instance.infeasibility().expect("infeasible").to_string();
    for part in ["request 0", "context window", "1024"] {
        assert!(why.contains(part), "{part} missing: {why}");
    }
    assert_all_infeasible(&instance, &["context window"]);
    let served = SplitDecision {
        assignments: vec![
            assign(Choice::cloud(0, 0), 0.5, 0.0),
            assign(Choice::cloud(0, 0), 0.5, 0.0),
        ],
    };
    expect_violation(&instance, &served, "context window", "request 0");
}

/// A 1 ms TTFT deadline: every choice needs at least the phone's prefill or a round trip.
#[test]
fn an_impossible_deadline_is_infeasible_for_every_solver() {
    let scenario = random_world(&[L4, A100]);
    let r = SplitRequest {
        ttft_deadline_s: Some(0.001),
        ..request(0, 0, 0, 374, 44)
    };
    let ok = request(1, 1, 1, 91, 16);
    let instance = SplitInstance::new(scenario, vec![r, ok], Objective::Latency).unwrap();
    let reasons = assert_all_infeasible(&instance, &["deadline"]);
    for line in &reasons {
        if line.starts_with("exact") || line.starts_with("descent") || line.starts_with("greedy") {
            assert!(
                line.contains("request 0") && line.contains("deadline"),
                "{line}"
            );
        }
    }
    println!("{}", reasons.join("\n"));
}

/// Two identical requests with a 2,000-token prompt whose TTFT deadline is what edge split 0
/// takes with three quarters of the cell's uplink and GPU: each meets it alone, but two need
/// more than the whole cell (by symmetry and convexity, half each is their best chance, and it
/// misses); every other choice misses it even alone (the phone's prefill, the cloud's round
/// trip, or an inner split's activations up the uplink).
#[test]
fn two_requests_feasible_alone_but_not_together() {
    let scenario = qwen_on_one_l4();
    let base = request(0, 0, 0, 2000, 20);
    let probe =
        SplitInstance::new(scenario.clone(), vec![base.clone()], Objective::Latency).unwrap();
    let edge = probe.option_cost(0, Choice::edge(0, 0)).unwrap();
    // Needs β, f with u/β + v/f ≤ D − fixed: at β = f = 3/4 exactly; at 1/2 each it misses.
    let deadline = edge.ttft_s.at(0.75, 0.75);
    assert!(edge.ttft_s.at(0.5, 0.5) > deadline);
    let a = SplitRequest {
        ttft_deadline_s: Some(deadline),
        ..base
    };
    let b = SplitRequest {
        id: 1,
        device: 1,
        ..a.clone()
    };
    for alone in [&a, &b] {
        let one =
            SplitInstance::new(scenario.clone(), vec![alone.clone()], Objective::Latency).unwrap();
        let only: Vec<Choice> = one.candidates(0).iter().map(|o| o.choice).collect();
        assert_eq!(only, vec![Choice::edge(0, 0)]);
        let o = Exact::default().solve(&one, &Budget::default()).unwrap();
        assert!(o.is_optimal(), "{}", describe(&o));
        check_outcome(&one, &o).unwrap();
    }
    let both = SplitInstance::new(scenario, vec![a, b], Objective::Latency).unwrap();
    assert!(both.infeasibility().is_none(), "each is feasible alone");
    let exact = Exact::default().solve(&both, &Budget::default()).unwrap();
    let oracle = brute().solve(&both, &Budget::default()).unwrap();
    println!("{}\n{}", describe(&exact), describe(&oracle));
    match &exact.status {
        Status::Infeasible(why) => {
            for named in ["request 0", "request 1", "deadline"] {
                assert!(why.contains(named), "{why} does not name {named}");
            }
        }
        _ => panic!("{}", describe(&exact)),
    }
    assert!(
        matches!(oracle.status, Status::Infeasible(_)),
        "{}",
        describe(&oracle)
    );
    for (name, s) in all_solvers() {
        let o = s.solve(&both, &Budget::default()).unwrap();
        check_outcome(&both, &o).unwrap();
        assert!(o.decision.is_none(), "{name} found {}", describe(&o));
    }
}

// ---------------------------------------------------------------- evaluate

/// Two edge servers (`edge-0` an L4, `edge-1` an 8 GB Jetson); phones on 5G covered by both,
/// phones on LTE covered by `edge-0` only; GPT-2 and Llama-3.1-8B (fp16 everywhere).
fn evaluation_world() -> SplitInstance {
    let scenario = world(
        &[L4, JETSON],
        &[
            Group {
                name: "s24",
                count: 2,
                hardware: PHONE,
                radio: "5g-static",
                covered_by: &[0, 1],
            },
            Group {
                name: "elite",
                count: 1,
                hardware: PHONE_ELITE,
                radio: "lte-walking",
                covered_by: &[0],
            },
        ],
        &[("GPT-2", "int4", "fp16"), ("Llama-3.1-8B", "fp16", "fp16")],
    );
    let requests = vec![
        SplitRequest {
            ttft_deadline_s: Some(0.5),
            ..request(10, 0, 0, 374, 44)
        },
        request(11, 2, 0, 91, 16),
        request(12, 1, 1, 396, 109),
    ];
    SplitInstance::new(scenario, requests, Objective::Latency).unwrap()
}

fn assign(choice: Choice, b: f64, f: f64) -> Assignment {
    Assignment {
        choice,
        bandwidth_share: b,
        compute_share: f,
    }
}

/// A decision that is fine: request 0 and 1 share edge-0's cell and GPU, request 2 goes to
/// the cloud through edge-1's cell.
fn good_decision() -> SplitDecision {
    SplitDecision {
        assignments: vec![
            assign(Choice::edge(0, 0), 0.5, 0.5),
            assign(Choice::edge(0, 0), 0.5, 0.5),
            assign(Choice::cloud(1, 0), 1.0, 0.0),
        ],
    }
}

/// The violation of `constraint` whose subject contains `subject`, or a panic listing them.
fn expect_violation(instance: &SplitInstance, d: &SplitDecision, constraint: &str, subject: &str) {
    let e = instance.evaluate(d);
    assert!(
        e.violations
            .iter()
            .any(|v| v.constraint == constraint && v.subject.contains(subject) && v.excess > 0.0),
        "no `{constraint}` violation naming `{subject}` in {:?}",
        e.violations
    );
}

#[test]
fn evaluate_accepts_a_good_decision() {
    let instance = evaluation_world();
    let e = instance.evaluate(&good_decision());
    assert!(e.is_feasible(), "{:?}", e.violations);
    let metrics = instance.metrics(&good_decision());
    let total: f64 = metrics.iter().map(|m| m.cost).sum();
    assert!(relative(total, e.objective) < 1e-12);
}

#[test]
fn evaluate_catches_a_wrong_number_of_assignments() {
    let instance = evaluation_world();
    let mut d = good_decision();
    d.assignments.pop();
    expect_violation(
        &instance,
        &d,
        "one assignment per request",
        "2 assignments for 3 requests",
    );
    assert_eq!(instance.evaluate(&d).objective, f64::INFINITY);
    d.assignments.extend(good_decision().assignments);
    expect_violation(
        &instance,
        &d,
        "one assignment per request",
        "5 assignments for 3 requests",
    );
}

#[test]
fn evaluate_catches_a_server_that_does_not_cover_the_device() {
    let instance = evaluation_world();
    let mut d = good_decision();
    // Request 1 is on an LTE phone covered by edge-0 only.
    d.assignments[1] = assign(Choice::edge(1, 0), 0.5, 0.5);
    expect_violation(&instance, &d, "valid choice", "request 1 (id 11)");
    expect_violation(&instance, &d, "valid choice", "does not cover");
    d.assignments[1] = assign(Choice::cloud(1, 3), 0.5, 0.0);
    expect_violation(&instance, &d, "valid choice", "does not cover");
    // An edge server that does not exist.
    d.assignments[1] = assign(Choice::edge(7, 0), 0.5, 0.5);
    expect_violation(&instance, &d, "valid choice", "request 1");
}

#[test]
fn evaluate_catches_shares_above_one_in_a_cell() {
    let instance = evaluation_world();
    let mut d = good_decision();
    d.assignments[0].bandwidth_share = 0.7;
    d.assignments[1].bandwidth_share = 0.4;
    expect_violation(&instance, &d, "cell uplink", "edge server `edge-0`");
    let mut d = good_decision();
    d.assignments[0].compute_share = 0.6;
    d.assignments[1].compute_share = 0.6;
    expect_violation(&instance, &d, "edge compute", "edge server `edge-0`");
    // Just within the tolerance is fine.
    let mut d = good_decision();
    d.assignments[0].bandwidth_share = 0.5 + 1e-9;
    assert!(instance.evaluate(&d).is_feasible());
}

#[test]
fn evaluate_catches_a_split_beyond_the_model() {
    let instance = evaluation_world();
    for split in [12, 13, 1000] {
        let mut d = good_decision();
        d.assignments[0] = assign(Choice::edge(0, split), 0.5, 0.5);
        expect_violation(&instance, &d, "valid choice", "request 0 (id 10)");
        expect_violation(&instance, &d, "valid choice", "nothing to offload");
        assert_eq!(instance.evaluate(&d).objective, f64::INFINITY);
    }
    // Device-only must be split = layers.
    let mut d = good_decision();
    d.assignments[1] = assign(
        Choice {
            tier: Tier::Device,
            server: None,
            split: 5,
        },
        0.0,
        0.0,
    );
    expect_violation(&instance, &d, "valid choice", "request 1");
}

#[test]
fn evaluate_catches_negative_nan_and_missing_shares() {
    let instance = evaluation_world();
    let mut d = good_decision();
    d.assignments[0].bandwidth_share = -0.1;
    expect_violation(&instance, &d, "bandwidth share", "request 0");
    let excess = |d: &SplitDecision, constraint: &str| -> Vec<f64> {
        instance
            .evaluate(d)
            .violations
            .iter()
            .filter(|v| v.constraint == constraint)
            .map(|v| v.excess)
            .collect()
    };
    // Out of [0, 1] by 0.1, and uploading with no bandwidth.
    assert_eq!(excess(&d, "bandwidth share"), vec![0.1, 1.0]);
    let mut d = good_decision();
    d.assignments[2].bandwidth_share = 1.5;
    expect_violation(&instance, &d, "bandwidth share", "request 2");
    assert_eq!(excess(&d, "bandwidth share"), vec![0.5]);
    let mut d = good_decision();
    d.assignments[1].compute_share = f64::NAN;
    // The excess of a NaN share is positive too (it was NaN, against `Violation::excess > 0`).
    expect_violation(&instance, &d, "compute share", "request 1");
    let mut d = good_decision();
    d.assignments[2].bandwidth_share = f64::INFINITY;
    expect_violation(&instance, &d, "bandwidth share", "request 2");
    let mut d = good_decision();
    d.assignments[2].bandwidth_share = 0.0;
    expect_violation(
        &instance,
        &d,
        "bandwidth share",
        "request 2 (id 12) uploads with no bandwidth",
    );
    let mut d = good_decision();
    d.assignments[0].compute_share = 0.0;
    expect_violation(
        &instance,
        &d,
        "compute share",
        "request 0 (id 10) computes at the edge",
    );
}

#[test]
fn evaluate_catches_memory_overflow() {
    let instance = evaluation_world();
    // Llama-3.1-8B in fp16 on a 16 GB phone: 16.1 GB of weights alone.
    let mut d = good_decision();
    d.assignments[2] = assign(Choice::device_only(32), 0.0, 0.0);
    expect_violation(
        &instance,
        &d,
        "device memory",
        "request 2 (id 12) on `s24-2`",
    );
    // ... and all of it on the 8 GB Jetson edge server.
    let mut d = good_decision();
    d.assignments[2] = assign(Choice::edge(1, 0), 1.0, 1.0);
    expect_violation(&instance, &d, "edge memory", "edge server `edge-1`");
}

#[test]
fn evaluate_catches_a_missed_deadline() {
    let instance = evaluation_world();
    let mut d = good_decision();
    // Request 0 has a 0.5 s TTFT deadline; a sliver of the GPU misses it.
    d.assignments[0].compute_share = 1e-4;
    expect_violation(&instance, &d, "TTFT deadline", "request 0 (id 10)");
}
