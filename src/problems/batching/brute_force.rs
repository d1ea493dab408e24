//! An independent exact oracle for small instances: every precision profile and every
//! assignment of every request, judged with the cost model's batch roofline directly.
//!
//! For each profile (a precision per server: the loaded one, or each it offers) a depth-first
//! walk gives each request in turn to no server or to a server whose precision it accepts,
//! and abandons a branch as soon as that server's batch breaks memory, a member's TTFT or TPOT
//! SLO, or a running sequence's TPOT SLO. Admitting a request never helps a batch meet them
//! (memory, the decode step and every member's prefill prefix only grow, and the TPOT limit is
//! a minimum over the members), so no feasible batch is cut off. Nothing else is pruned, and
//! the linear pieces of the MILP and the heuristics are not used: times come from
//! [`Node::batch_prefill_s`] (through [`BatchingInstance::first_token_s`]) and
//! [`Node::batch_decode_step_s`].
//!
//! [`Node::batch_prefill_s`]: crate::system::Node::batch_prefill_s
//! [`Node::batch_decode_step_s`]: crate::system::Node::batch_decode_step_s

use super::decision::BatchDecision;
use super::evaluate::TOLERANCE;
use super::instance::{BatchingInstance, accepts};
use crate::solve::executor::deadline;
use crate::solve::{Budget, Found, Problem, SolveError, Solver};
use crate::system::{Part, Precision};
use std::time::Instant;

/// Exhaustive search; refused ([`SolveError::Unsupported`]) beyond `max_leaves` leaves
/// (profiles × (servers + 1)^requests).
#[derive(Debug, Clone, Copy)]
pub struct BruteForce {
    /// Largest number of leaves of the walk accepted.
    pub max_leaves: u64,
}

impl Default for BruteForce {
    fn default() -> Self {
        BruteForce {
            max_leaves: 20_000_000,
        }
    }
}

/// Whether server `j` at `precision` meets every constraint with `members` admitted.
fn batch_ok(
    instance: &BatchingInstance,
    j: usize,
    precision: Precision,
    members: &[usize],
) -> bool {
    let server = &instance.servers[j];
    let within = |value: f64, limit: f64| value <= limit * (1.0 + TOLERANCE);
    let cost = instance.cost(precision);
    let whole = Part::whole(instance.model.layers);
    let kv: f64 =
        members.iter().map(|&k| instance.kv_bytes(k)).sum::<f64>() + instance.running_kv_bytes(j);
    if !within(cost.weight_bytes(whole) + kv, server.memory_bytes) {
        return false;
    }
    let contexts: Vec<u64> = server
        .running
        .iter()
        .map(|r| (r.prompt_tokens, r.output_tokens))
        .chain(members.iter().map(|&k| {
            (
                instance.requests[k].prompt_tokens,
                instance.requests[k].output_tokens,
            )
        }))
        .filter(|&(_, m)| m >= 2)
        .map(|(n, m)| n as u64 + m as u64 - 1)
        .collect();
    let (Ok(first_token), Ok(step)) = (
        instance.first_token_s(j, precision, members),
        server.node.batch_decode_step_s(cost, whole, &contexts),
    ) else {
        return false;
    };
    members.iter().zip(first_token).all(|(&k, prefill)| {
        let r = &instance.requests[k];
        accepts(r.min_precision, precision)
            && within(instance.waited_s(k) + prefill, r.ttft_slo_s)
            && (!instance.decodes(k) || within(step, r.tpot_slo_s))
    }) && server.running.iter().all(|r| within(step, r.tpot_slo_s))
}

struct Walk<'a> {
    instance: &'a BatchingInstance,
    profile: Vec<Precision>,
    members: Vec<Vec<usize>>,
    assignment: Vec<Option<usize>>,
    value: f64,
    best: Option<(f64, Vec<Precision>, Vec<Option<usize>>)>,
    leaves: u64,
    deadline: Option<Instant>,
    timed_out: bool,
}

impl Walk<'_> {
    fn visit(&mut self, k: usize) {
        if self.timed_out {
            return;
        }
        if k == self.assignment.len() {
            self.leaves += 1;
            if self.leaves % 4096 == 0 && self.deadline.is_some_and(|d| Instant::now() >= d) {
                self.timed_out = true;
            }
            if self.best.as_ref().is_none_or(|b| self.value > b.0) {
                self.best = Some((self.value, self.profile.clone(), self.assignment.clone()));
            }
            return;
        }
        self.visit(k + 1);
        for j in 0..self.profile.len() {
            self.members[j].push(k);
            if batch_ok(self.instance, j, self.profile[j], &self.members[j]) {
                self.assignment[k] = Some(j);
                self.value += self.instance.value(k);
                self.visit(k + 1);
                self.value -= self.instance.value(k);
                self.assignment[k] = None;
            }
            self.members[j].pop();
        }
    }
}

impl Solver<BatchingInstance> for BruteForce {
    fn name(&self) -> &str {
        "brute-force"
    }

    fn is_exact(&self) -> bool {
        true
    }

    fn search(
        &self,
        instance: &BatchingInstance,
        budget: &Budget,
    ) -> Result<Found<BatchDecision>, SolveError> {
        let started = Instant::now();
        let choices = precision_choices(instance);
        let profiles = self.profiles_within_size(instance, &choices)?;
        let mut walk = Walk {
            instance,
            profile: Vec::new(),
            members: vec![Vec::new(); instance.servers.len()],
            assignment: vec![None; instance.requests.len()],
            value: 0.0,
            best: None,
            leaves: 0,
            deadline: deadline(started, budget),
            timed_out: false,
        };
        for index in 0..profiles {
            walk.profile = profile_at(&choices, index);
            walk.visit(0);
            if walk.timed_out {
                break;
            }
        }
        let leaves = walk.leaves;
        let Some((_, profile, assignments)) = walk.best else {
            return Ok(Found::not_found("stopped before the first leaf")
                .timed_out(walk.timed_out)
                .with_work(leaves, profiles));
        };
        let decision = decision_of(instance, &profile, assignments);
        let value = instance.evaluate(&decision).objective;
        // A walk cut short by the time limit proves nothing beyond the servable total.
        let bound = if walk.timed_out {
            instance.servable_value()
        } else {
            value
        };
        Ok(Found::decision(decision, value)
            .with_bound(bound)
            .timed_out(walk.timed_out)
            .with_work(leaves, profiles))
    }
}

impl BruteForce {
    /// The number of precision profiles of `choices`, refused when the walk over all of them
    /// would have more than [`BruteForce::max_leaves`] leaves.
    fn profiles_within_size(
        &self,
        instance: &BatchingInstance,
        choices: &[Vec<Precision>],
    ) -> Result<u64, SolveError> {
        let profiles = choices
            .iter()
            .fold(1u64, |n, c| n.saturating_mul(c.len() as u64));
        let per_profile = (instance.servers.len() as u64 + 1)
            .checked_pow(instance.requests.len() as u32)
            .unwrap_or(u64::MAX);
        let leaves = profiles.saturating_mul(per_profile);
        if leaves > self.max_leaves {
            return Err(SolveError::Unsupported {
                solver: self.name().into(),
                message: format!(
                    "{profiles} precision profiles × {per_profile} assignments = {leaves} leaves (at most {})",
                    self.max_leaves
                ),
            });
        }
        Ok(profiles)
    }
}

/// Per server, the precisions a profile may give it: the loaded one, or each it offers.
fn precision_choices(instance: &BatchingInstance) -> Vec<Vec<Precision>> {
    instance
        .servers
        .iter()
        .map(|s| match s.loaded {
            Some(p) => vec![p],
            None => s.precisions.clone(),
        })
        .collect()
}

/// Profile number `index` of `choices`, the first server's choice varying fastest.
fn profile_at(choices: &[Vec<Precision>], index: u64) -> Vec<Precision> {
    let mut rest = index;
    choices
        .iter()
        .map(|c| {
            let p = c[(rest % c.len() as u64) as usize];
            rest /= c.len() as u64;
            p
        })
        .collect()
}

/// The decision of `assignments` under `profile`: each server with members or running
/// sequences at its profile's precision.
fn decision_of(
    instance: &BatchingInstance,
    profile: &[Precision],
    assignments: Vec<Option<usize>>,
) -> BatchDecision {
    BatchDecision {
        precisions: (0..instance.servers.len())
            .map(|j| {
                let used = assignments.contains(&Some(j)) || instance.servers[j].loaded.is_some();
                used.then_some(profile[j])
            })
            .collect(),
        assignments,
    }
}
