//! The fixed-size action and observation of the `batching` environment.

use crate::env::space::{BoxBuilder, BoxSpace, Discrete};
use crate::problems::batching::{BatchingInstance, Packing, accepts};
use crate::system::Precision;

/// Sizes that fix the action and observation layout: the edge servers and the precisions the
/// scenario's `[batching]` section lets them serve at.
///
/// **Actions** (`Discrete(1 + N·P)`, `N` edge servers, `P` precisions):
///
/// - `0` — *reject*: the current request keeps waiting (it is not in this batch);
/// - `1 + j·P + p` — *admit* the current request to server `j` at `precisions[p]`. A server's
///   precision is fixed by its first admission in the decision.
///
/// Valid: reject always; admitting to `(j, p)` when the batch stays feasible with the request
/// in it: the server serves at `p` already or has no precision yet, the request accepts `p`,
/// the weights and every admitted request's whole KV cache fit in the server's memory, every
/// admitted request's first token still comes within its TTFT SLO (prompts prefilled earliest
/// deadline first) and the longest decode step stays within every decoding member's TPOT
/// SLO. This is stronger than a memory mask: every masked decision passes `evaluate`, so an
/// agent that follows the mask never breaks a constraint.
///
/// **Observation** (`float32`, in this order; `k` the current request):
///
/// | components | meaning | bounds |
/// |---|---|---|
/// | `prompt_tokens`, `output_tokens` | tokens of `k`'s prompt and reply | `[0, ∞)` |
/// | `kv_bytes` | KV-cache bytes `k` reserves | `[0, ∞)` |
/// | `ttft_budget_s` | what is left of `k`'s TTFT SLO after its wait (0 once past) | `[0, ∞)` |
/// | `tpot_slo_s` | `k`'s TPOT SLO | `[0, ∞)` |
/// | `accepts_<p>` | `k` accepts precision `p` (its accuracy tier) | `[0, 1]` |
/// | `value` | what admitting `k` adds to the objective (the reward of admitting it) | `[0, ∞)` |
/// | `precision_<j>_<p>` | server `j` serves at `p` in this decision (all 0: not yet set) | `[0, 1]` |
/// | `memory_free_<j>` | fraction of `j`'s memory left beside weights and admitted KV caches | `[0, 1]` |
/// | `kv_share_<j>` | `k`'s KV bytes over `j`'s memory | `[0, ∞)` |
/// | `admitted_<j>` | requests admitted to `j` so far | `[0, ∞)` |
/// | `prefill_<j>_s` | time to prefill `j`'s admitted prompts (0 without any) | `[0, ∞)` |
/// | `decode_step_<j>_s` | `j`'s longest decode step with its admitted requests (0 without a decoding one) | `[0, ∞)` |
/// | `requests_left` | requests of the decision after `k` | `[0, ∞)` |
/// | `decisions_left` | decisions of the episode after this one | `[0, ∞)` |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchingLayout {
    /// Edge servers.
    pub servers: usize,
    /// Precisions a server may serve at, in the scenario's order.
    pub precisions: Vec<Precision>,
}

/// What an action does (see [`BatchingLayout`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchAction {
    /// The request keeps waiting.
    Reject,
    /// The request joins a server's batch at a precision.
    Admit {
        /// The server.
        server: usize,
        /// The precision.
        precision: Precision,
    },
}

/// Offsets of the observation's parts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Offsets {
    pub request: usize,
    pub accepts: usize,
    pub value: usize,
    pub precision: usize,
    pub memory_free: usize,
    pub kv_share: usize,
    pub admitted: usize,
    pub prefill: usize,
    pub decode: usize,
    pub requests_left: usize,
    pub decisions_left: usize,
}

impl BatchingLayout {
    /// The layout of `instance`: its servers, and every precision one of them may serve at,
    /// in the order the servers list them.
    pub fn of(instance: &BatchingInstance) -> BatchingLayout {
        let mut precisions = Vec::new();
        for p in instance.servers.iter().flat_map(|s| &s.precisions) {
            if !precisions.contains(p) {
                precisions.push(*p);
            }
        }
        BatchingLayout {
            servers: instance.servers.len(),
            precisions,
        }
    }

    /// The action space.
    pub fn action_space(&self) -> Discrete {
        Discrete {
            n: 1 + self.servers * self.precisions.len(),
        }
    }

    /// The action of `action` (`None` for a server or precision outside the layout).
    pub fn action(&self, action: BatchAction) -> Option<usize> {
        match action {
            BatchAction::Reject => Some(0),
            BatchAction::Admit { server, precision } => {
                let p = self.precisions.iter().position(|&q| q == precision)?;
                (server < self.servers).then(|| 1 + server * self.precisions.len() + p)
            }
        }
    }

    /// What action `a` does (`None` outside the space).
    pub fn decode(&self, a: usize) -> Option<BatchAction> {
        let p = self.precisions.len();
        match a {
            0 => Some(BatchAction::Reject),
            a if a < self.action_space().n => Some(BatchAction::Admit {
                server: (a - 1) / p,
                precision: self.precisions[(a - 1) % p],
            }),
            _ => None,
        }
    }

    /// The observation space (see [`BatchingLayout`]).
    pub fn observation_space(&self) -> BoxSpace {
        let (n, p, inf) = (self.servers, self.precisions.len(), f32::INFINITY);
        let precisions = &self.precisions;
        let mut b = BoxBuilder::default();
        b.push(1, 0.0, inf, |_| "prompt_tokens".into());
        b.push(1, 0.0, inf, |_| "output_tokens".into());
        b.push(1, 0.0, inf, |_| "kv_bytes".into());
        b.push(1, 0.0, inf, |_| "ttft_budget_s".into());
        b.push(1, 0.0, inf, |_| "tpot_slo_s".into());
        b.push(p, 0.0, 1.0, |i| format!("accepts_{}", precisions[i]));
        b.push(1, 0.0, inf, |_| "value".into());
        b.push(n * p, 0.0, 1.0, |i| {
            format!("precision_{}_{}", i / p, precisions[i % p])
        });
        b.push(n, 0.0, 1.0, |j| format!("memory_free_{j}"));
        b.push(n, 0.0, inf, |j| format!("kv_share_{j}"));
        b.push(n, 0.0, inf, |j| format!("admitted_{j}"));
        b.push(n, 0.0, inf, |j| format!("prefill_{j}_s"));
        b.push(n, 0.0, inf, |j| format!("decode_step_{j}_s"));
        b.push(1, 0.0, inf, |_| "requests_left".into());
        b.push(1, 0.0, inf, |_| "decisions_left".into());
        b.build()
    }

    /// Writes the observation and mask of request `k` of `packing`'s instance, with the
    /// requests admitted so far in `packing` and `decisions_left` decisions after this one.
    pub(crate) fn observe(
        &self,
        packing: &Packing<'_>,
        k: usize,
        decisions_left: usize,
        obs: &mut [f32],
        mask: &mut [bool],
    ) {
        BatchingLayout::terminal(obs, mask);
        let instance = packing.instance;
        let Some(request) = instance.requests.get(k) else {
            return;
        };
        let o = self.offsets();
        let p = self.precisions.len();
        obs[o.request] = request.prompt_tokens as f32;
        obs[o.request + 1] = request.output_tokens as f32;
        obs[o.request + 2] = instance.kv_bytes(k) as f32;
        obs[o.request + 3] = instance.ttft_budget_s(k).max(0.0) as f32;
        obs[o.request + 4] = request.tpot_slo_s as f32;
        for (i, &q) in self.precisions.iter().enumerate() {
            obs[o.accepts + i] = f32::from(u8::from(accepts(request.min_precision, q)));
        }
        obs[o.value] = instance.value(k) as f32;
        for j in 0..self.servers {
            let server = &instance.servers[j];
            let members = &packing.members[j];
            let kv: f64 = members.iter().map(|&m| instance.kv_bytes(m)).sum();
            let option = packing.precision[j].and_then(|q| instance.option(j, Precision::ALL[q]));
            let weight_bytes = option.map_or(0.0, |o| o.weight_bytes);
            obs[o.memory_free + j] = ((server.memory_bytes - weight_bytes - kv)
                / server.memory_bytes)
                .clamp(0.0, 1.0) as f32;
            obs[o.kv_share + j] = (instance.kv_bytes(k) / server.memory_bytes) as f32;
            obs[o.admitted + j] = members.len() as f32;
            if let Some(option) = option {
                if let Some(i) = self.precisions.iter().position(|&q| q == option.precision) {
                    obs[o.precision + j * p + i] = 1.0;
                }
                if !members.is_empty() {
                    obs[o.prefill + j] = option.prefill.of(members.iter().copied()) as f32;
                }
                if members.iter().any(|&m| instance.decodes(m)) {
                    let decoding = members.iter().copied().filter(|&m| instance.decodes(m));
                    obs[o.decode + j] = option.decode.of(decoding) as f32;
                }
            }
            for (i, &q) in self.precisions.iter().enumerate() {
                let q = Precision::ALL.iter().position(|&a| a == q).unwrap_or(0);
                mask[1 + j * p + i] = packing.fits(k, j, q);
            }
        }
        obs[o.requests_left] = (instance.requests.len() - k - 1) as f32;
        obs[o.decisions_left] = decisions_left as f32;
    }

    /// The observation and mask after the last request: zeros, and only *reject* valid.
    pub(crate) fn terminal(obs: &mut [f32], mask: &mut [bool]) {
        obs.fill(0.0);
        mask.fill(false);
        mask[0] = true;
    }

    /// Offsets of the observation's parts.
    pub(crate) fn offsets(&self) -> Offsets {
        let (n, p) = (self.servers, self.precisions.len());
        let request = 0;
        let accepts = request + 5;
        let value = accepts + p;
        let precision = value + 1;
        let memory_free = precision + n * p;
        let kv_share = memory_free + n;
        let admitted = kv_share + n;
        let prefill = admitted + n;
        let decode = prefill + n;
        let requests_left = decode + n;
        Offsets {
            request,
            accepts,
            value,
            precision,
            memory_free,
            kv_share,
            admitted,
            prefill,
            decode,
            requests_left,
            decisions_left: requests_left + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_and_offsets_match_the_names() {
        let layout = BatchingLayout {
            servers: 4,
            precisions: vec![Precision::Fp16, Precision::Int8, Precision::Int4],
        };
        let n = layout.action_space().n;
        assert_eq!(n, 13);
        for a in 0..n {
            assert_eq!(layout.action(layout.decode(a).unwrap()), Some(a));
        }
        assert_eq!(
            layout.decode(1 + 3 + 2),
            Some(BatchAction::Admit {
                server: 1,
                precision: Precision::Int4
            })
        );
        assert_eq!(layout.decode(13), None);
        let space = layout.observation_space();
        assert_eq!(space.len(), 5 + 3 + 1 + 12 + 5 * 4 + 2);
        let o = layout.offsets();
        assert_eq!(space.names[o.accepts + 1], "accepts_int8");
        assert_eq!(space.names[o.precision + 3 + 2], "precision_1_int4");
        assert_eq!(space.names[o.decode + 3], "decode_step_3_s");
        assert_eq!(space.names[o.decisions_left], "decisions_left");
        assert_eq!(o.decisions_left, space.len() - 1);
        let narrow = BatchingLayout {
            servers: 2,
            precisions: vec![Precision::Int8],
        };
        let fp16 = BatchAction::Admit {
            server: 0,
            precision: Precision::Fp16,
        };
        assert_eq!(narrow.action(fp16), None);
    }
}
