//! Baselines: fixed tiers, per-request Neurosurgeon, and random.

use super::SplitDecision;
use super::allocation::allocate;
use super::choice::Choice;
use super::instance::{OptionCost, SplitInstance};
use super::state::State;
use crate::solve::{Budget, Outcome, Problem, Sense, SolveError, Solver, Stats};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use std::time::Instant;

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

fn stats(started: Instant) -> Stats {
    Stats {
        time_s: started.elapsed().as_secs_f64(),
        nodes: 0,
        iterations: 1,
    }
}

/// Allocates shares for fixed choices and judges the plan: a plan that breaks a constraint is
/// reported as not found, with the first violation.
fn fixed_choices(
    solver: &str,
    instance: &SplitInstance,
    choices: impl Fn(usize) -> Choice,
    started: Instant,
) -> Outcome<SplitDecision> {
    let mut options: Vec<OptionCost> = Vec::with_capacity(instance.requests.len());
    for k in 0..instance.requests.len() {
        let choice = choices(k);
        match instance.option_cost(k, choice) {
            Ok(o) => options.push(o),
            Err(why) => {
                return Outcome::not_found(
                    solver,
                    Sense::Minimise,
                    format!("request {k}: {choice}: {why}"),
                    stats(started),
                );
            }
        }
    }
    let refs: Vec<&OptionCost> = options.iter().collect();
    finish(solver, instance, &refs, started)
}

fn finish(
    solver: &str,
    instance: &SplitInstance,
    options: &[&OptionCost],
    started: Instant,
) -> Outcome<SplitDecision> {
    match allocate(instance, options) {
        Ok(allocated) => {
            let evaluation = instance.evaluate(&allocated.decision);
            match evaluation.violations.first() {
                None => Outcome::feasible(
                    solver,
                    Sense::Minimise,
                    allocated.decision,
                    evaluation.objective,
                    stats(started),
                ),
                Some(v) => Outcome::not_found(
                    solver,
                    Sense::Minimise,
                    format!("{}: {} (over by {:.3e})", v.constraint, v.subject, v.excess),
                    stats(started),
                ),
            }
        }
        Err(why) => Outcome::not_found(solver, Sense::Minimise, why, stats(started)),
    }
}

fn home(instance: &SplitInstance, k: usize) -> usize {
    instance.scenario.devices[instance.requests[k].device].covered_by[0]
}

impl Solver<SplitInstance> for DeviceOnly {
    fn name(&self) -> &str {
        "device-only"
    }

    fn solve(
        &self,
        instance: &SplitInstance,
        _: &Budget,
    ) -> Result<Outcome<SplitDecision>, SolveError> {
        let started = Instant::now();
        Ok(fixed_choices(
            self.name(),
            instance,
            |k| Choice::device_only(instance.layers(k)),
            started,
        ))
    }
}

impl Solver<SplitInstance> for EdgeOnly {
    fn name(&self) -> &str {
        "edge-only"
    }

    fn solve(
        &self,
        instance: &SplitInstance,
        _: &Budget,
    ) -> Result<Outcome<SplitDecision>, SolveError> {
        let started = Instant::now();
        Ok(fixed_choices(
            self.name(),
            instance,
            |k| Choice::edge(home(instance, k), 0),
            started,
        ))
    }
}

impl Solver<SplitInstance> for CloudOnly {
    fn name(&self) -> &str {
        "cloud-only"
    }

    fn solve(
        &self,
        instance: &SplitInstance,
        _: &Budget,
    ) -> Result<Outcome<SplitDecision>, SolveError> {
        let started = Instant::now();
        Ok(fixed_choices(
            self.name(),
            instance,
            |k| Choice::cloud(home(instance, k), 0),
            started,
        ))
    }
}

impl Solver<SplitInstance> for Neurosurgeon {
    fn name(&self) -> &str {
        "neurosurgeon"
    }

    fn solve(
        &self,
        instance: &SplitInstance,
        _: &Budget,
    ) -> Result<Outcome<SplitDecision>, SolveError> {
        let started = Instant::now();
        if let Some(why) = instance.infeasibility() {
            return Ok(Outcome::infeasible(
                self.name(),
                Sense::Minimise,
                why,
                stats(started),
            ));
        }
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
        Ok(finish(self.name(), instance, &options, started))
    }
}

impl Solver<SplitInstance> for RandomChoice {
    fn name(&self) -> &str {
        "random"
    }

    fn solve(
        &self,
        instance: &SplitInstance,
        budget: &Budget,
    ) -> Result<Outcome<SplitDecision>, SolveError> {
        let started = Instant::now();
        if let Some(why) = instance.infeasibility() {
            return Ok(Outcome::infeasible(
                self.name(),
                Sense::Minimise,
                why,
                stats(started),
            ));
        }
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
                    return Ok(Outcome::not_found(
                        self.name(),
                        Sense::Minimise,
                        format!("request {k} fits nowhere after the random choices before it"),
                        stats(started),
                    ));
                }
            }
        }
        Ok(finish(self.name(), instance, &state.options(), started))
    }
}
