//! A compute node: a hardware profile with its calibration, and the roofline time and energy
//! of running part of a model on it.
//!
//! Each unit of work takes `max(FLOPs / (peak × compute efficiency), bytes / (bandwidth ×
//! memory efficiency))` — the roofline model (Williams, Waterman and Patterson, CACM 2009) as
//! applied to LLM inference by LLM-Viewer (Yuan et al. 2024, arXiv 2402.16363) — plus a fixed
//! overhead per transformer block and, for the node that produces tokens, a sampling time
//! proportional to the vocabulary. A node shared by several requests gives each a fraction of
//! its compute and memory bandwidth; every time scales with the inverse of that share.

use super::error::{Error, Result};
use super::hardware::{Calibration, DeviceClass, HardwareProfile};
use super::model_cost::{ModelCost, Part};
use super::precision::Precision;
use serde::Serialize;

/// A device, edge server or cloud GPU with its calibration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    /// Vendor figures.
    pub profile: HardwareProfile,
    /// How close it comes to them.
    pub calibration: Calibration,
}

/// Times of the two phases of one request on one node.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PhaseTimes {
    /// Prefill of the prompt (and the first token when the node holds the head).
    pub prefill_s: f64,
    /// Sum of the decode steps for the remaining output tokens.
    pub decode_s: f64,
}

/// What one request costs per unit of a model on one node ([`Node::phase_costs`]): every
/// block costs the same, so the prefill and decode times of any part are sums of these.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PhaseCosts {
    /// Prefill of the prompt through one block, its fixed overhead included.
    pub block_prefill_s: f64,
    /// Roofline time of one block summed over the decode steps (overheads apart).
    pub block_decode_s: f64,
    /// Embedding of the prompt.
    pub embedding_prefill_s: f64,
    /// Embedding of the tokens of one decode step (this request's and the background's).
    pub embedding_step_s: f64,
    /// The head producing the first token (roofline and sampling).
    pub head_s: f64,
    /// The head in one decode step (this request's token and the background's).
    pub head_step_s: f64,
    /// Fixed overhead of one block per call.
    pub layer_overhead_s: f64,
    /// Decode steps: output tokens after the first.
    pub steps: u64,
}

/// Sequences a node decodes anyway, beside the request being priced: its load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Background {
    /// Sequences in every decode iteration besides the request.
    pub sequences: u64,
    /// Tokens of context each of them holds.
    pub context_tokens: u64,
}

impl PhaseCosts {
    /// Time to prefill the prompt through `part` (0 for an empty part).
    pub fn prefill_s(&self, part: Part) -> f64 {
        if part.is_empty() {
            return 0.0;
        }
        let mut t = part.blocks() as f64 * self.block_prefill_s;
        if part.embedding {
            t += self.embedding_prefill_s;
        }
        if part.head {
            t += self.head_s;
        }
        t
    }

    /// Time of the decode steps through `part` (0 for an empty part or a single output token).
    pub fn decode_s(&self, part: Part) -> f64 {
        if part.is_empty() || self.steps == 0 {
            return 0.0;
        }
        let per_step_fixed = part.blocks() as f64 * self.layer_overhead_s
            + if part.embedding {
                self.embedding_step_s
            } else {
                0.0
            }
            + if part.head { self.head_step_s } else { 0.0 };
        part.blocks() as f64 * self.block_decode_s + self.steps as f64 * per_step_fixed
    }
}

impl Node {
    /// Builds a node from a profile and the matching calibration row.
    pub fn new(profile: HardwareProfile, calibrations: &[Calibration]) -> Result<Node> {
        let calibration = Calibration::find(calibrations, &profile)?.clone();
        Ok(Node {
            profile,
            calibration,
        })
    }

    /// Device name.
    pub fn name(&self) -> &str {
        &self.profile.name
    }

    /// Arithmetic rate achieved for weights at `precision`: the measured rate when the device
    /// has one, else the published peak times the compute efficiency.
    pub fn flops_per_s(&self, precision: Precision) -> Result<f64> {
        if let Some(achieved) = self.calibration.achieved_flops_per_s {
            return Ok(achieved);
        }
        let peak = self.profile.peak_ops_per_s(precision).ok_or_else(|| {
            Error::invalid(
                format!("device `{}`", self.profile.name),
                "no published compute peak and no measured rate in device_calibration.csv",
            )
        })?;
        let efficiency = self.calibration.compute_efficiency.ok_or_else(|| {
            Error::invalid(
                format!("device `{}`", self.profile.name),
                "no compute efficiency in device_calibration.csv",
            )
        })?;
        Ok(peak * efficiency)
    }

    /// Memory bandwidth achieved.
    pub fn bytes_per_s(&self) -> f64 {
        self.profile.memory_bandwidth_bytes_per_s * self.calibration.memory_efficiency
    }

    /// Power drawn while computing: the measured figure when there is one, else the rated
    /// maximum. `None` when neither is published.
    pub fn active_power_w(&self) -> Option<f64> {
        self.calibration.active_power_w.or(self.profile.power_max_w)
    }

    /// Whether this is a phone or laptop chip (runs on a battery).
    pub fn is_mobile(&self) -> bool {
        matches!(
            self.profile.class,
            DeviceClass::PhoneSoc | DeviceClass::LaptopSoc
        )
    }

    /// Roofline time of one unit of work.
    pub fn roofline_s(&self, flops: f64, bytes: f64, flops_per_s: f64) -> f64 {
        (flops / flops_per_s).max(bytes / self.bytes_per_s())
    }

    /// Time to prefill `prompt_tokens` through `part` of `model` on the whole node.
    pub fn prefill_s(&self, model: &ModelCost, part: Part, prompt_tokens: u64) -> Result<f64> {
        if part.is_empty() {
            return Ok(0.0);
        }
        Ok(self.phase_costs(model, prompt_tokens, 1)?.prefill_s(part))
    }

    /// Time of one decode step at `context` cached tokens through `part`.
    pub fn decode_step_s(&self, model: &ModelCost, part: Part, context: u64) -> Result<f64> {
        if part.is_empty() {
            return Ok(0.0);
        }
        let f = self.flops_per_s(model.precision)?;
        let mut t = part.blocks() as f64
            * (self.roofline_s(
                model.block_decode_flops(context),
                model.block_decode_bytes(context),
                f,
            ) + self.calibration.layer_overhead_s);
        if part.embedding {
            t += model.embedding_bytes(1) / self.bytes_per_s();
        }
        if part.head {
            t += self.head_s(model, f);
        }
        Ok(t)
    }

    /// Total time of the decode steps producing tokens 2..=`output_tokens` after a prompt of
    /// `prompt_tokens` (step j runs at context `prompt_tokens + j − 1`), summed in closed form
    /// ([`PhaseCosts`]).
    pub fn decode_s(
        &self,
        model: &ModelCost,
        part: Part,
        prompt_tokens: u64,
        output_tokens: u64,
    ) -> Result<f64> {
        if part.is_empty() || output_tokens <= 1 {
            return Ok(0.0);
        }
        Ok(self
            .phase_costs(model, prompt_tokens, output_tokens)?
            .decode_s(part))
    }

    /// What one request of `prompt_tokens` and `output_tokens` costs per unit of `model` on
    /// this node, from which the prefill and decode times of every part follow (all blocks of
    /// a model cost the same): the split problem prices all the splits of a request from one.
    pub fn phase_costs(
        &self,
        model: &ModelCost,
        prompt_tokens: u64,
        output_tokens: u64,
    ) -> Result<PhaseCosts> {
        self.phase_costs_beside(model, prompt_tokens, output_tokens, None)
    }

    /// [`phase_costs`](Self::phase_costs) of a request whose decode steps are iterations of a
    /// batch it shares with `background` (sequences the node serves anyway): every step reads
    /// the weights once, every background sequence's KV cache, and produces one token for
    /// each sequence, as [`batch_decode_step_s`](Self::batch_decode_step_s) does; the prompt is
    /// prefilled in an iteration of its own. `None` is a node serving this request alone.
    pub fn phase_costs_beside(
        &self,
        model: &ModelCost,
        prompt_tokens: u64,
        output_tokens: u64,
        background: Option<Background>,
    ) -> Result<PhaseCosts> {
        let f = self.flops_per_s(model.precision)?;
        let n = prompt_tokens;
        let steps = output_tokens.saturating_sub(1);
        let block_prefill_s = self.roofline_s(
            model.block_prefill_flops(n),
            model.block_prefill_bytes(n),
            f,
        ) + self.calibration.layer_overhead_s;
        let others = background.map_or(0, |b| b.sequences);
        let sequences = 1 + others as usize;
        Ok(PhaseCosts {
            block_prefill_s,
            block_decode_s: self.block_decode_sum_s(model, f, n + 1, n + steps, background),
            embedding_prefill_s: model.embedding_bytes(n) / self.bytes_per_s(),
            embedding_step_s: sequences as f64 * model.embedding_bytes(1) / self.bytes_per_s(),
            head_s: self.head_s(model, f),
            head_step_s: self.batch_head_s(model, f, sequences),
            layer_overhead_s: self.calibration.layer_overhead_s,
            steps,
        })
    }

    /// Sum of one block's roofline decode time over the contexts `first..=last` of a request
    /// decoding beside `background`, in closed form: the step time is the larger of two lines
    /// in the request's context (the background adds a constant to each), so the sum splits
    /// at their crossing.
    fn block_decode_sum_s(
        &self,
        model: &ModelCost,
        f: f64,
        first: u64,
        last: u64,
        background: Option<Background>,
    ) -> f64 {
        // Compute and memory time of one block as lines a + b·c in the context c.
        let line = |c: f64| {
            (
                model.block_decode_flops(c as u64) / f,
                model.block_decode_bytes(c as u64) / self.bytes_per_s(),
            )
        };
        let (mut ca, mut ma) = line(0.0);
        let (c1, m1) = line(1.0);
        let (cb, mb) = (c1 - ca, m1 - ma);
        if let Some(b) = background {
            let weights = model.block().weight_bytes;
            let (flops, bytes) = (
                model.block_decode_flops(b.context_tokens),
                model.block_decode_bytes(b.context_tokens) - weights,
            );
            ca += b.sequences as f64 * flops / f;
            ma += b.sequences as f64 * bytes / self.bytes_per_s();
        }
        let sum_line = |a: f64, b: f64, lo: u64, hi: u64| -> f64 {
            if hi < lo {
                return 0.0;
            }
            let count = (hi - lo + 1) as f64;
            a * count + b * (lo + hi) as f64 * count / 2.0
        };
        // Contexts where compute ≥ memory: ca + cb·c ≥ ma + mb·c.
        if (cb - mb).abs() < f64::EPSILON * (cb.abs() + mb.abs()).max(1e-30) {
            sum_line(ca.max(ma), cb, first, last)
        } else {
            let crossing = (ma - ca) / (cb - mb);
            // Below the crossing one line dominates, above it the other.
            let split = crossing.clamp(first as f64 - 1.0, last as f64).floor() as u64;
            let (below, above) = if cb > mb {
                ((ma, mb), (ca, cb))
            } else {
                ((ca, cb), (ma, mb))
            };
            sum_line(below.0, below.1, first, split) + sum_line(above.0, above.1, split + 1, last)
        }
    }

    /// Prefill and decode times of one request through `part`.
    pub fn phase_times(
        &self,
        model: &ModelCost,
        part: Part,
        prompt_tokens: u64,
        output_tokens: u64,
    ) -> Result<PhaseTimes> {
        Ok(PhaseTimes {
            prefill_s: self.prefill_s(model, part, prompt_tokens)?,
            decode_s: self.decode_s(model, part, prompt_tokens, output_tokens)?,
        })
    }

    /// Time of one prefill iteration that processes the prompts `prompt_tokens` together
    /// through `part`, as continuous-batching servers do (Orca, OSDI 2022; vLLM, SOSP 2023):
    /// each block reads its weights once and writes every prompt's keys and values, its FLOPs
    /// are the sum of the prompts' (attention within each prompt only); the head reads its
    /// matrix once and produces one token per prompt. For one prompt this is
    /// [`prefill_s`](Self::prefill_s).
    pub fn batch_prefill_s(
        &self,
        model: &ModelCost,
        part: Part,
        prompt_tokens: &[u64],
    ) -> Result<f64> {
        if part.is_empty() || prompt_tokens.is_empty() {
            return Ok(0.0);
        }
        let f = self.flops_per_s(model.precision)?;
        let weights = model.block().weight_bytes;
        let (mut flops, mut bytes) = (0.0, weights);
        for &n in prompt_tokens {
            flops += model.block_prefill_flops(n);
            bytes += model.block_prefill_bytes(n) - weights;
        }
        let mut t = part.blocks() as f64
            * (self.roofline_s(flops, bytes, f) + self.calibration.layer_overhead_s);
        if part.embedding {
            t += prompt_tokens
                .iter()
                .map(|&n| model.embedding_bytes(n))
                .sum::<f64>()
                / self.bytes_per_s();
        }
        if part.head {
            t += self.batch_head_s(model, f, prompt_tokens.len());
        }
        Ok(t)
    }

    /// Time of one decode iteration that produces the next token of every sequence in a batch
    /// whose cached contexts are `contexts`: each block reads its weights once and every
    /// sequence's keys and values. For one sequence this is
    /// [`decode_step_s`](Self::decode_step_s).
    pub fn batch_decode_step_s(
        &self,
        model: &ModelCost,
        part: Part,
        contexts: &[u64],
    ) -> Result<f64> {
        if part.is_empty() || contexts.is_empty() {
            return Ok(0.0);
        }
        let f = self.flops_per_s(model.precision)?;
        let weights = model.block().weight_bytes;
        let (mut flops, mut bytes) = (0.0, weights);
        for &c in contexts {
            flops += model.block_decode_flops(c);
            bytes += model.block_decode_bytes(c) - weights;
        }
        let mut t = part.blocks() as f64
            * (self.roofline_s(flops, bytes, f) + self.calibration.layer_overhead_s);
        if part.embedding {
            t += contexts.len() as f64 * model.embedding_bytes(1) / self.bytes_per_s();
        }
        if part.head {
            t += self.batch_head_s(model, f, contexts.len());
        }
        Ok(t)
    }

    /// Tokens per second of steady decode at `context` with the whole model on this node.
    pub fn decode_tokens_per_s(&self, model: &ModelCost, context: u64) -> Result<f64> {
        Ok(1.0 / self.decode_step_s(model, Part::whole(model.layers), context)?)
    }

    /// Energy of running for `time_s` at the active power; `None` without a power figure.
    pub fn energy_j(&self, time_s: f64) -> Option<f64> {
        self.active_power_w().map(|p| p * time_s)
    }

    fn head_s(&self, model: &ModelCost, flops_per_s: f64) -> f64 {
        self.batch_head_s(model, flops_per_s, 1)
    }

    /// The head producing one token for each of `sequences` sequences: its matrix read once,
    /// its FLOPs and the sampling once per sequence.
    fn batch_head_s(&self, model: &ModelCost, flops_per_s: f64, sequences: usize) -> f64 {
        let b = sequences as f64;
        self.roofline_s(b * model.head_flops(), model.head_bytes(), flops_per_s)
            + b * model.vocab as f64 * self.calibration.sampling_s_per_vocab_entry
    }

    /// Whether weights and KV cache of the given size fit in this node's memory.
    pub fn fits(&self, bytes: f64) -> bool {
        bytes <= self.profile.memory_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::Catalogue;

    #[test]
    fn decode_sum_equals_the_step_by_step_sum() {
        let c = Catalogue::bundled();
        for (model, device) in [
            ("Llama-2-7B", "NVIDIA A100 SXM 80GB"),
            ("Llama-3.2-3B", "NVIDIA Jetson Orin Nano 8GB"),
            ("Qwen2-0.5B", "NVIDIA H100 SXM 80GB"),
        ] {
            let m = c.model(model).unwrap().cost(Precision::Fp16);
            let node = c.node(device).unwrap();
            for part in [Part::whole(m.layers), Part::server(3, m.layers)] {
                for (n, out) in [(1u64, 1u64), (10, 2), (1000, 300), (30_000, 2000)] {
                    let closed = node.decode_s(&m, part, n, out).unwrap();
                    let stepwise: f64 = (1..out)
                        .map(|j| node.decode_step_s(&m, part, n + j).unwrap())
                        .sum();
                    assert!(
                        (closed - stepwise).abs() <= 1e-9 * stepwise.max(1e-12),
                        "{model} on {device}, n={n}, out={out}: {closed} vs {stepwise}"
                    );
                }
            }
        }
    }

    /// Decoding beside a background batch costs, step by step, the batch step of the
    /// background and the request together; with no background it is the request alone.
    #[test]
    fn decode_beside_a_background_is_the_batch_step_sum() {
        let c = Catalogue::bundled();
        for (model, device) in [
            ("Llama-2-7B", "NVIDIA H100 SXM 80GB"),
            ("Llama-3.2-3B", "NVIDIA Jetson Orin Nano 8GB"),
        ] {
            let m = c.model(model).unwrap().cost(Precision::Fp16);
            let node = c.node(device).unwrap();
            let alone = node.phase_costs(&m, 1000, 300).unwrap();
            let none = Background {
                sequences: 0,
                context_tokens: 1,
            };
            assert_eq!(
                node.phase_costs_beside(&m, 1000, 300, Some(none)).unwrap(),
                alone
            );
            for sequences in [1u64, 7, 300] {
                let background = Background {
                    sequences,
                    context_tokens: 1149,
                };
                let costs = node
                    .phase_costs_beside(&m, 1000, 300, Some(background))
                    .unwrap();
                for part in [Part::whole(m.layers), Part::server(3, m.layers)] {
                    let closed = costs.decode_s(part);
                    let stepwise: f64 = (1..300u64)
                        .map(|j| {
                            let mut contexts = vec![1149; sequences as usize];
                            contexts.push(1000 + j);
                            node.batch_decode_step_s(&m, part, &contexts).unwrap()
                        })
                        .sum();
                    assert!(
                        (closed - stepwise).abs() <= 1e-9 * stepwise,
                        "{model} on {device} beside {sequences}: {closed} vs {stepwise}"
                    );
                    assert!(closed > alone.decode_s(part));
                }
                assert_eq!(
                    costs.prefill_s(Part::whole(m.layers)),
                    alone.prefill_s(Part::whole(m.layers))
                );
            }
        }
    }

    #[test]
    fn a_long_prefill_on_a_gpu_is_compute_bound() {
        let c = Catalogue::bundled();
        let m = c.model("Llama-2-7B").unwrap().cost(Precision::Fp16);
        let a100 = c.node("NVIDIA A100 SXM 80GB").unwrap();
        let f = a100.flops_per_s(Precision::Fp16).unwrap();
        let t = a100.prefill_s(&m, Part::whole(32), 2048).unwrap();
        let compute = m.prefill_flops(Part::whole(32), 2048) / f;
        assert!(t >= compute && t < compute * 1.05);
    }

    #[test]
    fn a_batch_of_one_is_a_single_request() {
        let c = Catalogue::bundled();
        for (model, device, precision) in [
            ("Llama-3.1-8B", "NVIDIA L4 24GB", Precision::Int8),
            ("Llama-2-7B", "NVIDIA A100 SXM 80GB", Precision::Fp16),
            (
                "Llama-3.2-3B",
                "NVIDIA Jetson Orin Nano 8GB",
                Precision::Int4,
            ),
        ] {
            let m = c.model(model).unwrap().cost(precision);
            let node = c.node(device).unwrap();
            let whole = Part::whole(m.layers);
            for n in [1u64, 37, 1020, 8000] {
                let one = node.batch_prefill_s(&m, whole, &[n]).unwrap();
                assert_eq!(one, node.prefill_s(&m, whole, n).unwrap(), "{model}, n={n}");
                let step = node.batch_decode_step_s(&m, whole, &[n]).unwrap();
                assert_eq!(step, node.decode_step_s(&m, whole, n).unwrap());
            }
            assert_eq!(node.batch_prefill_s(&m, whole, &[]).unwrap(), 0.0);
        }
    }

    #[test]
    fn a_batch_reads_the_weights_once() {
        let c = Catalogue::bundled();
        let m = c.model("Llama-3.1-8B").unwrap().cost(Precision::Fp16);
        let l4 = c.node("NVIDIA L4 24GB").unwrap();
        let whole = Part::whole(m.layers);
        // 64 sequences at context 1000 in one step: memory bound, so the step reads the blocks'
        // 14 GB of weights once plus 64 caches of 1001 tokens × 128 KiB.
        let contexts = [1000u64; 64];
        let step = l4.batch_decode_step_s(&m, whole, &contexts).unwrap();
        let alone = l4.decode_step_s(&m, whole, 1000).unwrap();
        assert!(step < 64.0 * alone / 10.0, "{step} vs {alone}");
        let blocks = m.layers as f64 * m.block().weight_bytes;
        let kv = 64.0 * 1001.0 * m.kv_bytes_per_token(whole);
        assert!(step > (blocks + kv) / l4.bytes_per_s());
        // Two prompts prefilled together cost at least their FLOPs and less than two prefills.
        let pair = l4.batch_prefill_s(&m, whole, &[900, 1100]).unwrap();
        let apart = l4.prefill_s(&m, whole, 900).unwrap() + l4.prefill_s(&m, whole, 1100).unwrap();
        let flops = m.prefill_flops(whole, 900) + m.prefill_flops(whole, 1100);
        assert!(pair < apart && pair >= flops / l4.flops_per_s(Precision::Fp16).unwrap());
    }

    #[test]
    fn a_device_without_a_compute_figure_is_an_error_not_a_guess() {
        let c = Catalogue::bundled();
        let e = c.node("Apple A17 Pro").unwrap_err().to_string();
        assert!(
            e.contains("Apple A17 Pro") && e.contains("calibration"),
            "{e}"
        );
    }
}
