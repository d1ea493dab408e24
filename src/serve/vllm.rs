//! The admission of the vLLM-like baseline ([`super::Policy::Vllm`]): first come, first served,
//! memory only.

use crate::problems::batching::{BatchDecision, BatchingInstance, accepts};
use crate::system::Precision;

/// The batch the vLLM-like baseline admits on `instance`: requests in arrival order, each on
/// the first server (in the instance's order) whose free KV memory at its precision holds the
/// request's whole cache (prompt and output, as the batching formulation reserves it); a server
/// without a precision takes the narrowest one the request accepts and fits at. The first
/// request that fits nowhere blocks the queue behind it.
pub fn admit(instance: &BatchingInstance) -> BatchDecision {
    let (servers, requests) = (instance.servers.len(), instance.requests.len());
    let mut decision = BatchDecision::empty(servers, requests);
    let mut used_bytes = vec![0.0; servers];
    let mut order: Vec<usize> = (0..requests).collect();
    let arrival = |k: usize| instance.requests[k].arrival_s;
    order.sort_by(|&a, &b| arrival(a).total_cmp(&arrival(b)).then(a.cmp(&b)));
    for k in order {
        let r = &instance.requests[k];
        let kv = instance.kv_bytes(k);
        let fits = |j: usize, used: f64, p: Precision| {
            accepts(r.min_precision, p)
                && instance
                    .option(j, p)
                    .is_some_and(|o| used + kv <= o.kv_capacity_bytes)
        };
        let place = (0..servers).find_map(|j| match instance.served_precision(&decision, j) {
            Some(p) => fits(j, used_bytes[j], p).then_some((j, p)),
            None => {
                let mut offered = instance.servers[j].precisions.clone();
                offered.sort_by(|a, b| a.bits_per_weight().total_cmp(&b.bits_per_weight()));
                offered
                    .into_iter()
                    .find(|&p| fits(j, 0.0, p))
                    .map(|p| (j, p))
            }
        });
        let Some((j, p)) = place else {
            break;
        };
        decision.precisions[j] = Some(p);
        decision.assignments[k] = Some(j);
        used_bytes[j] += kv;
    }
    decision
}
