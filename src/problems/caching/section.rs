//! The `[caching]` section of a scenario: what the edge servers can store and how users ask
//! for models (`formulations/caching.md`).
//!
//! ```toml
//! [caching]
//! storage = "64 GB"                       # per edge server; `storage_per_server` overrides
//! latency_bound = "10 s"                  # a hit delivers the model within this
//! library = { bases = [{ model = "Llama-2-7B", precision = "fp16" }], loras_per_base = 10,
//!             lora_ranks = [8, 16], lora_projections = ["q", "v"] }   # or { file = "lib.toml" }
//! popularity = { zipf = 0.8, personal = 0.2 }                        # or { counts = "c.csv" }
//! rate_series = { carrier = "VERIZON", connections = 1, server = "US-East" }   # optional
//! seed = 1
//! min_hit_ratio = 0.5                     # optional
//! ```

use crate::problems::Error;
use crate::system::network::ThroughputSeries;
use crate::system::quantity::{Bytes, Seconds};
use crate::system::{Architecture, Catalogue, DataPath, Precision, Scenario};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The section's name in a scenario file.
pub const SECTION: &str = "caching";

/// Projections a LoRA adapter may adapt ([`super::Projection`]).
const PROJECTIONS: [&str; 7] = ["q", "k", "v", "o", "gate", "up", "down"];

/// The `[caching]` section as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CachingFile {
    storage: Bytes,
    #[serde(default)]
    storage_per_server: BTreeMap<String, Bytes>,
    latency_bound: Seconds,
    #[serde(default)]
    rate_series: Option<RateSeriesFile>,
    library: LibraryFile,
    popularity: PopularityFile,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    min_hit_ratio: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateSeriesFile {
    carrier: String,
    connections: u32,
    server: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LibraryFile {
    #[serde(default)]
    file: Option<PathBuf>,
    #[serde(default)]
    bases: Vec<BaseFile>,
    #[serde(default)]
    loras_per_base: u32,
    #[serde(default)]
    lora_ranks: Vec<u32>,
    #[serde(default)]
    lora_projections: Vec<String>,
    #[serde(default)]
    finetunes_per_base: u32,
    #[serde(default)]
    quantised: Vec<Precision>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaseFile {
    model: String,
    precision: Precision,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PopularityFile {
    #[serde(default)]
    zipf: Option<f64>,
    #[serde(default)]
    personal: Option<f64>,
    #[serde(default)]
    counts: Option<PathBuf>,
}

/// Where the per user–server download rates come from.
#[derive(Debug, Clone, Serialize)]
pub enum RateSource {
    /// Every covering server at the device radio's downlink rate.
    Radio,
    /// Each (device, server) rate a seeded draw from a measured 5Gophers throughput series.
    Series(ThroughputSeries),
}

/// How the model library is made.
#[derive(Debug, Clone, Serialize)]
pub enum LibrarySource {
    /// Read from a JSON or TOML library file.
    File(DataPath),
    /// Generated from base architectures.
    Generate {
        /// Base architectures and the precision of their weights.
        bases: Vec<(Architecture, Precision)>,
        /// LoRA models per base.
        loras_per_base: u32,
        /// Ranks adapters are drawn from.
        lora_ranks: Vec<u32>,
        /// Adapted projections (`q`, `k`, `v`, `o`, `gate`, `up`, `down`).
        lora_projections: Vec<String>,
        /// Fully fine-tuned copies per base.
        finetunes_per_base: u32,
        /// Quantised copies per base.
        quantised: Vec<Precision>,
    },
}

/// How users choose models.
#[derive(Debug, Clone, Serialize)]
pub enum PopularitySource {
    /// Zipf popularity with exponent `exponent`, mixed with a per-user ranking of weight
    /// `personal` (0: everyone shares the global ranking; 1: every user has their own).
    Zipf {
        /// Zipf exponent (≥ 0).
        exponent: f64,
        /// Weight of the per-user ranking, in [0, 1].
        personal: f64,
    },
    /// Request counts per device and model from a CSV file `device,model,requests`.
    Counts(DataPath),
}

/// The resolved `[caching]` section of a scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// Storage of each edge server, in scenario order.
    pub storage_bytes: Vec<f64>,
    /// A request is a hit when a covering server stores the model and delivers it within this.
    pub latency_bound_s: f64,
    /// Where download rates come from.
    pub rates: RateSource,
    /// The model library.
    pub library: LibrarySource,
    /// Request probabilities.
    pub popularity: PopularitySource,
    /// Seed of every random draw of the section.
    pub seed: u64,
    /// Least hit ratio the placement must reach, if any.
    pub min_hit_ratio: Option<f64>,
}

impl Section {
    /// The `[caching]` section of `scenario`, resolved; an error when it has none.
    pub fn of(scenario: &Scenario) -> Result<Section, Error> {
        let raw: CachingFile = scenario.section(SECTION)?.ok_or_else(|| {
            Error::Instance(format!(
                "scenario `{}` has no [{SECTION}] section",
                scenario.name
            ))
        })?;
        Ok(resolve(scenario, raw)?)
    }
}

type Result<T, E = crate::system::Error> = std::result::Result<T, E>;

fn resolve(scenario: &Scenario, c: CachingFile) -> Result<Section> {
    let source = &scenario.source;
    let positive_bytes = |b: Bytes, path: &str| -> Result<f64> {
        if b.get().is_finite() && b.get() > 0.0 {
            Ok(b.get())
        } else {
            Err(source.field_error(path, format!("must be positive, got {b}")))
        }
    };
    let every = positive_bytes(c.storage, "caching.storage")?;
    let mut storage_bytes = vec![every; scenario.edge_servers.len()];
    for (name, bytes) in &c.storage_per_server {
        let path = format!("caching.storage_per_server.{name}");
        let index = scenario
            .edge_servers
            .iter()
            .position(|e| &e.name == name)
            .ok_or_else(|| {
                source.field_error(
                    &path,
                    format!(
                        "no edge server named `{name}`; defined: {}",
                        scenario
                            .edge_servers
                            .iter()
                            .map(|e| e.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
        storage_bytes[index] = positive_bytes(*bytes, &path)?;
    }
    let latency_bound_s = c.latency_bound.get();
    if !(latency_bound_s.is_finite() && latency_bound_s > 0.0) {
        return Err(source.field_error(
            "caching.latency_bound",
            format!("must be positive, got {}", c.latency_bound),
        ));
    }
    let rates = match &c.rate_series {
        None => RateSource::Radio,
        Some(s) => RateSource::Series(
            ThroughputSeries::five_gophers(&s.carrier, s.connections, &s.server).map_err(|e| {
                source.value_error(&s.carrier, "caching.rate_series", e.to_string())
            })?,
        ),
    };
    if let Some(h) = c.min_hit_ratio {
        if !(0.0..=1.0).contains(&h) {
            return Err(source.field_error(
                "caching.min_hit_ratio",
                format!("must be in [0, 1], got {h}"),
            ));
        }
    }
    Ok(Section {
        storage_bytes,
        latency_bound_s,
        rates,
        library: library(scenario, c.library)?,
        popularity: popularity(scenario, c.popularity)?,
        seed: c.seed,
        min_hit_ratio: c.min_hit_ratio,
    })
}

fn library(scenario: &Scenario, l: LibraryFile) -> Result<LibrarySource> {
    let source = &scenario.source;
    match (l.file, l.bases.is_empty()) {
        (Some(path), true) => return Ok(LibrarySource::File(scenario.resolve(&path)?)),
        (None, false) => {}
        _ => {
            return Err(source.field_error(
                "caching.library",
                "give either `file` (a library file) or `bases` (to generate one), not both or neither",
            ));
        }
    }
    let mut bases = Vec::new();
    for (j, b) in l.bases.iter().enumerate() {
        let arch = Catalogue::bundled().model(&b.model).map_err(|e| {
            source.value_error(
                &b.model,
                &format!("caching.library.bases[{j}].model"),
                e.to_string(),
            )
        })?;
        bases.push((arch.clone(), b.precision));
    }
    for (j, p) in l.lora_projections.iter().enumerate() {
        if !PROJECTIONS.contains(&p.as_str()) {
            return Err(source.value_error(
                p,
                &format!("caching.library.lora_projections[{j}]"),
                format!(
                    "unknown projection `{p}`; expected one of {}",
                    PROJECTIONS.join(", ")
                ),
            ));
        }
    }
    if l.loras_per_base > 0 && (l.lora_ranks.is_empty() || l.lora_projections.is_empty()) {
        return Err(source.field_error(
            "caching.library.loras_per_base",
            "`loras_per_base` needs `lora_ranks` and `lora_projections`",
        ));
    }
    if let Some(j) = l.lora_ranks.iter().position(|&r| r == 0) {
        return Err(source.field_error(
            &format!("caching.library.lora_ranks[{j}]"),
            "a LoRA rank must be at least 1",
        ));
    }
    Ok(LibrarySource::Generate {
        bases,
        loras_per_base: l.loras_per_base,
        lora_ranks: l.lora_ranks,
        lora_projections: l.lora_projections,
        finetunes_per_base: l.finetunes_per_base,
        quantised: l.quantised,
    })
}

fn popularity(scenario: &Scenario, p: PopularityFile) -> Result<PopularitySource> {
    let source = &scenario.source;
    match (p.zipf, p.counts) {
        (Some(exponent), None) => {
            let personal = p.personal.unwrap_or(0.0);
            if !(exponent.is_finite() && exponent >= 0.0) {
                return Err(source.field_error(
                    "caching.popularity.zipf",
                    format!("must be a non-negative exponent, got {exponent}"),
                ));
            }
            if !(0.0..=1.0).contains(&personal) {
                return Err(source.field_error(
                    "caching.popularity.personal",
                    format!("must be in [0, 1], got {personal}"),
                ));
            }
            Ok(PopularitySource::Zipf { exponent, personal })
        }
        (None, Some(path)) if p.personal.is_none() => {
            Ok(PopularitySource::Counts(scenario.resolve(&path)?))
        }
        _ => Err(source.field_error(
            "caching.popularity",
            "give either `zipf` (and optionally `personal`) or `counts` (a CSV file)",
        )),
    }
}
