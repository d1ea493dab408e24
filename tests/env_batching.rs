//! The `batching` environment: determinism for a seed, masks that are exactly the admissions
//! `evaluate` accepts, rewards that add up to the objective `evaluate` gives the agent's
//! decision, zero regret when the agent plays the certified optimum, the vector environment
//! against single ones, a policy as a solver, invalid actions and errors.

use mei4llm::env::{Buffers, Env, EnvError, VecEnv};
use mei4llm::problems::batching::env::BatchingPolicy;
use mei4llm::problems::batching::env::{
    BatchAction, BatchingEnv, BatchingEnvOptions, DecisionReport,
};
use mei4llm::problems::batching::{BatchDecision, BatchingInstance, solver};
use mei4llm::solve::{Budget, Problem, SolveError, Solver, Status};
use mei4llm::system::Scenario;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

fn scenario(file: &str) -> Arc<Scenario> {
    Arc::new(Scenario::from_path(Path::new(file)).expect("the bundled scenario reads"))
}

/// `scenarios/batching-small.toml`: an L4 and an Orin, 40 waiting requests per decision.
fn small() -> Arc<Scenario> {
    static SMALL: OnceLock<Arc<Scenario>> = OnceLock::new();
    Arc::clone(SMALL.get_or_init(|| scenario("scenarios/batching-small.toml")))
}

/// The small batching scenario with `decisions` decisions per episode and a reference solver.
fn env(decisions: usize, optimum: Option<&str>) -> BatchingEnv {
    let options = BatchingEnvOptions {
        epochs_per_episode: decisions,
        optimum: optimum.map(str::to_string),
        optimum_time_limit: Duration::from_secs(60),
        ..BatchingEnvOptions::default()
    };
    BatchingEnv::new(small(), options).expect("the small batching scenario makes an environment")
}

/// A valid action drawn uniformly.
fn random_valid(rng: &mut StdRng, mask: &[bool]) -> usize {
    let valid: Vec<usize> = (0..mask.len()).filter(|&a| mask[a]).collect();
    valid[rng.gen_range(0..valid.len())]
}

/// Everything observable of one step.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    observation: Vec<f32>,
    mask: Vec<bool>,
    reward: f64,
    terminated: bool,
}

/// Plays one episode from `seed` with `policy`, checking every step's observation and mask
/// and that each decision's rewards add up to its objective; every step and report.
fn play(
    env: &mut BatchingEnv,
    seed: u64,
    mut policy: impl FnMut(&BatchingEnv) -> usize,
) -> (Vec<Seen>, Vec<DecisionReport>) {
    env.reset(Some(seed)).unwrap();
    let mut seen = Vec::new();
    let mut reports = Vec::new();
    let mut rewards = 0.0;
    loop {
        let action = policy(env);
        let step = env.step(action).unwrap();
        assert!(!step.invalid_action);
        assert!(env.observation_space().contains(env.observation()));
        assert!(env.action_mask()[0], "rejecting is always valid");
        rewards += step.reward;
        seen.push(Seen {
            observation: env.observation().to_vec(),
            mask: env.action_mask().to_vec(),
            reward: step.reward,
            terminated: step.terminated,
        });
        if let Some(report) = step.report {
            let evaluation = report.instance.evaluate(&report.decision);
            assert!(evaluation.is_feasible(), "{:?}", evaluation.violations);
            assert!(report.feasible && report.reason.is_none());
            assert_eq!(rewards, evaluation.objective);
            assert_eq!(report.objective, evaluation.objective);
            assert_eq!(report.admitted, report.decision.admitted());
            rewards = 0.0;
            reports.push(report);
        }
        if step.terminated {
            return (seen, reports);
        }
    }
}

#[test]
fn episodes_repeat_for_a_seed_and_differ_across_seeds() {
    let mut a = env(2, None);
    let mut b = env(2, None);
    let mut draw = StdRng::seed_from_u64(5);
    let (first, first_reports) = play(&mut a, 11, |e| random_valid(&mut draw, e.action_mask()));
    let mut draw = StdRng::seed_from_u64(5);
    let (again, again_reports) = play(&mut b, 11, |e| random_valid(&mut draw, e.action_mask()));
    assert_eq!(first, again);
    let windows = |r: &[DecisionReport]| r.iter().map(|r| r.window).collect::<Vec<_>>();
    assert_eq!(windows(&first_reports), windows(&again_reports));
    // Two decisions of 40 requests each, on consecutive windows.
    assert_eq!(first.len(), 80);
    assert_eq!(first_reports.len(), 2);
    assert_eq!(first_reports[1].window, first_reports[0].window + 1);
    let mut draw = StdRng::seed_from_u64(5);
    let (other, _) = play(&mut b, 12, |e| random_valid(&mut draw, e.action_mask()));
    assert_ne!(first, other);
    // A new environment plays as if seeded with 0; reset(None) continues the stream.
    let mut fresh = env(1, None);
    fresh.reset(None).unwrap();
    let unseeded = fresh.observation().to_vec();
    let mut seeded = env(1, None);
    seeded.reset(Some(0)).unwrap();
    assert_eq!(unseeded, seeded.observation());
}

/// The decision so far with request `k` admitted to server `j` at `precision`, or `None` when
/// the server already serves at another precision (a decision cannot say that).
fn with_admission(
    instance: &BatchingInstance,
    admitted: &[(usize, usize, mei4llm::system::Precision)],
    k: usize,
    j: usize,
    precision: mei4llm::system::Precision,
) -> Option<BatchDecision> {
    let mut d = BatchDecision::empty(instance.servers.len(), instance.requests.len());
    for &(m, s, p) in admitted.iter().chain([&(k, j, precision)]) {
        if d.precisions[s].is_some_and(|q| q != p) {
            return None;
        }
        d.precisions[s] = Some(p);
        d.assignments[m] = Some(s);
    }
    Some(d)
}

#[test]
fn the_mask_admits_exactly_where_evaluate_finds_the_batch_feasible() {
    let mut e = env(2, None);
    let layout = e.layout().clone();
    let mut draw = StdRng::seed_from_u64(8);
    let (mut checked, mut valid, mut refused) = (0, 0, 0);
    for seed in [1, 2] {
        e.reset(Some(seed)).unwrap();
        let mut admitted = Vec::new();
        loop {
            let (instance, k) = e.current().map(|(i, k)| (i.clone(), k)).unwrap();
            let mask = e.action_mask().to_vec();
            for (a, &allowed) in mask.iter().enumerate().skip(1) {
                let Some(BatchAction::Admit { server, precision }) = layout.decode(a) else {
                    panic!("action {a} admits");
                };
                let feasible = with_admission(&instance, &admitted, k, server, precision)
                    .is_some_and(|d| instance.evaluate(&d).is_feasible());
                assert_eq!(allowed, feasible, "request {k}, action {a}");
                checked += 1;
                valid += usize::from(allowed);
                refused += usize::from(!allowed);
            }
            let action = random_valid(&mut draw, &mask);
            if let Some(BatchAction::Admit { server, precision }) = layout.decode(action) {
                admitted.push((k, server, precision));
            }
            let step = e.step(action).unwrap();
            if step.report.is_some() {
                admitted.clear();
            }
            if step.terminated {
                break;
            }
        }
    }
    // Both kinds of answer were checked many times.
    assert_eq!(checked, 4 * 40 * 6);
    assert!(
        valid > 100 && refused > 100,
        "{valid} valid, {refused} refused"
    );
}

#[test]
fn playing_the_certified_optimum_leaves_no_regret_and_first_fit_leaves_some() {
    let mut e = env(2, Some("exact"));
    let layout = e.layout().clone();
    // The exact solver's decision on the instance being played, replayed request by request.
    let follow = |e: &BatchingEnv| {
        let (instance, k) = e.current().unwrap();
        let outcome = solver("exact")
            .unwrap()
            .solve(instance, &Budget::default())
            .unwrap();
        let d = outcome.decision.unwrap();
        match d.assignments[k] {
            None => 0,
            Some(j) => layout
                .action(BatchAction::Admit {
                    server: j,
                    precision: d.precisions[j].unwrap(),
                })
                .unwrap(),
        }
    };
    let (_, reports) = play(&mut e, 4, follow);
    assert_eq!(reports.len(), 2);
    for r in &reports {
        let optimum = r.optimum.as_ref().unwrap();
        assert_eq!(optimum.solver, "exact");
        assert_eq!(optimum.status, "optimal");
        assert_eq!(optimum.objective, Some(r.objective));
        assert_eq!(optimum.regret, Some(0.0));
        assert!(optimum.bound.unwrap() >= r.objective);
    }
    let first_fit = |e: &BatchingEnv| {
        let mask = e.action_mask();
        (1..mask.len()).find(|&a| mask[a]).unwrap_or(0)
    };
    let (_, reports) = play(&mut e, 4, first_fit);
    let regret: f64 = reports
        .iter()
        .map(|r| {
            let optimum = r.optimum.as_ref().unwrap();
            assert_eq!(
                optimum.regret,
                Some(optimum.objective.unwrap() - r.objective)
            );
            optimum.regret.unwrap()
        })
        .sum();
    assert!(regret >= 0.0);
    // First fit puts every server at fp16 (the first precision of the scenario), which the
    // optimum does not do: it admits fewer.
    assert!(regret > 0.0, "first fit matched the optimum");
}

#[test]
fn an_action_outside_the_mask_rejects_and_outside_the_space_is_an_error() {
    let mut e = env(1, None);
    let n = e.action_space().n;
    assert_eq!(n, 1 + 2 * 3);
    assert!(matches!(e.step(0), Err(EnvError::NeedsReset)));
    e.reset(Some(3)).unwrap();
    // Admit the first request at the first valid pair, then admit the second at the other
    // precisions of that server, which the first admission has fixed.
    let mask = e.action_mask().to_vec();
    let first = (1..n)
        .find(|&a| mask[a])
        .expect("the first request fits somewhere");
    let step = e.step(first).unwrap();
    assert!(!step.invalid_action && step.reward == 1.0);
    let fixed = (first - 1) / 3;
    let other = (0..3)
        .map(|p| 1 + fixed * 3 + p)
        .find(|&a| a != first)
        .unwrap();
    assert!(!e.action_mask()[other]);
    let observation = e.observation().to_vec();
    let step = e.step(other).unwrap();
    assert!(step.invalid_action);
    assert_eq!(step.reward, 0.0);
    let (_, position) = e.current().unwrap();
    assert_eq!(position, 2);
    assert_ne!(observation, e.observation());
    assert!(matches!(
        e.step(n),
        Err(EnvError::ActionOutOfRange { action, n: m }) if action == n && m == n
    ));
    // The decision still ends feasible: the invalid action was a rejection.
    let report = loop {
        let step = e.step(0).unwrap();
        if step.terminated {
            break step.report.expect("the last step reports");
        }
    };
    assert_eq!((report.admitted, report.objective), (1, 1.0));
    assert!(report.optimum.is_none());
    assert!(matches!(e.step(0), Err(EnvError::NeedsReset)));
}

#[test]
fn the_vector_environment_matches_single_environments() {
    let single = env(1, None);
    let mut envs = VecEnv::new(vec![single.clone(); 3])
        .unwrap()
        .with_parallel(true);
    let (d, a) = (envs.observation_space().len(), envs.action_space().n);
    let mut buffers = Buffers::new(3, d, a);
    envs.reset(Some(20), &mut buffers).unwrap();
    let mut singles: Vec<BatchingEnv> = (0..3).map(|_| single.clone()).collect();
    for (i, s) in singles.iter_mut().enumerate() {
        s.reset(Some(20 + i as u64)).unwrap();
        assert_eq!(&buffers.observations[i * d..(i + 1) * d], s.observation());
    }
    let mut vector_reports = 0;
    let mut single_reports = 0;
    // 40 steps end every decision; the 41st resets (next-step autoreset).
    for t in 0..45 {
        let actions: Vec<usize> = (0..3)
            .map(|i| {
                let mask = &buffers.masks[i * a..(i + 1) * a];
                (1..a)
                    .find(|&x| mask[x] && (x + i + t) % 2 == 0)
                    .unwrap_or(0)
            })
            .collect();
        vector_reports += envs.step(&actions, &mut buffers).unwrap().len();
        for (i, s) in singles.iter_mut().enumerate() {
            if t == 40 {
                s.reset(None).unwrap();
                assert_eq!(buffers.rewards[i], 0.0);
            } else {
                let step = s.step(actions[i]).unwrap();
                single_reports += usize::from(step.report.is_some());
                assert_eq!(buffers.rewards[i], step.reward);
                assert_eq!(buffers.terminated[i], step.terminated);
            }
            assert_eq!(&buffers.observations[i * d..(i + 1) * d], s.observation());
            assert_eq!(&buffers.masks[i * a..(i + 1) * a], s.action_mask());
        }
    }
    assert_eq!((vector_reports, single_reports), (3, 3));
}

/// First come, first served as a policy: the first server with a valid admission, at its
/// narrowest valid precision (the scenario lists fp16, int8, int4, so the last of its block).
fn first_server_narrowest(mask: &[bool]) -> usize {
    (0..(mask.len() - 1) / 3)
        .find_map(|j| (1..=3).rev().map(|p| j * 3 + p).find(|&a| mask[a]))
        .unwrap_or(0)
}

#[test]
fn a_first_fit_policy_is_the_fcfs_solver_in_the_environment_and_as_a_solver() {
    let instance = BatchingInstance::from_scenario(&small()).unwrap();
    let fcfs = solver("fcfs")
        .unwrap()
        .solve(&instance, &Budget::default())
        .unwrap();
    let policy = BatchingPolicy::new("first-fit", |_: &[f32], mask: &[bool]| {
        Ok(first_server_narrowest(mask))
    });
    let outcome = policy.solve(&instance, &Budget::default()).unwrap();
    assert_eq!(outcome.status, Status::Feasible);
    assert_eq!(outcome.bound, None);
    assert_eq!(outcome.decision, fcfs.decision);
    assert_eq!(outcome.objective, fcfs.objective);
    let evaluation = instance.evaluate(outcome.decision.as_ref().unwrap());
    assert_eq!(Some(evaluation.objective), outcome.objective);
    // The same policy in the environment admits what FCFS admits on each decision.
    let mut e = env(2, None);
    let (_, reports) = play(&mut e, 9, |e| first_server_narrowest(e.action_mask()));
    for r in &reports {
        let fcfs = solver("fcfs")
            .unwrap()
            .solve(&r.instance, &Budget::default())
            .unwrap();
        assert_eq!(Some(&r.decision), fcfs.decision.as_ref());
    }
    // A policy that answers outside the mask, or fails, is an error naming the request.
    let greedy = BatchingPolicy::new("greedy", |_: &[f32], mask: &[bool]| Ok(mask.len()));
    let error = greedy.solve(&instance, &Budget::default()).unwrap_err();
    assert!(matches!(&error, SolveError::Policy { solver, .. } if solver == "greedy"));
    assert!(error.to_string().contains("request 0"), "{error}");
    let failing = BatchingPolicy::new("failing", |_: &[f32], _: &[bool]| Err("no".to_string()));
    assert!(failing.solve(&instance, &Budget::default()).is_err());
}

#[test]
fn bad_options_are_errors_naming_the_option() {
    let message = |r: Result<BatchingEnv, EnvError>| r.err().expect("an error").to_string();
    let options = |f: fn(&mut BatchingEnvOptions)| {
        let mut o = BatchingEnvOptions::default();
        f(&mut o);
        o
    };
    let m = message(BatchingEnv::new(
        small(),
        options(|o| o.epochs_per_episode = 0),
    ));
    assert!(m.contains("epochs_per_episode"), "{m}");
    let m = message(BatchingEnv::new(small(), options(|o| o.requests = Some(0))));
    assert!(m.contains("`requests`"), "{m}");
    let m = message(BatchingEnv::new(
        small(),
        options(|o| o.optimum = Some("lifo".into())),
    ));
    assert!(m.contains("lifo") && m.contains("exact"), "{m}");
    let m = message(BatchingEnv::new(
        small(),
        options(|o| o.epochs_per_episode = 1_000_000),
    ));
    assert!(
        m.contains("epochs_per_episode") && m.contains("windows"),
        "{m}"
    );
    let m = message(BatchingEnv::new(
        small(),
        options(|o| o.trace = Some("datasets/traces/missing.csv".into())),
    ));
    assert!(m.contains("missing.csv"), "{m}");
    let m = message(BatchingEnv::new(
        scenario("scenarios/small.toml"),
        BatchingEnvOptions::default(),
    ));
    assert!(m.contains("[batching]"), "{m}");
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(16),
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

    /// Whatever valid actions an agent takes, on windows of any size, every observation lies
    /// in the space, rejecting is always valid, the decision is feasible and its rewards add
    /// up to its objective (checked in `play`).
    #[test]
    fn valid_actions_always_build_feasible_decisions(
        seed in 0u64..1_000,
        policy in 0u64..1_000,
        requests in 1usize..60,
    ) {
        let options = BatchingEnvOptions {
            requests: Some(requests),
            epochs_per_episode: 2,
            optimum: None,
            ..BatchingEnvOptions::default()
        };
        let mut e = BatchingEnv::new(small(), options).unwrap();
        let mut draw = StdRng::seed_from_u64(policy);
        let (seen, reports) = play(&mut e, seed, |e| random_valid(&mut draw, e.action_mask()));
        prop_assert_eq!(seen.len(), 2 * requests);
        prop_assert_eq!(reports.len(), 2);
    }
}
