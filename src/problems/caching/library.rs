//! The model library: models built from parameter blocks, with real byte sizes.
//!
//! A block is stored once per server however many stored models use it. The blocks of an LLM
//! library are
//!
//! - **base weights** of a real architecture at a precision (`datasets/profiles/llm_architectures.csv`
//!   priced by the cost model, [`crate::system::ModelCost::weight_bytes`] of the whole model),
//! - **LoRA adapters** of rank `r` on chosen projections: an adapted `d_out × d_in` matrix gains
//!   `B·A` with `A ∈ R^{r×d_in}`, `B ∈ R^{d_out×r}`, i.e. `r·(d_in + d_out)` parameters per
//!   projection per layer (Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models",
//!   ICLR 2022, §4.1), stored at fp16,
//! - **fully fine-tuned** and **quantised** variants, which share nothing: their own copy of
//!   every weight, at fp16 or at int8 / int4 ([`Precision`]).
//!
//! A model is the list of blocks it needs: a LoRA model is its base plus its adapter; the base
//! model alone is one block. A library is generated with a seed ([`LibrarySpec::generate`]) or
//! read from a strict JSON or TOML file ([`ModelLibrary::from_json_str`],
//! [`ModelLibrary::from_toml_str`]) whose blocks are given in bytes or by architecture.
//!
//! ```
//! use mei4llm::problems::caching::{LibrarySpec, Projection};
//! use mei4llm::system::Precision;
//!
//! let spec = LibrarySpec {
//!     bases: vec![("Llama-2-7B".into(), Precision::Fp16)],
//!     loras_per_base: 2,
//!     lora_ranks: vec![16],
//!     lora_projections: vec![Projection::Q, Projection::V],
//!     finetunes_per_base: 0,
//!     quantised: vec![],
//! };
//! let library = spec.generate(1).unwrap();
//! // The base and two adapters: 12.55 GiB of fp16 weights, 16 MiB per rank-16 q/v adapter.
//! assert_eq!(library.models.len(), 3);
//! assert_eq!(library.blocks[0].bytes, 2.0 * 6_738_415_616.0);
//! assert_eq!(library.blocks[1].bytes, (16 * (4096 + 4096) * 2 * 32 * 2) as f64);
//! assert_eq!(library.shared_blocks(), vec![0]);
//! ```

use crate::problems::Error;
use crate::system::scenario::{Format, Source};
use crate::system::{Architecture, Catalogue, DataPath, MlpKind, Part, Precision};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// The most bytes a library file may hold.
const MAX_LIBRARY_BYTES: u64 = 64 << 20;

/// A projection matrix of a transformer block that a LoRA adapter can adapt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Projection {
    /// Query projection, `hidden → heads·head_dim`.
    Q,
    /// Key projection, `hidden → kv_heads·head_dim`.
    K,
    /// Value projection, `hidden → kv_heads·head_dim`.
    V,
    /// Attention output projection, `heads·head_dim → hidden`.
    O,
    /// Gate projection of a gated MLP, `hidden → intermediate`.
    Gate,
    /// Up projection, `hidden → intermediate`.
    Up,
    /// Down projection, `intermediate → hidden`.
    Down,
}

impl Projection {
    /// Every projection, in the order of a block.
    pub const ALL: [Projection; 7] = [
        Projection::Q,
        Projection::K,
        Projection::V,
        Projection::O,
        Projection::Gate,
        Projection::Up,
        Projection::Down,
    ];

    /// The lower-case name used in files.
    pub fn name(self) -> &'static str {
        match self {
            Projection::Q => "q",
            Projection::K => "k",
            Projection::V => "v",
            Projection::O => "o",
            Projection::Gate => "gate",
            Projection::Up => "up",
            Projection::Down => "down",
        }
    }

    /// `(d_in, d_out)` of this projection in `arch`, or why it has none (a plain MLP has no
    /// gate).
    pub fn shape(self, arch: &Architecture) -> Result<(u64, u64), String> {
        let q = arch.heads * arch.head_dim;
        let kv = arch.kv_heads * arch.head_dim;
        Ok(match self {
            Projection::Q => (arch.hidden, q),
            Projection::K | Projection::V => (arch.hidden, kv),
            Projection::O => (q, arch.hidden),
            Projection::Gate if arch.mlp == MlpKind::Plain => {
                return Err(format!("`{}` has a plain MLP without a gate", arch.name));
            }
            Projection::Gate | Projection::Up => (arch.hidden, arch.intermediate),
            Projection::Down => (arch.intermediate, arch.hidden),
        })
    }
}

impl fmt::Display for Projection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Projection {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase();
        let key = key.strip_suffix("_proj").unwrap_or(&key);
        Projection::ALL
            .into_iter()
            .find(|p| p.name() == key)
            .ok_or_else(|| {
                format!("unknown projection `{s}`; expected q, k, v, o, gate, up or down")
            })
    }
}

/// Parameters of a rank-`rank` LoRA adapter on `projections` of every block of `arch`:
/// `rank · Σ_p (d_in + d_out) · layers` (Hu et al., ICLR 2022).
pub fn lora_params(
    arch: &Architecture,
    rank: u32,
    projections: &[Projection],
) -> Result<u64, String> {
    if rank == 0 {
        return Err("a LoRA rank must be at least 1".into());
    }
    if projections.is_empty() {
        return Err("a LoRA adapter needs at least one projection".into());
    }
    let mut seen = Vec::new();
    let mut per_layer = 0;
    for &p in projections {
        if seen.contains(&p) {
            return Err(format!("projection `{p}` is listed twice"));
        }
        seen.push(p);
        let (d_in, d_out) = p.shape(arch)?;
        per_layer += d_in + d_out;
    }
    Ok(rank as u64 * per_layer * arch.layers as u64)
}

/// Bytes of the whole of `arch` at `precision` (embedding, blocks, head), from the cost model.
pub fn weights_bytes(arch: &Architecture, precision: Precision) -> f64 {
    arch.cost(precision).weight_bytes(Part::whole(arch.layers))
}

/// What a block is, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// Weights of a whole model (a base others adapt, a fine-tuned copy, a quantised copy).
    Weights,
    /// A LoRA adapter.
    Adapter,
    /// Given in bytes in a file.
    Other,
}

/// One parameter block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Block {
    /// Unique name.
    pub name: String,
    /// Stored size.
    pub bytes: f64,
    /// What it is.
    pub kind: BlockKind,
}

/// One model: the blocks it needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LibraryModel {
    /// Unique name.
    pub name: String,
    /// Indices into [`ModelLibrary::blocks`], distinct, in file order.
    pub blocks: Vec<usize>,
}

/// Models and the parameter blocks they are made of.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelLibrary {
    /// Every block.
    pub blocks: Vec<Block>,
    /// Every model.
    pub models: Vec<LibraryModel>,
}

impl ModelLibrary {
    /// Builds a library, checking that names are unique, sizes positive and finite, every model
    /// has at least one block and references only existing blocks once, and every block is used.
    pub fn new(blocks: Vec<Block>, models: Vec<LibraryModel>) -> Result<ModelLibrary, Error> {
        let bad = |m: String| Err(Error::Instance(format!("model library: {m}")));
        if models.is_empty() {
            return bad("has no model".into());
        }
        for (b, block) in blocks.iter().enumerate() {
            if !(block.bytes.is_finite() && block.bytes > 0.0) {
                return bad(format!(
                    "blocks[{b}] (`{}`): bytes must be positive and finite, got {}",
                    block.name, block.bytes
                ));
            }
            if blocks[..b].iter().any(|c| c.name == block.name) {
                return bad(format!(
                    "blocks[{b}]: block `{}` is defined twice",
                    block.name
                ));
            }
        }
        let mut used = vec![false; blocks.len()];
        for (i, model) in models.iter().enumerate() {
            if models[..i].iter().any(|m| m.name == model.name) {
                return bad(format!(
                    "models[{i}]: model `{}` is defined twice",
                    model.name
                ));
            }
            if model.blocks.is_empty() {
                return bad(format!("models[{i}] (`{}`) has no block", model.name));
            }
            for (j, &b) in model.blocks.iter().enumerate() {
                if b >= blocks.len() {
                    return bad(format!(
                        "models[{i}] (`{}`).blocks[{j}]: block index {b} does not exist",
                        model.name
                    ));
                }
                if model.blocks[..j].contains(&b) {
                    return bad(format!(
                        "models[{i}] (`{}`).blocks[{j}]: block `{}` is listed twice",
                        model.name, blocks[b].name
                    ));
                }
                used[b] = true;
            }
        }
        if let Some(b) = used.iter().position(|u| !u) {
            return bad(format!(
                "blocks[{b}] (`{}`) is used by no model",
                blocks[b].name
            ));
        }
        Ok(ModelLibrary { blocks, models })
    }

    /// Bytes of model `i` stored alone (all its blocks).
    pub fn model_bytes(&self, i: usize) -> f64 {
        self.models[i]
            .blocks
            .iter()
            .map(|&b| self.blocks[b].bytes)
            .sum()
    }

    /// For each block, the models that use it.
    pub fn users_of_blocks(&self) -> Vec<Vec<usize>> {
        let mut users = vec![Vec::new(); self.blocks.len()];
        for (i, m) in self.models.iter().enumerate() {
            for &b in &m.blocks {
                users[b].push(i);
            }
        }
        users
    }

    /// Blocks used by two or more models (the ones whose storage is shared), in index order.
    pub fn shared_blocks(&self) -> Vec<usize> {
        self.users_of_blocks()
            .iter()
            .enumerate()
            .filter(|(_, u)| u.len() >= 2)
            .map(|(b, _)| b)
            .collect()
    }

    /// Bytes needed to store every model of `models` on one server, each block once.
    pub fn stored_bytes(&self, models: impl IntoIterator<Item = usize>) -> f64 {
        let mut seen = vec![false; self.blocks.len()];
        let mut total = 0.0;
        for i in models {
            for &b in &self.models[i].blocks {
                if !std::mem::replace(&mut seen[b], true) {
                    total += self.blocks[b].bytes;
                }
            }
        }
        total
    }

    /// The index of the model called `name`.
    pub fn model_index(&self, name: &str) -> Option<usize> {
        self.models.iter().position(|m| m.name == name)
    }

    /// Reads a `.json` or `.toml` library file.
    pub fn from_path(path: &Path) -> Result<ModelLibrary, Error> {
        ModelLibrary::from_data(&DataPath::from(path))
    }

    /// Reads a `.json` or `.toml` library file, on disk or bundled.
    pub fn from_data(path: &DataPath) -> Result<ModelLibrary, Error> {
        let text = path.read_to_string(MAX_LIBRARY_BYTES)?;
        let name = path.to_string();
        match path.extension() {
            Some("json") => ModelLibrary::from_json_str(&name, &text),
            Some("toml") => ModelLibrary::from_toml_str(&name, &text),
            _ => Err(Error::Input(crate::system::Error::File {
                file: name,
                message: "library files end in .json or .toml".into(),
            })),
        }
    }

    /// Parses a JSON library; `file` names it in errors.
    pub fn from_json_str(file: &str, text: &str) -> Result<ModelLibrary, Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let raw: LibraryFileFormat = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            field_error(file, inner.line() as u64, &path, &inner.to_string())
        })?;
        let source = Source::new(file, None, Format::Json, text.to_string());
        raw.resolve(&source, "", Catalogue::bundled())
    }

    /// Parses a TOML library; `file` names it in errors.
    pub fn from_toml_str(file: &str, text: &str) -> Result<ModelLibrary, Error> {
        let de = toml::Deserializer::new(text);
        let raw: LibraryFileFormat = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let line = inner.span().map_or(0, |s| {
                text[..s.start.min(text.len())].matches('\n').count() as u64 + 1
            });
            field_error(file, line, &path, inner.message())
        })?;
        let source = Source::new(file, None, Format::Toml, text.to_string());
        raw.resolve(&source, "", Catalogue::bundled())
    }

    /// The library as JSON in the file format (every block in bytes), readable by
    /// [`ModelLibrary::from_json_str`].
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.to_file_format())
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The library in the file format, every block in bytes.
    pub fn to_file_format(&self) -> LibraryFileFormat {
        LibraryFileFormat {
            blocks: self
                .blocks
                .iter()
                .map(|b| BlockFile {
                    name: b.name.clone(),
                    bytes: Some(b.bytes),
                    kind: Some(b.kind),
                    weights: None,
                    lora: None,
                })
                .collect(),
            models: self
                .models
                .iter()
                .map(|m| ModelFile {
                    name: m.name.clone(),
                    blocks: m
                        .blocks
                        .iter()
                        .map(|&b| self.blocks[b].name.clone())
                        .collect(),
                })
                .collect(),
        }
    }
}

fn field_error(file: &str, line: u64, path: &str, message: &str) -> Error {
    Error::Input(crate::system::Error::field(
        file,
        line,
        if path.is_empty() { "." } else { path },
        message,
    ))
}

// ---------------------------------------------------------------- file format

/// A library as written in a file: blocks by name, given in bytes, as the weights of an
/// architecture at a precision, or as a LoRA adapter; models as lists of block names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibraryFileFormat {
    blocks: Vec<BlockFile>,
    models: Vec<ModelFile>,
}

/// A block given by exactly one of `bytes`, `weights` or `lora`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockFile {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bytes: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<BlockKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    weights: Option<WeightsFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lora: Option<LoraFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WeightsFile {
    model: String,
    precision: Precision,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoraFile {
    model: String,
    rank: u32,
    projections: Vec<Projection>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    name: String,
    blocks: Vec<String>,
}

impl LibraryFileFormat {
    /// Looks every architecture up, prices every block and checks the references. The library
    /// is written in `source` at the field path `prefix` (empty for a library file of its own,
    /// `library.` inside an instance), and an error names the file, the line and the field.
    pub fn resolve(
        &self,
        source: &Source,
        prefix: &str,
        catalogue: &Catalogue,
    ) -> Result<ModelLibrary, Error> {
        let err = |path: String, message: String| {
            Error::Input(source.field_error(&format!("{prefix}{path}"), message))
        };
        let mut blocks = Vec::with_capacity(self.blocks.len());
        let mut index = HashMap::new();
        for (b, raw) in self.blocks.iter().enumerate() {
            let path = |f: &str| format!("blocks[{b}].{f}");
            let (bytes, kind) = raw.priced(b, catalogue, &err)?;
            if !(bytes.is_finite() && bytes > 0.0) {
                return Err(err(
                    path("bytes"),
                    format!("must be positive and finite, got {bytes}"),
                ));
            }
            if index.insert(raw.name.clone(), b).is_some() {
                return Err(err(
                    path("name"),
                    format!("block `{}` is defined twice", raw.name),
                ));
            }
            blocks.push(Block {
                name: raw.name.clone(),
                bytes,
                kind,
            });
        }
        let mut models = Vec::with_capacity(self.models.len());
        for (i, raw) in self.models.iter().enumerate() {
            models.push(raw.resolved(i, &index, &blocks, &err)?);
        }
        ModelLibrary::new(blocks, models).map_err(|e| match e {
            Error::Instance(m) => Error::Input(crate::system::Error::File {
                file: source.file.clone(),
                message: m,
            }),
            other => other,
        })
    }
}

impl BlockFile {
    /// The bytes and kind of block `b`: as given, the weights of an architecture of
    /// `catalogue` at a precision, or a LoRA adapter at fp16; `err` names a field's error.
    fn priced(
        &self,
        b: usize,
        catalogue: &Catalogue,
        err: &dyn Fn(String, String) -> Error,
    ) -> Result<(f64, BlockKind), Error> {
        let path = |f: &str| format!("blocks[{b}].{f}");
        match (self.bytes, &self.weights, &self.lora) {
            (Some(bytes), None, None) => Ok((bytes, self.kind.unwrap_or(BlockKind::Other))),
            (None, Some(w), None) => {
                let arch = catalogue
                    .model(&w.model)
                    .map_err(|e| err(path("weights.model"), e.to_string()))?;
                Ok((weights_bytes(arch, w.precision), BlockKind::Weights))
            }
            (None, None, Some(l)) => {
                let arch = catalogue
                    .model(&l.model)
                    .map_err(|e| err(path("lora.model"), e.to_string()))?;
                let params =
                    lora_params(arch, l.rank, &l.projections).map_err(|e| err(path("lora"), e))?;
                Ok((
                    params as f64 * Precision::Fp16.bytes_per_weight(),
                    BlockKind::Adapter,
                ))
            }
            _ => Err(err(
                format!("blocks[{b}]"),
                format!(
                    "block `{}`: give exactly one of `bytes`, `weights` or `lora`",
                    self.name
                ),
            )),
        }
    }
}

impl ModelFile {
    /// Model `i` with its block names looked up in `index` (the names of `blocks`); `err`
    /// names a field's error.
    fn resolved(
        &self,
        i: usize,
        index: &HashMap<String, usize>,
        blocks: &[Block],
        err: &dyn Fn(String, String) -> Error,
    ) -> Result<LibraryModel, Error> {
        let mut ids = Vec::with_capacity(self.blocks.len());
        for (j, name) in self.blocks.iter().enumerate() {
            let b = *index.get(name).ok_or_else(|| {
                err(
                    format!("models[{i}].blocks[{j}]"),
                    format!(
                        "model `{}` uses unknown block `{name}`; defined: {}",
                        self.name,
                        blocks
                            .iter()
                            .map(|b| b.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            ids.push(b);
        }
        Ok(LibraryModel {
            name: self.name.clone(),
            blocks: ids,
        })
    }
}

// ---------------------------------------------------------------- generator

/// How to generate an LLM library: for every base architecture, the base model, LoRA models
/// on it, fully fine-tuned copies and quantised copies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibrarySpec {
    /// Base architectures (catalogue names) and the precision their base weights are stored at.
    pub bases: Vec<(String, Precision)>,
    /// LoRA models per base (each its own adapter, sharing the base weights).
    pub loras_per_base: u32,
    /// Ranks an adapter is drawn from (uniformly, seeded).
    pub lora_ranks: Vec<u32>,
    /// Projections every adapter adapts.
    pub lora_projections: Vec<Projection>,
    /// Fully fine-tuned copies per base (own weights at the base's precision, nothing shared).
    pub finetunes_per_base: u32,
    /// Quantised copies per base (own weights, nothing shared), one per listed precision.
    pub quantised: Vec<Precision>,
}

impl LibrarySpec {
    /// Models the spec generates.
    pub fn model_count(&self) -> usize {
        self.bases.len()
            * (1 + self.loras_per_base as usize
                + self.finetunes_per_base as usize
                + self.quantised.len())
    }

    /// Generates the library; `seed` draws the adapters' ranks. Names: `<base>` for the base
    /// model, `<base>-lora<j>-r<rank>`, `<base>-ft<j>`, `<base>-<precision>`.
    pub fn generate(&self, seed: u64) -> Result<ModelLibrary, Error> {
        let catalogue = Catalogue::bundled();
        let bad = |m: String| Err(Error::Instance(format!("library spec: {m}")));
        if self.bases.is_empty() {
            return bad("`bases` is empty".into());
        }
        if self.loras_per_base > 0 && self.lora_ranks.is_empty() {
            return bad("`lora_ranks` is empty but `loras_per_base` is not 0".into());
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let mut draft = Draft::default();
        for (j, (_, precision)) in self.bases.iter().enumerate() {
            let arch = self.base_architecture(j, catalogue)?;
            let base_name = if *precision == Precision::Fp16 {
                arch.name.clone()
            } else {
                format!("{}-{precision}", arch.name)
            };
            let full = weights_bytes(arch, *precision);
            let base = draft.own_weights(base_name.clone(), full);
            self.add_loras(&mut draft, j, arch, &base_name, base, &mut rng)?;
            for f in 1..=self.finetunes_per_base {
                draft.own_weights(format!("{base_name}-ft{f}"), full);
            }
            for q in &self.quantised {
                if q == precision {
                    return bad(format!(
                        "bases[{j}]: quantised copy at {q} is the base's own precision"
                    ));
                }
                draft.own_weights(format!("{}-{q}", arch.name), weights_bytes(arch, *q));
            }
        }
        ModelLibrary::new(draft.blocks, draft.models)
    }

    /// The architecture of base `j` in `catalogue`, refused when an earlier base is the same
    /// architecture at the same precision.
    fn base_architecture<'c>(
        &self,
        j: usize,
        catalogue: &'c Catalogue,
    ) -> Result<&'c Architecture, Error> {
        let (name, precision) = &self.bases[j];
        let arch = catalogue
            .model(name)
            .map_err(|e| Error::Instance(format!("library spec: bases[{j}]: {e}")))?;
        if self.bases[..j]
            .iter()
            .any(|(n, p)| p == precision && catalogue.model(n).is_ok_and(|a| a.name == arch.name))
        {
            return Err(Error::Instance(format!(
                "library spec: bases[{j}]: `{name}` at {precision} is listed twice"
            )));
        }
        Ok(arch)
    }

    /// The LoRA models of base `j` (architecture `arch`, named `base_name`, its weights block
    /// `base`), each with an adapter of a rank drawn from `rng`.
    fn add_loras(
        &self,
        draft: &mut Draft,
        j: usize,
        arch: &Architecture,
        base_name: &str,
        base: usize,
        rng: &mut StdRng,
    ) -> Result<(), Error> {
        for l in 1..=self.loras_per_base {
            let rank = *self
                .lora_ranks
                .choose(rng)
                .ok_or_else(|| Error::Instance("library spec: no LoRA rank".into()))?;
            let params = lora_params(arch, rank, &self.lora_projections)
                .map_err(|e| Error::Instance(format!("library spec: bases[{j}]: {e}")))?;
            let name = format!("{base_name}-lora{l}-r{rank}");
            draft.blocks.push(Block {
                name: format!("{name}/adapter"),
                bytes: params as f64 * Precision::Fp16.bytes_per_weight(),
                kind: BlockKind::Adapter,
            });
            draft.models.push(LibraryModel {
                name,
                blocks: vec![base, draft.blocks.len() - 1],
            });
        }
        Ok(())
    }
}

/// A library being generated: its blocks and models so far.
#[derive(Default)]
struct Draft {
    blocks: Vec<Block>,
    models: Vec<LibraryModel>,
}

impl Draft {
    /// Adds model `name` made of its own weights block `<name>/weights` of `bytes`; returns
    /// the block's index.
    fn own_weights(&mut self, name: String, bytes: f64) -> usize {
        let block = self.blocks.len();
        self.blocks.push(Block {
            name: format!("{name}/weights"),
            bytes,
            kind: BlockKind::Weights,
        });
        self.models.push(LibraryModel {
            name,
            blocks: vec![block],
        });
        block
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arch(name: &str) -> &'static Architecture {
        Catalogue::bundled().model(name).unwrap()
    }

    #[test]
    fn lora_sizes_by_hand() {
        // Llama-3.1-8B, GQA: q 4096→4096, k and v 4096→1024, o 4096→4096; rank 8, 32 layers.
        let a = arch("Llama-3.1-8B");
        let all = [Projection::Q, Projection::K, Projection::V, Projection::O];
        assert_eq!(
            lora_params(a, 8, &all).unwrap(),
            8 * (8192 + 5120 + 5120 + 8192) * 32
        );
        // MLP: gate and up 4096→14336, down 14336→4096.
        let mlp = [Projection::Gate, Projection::Up, Projection::Down];
        assert_eq!(lora_params(a, 1, &mlp).unwrap(), 3 * (4096 + 14336) * 32);
        assert!(lora_params(arch("GPT-2"), 8, &[Projection::Gate]).is_err());
        assert!(lora_params(a, 0, &all).is_err());
        assert!(lora_params(a, 8, &[Projection::Q, Projection::Q]).is_err());
    }

    #[test]
    fn quantised_copies_follow_the_cost_model() {
        let a = arch("Llama-2-7B");
        assert_eq!(weights_bytes(a, Precision::Fp16), 2.0 * 6_738_415_616.0);
        let int4 = weights_bytes(a, Precision::Int4);
        assert!(int4 < weights_bytes(a, Precision::Int8));
        // Matmul weights at 4.5 bits, vectors at fp16: a little over 0.28 of fp16.
        assert!((int4 / weights_bytes(a, Precision::Fp16) - 0.28).abs() < 0.01);
    }

    #[test]
    fn generated_libraries_share_only_the_bases() {
        let spec = LibrarySpec {
            bases: vec![
                ("Llama-2-7B".into(), Precision::Fp16),
                ("Llama-3.2-3B".into(), Precision::Fp16),
            ],
            loras_per_base: 3,
            lora_ranks: vec![8, 16, 32],
            lora_projections: vec![Projection::Q, Projection::V],
            finetunes_per_base: 1,
            quantised: vec![Precision::Int8, Precision::Int4],
        };
        let lib = spec.generate(3).unwrap();
        assert_eq!(lib.models.len(), spec.model_count());
        assert_eq!(lib.models.len(), 14);
        let shared = lib.shared_blocks();
        assert_eq!(shared.len(), 2);
        assert_eq!(lib.users_of_blocks()[shared[0]].len(), 4);
        assert_eq!(spec.generate(3).unwrap(), lib);
        // Two LoRA models on one server store the base once.
        let (a, b) = (1, 2);
        let both = lib.stored_bytes([a, b]);
        assert!(
            (both - (lib.model_bytes(a) + lib.model_bytes(b) - lib.blocks[0].bytes)).abs() < 1.0
        );
    }

    #[test]
    fn files_name_the_bad_field_and_the_unknown_block() {
        let ok = r#"{"blocks": [
            {"name": "base", "weights": {"model": "Llama-3.2-3B", "precision": "fp16"}},
            {"name": "ad", "lora": {"model": "Llama-3.2-3B", "rank": 16, "projections": ["q", "v"]}},
            {"name": "x", "bytes": 1e9}],
          "models": [{"name": "m0", "blocks": ["base"]}, {"name": "m1", "blocks": ["base", "ad"]},
                     {"name": "m2", "blocks": ["x"]}]}"#;
        let lib = ModelLibrary::from_json_str("lib.json", ok).unwrap();
        assert_eq!(lib.shared_blocks(), vec![0]);
        let again = ModelLibrary::from_json_str("again.json", &lib.to_json()).unwrap();
        assert_eq!(again, lib);
        let unknown = ok.replace(r#"["base", "ad"]"#, r#"["base", "adx"]"#);
        let e = ModelLibrary::from_json_str("lib.json", &unknown)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("lib.json:5: field `models[1].blocks[1]`") && e.contains("`adx`"),
            "{e}"
        );
        let typo = ok.replace(r#""rank": 16"#, r#""rnak": 16"#);
        let e = ModelLibrary::from_json_str("lib.json", &typo)
            .unwrap_err()
            .to_string();
        assert!(e.contains("blocks[1].lora") && e.contains("rnak"), "{e}");
        let negative = ok.replace("1e9", "-5");
        let e = ModelLibrary::from_json_str("lib.json", &negative)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("lib.json:4: field `blocks[2].bytes`"), "{e}");
        let toml = "[[blocks]]\nname = \"a\"\nbytes = 10.0\n\n[[models]]\nname = \"m\"\nblocks = [\"a\"]\nextra = 1\n";
        let e = ModelLibrary::from_toml_str("lib.toml", toml)
            .unwrap_err()
            .to_string();
        assert!(e.contains("lib.toml:8") && e.contains("extra"), "{e}");
    }
}
