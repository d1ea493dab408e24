//! Moore and Hodgson's rule on one server: the most valuable batch of a pool of requests,
//! prefilled earliest deadline first.
//!
//! On one server at one precision, with a single binding resource and equal values, choosing
//! the most requests whose prompts, prefilled earliest deadline first, all meet their TTFT
//! budgets is maximising the number of on-time jobs on one machine, which Moore and Hodgson's
//! algorithm solves exactly (J. M. Moore, "An n job, one machine sequencing algorithm for
//! minimizing the number of late jobs", Management Science 15(1), 1968, with Hodgson's
//! simplification): take the jobs in deadline order, and whenever the one just taken is late,
//! drop the longest job taken so far. [`best_batch`] applies it with every constraint of a
//! batch — memory, the prefill of the whole batch within the newcomer's budget (the only new
//! prefix, as it comes last), the longest decode step within the TPOT limits — dropping, while
//! one is broken, the member worth the least per unit of the broken resource (the longest job
//! when values are equal). Dropping a member never makes another prefix late, so the batch
//! stays on time. With several binding resources or unequal values the rule is a heuristic.
//!
//! The sums are updated by subtraction when a member is dropped; the batch is then judged
//! afresh by whoever admits it ([`super::state::Packing`] and [`crate::solve::Problem::evaluate`]),
//! so round-off cannot slip past a constraint.

use super::instance::{BatchingInstance, ServerOption};
use crate::system::COMBINATIONS;
use crate::system::batch_time::{add, subtract};
use std::collections::BinaryHeap;

/// The combination that sets a batch time with these sums.
fn binding(constant_s: &[f64; COMBINATIONS], sums: &[f64; COMBINATIONS]) -> usize {
    (0..COMBINATIONS)
        .max_by(|&a, &b| (constant_s[a] + sums[a]).total_cmp(&(constant_s[b] + sums[b])))
        .unwrap_or(0)
}

/// The constraint a batch breaks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Broken {
    Memory,
    /// The prefill, in this combination.
    Prefill(usize),
    /// The decode step, in this combination.
    Decode(usize),
}

/// A member keyed by its use of a resource per unit of value, largest first.
struct Longest {
    key: f64,
    member: usize,
}

impl PartialEq for Longest {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Longest {}
impl PartialOrd for Longest {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Longest {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key
            .total_cmp(&other.key)
            .then(self.member.cmp(&other.member))
    }
}

/// Moore–Hodgson on server `j` at precision index `q` over `pool` (requests in increasing
/// TTFT budget, each a candidate of `(j, q)`): the batch, in increasing budget.
pub(crate) fn best_batch(
    instance: &BatchingInstance,
    j: usize,
    q: usize,
    pool: &[usize],
) -> Vec<usize> {
    let Some(option) = instance.option_at(j, q) else {
        return Vec::new();
    };
    let mut batch = Batch::new(instance, option, pool);
    for &k in pool {
        batch.take(k);
        let budget = instance.ttft_budget_s(k);
        while let Some(broken) = batch.broken(budget) {
            let Some(gone) = batch.least_worth(broken) else {
                break;
            };
            batch.drop_member(gone);
            if batch.count == 0 {
                break;
            }
        }
    }
    batch.members()
}

/// The resources members are queued by, one queue each. A combination's use differs from
/// that of the one with the same block term and the head's memory time by the head's
/// per-sequence FLOPs, the same for every member, so the five queues serve every combination.
const QUEUED: [Broken; 5] = [
    Broken::Memory,
    Broken::Prefill(1),
    Broken::Prefill(3),
    Broken::Decode(1),
    Broken::Decode(3),
];

/// The queue, in [`QUEUED`], that serves a broken constraint.
fn queue_of(broken: Broken) -> usize {
    match broken {
        Broken::Memory => 0,
        Broken::Prefill(c) => 1 + (c >> 1),
        Broken::Decode(c) => 3 + (c >> 1),
    }
}

/// Request `m`'s use of the resource of a broken constraint on `option`: its KV-cache bytes,
/// or its term of the prefill or of the decode step in the broken combination.
fn usage(instance: &BatchingInstance, option: &ServerOption, broken: Broken, m: usize) -> f64 {
    match broken {
        Broken::Memory => instance.kv_bytes(m),
        Broken::Prefill(c) => option.prefill.per_request_s[m][c],
        Broken::Decode(c) if instance.decodes(m) => option.decode.per_request_s[m][c],
        Broken::Decode(_) => 0.0,
    }
}

/// Request `m`'s TPOT limit: its SLO when it decodes, infinite when it does not.
fn tpot_limit_s(instance: &BatchingInstance, m: usize) -> f64 {
    if instance.decodes(m) {
        instance.requests[m].tpot_slo_s
    } else {
        f64::INFINITY
    }
}

/// A batch being built from a pool on one server option: its members, their sums, its
/// tightest TPOT limit, and its members queued by their use of a resource per unit of value.
struct Batch<'a> {
    instance: &'a BatchingInstance,
    option: &'a ServerOption,
    pool: &'a [usize],
    /// Per resource of [`QUEUED`], the members by use per unit of value, built the first time
    /// the resource breaks (it may hold members dropped since).
    queues: [Option<BinaryHeap<Longest>>; 5],
    /// Whether each request is a member.
    taken: Vec<bool>,
    /// Members.
    count: usize,
    /// KV-cache bytes of the members.
    kv_bytes: f64,
    /// Sums of the members' prefill terms.
    prefill_sums: [f64; COMBINATIONS],
    /// Sums of the decoding members' decode-step terms.
    decode_sums: [f64; COMBINATIONS],
    /// The tightest TPOT limit (the running sequences', who never leave, or a member's).
    tpot_s: f64,
    /// How many members have the tightest limit.
    at_tightest: usize,
}

impl<'a> Batch<'a> {
    /// The empty batch on `option`.
    fn new(instance: &'a BatchingInstance, option: &'a ServerOption, pool: &'a [usize]) -> Self {
        Batch {
            instance,
            option,
            pool,
            queues: Default::default(),
            taken: vec![false; instance.requests.len()],
            count: 0,
            kv_bytes: 0.0,
            prefill_sums: [0.0; COMBINATIONS],
            decode_sums: [0.0; COMBINATIONS],
            tpot_s: option.running_tpot_s,
            at_tightest: 0,
        }
    }

    /// Counts a TPOT limit of `own_s` into the tightest limit.
    fn tighten(&mut self, own_s: f64) {
        if own_s < self.tpot_s {
            (self.tpot_s, self.at_tightest) = (own_s, 1);
        } else if own_s == self.tpot_s {
            self.at_tightest += 1;
        }
    }

    /// Adds request `k` to the batch.
    fn take(&mut self, k: usize) {
        let (instance, option) = (self.instance, self.option);
        self.taken[k] = true;
        self.count += 1;
        for (queue, &resource) in self.queues.iter_mut().zip(&QUEUED) {
            if let Some(queue) = queue {
                queue.push(Longest {
                    key: usage(instance, option, resource, k) / instance.value(k),
                    member: k,
                });
            }
        }
        self.kv_bytes += instance.kv_bytes(k);
        add(&mut self.prefill_sums, &option.prefill.per_request_s[k]);
        if instance.decodes(k) {
            add(&mut self.decode_sums, &option.decode.per_request_s[k]);
        }
        self.tighten(tpot_limit_s(instance, k));
    }

    /// The constraint the batch breaks, if any: memory, then the prefill within `budget_s`,
    /// then the decode step within the tightest TPOT limit.
    fn broken(&self, budget_s: f64) -> Option<Broken> {
        let option = self.option;
        if self.kv_bytes > option.kv_capacity_bytes {
            Some(Broken::Memory)
        } else if option.prefill.total_s(&self.prefill_sums) > budget_s {
            Some(Broken::Prefill(binding(
                &option.prefill.constant_s,
                &self.prefill_sums,
            )))
        } else if option.decode.total_s(&self.decode_sums) > self.tpot_s {
            Some(Broken::Decode(binding(
                &option.decode.constant_s,
                &self.decode_sums,
            )))
        } else {
            None
        }
    }

    /// The member worth the least per unit of the resource of `broken`, taken off its queue
    /// (the queue built from the members the first time), if a member is left.
    fn least_worth(&mut self, broken: Broken) -> Option<usize> {
        let (instance, option, pool) = (self.instance, self.option, self.pool);
        let i = queue_of(broken);
        let resource = QUEUED[i];
        let taken = &self.taken;
        let queue = self.queues[i].get_or_insert_with(|| {
            pool.iter()
                .copied()
                .filter(|&m| taken[m])
                .map(|m| Longest {
                    key: usage(instance, option, resource, m) / instance.value(m),
                    member: m,
                })
                .collect()
        });
        loop {
            let top = queue.pop()?;
            if taken[top.member] {
                return Some(top.member);
            }
        }
    }

    /// Takes member `gone` out of the batch, recounting the tightest TPOT limit when the last
    /// member that had it leaves.
    fn drop_member(&mut self, gone: usize) {
        let (instance, option) = (self.instance, self.option);
        self.taken[gone] = false;
        self.count -= 1;
        self.kv_bytes -= instance.kv_bytes(gone);
        subtract(&mut self.prefill_sums, &option.prefill.per_request_s[gone]);
        if instance.decodes(gone) {
            subtract(&mut self.decode_sums, &option.decode.per_request_s[gone]);
        }
        if tpot_limit_s(instance, gone) == self.tpot_s && self.tpot_s < option.running_tpot_s {
            self.at_tightest -= 1;
            if self.at_tightest == 0 {
                self.tpot_s = option.running_tpot_s;
                for &m in self.pool {
                    if self.taken[m] {
                        self.tighten(tpot_limit_s(instance, m));
                    }
                }
            }
        }
    }

    /// The members, in the pool's order.
    fn members(&self) -> Vec<usize> {
        self.pool
            .iter()
            .copied()
            .filter(|&m| self.taken[m])
            .collect()
    }
}
