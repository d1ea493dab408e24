//! The batching problem end to end: every solver's batch passes `evaluate`, the exact MILP
//! agrees with brute force, nothing beats the exact batch, `evaluate` catches every kind of
//! bad decision, bad input is an error that names the request and the reason, and running
//! sequences that already break a constraint make the instance `Infeasible` with a reason.
//!
//! Requests are windows of the Azure LLM conversation trace (2023); servers are real hardware
//! profiles (`datasets/profiles/device_profiles.csv`) serving Llama-3.1-8B; SLOs are MLPerf
//! Inference's for that model.

use mei4llm::problems::batching::{
    Assignment, BatchDecision, BatchServer, BatchingInstance, BatchingParts, BruteForce, Exact,
    MLPERF_TPOT_S, MLPERF_TTFT_S, Objective, RunningRequest, SOLVERS, Section,
    VLLM_MEMORY_UTILISATION, WaitingRequest, accepts, solver,
};
use mei4llm::problems::formulation::default_solvers;
use mei4llm::solve::{Budget, Outcome, Problem, Solver, Status};
use mei4llm::system::trace::{Request, read_trace};
use mei4llm::system::{Catalogue, Precision, Scenario};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use std::path::Path;
use std::sync::{Arc, OnceLock};

// ---------------------------------------------------------------- fixtures

/// The Azure LLM conversation trace (2023), read once.
fn trace() -> &'static [Request] {
    static TRACE: OnceLock<Vec<Request>> = OnceLock::new();
    TRACE.get_or_init(|| {
        read_trace(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/datasets/traces/azure_llm_2023_conv.csv"
        )))
        .unwrap()
    })
}

/// Edge hardware of `device_profiles.csv`, from a Jetson Orin NX (16 GB: fp16 Llama-3.1-8B
/// does not fit) to an A100.
const HARDWARE: [&str; 5] = [
    "NVIDIA Jetson Orin NX 16GB",
    "NVIDIA L4 24GB",
    "NVIDIA Jetson AGX Orin 64GB",
    "NVIDIA A10G 24GB",
    "NVIDIA A100 PCIe 80GB",
];

fn server(name: &str, hardware: &str) -> BatchServer {
    let node = Arc::new(Catalogue::bundled().node(hardware).unwrap());
    BatchServer::idle(name, node, VLLM_MEMORY_UTILISATION, Precision::ALL.to_vec())
}

/// Waiting requests: `count` trace rows from row `start`, arrival gaps shortened `speedup`
/// times, the decision when the last arrives, MLPerf SLOs, the given narrowest precisions.
fn waiting(
    start: usize,
    count: usize,
    speedup: f64,
    narrowest: &[Precision],
) -> (Vec<WaitingRequest>, f64) {
    let rows = &trace()[start..start + count];
    let t0 = rows[0].arrival_s;
    let requests: Vec<WaitingRequest> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| WaitingRequest {
            id: r.id,
            arrival_s: (r.arrival_s - t0) / speedup,
            prompt_tokens: r.prompt_tokens.max(1),
            output_tokens: r.output_tokens.max(1),
            ttft_slo_s: MLPERF_TTFT_S,
            tpot_slo_s: MLPERF_TPOT_S,
            min_precision: narrowest[i % narrowest.len()],
            weight: 1.0,
        })
        .collect();
    let now = requests.last().map_or(0.0, |r| r.arrival_s);
    (requests, now)
}

fn llama() -> mei4llm::system::Architecture {
    Catalogue::bundled().model("Llama-3.1-8B").unwrap().clone()
}

fn small_scenario() -> BatchingInstance {
    let scenario = Scenario::from_path(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/batching-small.toml"
    )))
    .unwrap();
    BatchingInstance::from_scenario(&scenario).unwrap()
}

/// A small instance: 1–2 servers, 3–7 requests of a trace window, sometimes a running batch
/// on the first server, either objective.
fn small_instance() -> impl Strategy<Value = BatchingInstance> {
    (
        prop::sample::subsequence(vec![0usize, 1, 2, 3, 4], 1..=2),
        0usize..18_000,
        3usize..=7,
        prop::sample::select(vec![5.0, 20.0, 80.0]),
        prop::collection::vec(prop::sample::select(Precision::ALL.to_vec()), 1..=3),
        0usize..=2,
        any::<bool>(),
        0.4f64..2.0,
    )
        .prop_map(
            |(hardware, start, count, speedup, narrowest, running, tokens, ttft_scale)| {
                let mut servers: Vec<BatchServer> = hardware
                    .iter()
                    .enumerate()
                    .map(|(j, &h)| server(&format!("edge-{j}"), HARDWARE[h]))
                    .collect();
                if running > 0 {
                    servers[0].loaded = Some(narrowest[0]);
                    servers[0].running = trace()[start + count..start + count + running]
                        .iter()
                        .map(|r| RunningRequest {
                            id: r.id,
                            prompt_tokens: r.prompt_tokens.max(1),
                            output_tokens: r.output_tokens.max(1),
                            tpot_slo_s: MLPERF_TPOT_S,
                        })
                        .collect();
                }
                let (mut requests, now_s) = waiting(start, count, speedup, &narrowest);
                for r in &mut requests {
                    r.ttft_slo_s *= ttft_scale;
                }
                BatchingInstance::new(BatchingParts {
                    model: llama(),
                    servers,
                    requests,
                    now_s,
                    objective: if tokens {
                        Objective::Tokens
                    } else {
                        Objective::Requests
                    },
                    allow_unservable: true,
                })
                .unwrap()
            },
        )
}

fn config() -> ProptestConfig {
    ProptestConfig {
        // `PROPTEST_CASES=1000 cargo test --test batching` for a deeper search.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(48),
        failure_persistence: None,
        // A fixed seed, so that a run is reproducible; `PROPTEST_RNG_SEED=n` draws others.
        rng_seed: match std::env::var_os("PROPTEST_RNG_SEED") {
            Some(_) => ProptestConfig::default().rng_seed,
            None => RngSeed::Fixed(2026),
        },
        ..ProptestConfig::default()
    }
}

fn value(o: &Outcome<BatchDecision>) -> f64 {
    o.objective.unwrap_or(0.0)
}

fn violated(instance: &BatchingInstance, decision: &BatchDecision) -> Vec<String> {
    instance
        .evaluate(decision)
        .violations
        .into_iter()
        .map(|v| v.constraint)
        .collect()
}

// ---------------------------------------------------------------- exact against brute force

proptest! {
    #![proptest_config(config())]

    /// The MILP's certified optimum is brute force's, and nothing any solver returns is
    /// infeasible or worth more.
    #[test]
    fn exact_equals_brute_force_and_beats_every_heuristic(instance in small_instance()) {
        let budget = Budget::default();
        let exact = Exact.solve(&instance, &budget).unwrap();
        let brute = BruteForce::default().solve(&instance, &budget).unwrap();
        if let Some(why) = instance.infeasibility() {
            prop_assert_eq!(&exact.status, &Status::Infeasible(why.to_string()));
            prop_assert_eq!(&brute.status, &Status::Infeasible(why.to_string()));
            for name in default_solvers(SOLVERS) {
                let o = solver(name).unwrap().solve(&instance, &budget).unwrap();
                prop_assert!(matches!(o.status, Status::Infeasible(_)), "{name}");
            }
            return Ok(());
        }
        prop_assert!(exact.is_optimal(), "{:?}", exact.status);
        prop_assert!(brute.is_optimal());
        let optimum = value(&brute);
        prop_assert!(
            (value(&exact) - optimum).abs() <= 1e-9 * optimum.max(1.0),
            "exact {} vs brute force {optimum}", value(&exact)
        );
        prop_assert!(exact.bound.unwrap() >= optimum - 1e-9 * optimum.max(1.0));
        for name in default_solvers(SOLVERS) {
            let o = solver(name).unwrap().solve(&instance, &budget).unwrap();
            prop_assert_eq!(&o.status, if name == "exact" { &Status::Optimal } else { &Status::Feasible });
            let decision = o.decision.as_ref().unwrap();
            let evaluation = instance.evaluate(decision);
            prop_assert!(evaluation.is_feasible(), "{name}: {:?}", evaluation.violations);
            prop_assert!((evaluation.objective - value(&o)).abs() <= 1e-9 * optimum.max(1.0));
            prop_assert!(value(&o) <= optimum + 1e-9 * optimum.max(1.0), "{name} beats the optimum");
            // Nobody admits a request that cannot be served alone.
            for &(k, _) in instance.unservable() {
                prop_assert_eq!(decision.assignments[k], None, "{}", name);
            }
        }
    }
}

// ---------------------------------------------------------------- the bundled scenarios

#[test]
fn the_small_scenario_is_solved_to_a_certified_optimum() {
    let instance = small_scenario();
    assert_eq!(instance.requests.len(), 40);
    assert_eq!(instance.servers.len(), 2);
    // MLPerf's SLOs and vLLM's memory share are the defaults.
    assert!(
        instance
            .requests
            .iter()
            .all(|r| r.ttft_slo_s == 2.0 && r.tpot_slo_s == 0.1)
    );
    assert_eq!(
        instance.servers[0].memory_bytes,
        0.9 * instance.servers[0].node.profile.memory_bytes
    );
    let exact = Exact.solve(&instance, &Budget::default()).unwrap();
    assert!(exact.is_optimal());
    let decision = exact.decision.as_ref().unwrap();
    assert!(instance.evaluate(decision).is_feasible());
    // Not everyone fits in one batch, so the instance is a real choice.
    assert!(decision.admitted() < instance.requests.len());
    for name in default_solvers(SOLVERS) {
        let o = solver(name)
            .unwrap()
            .solve(&instance, &Budget::default())
            .unwrap();
        assert!(
            instance
                .evaluate(o.decision.as_ref().unwrap())
                .is_feasible(),
            "{name}"
        );
        assert!(value(&o) <= value(&exact), "{name}");
    }
}

/// The instance of `scenarios/batching-edge.toml`: four GPUs, 200 waiting requests.
fn edge_instance() -> BatchingInstance {
    let scenario = Scenario::from_path(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/batching-edge.toml"
    )))
    .unwrap();
    BatchingInstance::from_scenario(&scenario).unwrap()
}

#[test]
fn the_edge_scenario_certifies_four_servers_and_two_hundred_requests() {
    let instance = edge_instance();
    assert_eq!((instance.servers.len(), instance.requests.len()), (4, 200));
    let exact = Exact
        .solve(&instance, &Budget::default().with_threads(2))
        .unwrap();
    assert!(
        exact.is_optimal(),
        "{:?} gap {:?}",
        exact.status,
        exact.gap()
    );
    let assignment = Assignment::default()
        .solve(&instance, &Budget::default())
        .unwrap();
    assert!(
        instance
            .evaluate(assignment.decision.as_ref().unwrap())
            .is_feasible()
    );
    assert!(value(&assignment) <= value(&exact));
    // The heuristic is close: within 5% on this instance (the benchmark measures the mean).
    assert!(value(&assignment) >= 0.95 * value(&exact));
}

/// A time limit too short for HiGHS: the exact solver stops at the limit with the assignment
/// heuristic's batch, checked by `evaluate`, and a bound above it, never `optimal`.
#[test]
fn a_solve_stopped_before_highs_runs_keeps_its_warm_start() {
    let instance = edge_instance();
    let budget = Budget {
        time_limit: Some(std::time::Duration::from_micros(1)),
        ..Budget::default()
    };
    let o = Exact.solve(&instance, &budget).unwrap();
    assert_eq!(o.status, Status::TimeLimit);
    let decision = o.decision.as_ref().expect("the warm start");
    assert!(violated(&instance, decision).is_empty());
    let objective = instance.evaluate(decision).objective;
    assert_eq!(o.objective, Some(objective));
    assert!(o.bound.unwrap() >= objective);
}

#[test]
fn solvers_repeat_themselves() {
    let instance = small_scenario();
    for name in default_solvers(SOLVERS) {
        let s = solver(name).unwrap();
        let a = s.solve(&instance, &Budget::default()).unwrap();
        let b = s.solve(&instance, &Budget::default()).unwrap();
        assert_eq!(a.decision, b.decision, "{name}");
    }
}

// ---------------------------------------------------------------- evaluate

/// Two servers with every precision, four requests of the trace waiting.
fn pair() -> BatchingInstance {
    let (requests, now_s) = waiting(100, 4, 20.0, &[Precision::Int4]);
    BatchingInstance::new(BatchingParts {
        model: llama(),
        servers: vec![
            server("small", "NVIDIA Jetson Orin NX 16GB"),
            server("big", "NVIDIA A100 PCIe 80GB"),
        ],
        requests,
        now_s,
        objective: Objective::Requests,
        allow_unservable: false,
    })
    .unwrap()
}

#[test]
fn evaluate_accepts_a_valid_batch_and_counts_it() {
    let instance = pair();
    let decision = BatchDecision {
        precisions: vec![None, Some(Precision::Int8)],
        assignments: vec![Some(1), Some(1), None, Some(1)],
    };
    let e = instance.evaluate(&decision);
    assert!(e.is_feasible(), "{:?}", e.violations);
    assert_eq!(e.objective, 3.0);
    let (servers, requests) = instance.metrics(&decision);
    assert_eq!(servers[1].admitted, 3);
    // Earliest deadline first: the request that waited longest gets its first token first.
    assert!(requests[0].ttft_s - instance.waited_s(0) <= requests[3].ttft_s - instance.waited_s(3));
    assert!(requests[2].ttft_s.is_nan());
}

#[test]
fn evaluate_rejects_every_kind_of_violation() {
    let instance = pair();
    let base = BatchDecision {
        precisions: vec![None, Some(Precision::Int8)],
        assignments: vec![Some(1), None, None, None],
    };
    let with = |f: &dyn Fn(&mut BatchDecision)| {
        let mut d = base.clone();
        f(&mut d);
        violated(&instance, &d)
    };
    assert!(with(&|_| {}).is_empty());
    assert_eq!(
        with(&|d| {
            d.assignments.pop();
        }),
        ["one assignment per request"]
    );
    assert_eq!(
        with(&|d| d.precisions.push(None)),
        ["one precision per server"]
    );
    assert_eq!(with(&|d| d.assignments[1] = Some(7)), ["valid server"]);
    assert_eq!(with(&|d| d.assignments[1] = Some(0)), ["server precision"]);
    // fp16 Llama-3.1-8B (16 GB of weights) does not fit in the 14.4 GB the Orin NX gives it.
    assert_eq!(
        with(&|d| d.precisions[0] = Some(Precision::Fp16)),
        ["memory"]
    );
    // SLOs just under what request 0 gets on the A100.
    let (_, got) = instance.metrics(&base);
    assert!(instance.decodes(0));
    let mut tpot = instance.clone();
    tpot.requests[0].tpot_slo_s = 0.9 * got[0].tpot_s;
    assert_eq!(violated(&tpot, &base), ["TPOT SLO"]);
    let mut ttft = instance.clone();
    ttft.requests[0].ttft_slo_s =
        instance.waited_s(0) + 0.9 * (got[0].ttft_s - instance.waited_s(0));
    assert_eq!(violated(&ttft, &base), ["TTFT SLO"]);
    let mut narrow = instance.clone();
    narrow.requests[0].min_precision = Precision::Fp16;
    assert_eq!(violated(&narrow, &base), ["request precision"]);
    let mut offered = instance.clone();
    offered.servers[1].precisions = vec![Precision::Int4];
    assert_eq!(violated(&offered, &base), ["offered precision"]);
}

#[test]
fn a_server_with_running_sequences_keeps_its_precision_and_their_slo() {
    let (requests, now_s) = waiting(300, 3, 20.0, &[Precision::Int4]);
    let mut l4 = server("l4", "NVIDIA L4 24GB");
    l4.loaded = Some(Precision::Int8);
    l4.running = trace()[400..430]
        .iter()
        .map(|r| RunningRequest {
            id: r.id,
            prompt_tokens: r.prompt_tokens.max(1),
            output_tokens: r.output_tokens.max(1),
            tpot_slo_s: MLPERF_TPOT_S,
        })
        .collect();
    let instance = BatchingInstance::new(BatchingParts {
        model: llama(),
        servers: vec![l4],
        requests,
        now_s,
        objective: Objective::Requests,
        allow_unservable: true,
    })
    .unwrap();
    assert!(instance.infeasibility().is_none());
    let switched = BatchDecision {
        precisions: vec![Some(Precision::Fp16)],
        assignments: vec![None; 3],
    };
    assert!(violated(&instance, &switched).contains(&"loaded precision".to_string()));
    // The running batch alone is within its SLO; every solver keeps it so.
    for name in default_solvers(SOLVERS) {
        let o = solver(name)
            .unwrap()
            .solve(&instance, &Budget::default())
            .unwrap();
        let d = o.decision.unwrap();
        assert!(instance.evaluate(&d).is_feasible(), "{name}");
        let (servers, _) = instance.metrics(&d);
        assert!(
            servers[0].decode_step_s <= MLPERF_TPOT_S * (1.0 + 1e-9),
            "{name}"
        );
        assert_eq!(servers[0].precision, Some(Precision::Int8));
    }
}

// ---------------------------------------------------------------- bad input and infeasibility

#[test]
fn a_request_whose_cache_fits_nowhere_is_an_error_naming_it() {
    let (mut requests, now_s) = waiting(0, 3, 20.0, &[Precision::Int4]);
    // 100k prompt tokens of Llama-3.1-8B (within its 128k context) need 13 GB of KV cache:
    // more than the 9.9 GB an int4 model leaves on an Orin NX.
    requests[0].prompt_tokens = 100_000;
    let parts = |allow| BatchingParts {
        model: llama(),
        servers: vec![server("orin-nx", "NVIDIA Jetson Orin NX 16GB")],
        requests: requests.clone(),
        now_s,
        objective: Objective::Requests,
        allow_unservable: allow,
    };
    let e = BatchingInstance::new(parts(false)).unwrap_err().to_string();
    assert!(e.contains("request 0") && e.contains("KV cache"), "{e}");
    // Allowed, it is listed with its reason and never admitted.
    let instance = BatchingInstance::new(parts(true)).unwrap();
    let (k, why) = &instance.unservable()[0];
    assert_eq!(*k, 0);
    assert!(why.contains("KV cache"), "{why}");
    let exact = Exact.solve(&instance, &Budget::default()).unwrap();
    assert_eq!(exact.decision.unwrap().assignments[0], None);
    // Beyond the model's context it is bad input whatever the servers.
    let mut beyond = parts(true);
    beyond.requests[0].prompt_tokens = 200_000;
    let e = BatchingInstance::new(beyond).unwrap_err().to_string();
    assert!(e.contains("requests[0]") && e.contains("131072"), "{e}");
}

#[test]
fn an_slo_no_precision_can_meet_is_an_error_naming_it() {
    let (mut requests, now_s) = waiting(0, 2, 20.0, &[Precision::Fp16]);
    // A 1 ms TTFT: no GPU prefills a prompt through 32 blocks that fast.
    requests[0].ttft_slo_s = 0.001 + now_s - requests[0].arrival_s;
    let e = BatchingInstance::new(BatchingParts {
        model: llama(),
        servers: vec![server("a100", "NVIDIA A100 PCIe 80GB")],
        requests,
        now_s,
        objective: Objective::Requests,
        allow_unservable: false,
    })
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("request 0") && e.contains("prefill alone"),
        "{e}"
    );
}

#[test]
fn running_sequences_over_their_slo_make_the_instance_infeasible_with_a_reason() {
    let (requests, now_s) = waiting(0, 3, 20.0, &[Precision::Int4]);
    let mut orin = server("orin-nx", "NVIDIA Jetson Orin NX 16GB");
    orin.loaded = Some(Precision::Int8);
    // 8 GB of int8 weights at 88 GB/s: about 91 ms a step before any cache is read, so a
    // 50 ms TPOT SLO cannot hold.
    orin.running = vec![RunningRequest {
        id: 9,
        prompt_tokens: 500,
        output_tokens: 100,
        tpot_slo_s: 0.05,
    }];
    let instance = BatchingInstance::new(BatchingParts {
        model: llama(),
        servers: vec![orin],
        requests,
        now_s,
        objective: Objective::Requests,
        allow_unservable: true,
    })
    .unwrap();
    let why = instance.infeasibility().unwrap().to_string();
    assert!(why.contains("orin-nx") && why.contains("TPOT"), "{why}");
    for name in default_solvers(SOLVERS).into_iter().chain(["brute-force"]) {
        let o = solver(name)
            .unwrap()
            .solve(&instance, &Budget::default())
            .unwrap();
        assert_eq!(o.status, Status::Infeasible(why.clone()), "{name}");
    }
    // The empty decision itself is judged infeasible, for the same reason.
    let empty = BatchDecision::empty(1, 3);
    assert_eq!(violated(&instance, &empty), ["running TPOT SLO"]);
}

#[test]
fn malformed_parts_are_errors_naming_the_field() {
    let (requests, now_s) = waiting(0, 2, 20.0, &[Precision::Int4]);
    let base = BatchingParts {
        model: llama(),
        servers: vec![server("a", "NVIDIA L4 24GB")],
        requests,
        now_s,
        objective: Objective::Requests,
        allow_unservable: true,
    };
    let error = |f: &dyn Fn(&mut BatchingParts)| {
        let mut p = base.clone();
        f(&mut p);
        BatchingInstance::new(p).unwrap_err().to_string()
    };
    assert!(error(&|p| p.servers.clear()).contains("at least one edge server"));
    assert!(error(&|p| p.servers.push(server("a", "NVIDIA A10G 24GB"))).contains("defined twice"));
    assert!(error(&|p| p.servers[0].memory_bytes = -1.0).contains("memory_bytes"));
    assert!(error(&|p| p.servers[0].precisions.clear()).contains("precisions is empty"));
    assert!(error(&|p| p.requests[0].output_tokens = 0).contains("requests[0]"));
    assert!(error(&|p| p.requests[1].tpot_slo_s = f64::NAN).contains("tpot_slo_s"));
    assert!(error(&|p| p.requests[1].weight = 0.0).contains("weight"));
    assert!(error(&|p| p.requests[1].arrival_s = p.now_s + 1.0).contains("arrival_s"));
    assert!(
        error(&|p| p.servers[0].running.push(RunningRequest {
            id: 1,
            prompt_tokens: 10,
            output_tokens: 10,
            tpot_slo_s: 0.1,
        }))
        .contains("no loaded precision")
    );
    assert!(
        error(&|p| {
            p.servers[0].precisions = vec![Precision::Int8];
            p.servers[0].loaded = Some(Precision::Fp16);
        })
        .contains("loaded")
    );
}

#[test]
fn scenario_sections_are_strict() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/batching-small.toml"
    ))
    .unwrap();
    let parse = |edit: &dyn Fn(&str) -> String| -> Result<Section, Box<dyn std::error::Error>> {
        let scenario = Scenario::from_toml_str("edited.toml", &edit(&text))?;
        Ok(Section::of(&scenario)?)
    };
    let e = parse(&|t| t.replace("seed = 1", "seed = 1\nbatch_size = 8"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("batch_size"), "{e}");
    let e = parse(&|t| t.replace("int4 = 0.5 }", "int4 = 0.4 }"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("min_precision") && e.contains("0.9"), "{e}");
    let e = parse(&|t| {
        t.replacen(
            "model = \"Llama-3.1-8B\"\nprecisions",
            "model = \"Llama-9\"\nprecisions",
            1,
        )
    })
    .unwrap_err()
    .to_string();
    assert!(e.contains("batching.model") && e.contains("Llama-9"), "{e}");
    let e = parse(&|t| t.replace("arrival_speedup = 20", "arrival_speedup = 0"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("arrival_speedup"), "{e}");
    let e = parse(&|t| {
        t.replace(
            "precisions = [\"fp16\", \"int8\", \"int4\"]",
            "precisions = [\"int8\", \"int8\"]",
        )
    })
    .unwrap_err()
    .to_string();
    assert!(e.contains("listed twice"), "{e}");
}

#[test]
fn the_precision_tier_is_ordinal() {
    assert!(accepts(Precision::Int4, Precision::Fp16));
    assert!(accepts(Precision::Int8, Precision::Int8));
    assert!(!accepts(Precision::Int8, Precision::Int4));
    assert!(!accepts(Precision::Fp16, Precision::Int8));
}
