//! Servers filled one request at a time, with cheap checks of whether a request still fits:
//! the heuristics' working state.
//!
//! Per server it keeps the KV bytes reserved, the members in order of TTFT budget (the order
//! their prompts are prefilled in), the sums of their linear prefill pieces and of the
//! decoding members' decode-step pieces ([`crate::system::batch_time`]) with their tightest TPOT SLO.
//! Admitting request `k` is checked against memory and the longest decode step in constant
//! time, and against every member's first-token deadline (the prefill of each budget prefix
//! must end within that budget) in constant time when `k`'s budget is the largest, else by one
//! pass over the members.

use super::decision::BatchDecision;
use super::instance::{BatchingInstance, ServerOption, precision_index};
use crate::system::COMBINATIONS;
use crate::system::Precision;
use crate::system::batch_time::add;

/// The heuristics' working state.
#[derive(Debug, Clone)]
pub(crate) struct Packing<'a> {
    pub instance: &'a BatchingInstance,
    /// Per server, the index of the precision it serves at, once set.
    pub precision: Vec<Option<usize>>,
    /// Per waiting request, its server.
    pub assignment: Vec<Option<usize>>,
    /// Per server, its admitted requests in increasing TTFT budget.
    pub members: Vec<Vec<usize>>,
    /// Objective of the admitted requests.
    pub value: f64,
    kv_bytes: Vec<f64>,
    prefill: Vec<[f64; COMBINATIONS]>,
    decode: Vec<[f64; COMBINATIONS]>,
    tpot_limit_s: Vec<f64>,
}

/// A server's sums over a set of members: KV bytes, prefill pieces, the decoding members'
/// decode-step pieces and their tightest TPOT SLO.
struct Sums {
    kv_bytes: f64,
    prefill: [f64; COMBINATIONS],
    decode: [f64; COMBINATIONS],
    tpot_limit_s: f64,
}

impl<'a> Packing<'a> {
    /// Nobody admitted; servers with running sequences at their loaded precision, the others
    /// at `profile[j]` (`None`: set on first use).
    pub fn new(instance: &'a BatchingInstance, profile: &[Option<usize>]) -> Packing<'a> {
        let servers = instance.servers.len();
        let precision = (0..servers)
            .map(|j| {
                instance.servers[j]
                    .loaded
                    .map(precision_index)
                    .or(profile.get(j).copied().flatten())
            })
            .collect();
        Packing {
            instance,
            precision,
            assignment: vec![None; instance.requests.len()],
            members: vec![Vec::new(); servers],
            value: 0.0,
            kv_bytes: vec![0.0; servers],
            prefill: vec![[0.0; COMBINATIONS]; servers],
            decode: vec![[0.0; COMBINATIONS]; servers],
            tpot_limit_s: vec![f64::INFINITY; servers],
        }
    }

    /// Whether request `k` (waiting) can join server `j` at precision index `q` with its
    /// current members, `without` one of them if given.
    pub fn fits_without(&self, k: usize, j: usize, q: usize, without: Option<usize>) -> bool {
        let instance = self.instance;
        if !instance.is_candidate(k, j, q) || self.precision[j].is_some_and(|p| p != q) {
            return false;
        }
        let Some(option) = instance.option_at(j, q) else {
            return false;
        };
        let sums = self.sums_without(j, option, without);
        if sums.kv_bytes + instance.kv_bytes(k) > option.kv_capacity_bytes {
            return false;
        }
        if instance.decodes(k) && !self.decode_step_fits(k, option, &sums) {
            return false;
        }
        self.prefills_on_time(k, j, option, sums.prefill, without)
    }

    /// Server `j`'s sums on `option`: as kept, or recomputed from its members but `without`.
    fn sums_without(&self, j: usize, option: &ServerOption, without: Option<usize>) -> Sums {
        let instance = self.instance;
        let Some(a) = without else {
            return Sums {
                kv_bytes: self.kv_bytes[j],
                prefill: self.prefill[j],
                decode: self.decode[j],
                tpot_limit_s: self.tpot_limit_s[j],
            };
        };
        let mut sums = Sums {
            kv_bytes: 0.0,
            prefill: [0.0; COMBINATIONS],
            decode: [0.0; COMBINATIONS],
            tpot_limit_s: f64::INFINITY,
        };
        for &m in self.members[j].iter().filter(|&&m| m != a) {
            sums.kv_bytes += instance.kv_bytes(m);
            add(&mut sums.prefill, &option.prefill.per_request_s[m]);
            if instance.decodes(m) {
                add(&mut sums.decode, &option.decode.per_request_s[m]);
                sums.tpot_limit_s = sums.tpot_limit_s.min(instance.requests[m].tpot_slo_s);
            }
        }
        sums
    }

    /// Whether the longest decode step, with decoding request `k` beside the members of
    /// `sums`, stays within every TPOT limit (the members', `k`'s and the running sequences').
    fn decode_step_fits(&self, k: usize, option: &ServerOption, sums: &Sums) -> bool {
        let instance = self.instance;
        let mut decode = sums.decode;
        add(&mut decode, &option.decode.per_request_s[k]);
        let limit = sums
            .tpot_limit_s
            .min(instance.requests[k].tpot_slo_s)
            .min(option.running_tpot_s);
        if option.decode.total_s(&decode) > limit {
            return false;
        }
        true
    }

    /// Whether every budget prefix of server `j`'s members (but `without`) with `k` among
    /// them is prefilled within its budget, `prefill` being the members' prefill sums. When
    /// k's budget is the largest, only the whole batch is new: the other prefixes are as
    /// before, or smaller by the member left out.
    fn prefills_on_time(
        &self,
        k: usize,
        j: usize,
        option: &ServerOption,
        mut prefill: [f64; COMBINATIONS],
        without: Option<usize>,
    ) -> bool {
        let instance = self.instance;
        let budget = instance.ttft_budget_s(k);
        let last = self.members[j]
            .last()
            .map_or(f64::NEG_INFINITY, |&m| instance.ttft_budget_s(m));
        add(&mut prefill, &option.prefill.per_request_s[k]);
        if last <= budget {
            return option.prefill.total_s(&prefill) <= budget;
        }
        // The whole batch must be prefilled within the largest budget.
        if option.prefill.total_s(&prefill) > last {
            return false;
        }
        self.levels_on_time(k, j, option, without)
    }

    /// Whether, with `k` joining server `j`'s members (but `without`) at its place in budget
    /// order, the prefill of every budget level ends within that level's budget: one pass
    /// over the members.
    fn levels_on_time(
        &self,
        k: usize,
        j: usize,
        option: &ServerOption,
        without: Option<usize>,
    ) -> bool {
        let instance = self.instance;
        let budget = instance.ttft_budget_s(k);
        let terms = &option.prefill.per_request_s;
        let mut sums = [0.0; COMBINATIONS];
        let mut joined = false;
        let members = &self.members[j];
        for (i, &m) in members.iter().enumerate() {
            if Some(m) == without {
                continue;
            }
            let at = instance.ttft_budget_s(m);
            if !joined && budget < at {
                add(&mut sums, &terms[k]);
                joined = true;
                if option.prefill.total_s(&sums) > budget {
                    return false;
                }
            }
            add(&mut sums, &terms[m]);
            let last_of_level = members[i + 1..]
                .iter()
                .find(|&&next| Some(next) != without)
                .is_none_or(|&next| instance.ttft_budget_s(next) > at);
            if last_of_level {
                if !joined && budget == at {
                    add(&mut sums, &terms[k]);
                    joined = true;
                }
                if option.prefill.total_s(&sums) > at {
                    return false;
                }
            }
        }
        if !joined {
            add(&mut sums, &terms[k]);
            if option.prefill.total_s(&sums) > budget {
                return false;
            }
        }
        true
    }

    /// A constant-time necessary condition for [`fits_without`](Self::fits_without) with
    /// `without = Some(a)`: memory, the whole batch's prefill within the largest budget left,
    /// and the longest decode step within `k`'s own TPOT limit. False means `k` cannot take
    /// `a`'s place; true needs the full check.
    pub fn may_replace(&self, k: usize, j: usize, q: usize, a: usize) -> bool {
        let instance = self.instance;
        if !instance.is_candidate(k, j, q) || self.precision[j].is_some_and(|p| p != q) {
            return false;
        }
        let Some(option) = instance.option_at(j, q) else {
            return false;
        };
        let slack = 1.0 + 1e-9;
        if self.kv_bytes[j] - instance.kv_bytes(a) + instance.kv_bytes(k)
            > option.kv_capacity_bytes * slack
        {
            return false;
        }
        let mut prefill = self.prefill[j];
        let (without, with) = (
            &option.prefill.per_request_s[a],
            &option.prefill.per_request_s[k],
        );
        for c in 0..COMBINATIONS {
            prefill[c] += with[c] - without[c];
        }
        let last = self.members[j]
            .last()
            .map_or(f64::NEG_INFINITY, |&m| instance.ttft_budget_s(m));
        if option.prefill.total_s(&prefill) > last.max(instance.ttft_budget_s(k)) * slack {
            return false;
        }
        if instance.decodes(k) {
            let mut decode = self.decode[j];
            let with = &option.decode.per_request_s[k];
            let without = &option.decode.per_request_s[a];
            for c in 0..COMBINATIONS {
                decode[c] += with[c] - if instance.decodes(a) { without[c] } else { 0.0 };
            }
            let limit = instance.requests[k].tpot_slo_s.min(option.running_tpot_s);
            if option.decode.total_s(&decode) > limit * slack {
                return false;
            }
        }
        true
    }

    /// Whether request `k` can join server `j` at precision index `q` now.
    pub fn fits(&self, k: usize, j: usize, q: usize) -> bool {
        self.fits_without(k, j, q, None)
    }

    /// The precision index at which request `k` would join server `j`: the server's, or for a
    /// server without one the narrowest precision `k` accepts on which it fits.
    pub fn fitting_precision(&self, k: usize, j: usize) -> Option<usize> {
        match self.precision[j] {
            Some(q) => self.fits(k, j, q).then_some(q),
            None => (0..Precision::ALL.len())
                .rev()
                .find(|&q| self.fits(k, j, q)),
        }
    }

    /// Admits request `k` on server `j` at precision index `q` (checked by the caller).
    pub fn add(&mut self, k: usize, j: usize, q: usize) {
        let instance = self.instance;
        let option = instance
            .option_at(j, q)
            .expect("a fitting pair has an option");
        self.precision[j] = Some(q);
        self.assignment[k] = Some(j);
        let budget = instance.ttft_budget_s(k);
        let at = self.members[j].partition_point(|&m| instance.ttft_budget_s(m) <= budget);
        self.members[j].insert(at, k);
        self.value += instance.value(k);
        self.kv_bytes[j] += instance.kv_bytes(k);
        add(&mut self.prefill[j], &option.prefill.per_request_s[k]);
        if instance.decodes(k) {
            add(&mut self.decode[j], &option.decode.per_request_s[k]);
            self.tpot_limit_s[j] = self.tpot_limit_s[j].min(instance.requests[k].tpot_slo_s);
        }
    }

    /// Sends admitted request `k` back to waiting; its server's sums are recomputed from the
    /// remaining members, so no round-off accumulates.
    pub fn remove(&mut self, k: usize) {
        let Some(j) = self.assignment[k].take() else {
            return;
        };
        let instance = self.instance;
        self.members[j].retain(|&m| m != k);
        self.value -= instance.value(k);
        let q = self.precision[j].expect("a server with members has a precision");
        let option = instance
            .option_at(j, q)
            .expect("a server's precision has an option");
        self.kv_bytes[j] = 0.0;
        self.prefill[j] = [0.0; COMBINATIONS];
        self.decode[j] = [0.0; COMBINATIONS];
        self.tpot_limit_s[j] = f64::INFINITY;
        for &m in &self.members[j] {
            self.kv_bytes[j] += instance.kv_bytes(m);
            add(&mut self.prefill[j], &option.prefill.per_request_s[m]);
            if instance.decodes(m) {
                add(&mut self.decode[j], &option.decode.per_request_s[m]);
                self.tpot_limit_s[j] = self.tpot_limit_s[j].min(instance.requests[m].tpot_slo_s);
            }
        }
    }

    /// The decision: every server's precision (unset for servers that admit nobody and hold
    /// nothing) and every request's server.
    pub fn decision(&self) -> BatchDecision {
        BatchDecision {
            precisions: (0..self.instance.servers.len())
                .map(|j| {
                    if self.members[j].is_empty() && self.instance.servers[j].loaded.is_none() {
                        None
                    } else {
                        self.precision[j].map(|q| Precision::ALL[q])
                    }
                })
                .collect(),
            assignments: self.assignment.clone(),
        }
    }
}
