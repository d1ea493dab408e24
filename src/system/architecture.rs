//! LLM architectures as published in their configuration files, and their parameter counts.

use super::error::{Error, Result};
use super::model_cost::ModelCost;
use super::precision::Precision;
use super::table::{Row, Table};
use serde::Serialize;

/// The architecture family, which fixes the small per-block details that change the parameter
/// count: biases, extra norms, learned position embeddings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// GPT-2: LayerNorm with bias, biases on every projection, learned positions, 2-matrix MLP.
    Gpt2,
    /// Llama (and Mistral, SmolLM, TinyLlama): RMSNorm, no biases, gated MLP.
    Llama,
    /// Qwen2 / Qwen2.5: as Llama plus biases on the q, k and v projections.
    Qwen2,
    /// Qwen3: as Llama plus RMSNorm on queries and keys (one weight of `head_dim` each).
    Qwen3,
    /// Gemma: as Llama (GeGLU gate).
    Gemma,
    /// Gemma 2: four RMSNorms per block (pre and post attention, pre and post MLP).
    Gemma2,
    /// Phi-3: as Llama with fused projections (same count).
    Phi3,
}

impl Family {
    fn parse(model_type: &str) -> Option<Family> {
        Some(match model_type {
            "gpt2" => Family::Gpt2,
            "llama" | "mistral" => Family::Llama,
            "qwen2" => Family::Qwen2,
            "qwen3" => Family::Qwen3,
            "gemma" => Family::Gemma,
            "gemma2" => Family::Gemma2,
            "phi3" => Family::Phi3,
            _ => return None,
        })
    }
}

/// Kind of feed-forward block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MlpKind {
    /// Gate, up and down projections (SwiGLU / GeGLU).
    Gated,
    /// Up and down projections (GELU).
    Plain,
}

/// One decoder-only transformer as described by its published `config.json`
/// (a row of `datasets/profiles/llm_architectures.csv`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Architecture {
    /// Short name, e.g. `Llama-2-7B`.
    pub name: String,
    /// Hugging Face repository the configuration comes from.
    pub hf_repo: String,
    /// Number of transformer blocks.
    pub layers: u32,
    /// Width of the residual stream.
    pub hidden: u64,
    /// Width of the feed-forward block.
    pub intermediate: u64,
    /// Query heads.
    pub heads: u64,
    /// Key/value heads (grouped-query attention when fewer than `heads`).
    pub kv_heads: u64,
    /// Width of one head.
    pub head_dim: u64,
    /// Vocabulary size.
    pub vocab: u64,
    /// Whether the LM head reuses the embedding matrix.
    pub tied_embeddings: bool,
    /// Longest context the model was trained for.
    pub max_position_embeddings: u64,
    /// Feed-forward kind.
    pub mlp: MlpKind,
    /// Architecture family.
    pub family: Family,
    /// The parameter total listed in the data file (`params_computed`), used as a test oracle.
    pub listed_params: u64,
}

impl Architecture {
    /// Weights of the matrix multiplications of one block (attention and MLP projections).
    pub fn block_matmul_params(&self) -> u64 {
        let h = self.hidden;
        let q = self.heads * self.head_dim;
        let kv = self.kv_heads * self.head_dim;
        let attention = h * q + 2 * h * kv + q * h;
        let mlp = match self.mlp {
            MlpKind::Gated => 3 * h * self.intermediate,
            MlpKind::Plain => 2 * h * self.intermediate,
        };
        attention + mlp
    }

    /// Biases and normalisation weights of one block (kept at fp16 under quantisation).
    pub fn block_vector_params(&self) -> u64 {
        let h = self.hidden;
        let q = self.heads * self.head_dim;
        let kv = self.kv_heads * self.head_dim;
        match self.family {
            // Two LayerNorms with bias; biases on qkv, attention output, MLP up and down.
            Family::Gpt2 => 4 * h + (q + 2 * kv) + h + self.intermediate + h,
            Family::Qwen2 => 2 * h + q + 2 * kv,
            Family::Qwen3 => 2 * h + 2 * self.head_dim,
            Family::Gemma2 => 4 * h,
            Family::Llama | Family::Gemma | Family::Phi3 => 2 * h,
        }
    }

    /// All parameters of one block.
    pub fn block_params(&self) -> u64 {
        self.block_matmul_params() + self.block_vector_params()
    }

    /// Token-embedding matrix (`vocab × hidden`).
    pub fn embedding_matrix_params(&self) -> u64 {
        self.vocab * self.hidden
    }

    /// Learned position embeddings (GPT-2 only).
    pub fn position_embedding_params(&self) -> u64 {
        match self.family {
            Family::Gpt2 => self.max_position_embeddings * self.hidden,
            _ => 0,
        }
    }

    /// Final normalisation before the LM head.
    pub fn final_norm_params(&self) -> u64 {
        match self.family {
            Family::Gpt2 => 2 * self.hidden,
            _ => self.hidden,
        }
    }

    /// Parameter total, counting a tied embedding once.
    pub fn total_params(&self) -> u64 {
        let head = if self.tied_embeddings {
            0
        } else {
            self.embedding_matrix_params()
        };
        self.layers as u64 * self.block_params()
            + self.embedding_matrix_params()
            + self.position_embedding_params()
            + self.final_norm_params()
            + head
    }

    /// Width of the query projection (`heads × head_dim`).
    pub fn attention_width(&self) -> u64 {
        self.heads * self.head_dim
    }

    /// Keys and values stored per token per block (`2 × kv_heads × head_dim` elements).
    pub fn kv_elements_per_token_per_block(&self) -> u64 {
        2 * self.kv_heads * self.head_dim
    }

    /// The cost model of this architecture at a precision.
    pub fn cost(&self, precision: Precision) -> ModelCost {
        ModelCost::new(self, precision)
    }

    pub(crate) fn from_row(row: &Row<'_>) -> Result<Architecture> {
        let full_name = row.string("model")?;
        let name = short_name(&full_name);
        let model_type = row.string("model_type")?;
        let family = Family::parse(&model_type).ok_or_else(|| {
            row.error(
                "model_type",
                format!(
                    "unknown model type `{model_type}`; known: gpt2, llama, mistral, qwen2, qwen3, gemma, gemma2, phi3"
                ),
            )
        })?;
        let mlp_text = row.string("mlp")?;
        let mlp = if mlp_text.starts_with("gated") {
            MlpKind::Gated
        } else if mlp_text.starts_with("gelu") {
            MlpKind::Plain
        } else {
            return Err(row.error(
                "mlp",
                format!(
                    "unknown MLP kind `{mlp_text}`; expected gated(3-matrix) or gelu(2-matrix)"
                ),
            ));
        };
        let arch = Architecture {
            name,
            hf_repo: row.string("hf_repo")?,
            layers: u32::try_from(row.positive_u64("layers")?)
                .map_err(|_| row.error("layers", "too large"))?,
            hidden: row.positive_u64("hidden")?,
            intermediate: row.positive_u64("intermediate")?,
            heads: row.positive_u64("heads")?,
            kv_heads: row.positive_u64("kv_heads")?,
            head_dim: row.positive_u64("head_dim")?,
            vocab: row.positive_u64("vocab")?,
            tied_embeddings: row.boolean("tied_embeddings")?,
            max_position_embeddings: row.positive_u64("max_position_embeddings")?,
            mlp,
            family,
            listed_params: row.positive_u64("params_computed")?,
        };
        if arch.heads % arch.kv_heads != 0 {
            return Err(row.error(
                "kv_heads",
                format!(
                    "{} query heads cannot be grouped over {} key/value heads",
                    arch.heads, arch.kv_heads
                ),
            ));
        }
        Ok(arch)
    }

    /// Reads every row of an architecture table (`llm_architectures.csv` format).
    pub fn read_table(file: &str, text: &str) -> Result<Vec<Architecture>> {
        let table = Table::parse(file, text)?;
        table.require(&[
            "model",
            "hf_repo",
            "params_computed",
            "layers",
            "hidden",
            "intermediate",
            "heads",
            "kv_heads",
            "head_dim",
            "vocab",
            "tied_embeddings",
            "max_position_embeddings",
            "mlp",
            "model_type",
        ])?;
        table
            .rows()
            .map(|row| Architecture::from_row(&row))
            .collect()
    }
}

/// The model name without the parenthesised remark: `Llama-3.1-8B (same dims as ...)` →
/// `Llama-3.1-8B`.
fn short_name(full: &str) -> String {
    full.split(" (").next().unwrap_or(full).trim().to_string()
}

/// Normalised form of a name for lookups: lower case, letters and digits only.
pub(crate) fn name_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Checks an architecture table for the mistakes that would silently corrupt costs.
pub(crate) fn check_unique(file: &str, models: &[Architecture]) -> Result<()> {
    for (i, a) in models.iter().enumerate() {
        if models[..i]
            .iter()
            .any(|b| name_key(&b.name) == name_key(&a.name))
        {
            return Err(Error::File {
                file: file.into(),
                message: format!("model `{}` is listed twice", a.name),
            });
        }
    }
    Ok(())
}
