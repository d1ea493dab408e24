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

use super::instance::BatchingInstance;
use super::timing::{COMBINATIONS, add, subtract};

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
    let prefill = &option.prefill.per_request_s;
    let decode = &option.decode.per_request_s;
    let tpot_of = |m: usize| {
        if instance.decodes(m) {
            instance.requests[m].tpot_slo_s
        } else {
            f64::INFINITY
        }
    };
    let usage = |broken: Broken, m: usize| match broken {
        Broken::Memory => instance.kv_bytes(m),
        Broken::Prefill(c) => prefill[m][c],
        Broken::Decode(c) if instance.decodes(m) => decode[m][c],
        Broken::Decode(_) => 0.0,
    };
    // Members queued by their use of the broken resource per unit of value, a queue built the
    // first time its resource breaks. A combination's use differs from that of the one with
    // the same block term and the head's memory time by the head's per-sequence FLOPs, the same
    // for every member, so the five queues serve every combination.
    let queued = [
        Broken::Memory,
        Broken::Prefill(1),
        Broken::Prefill(3),
        Broken::Decode(1),
        Broken::Decode(3),
    ];
    let queue_of = |broken: Broken| match broken {
        Broken::Memory => 0,
        Broken::Prefill(c) => 1 + (c >> 1),
        Broken::Decode(c) => 3 + (c >> 1),
    };
    let mut queues: [Option<std::collections::BinaryHeap<Longest>>; 5] = Default::default();
    let mut taken = vec![false; instance.requests.len()];
    let mut count = 0;
    let (mut kv, mut pre, mut dec) = (0.0, [0.0; COMBINATIONS], [0.0; COMBINATIONS]);
    // The tightest TPOT limit and how many members have it (the running ones never leave).
    let mut tpot = option.running_tpot_s;
    let mut at_tightest = 0;
    for &k in pool {
        taken[k] = true;
        count += 1;
        for (queue, &resource) in queues.iter_mut().zip(&queued) {
            if let Some(queue) = queue {
                queue.push(Longest {
                    key: usage(resource, k) / instance.value(k),
                    member: k,
                });
            }
        }
        kv += instance.kv_bytes(k);
        add(&mut pre, &prefill[k]);
        if instance.decodes(k) {
            add(&mut dec, &decode[k]);
        }
        let own = tpot_of(k);
        if own < tpot {
            (tpot, at_tightest) = (own, 1);
        } else if own == tpot {
            at_tightest += 1;
        }
        let budget = instance.ttft_budget_s(k);
        loop {
            let broken = if kv > option.kv_capacity_bytes {
                Broken::Memory
            } else if option.prefill.total_s(&pre) > budget {
                Broken::Prefill(binding(&option.prefill.constant_s, &pre))
            } else if option.decode.total_s(&dec) > tpot {
                Broken::Decode(binding(&option.decode.constant_s, &dec))
            } else {
                break;
            };
            let i = queue_of(broken);
            let resource = queued[i];
            let queue = queues[i].get_or_insert_with(|| {
                pool.iter()
                    .copied()
                    .filter(|&m| taken[m])
                    .map(|m| Longest {
                        key: usage(resource, m) / instance.value(m),
                        member: m,
                    })
                    .collect()
            });
            let gone = loop {
                let Some(top) = queue.pop() else {
                    break None;
                };
                if taken[top.member] {
                    break Some(top.member);
                }
            };
            let Some(gone) = gone else {
                break;
            };
            taken[gone] = false;
            count -= 1;
            kv -= instance.kv_bytes(gone);
            subtract(&mut pre, &prefill[gone]);
            if instance.decodes(gone) {
                subtract(&mut dec, &decode[gone]);
            }
            if tpot_of(gone) == tpot && tpot < option.running_tpot_s {
                at_tightest -= 1;
                if at_tightest == 0 {
                    tpot = option.running_tpot_s;
                    for &m in pool.iter().filter(|&&m| taken[m]) {
                        let own = tpot_of(m);
                        if own < tpot {
                            (tpot, at_tightest) = (own, 1);
                        } else if own == tpot {
                            at_tightest += 1;
                        }
                    }
                }
            }
            if count == 0 {
                break;
            }
        }
    }
    pool.iter().copied().filter(|&m| taken[m]).collect()
}
