//! How much of a server a request takes: the heuristics' measure of size.

use super::instance::BatchingInstance;

/// The share of server `j`'s scarcest resource request `k` takes at precision index `q` when it
/// joins alone: the largest of its KV bytes over the free memory, its prefill over its TTFT
/// SLO and its decode step over its TPOT limit, each net of what the server spends whoever
/// joins. The prefill is measured against the SLO, not against what is left of it, so that
/// a request that has waited is not taken for a larger one: with prompts prefilled earliest
/// deadline first, a tight budget costs the batch no more time. Infinite when `k` cannot join
/// there.
fn share(instance: &BatchingInstance, k: usize, j: usize, q: usize) -> f64 {
    let Some(option) = instance.option_at(j, q) else {
        return f64::INFINITY;
    };
    if !instance.is_candidate(k, j, q) {
        return f64::INFINITY;
    }
    let ratio = |used: f64, free: f64| {
        if free > 0.0 {
            used / free
        } else {
            f64::INFINITY
        }
    };
    let memory = ratio(instance.kv_bytes(k), option.kv_capacity_bytes);
    let empty = option.prefill.empty_s();
    let prefill = ratio(
        option.prefill.with_s(k) - empty,
        instance.requests[k].ttft_slo_s - empty,
    );
    let decode = if instance.decodes(k) {
        let empty = option.decode.empty_s();
        ratio(
            option.decode.with_s(k) - empty,
            instance.requests[k].tpot_slo_s.min(option.running_tpot_s) - empty,
        )
    } else {
        0.0
    };
    memory.max(prefill).max(decode)
}

/// Every request's share on every (server, precision), `shares[k][3j + q]`.
pub(crate) struct Shares(Vec<Vec<f64>>);

impl Shares {
    /// The shares of every request on every (server, precision) of `instance`.
    pub fn new(instance: &BatchingInstance) -> Shares {
        let servers = instance.servers.len();
        Shares(
            (0..instance.requests.len())
                .map(|k| {
                    (0..servers)
                        .flat_map(|j| (0..3).map(move |q| (j, q)))
                        .map(|(j, q)| share(instance, k, j, q))
                        .collect()
                })
                .collect(),
        )
    }

    /// Request `k`'s share on server `j` at precision index `precision`, or at its best
    /// precision when the server has none yet.
    pub fn on(&self, k: usize, j: usize, precision: Option<usize>) -> f64 {
        let row = &self.0[k][3 * j..3 * j + 3];
        match precision {
            Some(q) => row[q],
            None => row.iter().copied().fold(f64::INFINITY, f64::min),
        }
    }
}
