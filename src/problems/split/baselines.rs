//! Baselines: fixed tiers, per-request Neurosurgeon, and random.

use super::SplitDecision;
use super::allocation::allocate;
use super::choice::Choice;
use super::instance::{OptionCost, SplitInstance};
use super::state::State;
use crate::problems::formulation::judged;
use crate::solve::{Budget, Found, SolveError, Solver};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Every request on its own device.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeviceOnly;

/// Every request on the first edge server covering its device, whole model (split 0).
#[derive(Debug, Clone, Copy, Default)]
pub struct EdgeOnly;

/// Every request in the cloud, whole model, through the first cell covering its device.
#[derive(Debug, Clone, Copy, Default)]
pub struct CloudOnly;

/// Neurosurgeon (Kang et al., ASPLOS 2017) per request: each request picks the tier, server and
/// split that minimise its own cost when it gets an equal share of each cell's uplink and each
/// edge GPU (one over the number of requests the server covers); the shares are then set to
/// their optimum for the choices made.
#[derive(Debug, Clone, Copy, Default)]
pub struct Neurosurgeon;

/// A uniformly random choice among each request's candidates that keeps edge memory and the
/// deadline floors, drawn with the budget's seed.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomChoice;

/// Allocates shares for fixed choices and judges the plan: a choice that a request cannot take
/// whatever the others do, or a plan that breaks a constraint, is reported as not found, with
/// the request and constraint.
fn fixed_choices(
    instance: &SplitInstance,
    choices: impl Fn(usize) -> Choice,
) -> Found<SplitDecision> {
    let mut options: Vec<OptionCost> = Vec::with_capacity(instance.requests.len());
    for k in 0..instance.requests.len() {
        let choice = choices(k);
        let why = match instance.option_cost(k, choice) {
            Ok(o) => match instance.alone_infeasibility(k, &o) {
                None => {
                    options.push(o);
                    continue;
                }
                Some(why) => why,
            },
            Err(why) => why,
        };
        return Found::not_found(format!("request {k}: {choice}: {why}"));
    }
    let refs: Vec<&OptionCost> = options.iter().collect();
    finish(instance, &refs)
}

/// The plan of `options` with its optimal shares, judged by `evaluate`.
fn finish(instance: &SplitInstance, options: &[&OptionCost]) -> Found<SplitDecision> {
    let found = match allocate(instance, options) {
        Ok(allocated) => judged(instance, allocated.decision),
        Err(why) => Found::not_found(why),
    };
    found.with_work(0, 1)
}

/// The first edge server covering request `k`'s device (whose cell also reaches the cloud).
fn home(instance: &SplitInstance, k: usize) -> usize {
    instance.scenario.devices[instance.requests[k].device].covered_by[0]
}

/// A baseline that fixes every request's choice by its tier alone.
trait FixedTier: Send + Sync {
    /// The solver's name.
    const NAME: &'static str;

    /// Request `k`'s choice.
    fn choice(instance: &SplitInstance, k: usize) -> Choice;
}

impl FixedTier for DeviceOnly {
    const NAME: &'static str = "device-only";

    fn choice(instance: &SplitInstance, k: usize) -> Choice {
        Choice::device_only(instance.layers(k))
    }
}

impl FixedTier for EdgeOnly {
    const NAME: &'static str = "edge-only";

    fn choice(instance: &SplitInstance, k: usize) -> Choice {
        Choice::edge(home(instance, k), 0)
    }
}

impl FixedTier for CloudOnly {
    const NAME: &'static str = "cloud-only";

    fn choice(instance: &SplitInstance, k: usize) -> Choice {
        Choice::cloud(home(instance, k), 0)
    }
}

impl<T: FixedTier> Solver<SplitInstance> for T {
    fn name(&self) -> &str {
        T::NAME
    }

    fn search(
        &self,
        instance: &SplitInstance,
        _: &Budget,
    ) -> Result<Found<SplitDecision>, SolveError> {
        Ok(fixed_choices(instance, |k| T::choice(instance, k)))
    }
}

impl Solver<SplitInstance> for Neurosurgeon {
    fn name(&self) -> &str {
        "neurosurgeon"
    }

    fn search(
        &self,
        instance: &SplitInstance,
        _: &Budget,
    ) -> Result<Found<SplitDecision>, SolveError> {
        // Requests each server could serve: the equal share is one over that number.
        let mut covered = vec![0usize; instance.edge_count()];
        for r in &instance.requests {
            for &e in &instance.scenario.devices[r.device].covered_by {
                covered[e] += 1;
            }
        }
        let options: Vec<&OptionCost> = (0..instance.requests.len())
            .map(|k| {
                instance.candidates(k).iter().min_by(|a, b| {
                    let share =
                        |o: &OptionCost| o.choice.server.map_or(1.0, |e| 1.0 / covered[e] as f64);
                    let cost = |o: &OptionCost| o.cost.at(share(o), share(o));
                    cost(a).total_cmp(&cost(b))
                })
            })
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default();
        Ok(finish(instance, &options))
    }
}

impl Solver<SplitInstance> for RandomChoice {
    fn name(&self) -> &str {
        "random"
    }

    fn search(
        &self,
        instance: &SplitInstance,
        budget: &Budget,
    ) -> Result<Found<SplitDecision>, SolveError> {
        let mut rng = StdRng::seed_from_u64(budget.seed);
        let mut state = State::new(instance);
        let mut order: Vec<usize> = (0..instance.requests.len()).collect();
        order.shuffle(&mut rng);
        for k in order {
            let feasible: Vec<usize> = (0..state.candidate_count(k))
                .filter(|&i| state.delta(k, i).is_some())
                .collect();
            match feasible.choose(&mut rng) {
                Some(&i) => state.apply(k, i),
                None => {
                    return Ok(Found::not_found(format!(
                        "request {k} fits nowhere after the random choices before it"
                    )));
                }
            }
        }
        Ok(finish(instance, &state.options()))
    }
}
