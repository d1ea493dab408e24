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
//!
//! A generated library holds at most [`MAX_LORAS_PER_BASE`] LoRA models and
//! [`MAX_FINETUNES_PER_BASE`] fine-tuned copies per base; a base model, a quantised precision
//! or a projection listed twice is refused (it would give two models one name).

use crate::problems::Error;
use crate::system::network::ThroughputSeries;
use crate::system::quantity::{Bytes, Seconds};
use crate::system::scenario::Source;
use crate::system::{Architecture, Catalogue, DataPath, Precision, Scenario};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The section's name in a scenario file.
pub const SECTION: &str = "caching";

/// The most LoRA models a generated library derives from one base (bundled: 21).
pub const MAX_LORAS_PER_BASE: u32 = 1_000;

/// The most fully fine-tuned copies a generated library derives from one base (bundled: 1).
pub const MAX_FINETUNES_PER_BASE: u32 = 100;

/// Projections a LoRA adapter may adapt ([`super::Projection`]).
const PROJECTIONS: [&str; 7] = ["q", "k", "v", "o", "gate", "up", "down"];

/// The `[caching]` section as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CachingFile {
    storage: Bytes,
    #[serde(default, deserialize_with = "crate::system::scenario::unique::map")]
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
    match (&l.file, l.bases.is_empty()) {
        (Some(path), true) => return Ok(LibrarySource::File(scenario.resolve(path)?)),
        (None, false) => {}
        _ => {
            return Err(source.field_error(
                "caching.library",
                "give either `file` (a library file) or `bases` (to generate one), not both or neither",
            ));
        }
    }
    let bases = bases(source, &l.bases)?;
    check_projections(source, &l.lora_projections)?;
    check_counts(source, &l)?;
    check_ranks(source, &l.lora_ranks, &bases)?;
    if let Some((j, p)) = first_repeat(&l.quantised, |a, b| a == b) {
        return Err(source.field_error(
            &format!("caching.library.quantised[{j}]"),
            format!("`{p}` is listed twice"),
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

/// The index and value of the first item of `items` equal (by `same`) to an earlier one.
fn first_repeat<T>(items: &[T], same: impl Fn(&T, &T) -> bool) -> Option<(usize, &T)> {
    items
        .iter()
        .enumerate()
        .find(|(j, item)| items[..*j].iter().any(|earlier| same(earlier, item)))
}

/// The base architectures, each listed once.
fn bases(source: &Source, raw: &[BaseFile]) -> Result<Vec<(Architecture, Precision)>> {
    let mut bases = Vec::new();
    for (j, b) in raw.iter().enumerate() {
        let path = format!("caching.library.bases[{j}].model");
        let arch = Catalogue::bundled()
            .model(&b.model)
            .map_err(|e| source.value_error(&b.model, &path, e.to_string()))?;
        if let Some(first) = bases
            .iter()
            .position(|(a, _): &(Architecture, Precision)| a.name == arch.name)
        {
            return Err(source.value_error(
                &b.model,
                &path,
                format!(
                    "base `{}` is listed twice: here and at line {} (its models would share names)",
                    b.model,
                    source.line_of_path(&format!("caching.library.bases[{first}].model"))
                ),
            ));
        }
        bases.push((arch.clone(), b.precision));
    }
    Ok(bases)
}

/// Every projection is known and listed once.
fn check_projections(source: &Source, projections: &[String]) -> Result<()> {
    for (j, p) in projections.iter().enumerate() {
        let path = format!("caching.library.lora_projections[{j}]");
        if !PROJECTIONS.contains(&p.as_str()) {
            return Err(source.value_error(
                p,
                &path,
                format!(
                    "unknown projection `{p}`; expected one of {}",
                    PROJECTIONS.join(", ")
                ),
            ));
        }
        if projections[..j].contains(p) {
            return Err(source.field_error(&path, format!("`{p}` is listed twice")));
        }
    }
    Ok(())
}

/// The counts of derived models per base are within their limits, and LoRA models have ranks
/// and projections to be drawn from.
fn check_counts(source: &Source, l: &LibraryFile) -> Result<()> {
    if l.loras_per_base > MAX_LORAS_PER_BASE {
        return Err(source.field_error(
            "caching.library.loras_per_base",
            format!(
                "{} LoRA models per base; a library holds at most {MAX_LORAS_PER_BASE} per base",
                l.loras_per_base
            ),
        ));
    }
    if l.finetunes_per_base > MAX_FINETUNES_PER_BASE {
        return Err(source.field_error(
            "caching.library.finetunes_per_base",
            format!(
                "{} fine-tuned copies per base; a library holds at most {MAX_FINETUNES_PER_BASE} per base",
                l.finetunes_per_base
            ),
        ));
    }
    if l.loras_per_base > 0 && (l.lora_ranks.is_empty() || l.lora_projections.is_empty()) {
        return Err(source.field_error(
            "caching.library.loras_per_base",
            format!(
                "{} LoRA models per base need `lora_ranks` and `lora_projections`",
                l.loras_per_base
            ),
        ));
    }
    Ok(())
}

/// Every LoRA rank is at least 1 and at most the hidden size of every base (a rank-`r`
/// adapter factors a matrix through `r` dimensions, at most its smaller side).
fn check_ranks(source: &Source, ranks: &[u32], bases: &[(Architecture, Precision)]) -> Result<()> {
    for (j, &rank) in ranks.iter().enumerate() {
        let path = format!("caching.library.lora_ranks[{j}]");
        if rank == 0 {
            return Err(source.field_error(&path, "a LoRA rank must be at least 1, got 0"));
        }
        if let Some((arch, _)) = bases.iter().find(|(a, _)| u64::from(rank) > a.hidden) {
            return Err(source.field_error(
                &path,
                format!(
                    "rank {rank} exceeds the hidden size {} of `{}`",
                    arch.hidden, arch.name
                ),
            ));
        }
    }
    Ok(())
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
