//! What running a model costs: per-unit parameters, weight bytes, FLOPs and bytes moved.
//!
//! A model is a chain of units: the token embedding, `L` transformer blocks and the LM head
//! (final norm and vocabulary projection). A split point `s ∈ {0..L}` gives the device the
//! embedding and blocks `1..s` and the server blocks `s+1..L` and the head; `s = L` runs
//! everything on the device and `s = 0` everything on the server.
//!
//! FLOP counts follow the standard accounting of Kaplan et al. (2020, "Scaling laws for neural
//! language models", Table 1) and Pope et al. (MLSys 2023): 2 FLOPs per weight per token for
//! every matrix multiplication, plus the attention scores and the weighted sum of values,
//! `2·2·heads·head_dim` FLOPs per (query, key) pair, over the causal triangle during prefill.
//! Decode reads every weight once per token plus the whole KV cache (Pope et al., §2; the
//! "memory-bound decode" of the LLM-Viewer roofline, Yuan et al. 2024, arXiv 2402.16363).

use super::architecture::Architecture;
use super::precision::{ACTIVATION_BYTES, Precision, TOKEN_ID_BYTES};
use serde::Serialize;

/// Parameters and stored bytes of one unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UnitCost {
    /// Parameters counted by this unit.
    pub params: u64,
    /// Parameters in matrix multiplications (quantised; 2 FLOPs per token each).
    pub matmul_params: u64,
    /// Bytes the unit's weights occupy at the model's precision (vectors stay fp16).
    pub weight_bytes: f64,
}

/// Which units of the chain sit on one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Part {
    /// Holds the token embedding.
    pub embedding: bool,
    /// First block held (1-based); no blocks when `first_block > last_block`.
    pub first_block: u32,
    /// Last block held (1-based).
    pub last_block: u32,
    /// Holds the final norm and LM head.
    pub head: bool,
}

impl Part {
    /// The device side of split `split` of an `layers`-block model.
    pub fn device(split: u32, layers: u32) -> Part {
        Part {
            embedding: split >= 1,
            first_block: 1,
            last_block: split.min(layers),
            head: split >= layers,
        }
    }

    /// The server side of split `split` of an `layers`-block model.
    pub fn server(split: u32, layers: u32) -> Part {
        Part {
            embedding: split == 0,
            first_block: split + 1,
            last_block: layers,
            head: split < layers,
        }
    }

    /// The whole model on one node.
    pub fn whole(layers: u32) -> Part {
        Part::device(layers, layers)
    }

    /// Nothing (the device side of an edge-only split).
    pub fn is_empty(&self) -> bool {
        !self.embedding && !self.head && self.blocks() == 0
    }

    /// Number of blocks held.
    pub fn blocks(&self) -> u32 {
        (self.last_block + 1).saturating_sub(self.first_block)
    }
}

/// The cost model of one architecture at one precision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelCost {
    /// Model name.
    pub name: String,
    /// Weight precision.
    pub precision: Precision,
    /// Number of blocks.
    pub layers: u32,
    /// Residual-stream width.
    pub hidden: u64,
    /// Vocabulary size.
    pub vocab: u64,
    /// Query width `heads × head_dim`.
    pub attention_width: u64,
    /// KV-cache elements per token per block.
    pub kv_elements_per_token_per_block: u64,
    /// Whether head and embedding share one matrix.
    pub tied_embeddings: bool,
    embedding: UnitCost,
    block: UnitCost,
    head: UnitCost,
    /// Bytes of the vocabulary matrix (shared between embedding and head when tied).
    vocab_matrix_bytes: f64,
}

impl ModelCost {
    /// Builds the cost model of `arch` at `precision`.
    pub fn new(arch: &Architecture, precision: Precision) -> ModelCost {
        let q = precision.bytes_per_weight();
        let vectors = ACTIVATION_BYTES;
        let vocab_matrix = arch.embedding_matrix_params();
        let vocab_matrix_bytes = vocab_matrix as f64 * q;
        let positions = arch.position_embedding_params();
        let embedding = UnitCost {
            params: vocab_matrix + positions,
            matmul_params: 0,
            weight_bytes: vocab_matrix_bytes + positions as f64 * vectors,
        };
        let block = UnitCost {
            params: arch.block_params(),
            matmul_params: arch.block_matmul_params(),
            weight_bytes: arch.block_matmul_params() as f64 * q
                + arch.block_vector_params() as f64 * vectors,
        };
        // A tied head counts no parameters of its own but still reads the vocabulary matrix.
        let head_matrix = if arch.tied_embeddings {
            0
        } else {
            vocab_matrix
        };
        let norm = arch.final_norm_params();
        let head = UnitCost {
            params: head_matrix + norm,
            matmul_params: vocab_matrix,
            weight_bytes: head_matrix as f64 * q + norm as f64 * vectors,
        };
        ModelCost {
            name: arch.name.clone(),
            precision,
            layers: arch.layers,
            hidden: arch.hidden,
            vocab: arch.vocab,
            attention_width: arch.attention_width(),
            kv_elements_per_token_per_block: arch.kv_elements_per_token_per_block(),
            tied_embeddings: arch.tied_embeddings,
            embedding,
            block,
            head,
            vocab_matrix_bytes,
        }
    }

    /// The token (and position) embedding.
    pub fn embedding(&self) -> UnitCost {
        self.embedding
    }

    /// One transformer block (all blocks are alike).
    pub fn block(&self) -> UnitCost {
        self.block
    }

    /// The final norm and LM head; for a tied model `params` excludes the shared matrix.
    pub fn head(&self) -> UnitCost {
        self.head
    }

    /// Parameters of the whole model (a tied matrix counted once).
    pub fn total_params(&self) -> u64 {
        self.embedding.params + self.layers as u64 * self.block.params + self.head.params
    }

    /// Bytes of weights a node must hold to run `part`. A head without its embedding on the
    /// same node needs its own copy of a tied vocabulary matrix.
    pub fn weight_bytes(&self, part: Part) -> f64 {
        let mut bytes = part.blocks() as f64 * self.block.weight_bytes;
        if part.embedding {
            bytes += self.embedding.weight_bytes;
        }
        if part.head {
            bytes += self.head.weight_bytes;
            if self.tied_embeddings && !part.embedding {
                bytes += self.vocab_matrix_bytes;
            }
        }
        bytes
    }

    /// KV-cache bytes per token of context held by `part` (fp16 keys and values).
    pub fn kv_bytes_per_token(&self, part: Part) -> f64 {
        part.blocks() as f64 * self.kv_elements_per_token_per_block as f64 * ACTIVATION_BYTES
    }

    /// Bytes sent per token across split `split`: token ids into an edge-only split, the
    /// fp16 hidden state after block `split` otherwise, nothing for device-only.
    pub fn activation_bytes_per_token(&self, split: u32) -> f64 {
        if split == 0 {
            TOKEN_ID_BYTES
        } else if split >= self.layers {
            0.0
        } else {
            self.hidden as f64 * ACTIVATION_BYTES
        }
    }

    /// Attention FLOPs of one block for `n` query tokens each attending to the `context`
    /// earlier tokens and to the earlier queries of the same chunk (causal): scores and the
    /// weighted sum of values, 2 FLOPs per multiply-add each.
    fn attention_flops(&self, context: u64, n: u64) -> f64 {
        // Query i (1-based) attends to context + i keys: Σ = n·context + n(n+1)/2.
        let pairs = n as f64 * context as f64 + (n as f64) * (n as f64 + 1.0) / 2.0;
        4.0 * self.attention_width as f64 * pairs
    }

    /// FLOPs of one block for a prefill of `n` tokens.
    pub fn block_prefill_flops(&self, n: u64) -> f64 {
        2.0 * self.block.matmul_params as f64 * n as f64 + self.attention_flops(0, n)
    }

    /// FLOPs of one block to decode one token with `context` tokens already cached.
    pub fn block_decode_flops(&self, context: u64) -> f64 {
        2.0 * self.block.matmul_params as f64 + self.attention_flops(context, 1)
    }

    /// Bytes one block moves in a prefill of `n` tokens: its weights once and the KV written.
    pub fn block_prefill_bytes(&self, n: u64) -> f64 {
        self.block.weight_bytes
            + n as f64 * self.kv_elements_per_token_per_block as f64 * ACTIVATION_BYTES
    }

    /// Bytes one block moves to decode one token at `context`: its weights, the cached keys
    /// and values read, and the new entry written.
    pub fn block_decode_bytes(&self, context: u64) -> f64 {
        self.block.weight_bytes
            + (context + 1) as f64 * self.kv_elements_per_token_per_block as f64 * ACTIVATION_BYTES
    }

    /// FLOPs of the LM head per token it produces (only the last prompt token in a prefill).
    pub fn head_flops(&self) -> f64 {
        2.0 * self.head.matmul_params as f64
    }

    /// Bytes the LM head reads per produced token (vocabulary matrix and final norm).
    pub fn head_bytes(&self) -> f64 {
        self.vocab_matrix_bytes + (self.head.weight_bytes - self.head_matrix_bytes())
    }

    fn head_matrix_bytes(&self) -> f64 {
        if self.tied_embeddings {
            0.0
        } else {
            self.vocab_matrix_bytes
        }
    }

    /// Bytes the embedding reads for `n` tokens (one row each, plus a position row for GPT-2).
    pub fn embedding_bytes(&self, n: u64) -> f64 {
        let rows = if self.embedding.params > self.vocab * self.hidden {
            2.0
        } else {
            1.0
        };
        n as f64 * rows * self.hidden as f64 * self.precision_bytes_of_embedding_row()
    }

    fn precision_bytes_of_embedding_row(&self) -> f64 {
        self.precision.bytes_per_weight()
    }

    /// Total FLOPs of `part` for a prefill of `n` tokens.
    pub fn prefill_flops(&self, part: Part, n: u64) -> f64 {
        let mut flops = part.blocks() as f64 * self.block_prefill_flops(n);
        if part.head {
            flops += self.head_flops();
        }
        flops
    }

    /// Total FLOPs of `part` to decode one token at `context`.
    pub fn decode_flops(&self, part: Part, context: u64) -> f64 {
        let mut flops = part.blocks() as f64 * self.block_decode_flops(context);
        if part.head {
            flops += self.head_flops();
        }
        flops
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::Catalogue;

    fn llama() -> ModelCost {
        Catalogue::bundled()
            .model("Llama-2-7B")
            .unwrap()
            .cost(Precision::Fp16)
    }

    #[test]
    fn parts_of_a_split_cover_the_model_once() {
        for split in 0..=32 {
            let d = Part::device(split, 32);
            let s = Part::server(split, 32);
            assert_eq!(d.blocks() + s.blocks(), 32);
            assert!(d.embedding ^ s.embedding);
            assert!(d.head ^ s.head);
        }
        assert!(Part::device(0, 32).is_empty());
        assert!(Part::server(32, 32).is_empty());
    }

    #[test]
    fn llama_2_7b_by_hand() {
        let m = llama();
        // Block: 4·4096² attention + 3·4096·11008 MLP + 2·4096 norms.
        assert_eq!(
            m.block().params,
            4 * 4096 * 4096 + 3 * 4096 * 11008 + 2 * 4096
        );
        assert_eq!(m.total_params(), 6_738_415_616);
        // fp16 KV: 2 · 32 heads · 128 · 2 bytes = 16 KiB per token per block, 512 KiB per token.
        assert_eq!(m.kv_bytes_per_token(Part::whole(32)), 524_288.0);
        assert_eq!(m.activation_bytes_per_token(16), 8192.0);
        assert_eq!(m.activation_bytes_per_token(0), 4.0);
        assert_eq!(m.activation_bytes_per_token(32), 0.0);
        // Whole-model fp16 weights are two bytes per parameter.
        assert_eq!(m.weight_bytes(Part::whole(32)), 2.0 * 6_738_415_616.0);
    }

    #[test]
    fn prefill_attention_grows_with_the_square_of_the_prompt() {
        let m = llama();
        let linear = |n: u64| 2.0 * m.block().matmul_params as f64 * n as f64;
        let attention = |n: u64| m.block_prefill_flops(n) - linear(n);
        // 4 · 4096 · n(n+1)/2.
        assert_eq!(attention(1000), 4.0 * 4096.0 * 1000.0 * 1001.0 / 2.0);
        assert!((attention(2000) / attention(1000) - 4.0).abs() < 0.01);
    }

    #[test]
    fn decode_reads_weights_and_the_kv_cache() {
        let m = llama();
        let grow = m.block_decode_bytes(1000) - m.block_decode_bytes(0);
        assert_eq!(grow, 1000.0 * 16_384.0);
    }

    #[test]
    fn a_tied_head_apart_from_its_embedding_needs_its_own_copy() {
        let c = Catalogue::bundled();
        let m = c.model("Llama-3.2-3B").unwrap().cost(Precision::Fp16);
        let matrix = 128_256.0 * 3072.0 * 2.0;
        let whole = m.weight_bytes(Part::whole(28));
        let split = m.weight_bytes(Part::device(10, 28)) + m.weight_bytes(Part::server(10, 28));
        assert!((split - whole - matrix).abs() < 1.0);
    }
}
