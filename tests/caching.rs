//! The caching problem end to end: every solver's placement passes `evaluate`, the exact MILP
//! agrees with brute force, nothing beats the exact placement, TrimCaching and the greedy keep
//! their stated guarantees where they apply, bad input is an error that names the field, an
//! unreachable least hit ratio is `Infeasible` with a reason, and the instance of a list of
//! requests (a trace epoch's) weighs each request once.
//!
//! Instances are generated with real model sizes (the cost model on `llm_architectures.csv`)
//! and link rates drawn from the measured 5Gophers throughput series.

use mei4llm::problems::caching::{
    BruteForce, CacheServer, CacheUser, CachingInstance, CachingParts, Exact, Generator, Greedy,
    LibrarySpec, ModelLibrary, Placement, Projection, SOLVERS, Section, TrimCaching, UserLink,
    solver,
};
use mei4llm::problems::formulation::default_solvers;
use mei4llm::solve::{Budget, Problem, Solver, Status};
use mei4llm::system::network::ThroughputSeries;
use mei4llm::system::{Precision, Scenario};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use std::path::Path;
use std::sync::OnceLock;

// ---------------------------------------------------------------- fixtures

/// Measured mmWave throughput samples (Verizon, one connection, US-East; 5Gophers, WWW 2020).
fn rates() -> &'static [f64] {
    static RATES: OnceLock<Vec<f64>> = OnceLock::new();
    RATES.get_or_init(|| {
        ThroughputSeries::five_gophers("VERIZON", 1, "US-East")
            .unwrap()
            .samples_bps
    })
}

/// Small real models, so that brute force stays small.
const SMALL_BASES: [&str; 4] = ["Qwen2-0.5B", "SmolLM2-360M", "GPT-2", "Llama-3.2-1B"];

/// RTT of every user: the NUWINS 5G static median (14.3 ms).
const RTT_S: f64 = 0.0143;

#[allow(clippy::too_many_arguments)]
fn generator(
    bases: &[usize],
    loras: u32,
    int4: bool,
    servers: usize,
    users: usize,
    covering: usize,
    storage_bytes: f64,
    latency_bound_s: f64,
) -> Generator {
    Generator {
        library: LibrarySpec {
            bases: bases
                .iter()
                .map(|&b| (SMALL_BASES[b].to_string(), Precision::Fp16))
                .collect(),
            loras_per_base: loras,
            lora_ranks: vec![8, 64],
            lora_projections: vec![Projection::Q, Projection::V],
            finetunes_per_base: 0,
            quantised: if int4 { vec![Precision::Int4] } else { vec![] },
        },
        servers,
        users,
        covering: covering.min(servers),
        storage_bytes,
        rate_samples_bps: rates().to_vec(),
        rtt_s: RTT_S,
        latency_bound_s,
        zipf_exponent: 0.8,
        personal: 0.5,
    }
}

fn small_instance() -> impl Strategy<Value = CachingInstance> {
    (
        prop::sample::subsequence(vec![0usize, 1, 2, 3], 1..=2),
        0u32..=1,
        any::<bool>(),
        1usize..=3,
        3usize..=10,
        1usize..=2,
        0.15f64..0.8,
        20.0f64..200.0,
        any::<u64>(),
    )
        .prop_map(
            |(bases, loras, int4, servers, users, covering, fraction, bound, seed)| {
                let g = generator(&bases, loras, int4, servers, users, covering, 1.0, bound);
                let library = g.library.generate(seed).unwrap();
                let total: f64 = (0..library.models.len())
                    .map(|i| library.model_bytes(i))
                    .sum();
                let g = Generator {
                    storage_bytes: fraction * total,
                    ..g
                };
                CachingInstance::generate(&g, seed).unwrap()
            },
        )
}

fn config() -> ProptestConfig {
    ProptestConfig {
        // `PROPTEST_CASES=1000 cargo test --test caching` for a deeper search.
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

fn objective(o: &mei4llm::solve::Outcome<Placement>) -> f64 {
    o.objective.unwrap_or(0.0)
}

/// Users of weight `1/k`, each covered by every server at `rate_bps`.
fn plain_users(k: usize, servers: usize, rate_bps: f64) -> Vec<CacheUser> {
    (0..k)
        .map(|u| CacheUser {
            name: format!("u{u}"),
            weight: 1.0 / k as f64,
            rtt_s: RTT_S,
            links: (0..servers)
                .map(|server| UserLink { server, rate_bps })
                .collect(),
        })
        .collect()
}

fn library_json(blocks: &[(&str, f64)], models: &[(&str, &[&str])]) -> ModelLibrary {
    let blocks: Vec<String> = blocks
        .iter()
        .map(|(n, b)| format!(r#"{{"name": "{n}", "bytes": {b}}}"#))
        .collect();
    let models: Vec<String> = models
        .iter()
        .map(|(n, bs)| {
            let list: Vec<String> = bs.iter().map(|b| format!("\"{b}\"")).collect();
            format!(r#"{{"name": "{n}", "blocks": [{}]}}"#, list.join(", "))
        })
        .collect();
    ModelLibrary::from_json_str(
        "inline.json",
        &format!(
            r#"{{"blocks": [{}], "models": [{}]}}"#,
            blocks.join(", "),
            models.join(", ")
        ),
    )
    .unwrap()
}

fn parts(
    library: &ModelLibrary,
    storage_bytes: &[f64],
    users: Vec<CacheUser>,
    probabilities: Vec<Vec<f64>>,
) -> CachingParts {
    CachingParts {
        library: library.to_file_format(),
        servers: storage_bytes
            .iter()
            .enumerate()
            .map(|(n, &q)| CacheServer {
                name: format!("s{n}"),
                storage_bytes: q,
            })
            .collect(),
        users,
        probabilities,
        latency_bound_s: 1e6,
        min_hit_ratio: None,
        allow_uncacheable: false,
    }
}

// ---------------------------------------------------------------- by hand

#[test]
fn shared_base_is_stored_once_and_beats_sharing_blind() {
    // A 10 GB base with two 1 GB adapters; a 15 GB server holds the base and both adapters
    // (12 GB) but only one model counted in full (11 GB each). Two users, each wanting one
    // LoRA model: sharing-aware caching hits both, sharing-blind one.
    let library = library_json(
        &[("base", 10e9), ("a1", 1e9), ("a2", 1e9)],
        &[("m1", &["base", "a1"]), ("m2", &["base", "a2"])],
    );
    let instance = CachingInstance::new(parts(
        &library,
        &[15e9],
        plain_users(2, 1, 1e9),
        vec![vec![1.0, 0.0], vec![0.0, 1.0]],
    ))
    .unwrap();
    let budget = Budget::default();
    let exact = Exact.solve(&instance, &budget).unwrap();
    assert_eq!(exact.status, Status::Optimal);
    assert_eq!(exact.decision.as_ref().unwrap().stored, vec![vec![0, 1]]);
    assert!((objective(&exact) - 1.0).abs() < 1e-12);
    let m = instance.metrics(exact.decision.as_ref().unwrap());
    assert_eq!(m.storage_used_bytes, vec![12e9]);
    assert_eq!(m.fill_bytes_without_sharing, 22e9);
    assert_eq!(m.miss_bytes_per_request, 0.0);
    let blind = solver("sharing-blind")
        .unwrap()
        .solve(&instance, &budget)
        .unwrap();
    assert!((objective(&blind) - 0.5).abs() < 1e-12);
    // The missed request costs 11 GB from the cloud, half of the requests.
    let mb = instance.metrics(blind.decision.as_ref().unwrap());
    assert!((mb.miss_bytes_per_request - 5.5e9).abs() < 1.0);
    for name in ["greedy", "trimcaching"] {
        let o = solver(name).unwrap().solve(&instance, &budget).unwrap();
        assert!((objective(&o) - 1.0).abs() < 1e-12, "{name}");
    }
}

#[test]
fn the_latency_bound_decides_which_server_can_hit() {
    // One 1 GB model; the user reaches s0 at 100 Mbps (80 s) and s1 at 10 Mbps (800 s); with a
    // 100 s bound only s0 can serve it.
    let library = library_json(&[("w", 1e9)], &[("m", &["w"])]);
    let mut users = plain_users(1, 2, 100e6);
    users[0].links[1].rate_bps = 10e6;
    let mut p = parts(&library, &[2e9, 2e9], users, vec![vec![1.0]]);
    p.latency_bound_s = 100.0;
    let instance = CachingInstance::new(p).unwrap();
    assert!((instance.latency_s(0, 0, 0) - (RTT_S + 80.0)).abs() < 1e-9);
    assert_eq!(instance.demands().len(), 1);
    assert_eq!(instance.demands()[0].servers, vec![0]);
    let only_s1 = Placement {
        stored: vec![vec![], vec![0]],
    };
    assert_eq!(instance.evaluate(&only_s1).objective, 0.0);
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_solver_is_feasible_exact_equals_brute_force_and_is_never_beaten(
        instance in small_instance()
    ) {
        let budget = Budget::default();
        let brute = BruteForce::default().solve(&instance, &budget).unwrap();
        prop_assert_eq!(&brute.status, &Status::Optimal);
        let optimum = objective(&brute);
        for name in default_solvers(SOLVERS) {
            let o = solver(name).unwrap().solve(&instance, &budget).unwrap();
            let placement = o.decision.as_ref().unwrap();
            let e = instance.evaluate(placement);
            prop_assert!(e.is_feasible(), "{}: {:?}", name, e.violations);
            prop_assert!((e.objective - objective(&o)).abs() < 1e-12, "{}", name);
            prop_assert!(objective(&o) <= optimum + 1e-9, "{} beats brute force", name);
            if name == "exact" {
                prop_assert_eq!(&o.status, &Status::Optimal, "objective {:?} bound {:?}", o.objective, o.bound);
                prop_assert!((objective(&o) - optimum).abs() <= 1e-6 * optimum.max(1e-9),
                    "exact {} vs brute force {}", objective(&o), optimum);
                prop_assert!(o.bound.unwrap() >= objective(&o) - 1e-12);
            } else {
                prop_assert_ne!(&o.status, &Status::Optimal);
            }
        }
        // TrimCaching's guarantee holds here: the libraries have at most two shared blocks.
        let trim = TrimCaching::default();
        let t = trim.solve(&instance, &budget).unwrap();
        prop_assert!(objective(&t) >= (1.0 - trim.epsilon) / 2.0 * optimum - 1e-12);
    }

    #[test]
    fn greedy_keeps_half_the_optimum_on_a_partition_matroid(
        servers in 1usize..=3,
        users in 2usize..=8,
        slots in 1usize..=3,
        seed in any::<u64>(),
    ) {
        // Equal-size models with no shared block: at most `slots` models per server, a
        // partition matroid, where the greedy is within 1/2 (Fisher, Nemhauser, Wolsey 1978).
        let blocks: Vec<(String, f64)> = (0..6).map(|i| (format!("w{i}"), 2e9)).collect();
        let block_refs: Vec<(&str, f64)> = blocks.iter().map(|(n, b)| (n.as_str(), *b)).collect();
        let names: Vec<String> = (0..6).map(|i| format!("m{i}")).collect();
        let lists: Vec<[&str; 1]> = blocks.iter().map(|(n, _)| [n.as_str()]).collect();
        let models: Vec<(&str, &[&str])> = names
            .iter()
            .zip(&lists)
            .map(|(n, l)| (n.as_str(), &l[..]))
            .collect();
        let library = library_json(&block_refs, &models);
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
        let probabilities = mei4llm::problems::caching::zipf_probabilities(users, 6, 0.8, 0.7, &mut rng).unwrap();
        let mut u = plain_users(users, servers, 1e9);
        for (k, user) in u.iter_mut().enumerate() {
            // User k is covered by server k mod N only.
            user.links.retain(|l| l.server == k % servers);
        }
        let instance = CachingInstance::new(parts(&library, &vec![2e9 * slots as f64; servers], u, probabilities)).unwrap();
        let budget = Budget::default();
        let optimum = objective(&BruteForce::default().solve(&instance, &budget).unwrap());
        let greedy = objective(&Greedy.solve(&instance, &budget).unwrap());
        prop_assert!(greedy >= 0.5 * optimum - 1e-12, "{} < {}/2", greedy, optimum);
    }

    #[test]
    fn greedy_keeps_its_knapsack_guarantee_on_one_server_without_sharing(
        users in 2usize..=8,
        fraction in 0.1f64..0.9,
        seed in any::<u64>(),
    ) {
        // Models of different real sizes, nothing shared, one server: the better of the
        // density and gain passes is within (1 − 1/e)/2 (Leskovec et al. 2007).
        let g = generator(&[0, 3], 0, true, 1, users, 1, 1.0, 1e6);
        let mut spec = g.library.clone();
        spec.quantised = vec![Precision::Int8, Precision::Int4];
        let library = spec.generate(seed).unwrap();
        prop_assert!(library.shared_blocks().is_empty());
        let total: f64 = (0..library.models.len()).map(|i| library.model_bytes(i)).sum();
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
        let probabilities = mei4llm::problems::caching::zipf_probabilities(users, library.models.len(), 0.8, 0.7, &mut rng).unwrap();
        let mut p = parts(&library, &[fraction * total], plain_users(users, 1, 1e9), probabilities);
        p.allow_uncacheable = true;
        let instance = CachingInstance::new(p).unwrap();
        let budget = Budget::default();
        let optimum = objective(&Exact.solve(&instance, &budget).unwrap());
        let greedy = objective(&Greedy.solve(&instance, &budget).unwrap());
        let factor = (1.0 - (-1.0f64).exp()) / 2.0;
        prop_assert!(greedy >= factor * optimum - 1e-12, "{} < {}·{}", greedy, factor, optimum);
    }
}

// ---------------------------------------------------------------- files and errors

#[test]
fn instances_round_trip_through_json() {
    let g = generator(&[0, 1], 1, true, 3, 12, 2, 2e9, 120.0);
    let instance = CachingInstance::generate(&g, 5).unwrap();
    let again = CachingInstance::from_json_str("round.json", &instance.to_json()).unwrap();
    assert_eq!(again.demands(), instance.demands());
    assert_eq!(again.library, instance.library);
    let budget = Budget::default();
    assert_eq!(
        Greedy.solve(&again, &budget).unwrap().decision,
        Greedy.solve(&instance, &budget).unwrap().decision
    );
    let typo = instance
        .to_json()
        .replacen("\"latency_bound_s\"", "\"latency_bound\"", 1);
    let e = CachingInstance::from_json_str("typo.json", &typo)
        .unwrap_err()
        .to_string();
    assert!(e.contains("latency_bound"), "{e}");
}

#[test]
fn bad_input_names_the_field_and_the_value() {
    let library = library_json(
        &[("w", 1e9), ("v", 30e9)],
        &[("m", &["w"]), ("big", &["v"])],
    );
    // Probabilities that do not sum to 1.
    let e = CachingInstance::new(parts(
        &library,
        &[20e9],
        plain_users(2, 1, 1e9),
        vec![vec![0.5, 0.5], vec![0.5, 0.4]],
    ))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("probabilities[1]") && e.contains("`u1`") && e.contains("0.9"),
        "{e}"
    );
    // A model larger than every server.
    let e = CachingInstance::new(parts(
        &library,
        &[20e9, 10e9],
        plain_users(1, 2, 1e9),
        vec![vec![0.5, 0.5]],
    ))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("`big`") && e.contains("30.000 GB") && e.contains("20.000 GB"),
        "{e}"
    );
    // Storage in the wrong sign, a link to a missing server, weights that do not sum to 1.
    let e = CachingInstance::new(parts(
        &library,
        &[-1.0],
        plain_users(1, 1, 1e9),
        vec![vec![1.0, 0.0]],
    ))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("servers[0]") && e.contains("storage_bytes") && e.contains("-1"),
        "{e}"
    );
    let e = CachingInstance::new(parts(
        &library,
        &[40e9],
        plain_users(1, 2, 1e9),
        vec![vec![1.0, 0.0]],
    ))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("users[0]") && e.contains("links[1].server"),
        "{e}"
    );
    let mut users = plain_users(2, 1, 1e9);
    users[1].weight = 0.7;
    let e = CachingInstance::new(parts(&library, &[40e9], users, vec![vec![1.0, 0.0]; 2]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("user weights sum to 1.2"), "{e}");
    // An unknown block in a library file.
    let e = ModelLibrary::from_json_str(
        "lib.json",
        r#"{"blocks": [{"name": "w", "bytes": 1e9}], "models": [{"name": "m", "blocks": ["w", "lora-7"]}]}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("lib.json") && e.contains("models[0].blocks[1]") && e.contains("`lora-7`"),
        "{e}"
    );
}

#[test]
fn an_unreachable_least_hit_ratio_is_infeasible_with_a_reason() {
    let library = library_json(&[("w", 1e9), ("v", 1e9)], &[("a", &["w"]), ("b", &["v"])]);
    let mut p = parts(
        &library,
        &[1e9],
        plain_users(2, 1, 1e9),
        vec![vec![1.0, 0.0], vec![0.0, 1.0]],
    );
    p.min_hit_ratio = Some(0.75);
    let instance = CachingInstance::new(p).unwrap();
    let budget = Budget::default();
    let exact = Exact.solve(&instance, &budget).unwrap();
    match &exact.status {
        Status::Infeasible(reason) => assert!(reason.contains("0.75"), "{reason}"),
        other => panic!("expected infeasible, got {other}"),
    }
    assert!(exact.decision.is_none());
    let brute = BruteForce::default().solve(&instance, &budget).unwrap();
    match &brute.status {
        Status::Infeasible(reason) => assert!(
            reason.contains("0.5") && reason.contains("0.75"),
            "{reason}"
        ),
        other => panic!("expected infeasible, got {other}"),
    }
    let greedy = Greedy.solve(&instance, &budget).unwrap();
    assert!(
        matches!(greedy.status, Status::NotFound(_)),
        "{}",
        greedy.status
    );
    // Half is reachable: then the target holds.
    let mut p = parts(
        &library,
        &[1e9],
        plain_users(2, 1, 1e9),
        vec![vec![1.0, 0.0], vec![0.0, 1.0]],
    );
    p.min_hit_ratio = Some(0.5);
    let instance = CachingInstance::new(p).unwrap();
    assert_eq!(
        Exact.solve(&instance, &budget).unwrap().status,
        Status::Optimal
    );
}

#[test]
fn evaluate_catches_every_kind_of_bad_placement() {
    let library = library_json(
        &[("base", 10e9), ("a1", 1e9), ("a2", 1e9)],
        &[("m1", &["base", "a1"]), ("m2", &["base", "a2"])],
    );
    let instance = CachingInstance::new(parts(
        &library,
        &[11.5e9],
        plain_users(2, 1, 1e9),
        vec![vec![1.0, 0.0], vec![0.0, 1.0]],
    ))
    .unwrap();
    let names = |p: Placement| -> Vec<String> {
        instance
            .evaluate(&p)
            .violations
            .into_iter()
            .map(|v| v.constraint)
            .collect()
    };
    assert_eq!(
        names(Placement {
            stored: vec![vec![0, 1]]
        }),
        ["storage"]
    );
    assert_eq!(
        names(Placement {
            stored: vec![vec![1, 0]]
        }),
        ["sorted distinct models", "storage"]
    );
    assert_eq!(
        names(Placement {
            stored: vec![vec![7]]
        }),
        ["valid model"]
    );
    assert_eq!(names(Placement { stored: vec![] }), ["one list per server"]);
    assert!(
        names(Placement {
            stored: vec![vec![1]]
        })
        .is_empty()
    );
}

// ---------------------------------------------------------------- scenarios

#[test]
fn the_shipped_scenarios_build_and_solve() {
    let small = Scenario::from_path(Path::new("scenarios/caching-small.toml")).unwrap();
    let instance = CachingInstance::from_scenario(&small).unwrap();
    assert_eq!(instance.servers.len(), 3);
    assert_eq!(instance.users.len(), 24);
    assert_eq!(instance.library.models.len(), 16);
    assert_eq!(instance.servers[1].storage_bytes, 24e9);
    let budget = Budget::default();
    let exact = Exact.solve(&instance, &budget).unwrap();
    assert_eq!(exact.status, Status::Optimal);
    for name in default_solvers(SOLVERS) {
        let o = solver(name).unwrap().solve(&instance, &budget).unwrap();
        assert!(
            instance
                .evaluate(o.decision.as_ref().unwrap())
                .is_feasible()
        );
        assert!(objective(&o) <= objective(&exact) + 1e-9, "{name}");
    }
    let city = Scenario::from_path(Path::new("scenarios/caching-city.toml")).unwrap();
    let instance = CachingInstance::from_scenario(&city).unwrap();
    assert_eq!(
        (
            instance.servers.len(),
            instance.library.models.len(),
            instance.users.len()
        ),
        (10, 100, 500)
    );
}

/// A time limit too short for HiGHS: the exact solver stops at the limit with its greedy warm
/// start, checked by `evaluate`, and a bound above it, never `optimal`.
#[test]
fn a_solve_stopped_before_highs_runs_keeps_its_warm_start() {
    let city = Scenario::from_path(Path::new("scenarios/caching-city.toml")).unwrap();
    let instance = CachingInstance::from_scenario(&city).unwrap();
    let budget = Budget {
        time_limit: Some(std::time::Duration::from_micros(1)),
        ..Budget::default()
    };
    let o = Exact.solve(&instance, &budget).unwrap();
    assert_eq!(o.status, Status::TimeLimit);
    let evaluation = instance.evaluate(o.decision.as_ref().expect("the warm start"));
    assert!(evaluation.is_feasible(), "{:?}", evaluation.violations);
    assert_eq!(o.objective, Some(evaluation.objective));
    assert!(o.bound.unwrap() >= evaluation.objective);
}

#[test]
fn an_instance_of_requests_weighs_each_request_once() {
    let small = Scenario::from_path(Path::new("scenarios/caching-small.toml")).unwrap();
    let instance = CachingInstance::from_scenario(&small).unwrap();
    let model = |name: &str| instance.library.model_index(name).unwrap();
    let (llama, qwen) = (model("Llama-3.2-3B"), model("Qwen2-0.5B-int4"));
    // Users 0 and 3 (group a: 5G at 29.8 Mbps, edges a and b) and 20 (group c: LTE at 6.8 Mbps,
    // edges c and a). Llama-3.2-3B (6.46 GB) downloads in 8 · 6.46e9 / 29.8e6 ≈ 1,735 s over
    // 5G, within the 1,800 s bound, but in ≈ 7,600 s over LTE; Qwen2-0.5B at int4 in minutes.
    let requests = [(3, llama), (0, llama), (20, llama), (0, llama), (20, qwen)];
    let (epoch, users) = instance.with_requests(&requests).unwrap();
    assert_eq!(users, [1, 0, 2, 0, 2]);
    let names: Vec<&str> = epoch.users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(
        names,
        [
            &instance.users[0].name,
            &instance.users[3].name,
            &instance.users[20].name
        ]
    );
    let weights: Vec<f64> = epoch.users.iter().map(|u| u.weight).collect();
    assert_eq!(weights, [0.4, 0.2, 0.4]);
    assert_eq!(
        (epoch.probabilities[2][llama], epoch.probabilities[2][qwen]),
        (0.5, 0.5)
    );
    assert_eq!(epoch.servers_in_time(2, llama).count(), 0);
    assert!((epoch.unreachable_weight(llama) - 0.2).abs() < 1e-12);
    assert!((epoch.reachable_hit_ratio() - 0.8).abs() < 1e-12);
    // Llama on edge-a serves the three 5G requests; Qwen on edge-c the LTE one as well.
    let mut placement = Placement::empty(3);
    placement.insert(0, llama);
    assert!((epoch.hit_ratio(&placement) - 0.6).abs() < 1e-12);
    assert_eq!(epoch.serving_server(&placement, 0, llama), Some(0));
    assert_eq!(epoch.serving_server(&placement, 2, qwen), None);
    placement.insert(2, qwen);
    assert!((epoch.hit_ratio(&placement) - 0.8).abs() < 1e-12);
    assert_eq!(epoch.serving_server(&placement, 2, qwen), Some(2));
    assert!(epoch.evaluate(&placement).is_feasible());
    // Nothing to weigh, or a user or model that does not exist.
    assert!(instance.with_requests(&[]).is_err());
    let error = instance.with_requests(&[(24, 0)]).unwrap_err().to_string();
    assert!(
        error.contains("user 24") && error.contains("24 users"),
        "{error}"
    );
}

#[test]
fn caching_sections_are_strict() {
    let text = std::fs::read_to_string("scenarios/caching-small.toml").unwrap();
    let section_error = |bad: &str| -> String {
        match Scenario::from_toml_str("s.toml", bad) {
            Err(e) => e.to_string(),
            Ok(scenario) => Section::of(&scenario).unwrap_err().to_string(),
        }
    };
    let bad = text.replace(
        "latency_bound = \"1800 s\"",
        "latency_bound = \"1800 s\"\nlatency = \"1 s\"",
    );
    let e = section_error(&bad);
    assert!(e.contains("caching") && e.contains("latency"), "{e}");
    let bad = text.replace(
        "lora_projections = [\"q\", \"v\"]",
        "lora_projections = [\"q\", \"vv\"]",
    );
    let e = section_error(&bad);
    assert!(
        e.contains("caching.library.lora_projections[1]") && e.contains("`vv`"),
        "{e}"
    );
    let bad = text.replace("storage = \"12 GB\"", "storage = \"12\"");
    let e = section_error(&bad);
    assert!(
        e.contains("caching.storage") && e.contains("no unit"),
        "{e}"
    );
    let bad = text.replace("edge-b = \"24 GB\"", "edge-z = \"24 GB\"");
    let e = section_error(&bad);
    assert!(e.contains("edge-z") && e.contains("edge-a"), "{e}");
}
