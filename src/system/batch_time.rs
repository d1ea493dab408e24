//! Batch prefill and decode-step times as linear pieces of the batch: the serving model of a
//! node that every problem planning who joins a batch uses (in its MILPs and heuristics), and
//! that is exactly [`Node::batch_prefill_s`] and [`Node::batch_decode_step_s`] for every batch.
//!
//! The roofline of a batch ([`Node::batch_prefill_s`], [`Node::batch_decode_step_s`]) is
//!
//! ```text
//! T(S) = fixed + Σ_{k∈S} own_k + L · max(Σ_k F_k / F, (W_b + Σ_k E_k) / B)
//!                              + max(|S| · H / F, H_b / B)
//! ```
//!
//! with `L` blocks of `W_b` weight bytes, per-request block FLOPs `F_k` and KV bytes `E_k`,
//! head FLOPs `H` per sequence and head bytes `H_b`, the node's achieved FLOP rate `F` and
//! bandwidth `B`, per-block launch overheads in `fixed` and embedding reads and sampling in
//! `own_k`. A sum of two maxima is the maximum of the four sums of one term of each, so
//! `T(S) = max_c (a_c + Σ_{k∈S} b_{k,c})` over the four [`COMBINATIONS`] `c` of (block
//! compute or memory) × (head compute or memory): linear in the batch for each `c`, and
//! `T(S) ≤ D` is exactly the four linear rows `a_c + Σ_k b_{k,c} x_k ≤ D`.

use super::{Error, ModelCost, Node, Part};
use serde::Serialize;

/// The four (block, head) × (compute, memory) combinations.
pub const COMBINATIONS: usize = 4;

/// The time of a batch as `max_c (constant_s[c] + Σ_{k∈S} per_request_s[k][c])`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchTime {
    /// Per combination, the part that does not depend on who is admitted.
    pub constant_s: [f64; COMBINATIONS],
    /// Per waiting request, what it adds to each combination.
    pub per_request_s: Vec<[f64; COMBINATIONS]>,
}

impl BatchTime {
    /// The time when the admitted requests add `sums` to the combinations.
    pub fn total_s(&self, sums: &[f64; COMBINATIONS]) -> f64 {
        (0..COMBINATIONS)
            .map(|c| self.constant_s[c] + sums[c])
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// The time with no request admitted.
    pub fn empty_s(&self) -> f64 {
        self.total_s(&[0.0; COMBINATIONS])
    }

    /// The time with request `k` admitted alone.
    pub fn with_s(&self, k: usize) -> f64 {
        self.total_s(&self.per_request_s[k])
    }

    /// The time with the requests `members` admitted.
    pub fn of(&self, members: impl IntoIterator<Item = usize>) -> f64 {
        let mut sums = [0.0; COMBINATIONS];
        for k in members {
            add(&mut sums, &self.per_request_s[k]);
        }
        self.total_s(&sums)
    }
}

/// `sums += terms`, combination by combination.
pub fn add(sums: &mut [f64; COMBINATIONS], terms: &[f64; COMBINATIONS]) {
    for c in 0..COMBINATIONS {
        sums[c] += terms[c];
    }
}

/// `sums -= terms`, combination by combination.
pub fn subtract(sums: &mut [f64; COMBINATIONS], terms: &[f64; COMBINATIONS]) {
    for c in 0..COMBINATIONS {
        sums[c] -= terms[c];
    }
}

/// The rates and fixed costs of one node for one model cost, shared by both phases.
struct Rates {
    layers: f64,
    flops_per_s: f64,
    bytes_per_s: f64,
    block_weight_bytes: f64,
    head_flops_s: f64,
    head_bytes_s: f64,
    per_sequence_s: f64,
    fixed_s: f64,
}

impl Rates {
    fn new(node: &Node, cost: &ModelCost) -> Result<Rates, Error> {
        let flops_per_s = node.flops_per_s(cost.precision)?;
        let bytes_per_s = node.bytes_per_s();
        let layers = Part::whole(cost.layers).blocks() as f64;
        Ok(Rates {
            layers,
            flops_per_s,
            bytes_per_s,
            block_weight_bytes: cost.block().weight_bytes,
            head_flops_s: cost.head_flops() / flops_per_s,
            head_bytes_s: cost.head_bytes() / bytes_per_s,
            per_sequence_s: cost.vocab as f64 * node.calibration.sampling_s_per_vocab_entry,
            fixed_s: layers * node.calibration.layer_overhead_s,
        })
    }

    /// The constant of each combination: launch overheads, the block weights once (memory
    /// combinations) and the head matrix once (head-memory combinations).
    fn constant(&self) -> [f64; COMBINATIONS] {
        let blocks = self.layers * self.block_weight_bytes / self.bytes_per_s;
        let mut constant = [self.fixed_s; COMBINATIONS];
        for (c, value) in constant.iter_mut().enumerate() {
            if block_memory(c) {
                *value += blocks;
            }
            if head_memory(c) {
                *value += self.head_bytes_s;
            }
        }
        constant
    }

    /// What one sequence adds: `own` (embedding read, sampling), and its block FLOPs and KV
    /// bytes, and its head FLOPs in the compute combinations.
    fn terms(&self, own_s: f64, block_flops: f64, kv_bytes: f64) -> [f64; COMBINATIONS] {
        let mut terms = [own_s + self.per_sequence_s; COMBINATIONS];
        for (c, value) in terms.iter_mut().enumerate() {
            *value += if block_memory(c) {
                self.layers * kv_bytes / self.bytes_per_s
            } else {
                self.layers * block_flops / self.flops_per_s
            };
            if !head_memory(c) {
                *value += self.head_flops_s;
            }
        }
        terms
    }
}

/// Whether combination `c` takes the blocks' memory time (else their compute time).
fn block_memory(c: usize) -> bool {
    c & 2 != 0
}

/// Whether combination `c` takes the head's memory time (else its compute time).
fn head_memory(c: usize) -> bool {
    c & 1 != 0
}

/// A sequence of a batch: its prompt and output tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sequence {
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Output tokens (at least one: the first token).
    pub output_tokens: u32,
}

/// The prefill of a batch of `sequences` (the prompts of whichever of them are admitted) on
/// `node` with the whole model at `cost`.
pub fn prefill_time(
    node: &Node,
    cost: &ModelCost,
    sequences: &[Sequence],
) -> Result<BatchTime, Error> {
    let rates = Rates::new(node, cost)?;
    let per_request_s = sequences
        .iter()
        .map(|r| {
            let n = r.prompt_tokens as u64;
            rates.terms(
                cost.embedding_bytes(n) / rates.bytes_per_s,
                cost.block_prefill_flops(n),
                cost.block_prefill_bytes(n) - rates.block_weight_bytes,
            )
        })
        .collect();
    Ok(BatchTime {
        constant_s: rates.constant(),
        per_request_s,
    })
}

/// The longest decode step of a batch on `node` with the whole model at `cost`: the `running`
/// sequences (in the constant) and whichever of `sequences` are admitted, every sequence at its
/// last decode context `prompt + output − 1`. A sequence that generates a single token never
/// decodes and adds nothing.
pub fn decode_time(
    node: &Node,
    cost: &ModelCost,
    running: &[Sequence],
    sequences: &[Sequence],
) -> Result<BatchTime, Error> {
    let rates = Rates::new(node, cost)?;
    let step = |r: &Sequence| {
        if r.output_tokens < 2 {
            return [0.0; COMBINATIONS];
        }
        let context = r.prompt_tokens as u64 + r.output_tokens as u64 - 1;
        rates.terms(
            cost.embedding_bytes(1) / rates.bytes_per_s,
            cost.block_decode_flops(context),
            cost.block_decode_bytes(context) - rates.block_weight_bytes,
        )
    };
    let mut constant_s = rates.constant();
    for r in running {
        add(&mut constant_s, &step(r));
    }
    Ok(BatchTime {
        constant_s,
        per_request_s: sequences.iter().map(step).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::{Catalogue, Precision};

    fn request(prompt: u32, output: u32) -> Sequence {
        Sequence {
            prompt_tokens: prompt,
            output_tokens: output,
        }
    }

    /// The linear pieces give the roofline of the cost model for batches where the blocks are
    /// compute bound, memory bound, and both, on a GPU and on a Jetson (which samples).
    #[test]
    fn the_pieces_reproduce_the_batch_roofline() {
        let c = Catalogue::bundled();
        let arch = c.model("Llama-3.1-8B").unwrap();
        // Prompt and output sizes of the first rows of the Azure conversation trace (2023).
        let sizes = [
            (374, 44),
            (396, 109),
            (879, 55),
            (91, 16),
            (91, 1),
            (2000, 300),
        ];
        let requests: Vec<Sequence> = sizes.iter().map(|&(n, m)| request(n, m)).collect();
        for device in ["NVIDIA L4 24GB", "NVIDIA Jetson AGX Orin 64GB"] {
            let node = c.node(device).unwrap();
            for q in Precision::ALL {
                let cost = arch.cost(q);
                let whole = Part::whole(cost.layers);
                let prefill = prefill_time(&node, &cost, &requests).unwrap();
                let decode = decode_time(&node, &cost, &[], &requests).unwrap();
                for mask in 1u32..1 << sizes.len() {
                    let members: Vec<usize> =
                        (0..sizes.len()).filter(|&k| mask >> k & 1 == 1).collect();
                    let prompts: Vec<u64> = members.iter().map(|&k| sizes[k].0 as u64).collect();
                    let expected = node.batch_prefill_s(&cost, whole, &prompts).unwrap();
                    let got = prefill.of(members.iter().copied());
                    assert!(
                        (got - expected).abs() <= 1e-12 * expected,
                        "{device} {q} {members:?}: {got} vs {expected}"
                    );
                    let contexts: Vec<u64> = members
                        .iter()
                        .filter(|&&k| sizes[k].1 >= 2)
                        .map(|&k| (sizes[k].0 + sizes[k].1 - 1) as u64)
                        .collect();
                    if contexts.is_empty() {
                        continue;
                    }
                    let expected = node.batch_decode_step_s(&cost, whole, &contexts).unwrap();
                    let got = decode.of(members.iter().copied());
                    assert!(
                        (got - expected).abs() <= 1e-12 * expected,
                        "{device} {q} {members:?}: {got} vs {expected}"
                    );
                }
            }
        }
    }

    #[test]
    fn running_sequences_are_part_of_every_step() {
        let c = Catalogue::bundled();
        let cost = c.model("Llama-3.1-8B").unwrap().cost(Precision::Int8);
        let node = c.node("NVIDIA A10G 24GB").unwrap();
        let running = [request(1500, 200)];
        let waiting = [request(800, 100)];
        let decode = decode_time(&node, &cost, &running, &waiting).unwrap();
        let whole = Part::whole(cost.layers);
        let alone = node.batch_decode_step_s(&cost, whole, &[1699]).unwrap();
        assert!((decode.empty_s() - alone).abs() <= 1e-12 * alone);
        let both = node
            .batch_decode_step_s(&cost, whole, &[1699, 899])
            .unwrap();
        assert!((decode.with_s(0) - both).abs() <= 1e-12 * both);
    }
}
