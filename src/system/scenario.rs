//! Scenario files: the devices, edge servers, cloud, radio links and models of one study, in
//! TOML or JSON.
//!
//! Files are strict: unknown fields, quantities without units, units of the wrong kind, unknown
//! device, model or profile names and dangling references are errors that name the file, the
//! line and the field. Every link figure is either a measured profile from
//! `datasets/network/network_profiles_summary.csv` (picked by dataset, radio, mobility and
//! percentile), a Shannon rate (`bandwidth`, `snr`), or a quantity written with its unit.
//!
//! ```
//! use mei4llm::system::Scenario;
//!
//! let s = Scenario::from_toml_str("inline.toml", r#"
//!     name = "tiny"
//!     [radios.lte]
//!     uplink = { dataset = "nuwins", radio = "LTE", mobility = "static", percentile = "p50" }
//!     downlink = "20 Mbps"
//!     rtt = "40 ms"
//!     [[device_groups]]
//!     name = "phone"
//!     count = 2
//!     hardware = "Qualcomm Snapdragon 8 Gen 3"
//!     radio = "lte"
//!     covered_by = ["edge"]
//!     [[edge_servers]]
//!     name = "edge"
//!     hardware = "NVIDIA L4 24GB"
//!     [cloud]
//!     hardware = "NVIDIA H100 SXM 80GB"
//!     rtt = "80 ms"
//!     [[models]]
//!     name = "Llama-3.2-3B"
//!     device_precision = "int4"
//!     server_precision = "fp16"
//! "#).unwrap();
//! assert_eq!(s.devices.len(), 2);
//! assert_eq!(s.devices[0].radio.uplink_bps, 46.0e6); // LTE static uplink median, 46.0 Mbps
//! ```

use super::Architecture;
use super::catalogue::Catalogue;
use super::error::{Error, Result};
use super::model_cost::ModelCost;
use super::network::{
    LTE_CONNECTED_POWER_W, NetworkProfile, Percentile, ProfileSelector, ThroughputSeries,
    UE_POWER_CLASS_3_W, shannon_rate_bps,
};
use super::node::Node;
use super::precision::Precision;
use super::quantity::{BitsPerSecond, Bytes, Decibels, Hertz, Seconds, Watts};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

// ---------------------------------------------------------------- file format

/// A scenario file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    radios: std::collections::BTreeMap<String, RadioFile>,
    device_groups: Vec<DeviceGroupFile>,
    edge_servers: Vec<EdgeServerFile>,
    cloud: CloudFile,
    models: Vec<ModelFile>,
    #[serde(default)]
    workload: Option<WorkloadFile>,
    #[serde(default)]
    caching: Option<CachingFile>,
    #[serde(default)]
    batching: Option<BatchingFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RadioFile {
    uplink: UplinkRate,
    downlink: DownlinkRate,
    rtt: TimeSpec,
    #[serde(default)]
    tx_power: Option<Watts>,
    #[serde(default)]
    idle_power: Option<Watts>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceGroupFile {
    name: String,
    count: u32,
    hardware: String,
    radio: String,
    covered_by: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct EdgeServerFile {
    name: String,
    hardware: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CloudFile {
    hardware: String,
    rtt: TimeSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    name: String,
    device_precision: Precision,
    server_precision: Precision,
    #[serde(default)]
    share: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkloadFile {
    trace: PathBuf,
    #[serde(default)]
    start: Option<Seconds>,
    #[serde(default)]
    window: Option<Seconds>,
    #[serde(default)]
    requests: Option<u32>,
    #[serde(default)]
    ttft_slo: Option<Seconds>,
    #[serde(default)]
    e2e_slo: Option<Seconds>,
    #[serde(default)]
    seed: u64,
}

/// The optional `[caching]` section: what the edge servers can store and how users ask for
/// models (the `caching` problem, `formulations/caching.md`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CachingFile {
    storage: Bytes,
    #[serde(default)]
    storage_per_server: std::collections::BTreeMap<String, Bytes>,
    latency_bound: Seconds,
    #[serde(default)]
    rate_series: Option<RateSeriesFile>,
    library: CachingLibraryFile,
    popularity: PopularityFile,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    min_hit_ratio: Option<f64>,
}

/// The optional `[batching]` section: which model the edge servers serve, at which
/// precisions, and the waiting requests of one decision (the `batching` problem,
/// `formulations/batching.md`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchingFile {
    model: String,
    #[serde(default)]
    precisions: Option<Vec<Precision>>,
    #[serde(default)]
    memory_utilisation: Option<f64>,
    trace: PathBuf,
    #[serde(default)]
    start: Option<Seconds>,
    requests: u32,
    #[serde(default)]
    arrival_speedup: Option<f64>,
    #[serde(default)]
    ttft_slo: Option<Seconds>,
    #[serde(default)]
    tpot_slo: Option<Seconds>,
    #[serde(default)]
    min_precision: Option<MinPrecisionFile>,
    #[serde(default)]
    objective: Option<BatchingObjective>,
    #[serde(default)]
    seed: u64,
}

/// Shares of the waiting requests by the narrowest precision they accept.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
struct MinPrecisionFile {
    #[serde(default)]
    fp16: f64,
    #[serde(default)]
    int8: f64,
    #[serde(default)]
    int4: f64,
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
struct CachingLibraryFile {
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

/// An uplink rate given as a quantity (`"100 Mbps"`), a measured profile
/// (`{ dataset, radio, mobility, percentile, notes? }`) or a Shannon rate
/// (`{ bandwidth, snr }`), resolved to bits per second while the file is read.
#[derive(Debug, Clone, Copy)]
struct UplinkRate(f64);

/// A downlink rate, written as an [`UplinkRate`] is.
#[derive(Debug, Clone, Copy)]
struct DownlinkRate(f64);

/// A time given as a quantity (`"15 ms"`) or a measured RTT profile, resolved to seconds.
#[derive(Debug, Clone, Copy)]
struct TimeSpec(f64);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkTable {
    dataset: Option<String>,
    radio: Option<String>,
    mobility: Option<String>,
    notes: Option<String>,
    percentile: Option<Percentile>,
    bandwidth: Option<Hertz>,
    snr: Option<Decibels>,
}

impl LinkTable {
    fn selector(&self) -> std::result::Result<Option<ProfileSelector>, String> {
        match (&self.dataset, &self.radio, &self.mobility, self.percentile) {
            (None, None, None, None) => Ok(None),
            (Some(d), Some(r), Some(m), Some(p)) => Ok(Some(ProfileSelector {
                dataset: d.clone(),
                radio: r.clone(),
                mobility: m.clone(),
                notes: self.notes.clone(),
                percentile: p,
            })),
            _ => Err(
                "a measured profile needs all of `dataset`, `radio`, `mobility` and `percentile`"
                    .into(),
            ),
        }
    }

    fn measured(&self, direction: &str, metric: &str) -> std::result::Result<Option<f64>, String> {
        let Some(selector) = self.selector()? else {
            return Ok(None);
        };
        let profile = selector
            .find(NetworkProfile::bundled(), direction, metric)
            .map_err(|e| e.to_string())?;
        let value = profile
            .value(selector.percentile)
            .map_err(|e| e.to_string())?;
        if value <= 0.0 {
            return Err(format!(
                "the {:?} {direction} of `{} / {} / {}` is {value}: a link that never delivers cannot be planned for; pick another percentile",
                selector.percentile, profile.source, profile.radio, profile.mobility
            ));
        }
        Ok(Some(value))
    }
}

fn map_into<'de, A: MapAccess<'de>>(map: A) -> std::result::Result<LinkTable, A::Error> {
    LinkTable::deserialize(de::value::MapAccessDeserializer::new(map))
}

/// Reads a rate of the given direction (`uplink` or `downlink`).
struct RateVisitor(&'static str);

impl<'de> Visitor<'de> for RateVisitor {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a rate such as \"100 Mbps\", a measured profile { dataset, radio, mobility, percentile } or { bandwidth, snr }")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<f64, E> {
        let rate: BitsPerSecond = v.parse().map_err(E::custom)?;
        if rate.get() <= 0.0 {
            return Err(E::custom(format!("rate must be positive, got `{v}`")));
        }
        Ok(rate.get())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<f64, A::Error> {
        let t = map_into(map)?;
        match (t.measured(self.0, "throughput_mbps"), t.bandwidth, t.snr) {
            (Err(e), _, _) => Err(de::Error::custom(e)),
            (Ok(Some(mbps)), None, None) => Ok(mbps * 1e6),
            (Ok(None), Some(b), Some(s)) => {
                if b.get() <= 0.0 {
                    return Err(de::Error::custom("bandwidth must be positive"));
                }
                Ok(shannon_rate_bps(b.get(), s.get()))
            }
            _ => Err(de::Error::custom(
                "give either a measured profile (dataset, radio, mobility, percentile) or a Shannon rate (bandwidth and snr), not both or neither",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for UplinkRate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer
            .deserialize_any(RateVisitor("uplink"))
            .map(UplinkRate)
    }
}

impl<'de> Deserialize<'de> for DownlinkRate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer
            .deserialize_any(RateVisitor("downlink"))
            .map(DownlinkRate)
    }
}

impl<'de> Deserialize<'de> for TimeSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TimeSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time such as \"15 ms\" or a measured RTT profile { dataset, radio, mobility, percentile }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<TimeSpec, E> {
                let t: Seconds = v.parse().map_err(E::custom)?;
                if t.get() < 0.0 {
                    return Err(E::custom(format!("time must not be negative, got `{v}`")));
                }
                Ok(TimeSpec(t.get()))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<TimeSpec, A::Error> {
                let t = map_into(map)?;
                if t.bandwidth.is_some() || t.snr.is_some() {
                    return Err(de::Error::custom(
                        "`bandwidth` and `snr` describe a rate, not an RTT",
                    ));
                }
                match t.measured("rtt", "rtt_ms") {
                    Err(e) => Err(de::Error::custom(e)),
                    Ok(Some(ms)) => Ok(TimeSpec(ms / 1e3)),
                    Ok(None) => Err(de::Error::custom(
                        "a measured RTT needs dataset, radio, mobility and percentile",
                    )),
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

// ---------------------------------------------------------------- resolved scenario

/// What a device's radio link delivers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Radio {
    /// Uplink rate when the device has its serving cell's whole uplink.
    pub uplink_bps: f64,
    /// Downlink rate.
    pub downlink_bps: f64,
    /// Round-trip time to the edge server.
    pub rtt_s: f64,
    /// Transmit power while uploading (default: 23 dBm, 3GPP power class 3).
    pub tx_power_w: f64,
    /// Power of the radio while connected and waiting for the server (default: 1.288 W, the
    /// RRC_CONNECTED base power of an LTE handset, Huang et al., MobiSys 2012).
    pub idle_power_w: f64,
}

/// One user device.
#[derive(Debug, Clone, Serialize)]
pub struct Device {
    /// `<group>-<i>` (1-based).
    pub name: String,
    /// Index of its group in the file.
    pub group: usize,
    /// Its hardware.
    pub node: Arc<Node>,
    /// Its radio link.
    pub radio: Radio,
    /// Indices of the edge servers that cover it.
    pub covered_by: Vec<usize>,
}

/// One edge server.
#[derive(Debug, Clone, Serialize)]
pub struct EdgeServer {
    /// Name.
    pub name: String,
    /// Its hardware (one GPU, shared among the requests it serves).
    pub node: Arc<Node>,
}

/// The cloud, reached through an edge server.
#[derive(Debug, Clone, Serialize)]
pub struct Cloud {
    /// Its hardware (capacity is taken as ample: each request gets a whole GPU).
    pub node: Arc<Node>,
    /// Round-trip time from a device to the cloud.
    pub rtt_s: f64,
}

/// A model offered to the users, with its cost on devices and on servers.
#[derive(Debug, Clone, Serialize)]
pub struct ServedModel {
    /// The architecture.
    pub architecture: Architecture,
    /// Cost at the precision devices run it.
    pub on_device: ModelCost,
    /// Cost at the precision servers run it.
    pub on_server: ModelCost,
    /// Fraction of requests that ask for it.
    pub share: f64,
}

/// Where the requests of a study come from.
#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    /// Trace file (absolute, or relative to the working directory).
    pub trace: PathBuf,
    /// Skip requests arriving before this time.
    pub start_s: f64,
    /// Decision epoch length, if epochs are windows of time.
    pub window_s: Option<f64>,
    /// Requests per epoch, if epochs are counts.
    pub requests: Option<u32>,
    /// Time-to-first-token deadline of every request.
    pub ttft_slo_s: Option<f64>,
    /// End-to-end deadline of every request.
    pub e2e_slo_s: Option<f64>,
    /// Seed of the assignment of requests to devices and models.
    pub seed: u64,
}

/// Where the per user–server download rates of the caching problem come from.
#[derive(Debug, Clone, Serialize)]
pub enum CachingRates {
    /// Every covering server at the device radio's downlink rate.
    Radio,
    /// Each (device, server) rate a seeded draw from a measured 5Gophers throughput series.
    Series(ThroughputSeries),
}

/// How the caching problem's model library is made.
#[derive(Debug, Clone, Serialize)]
pub enum CachingLibrary {
    /// Read from a JSON or TOML library file (relative paths resolved against the scenario).
    File(PathBuf),
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

/// How users choose models in the caching problem.
#[derive(Debug, Clone, Serialize)]
pub enum CachingPopularity {
    /// Zipf popularity with exponent `exponent`, mixed with a per-user ranking of weight
    /// `personal` (0: everyone shares the global ranking; 1: every user has their own).
    Zipf {
        /// Zipf exponent (≥ 0).
        exponent: f64,
        /// Weight of the per-user ranking, in [0, 1].
        personal: f64,
    },
    /// Request counts per device and model from a CSV file `device,model,requests`.
    Counts(PathBuf),
}

/// The resolved `[caching]` section of a scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Caching {
    /// Storage of each edge server, in scenario order.
    pub storage_bytes: Vec<f64>,
    /// A request is a hit when a covering server stores the model and delivers it within this.
    pub latency_bound_s: f64,
    /// Where download rates come from.
    pub rates: CachingRates,
    /// The model library.
    pub library: CachingLibrary,
    /// Request probabilities.
    pub popularity: CachingPopularity,
    /// Seed of every random draw of the section.
    pub seed: u64,
    /// Least hit ratio the placement must reach, if any.
    pub min_hit_ratio: Option<f64>,
}

/// What the batching problem maximises over the admitted requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchingObjective {
    /// The weighted number of admitted requests. Every admitted request meets its SLOs, so this
    /// is the SLO goodput of the batch.
    Requests,
    /// The weighted number of tokens (prompt and output) of the admitted requests.
    Tokens,
}

/// The resolved `[batching]` section of a scenario: the model every edge server serves, the
/// precisions it may serve at, and where the waiting requests come from.
#[derive(Debug, Clone, Serialize)]
pub struct Batching {
    /// The served model.
    pub model: Architecture,
    /// Precisions an edge server may serve it at (distinct, in file order).
    pub precisions: Vec<Precision>,
    /// Fraction of each server's memory given to weights and KV cache, when the file sets it.
    pub memory_utilisation: Option<f64>,
    /// Trace of the waiting requests (absolute, or relative to the working directory).
    pub trace: PathBuf,
    /// Skip requests arriving before this time (on the trace's own clock).
    pub start_s: f64,
    /// Number of waiting requests, taken in arrival order from `start_s`.
    pub requests: u32,
    /// Factor by which the trace's inter-arrival times are shortened (1: as recorded).
    pub arrival_speedup: f64,
    /// Time-to-first-token SLO of every request, when the file sets it.
    pub ttft_slo_s: Option<f64>,
    /// Time-per-output-token SLO of every request, when the file sets it.
    pub tpot_slo_s: Option<f64>,
    /// Shares of the requests by the narrowest precision they accept, widest first; they sum
    /// to 1.
    pub min_precision_shares: Vec<(Precision, f64)>,
    /// What is maximised.
    pub objective: BatchingObjective,
    /// Seed of the draw of every request's narrowest precision.
    pub seed: u64,
}

impl Batching {
    /// The narrowest precision of a request whose uniform draw in `[0, 1)` is `draw`: the
    /// precision whose share, accumulated widest first, first exceeds the draw (the last one
    /// with a positive share should round-off leave the draw past the total).
    pub fn min_precision(&self, draw: f64) -> Precision {
        let mut acc = 0.0;
        self.min_precision_shares
            .iter()
            .find(|(_, share)| {
                acc += share;
                draw < acc
            })
            .or_else(|| {
                self.min_precision_shares
                    .iter()
                    .rev()
                    .find(|(_, s)| *s > 0.0)
            })
            .map_or(Precision::Int4, |(p, _)| *p)
    }
}

/// A resolved scenario: every name looked up, every figure in base units.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    /// Name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// User devices, group by group.
    pub devices: Vec<Device>,
    /// Edge servers.
    pub edge_servers: Vec<EdgeServer>,
    /// The cloud.
    pub cloud: Cloud,
    /// The model catalogue.
    pub models: Vec<ServedModel>,
    /// Where requests come from.
    pub workload: Option<Workload>,
    /// What edge servers can cache (the `caching` problem), if the file says.
    pub caching: Option<Caching>,
    /// What edge servers serve and who waits (the `batching` problem), if the file says.
    pub batching: Option<Batching>,
}

impl Scenario {
    /// Reads a `.toml` or `.json` scenario file.
    pub fn from_path(path: &Path) -> Result<Scenario> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            file: path.to_path_buf(),
            source,
        })?;
        let name = path.display().to_string();
        let base = path.parent().unwrap_or(Path::new("."));
        let scenario = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => Scenario::from_json_str(&name, &text),
            Some("toml") => Scenario::from_toml_str(&name, &text),
            _ => Err(Error::File {
                file: name.clone(),
                message: "scenario files end in .toml or .json".into(),
            }),
        }?;
        Ok(scenario.with_trace_relative_to(base))
    }

    /// Parses TOML text; `file` names it in error messages.
    pub fn from_toml_str(file: &str, text: &str) -> Result<Scenario> {
        let deserializer = toml::Deserializer::new(text);
        let raw: ScenarioFile = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let line = inner.span().map_or(0, |span| line_of(text, span.start));
            located(file, line, &path, inner.message())
        })?;
        resolve(file, text, raw, Catalogue::bundled())
    }

    /// Parses JSON text; `file` names it in error messages.
    pub fn from_json_str(file: &str, text: &str) -> Result<Scenario> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let raw: ScenarioFile =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                located(file, inner.line() as u64, &path, &inner.to_string())
            })?;
        resolve(file, text, raw, Catalogue::bundled())
    }

    fn with_trace_relative_to(mut self, base: &Path) -> Scenario {
        if let Some(w) = &mut self.workload {
            if w.trace.is_relative() {
                w.trace = base.join(&w.trace);
            }
        }
        if let Some(c) = &mut self.caching {
            if let CachingLibrary::File(path) = &mut c.library {
                if path.is_relative() {
                    *path = base.join(&*path);
                }
            }
            if let CachingPopularity::Counts(path) = &mut c.popularity {
                if path.is_relative() {
                    *path = base.join(&*path);
                }
            }
        }
        if let Some(b) = &mut self.batching {
            if b.trace.is_relative() {
                b.trace = base.join(&b.trace);
            }
        }
        self
    }

    /// The model called `name` in the catalogue of this scenario.
    pub fn model_index(&self, name: &str) -> Option<usize> {
        let key = super::architecture::name_key(name);
        self.models
            .iter()
            .position(|m| super::architecture::name_key(&m.architecture.name) == key)
    }
}

/// An error at `line`, naming the field path when serde knows it (`.` means the top level).
fn located(file: &str, line: u64, path: &str, message: &str) -> Error {
    if path.is_empty() || path == "." {
        Error::Line {
            file: file.into(),
            line,
            message: message.into(),
        }
    } else {
        Error::field(file, line, path, message)
    }
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> u64 {
    text[..offset.min(text.len())].matches('\n').count() as u64 + 1
}

/// The line where the quoted string `value` first appears after the key `key` (best effort:
/// 0 when not found).
fn locate(text: &str, key: &str, value: &str) -> u64 {
    let quoted = format!("\"{value}\"");
    text.lines()
        .position(|l| l.contains(&quoted) && l.contains(key))
        .or_else(|| text.lines().position(|l| l.contains(&quoted)))
        .map_or(0, |i| i as u64 + 1)
}

fn resolve(file: &str, text: &str, raw: ScenarioFile, catalogue: &Catalogue) -> Result<Scenario> {
    let field_error = |key: &str, value: &str, path: String, message: String| {
        Error::field(file, locate(text, key, value), path, message)
    };
    let node_for = |key: &str, name: &str, path: String| -> Result<Arc<Node>> {
        catalogue
            .node(name)
            .map(Arc::new)
            .map_err(|e| field_error(key, name, path, e.to_string()))
    };
    // Names must be unique, and at least one of each thing must exist.
    if raw.edge_servers.is_empty() {
        return Err(Error::File {
            file: file.into(),
            message: "`edge_servers` is empty; a scenario needs at least one edge server".into(),
        });
    }
    if raw.device_groups.is_empty() {
        return Err(Error::File {
            file: file.into(),
            message: "`device_groups` is empty; a scenario needs at least one device group".into(),
        });
    }
    if raw.models.is_empty() {
        return Err(Error::File {
            file: file.into(),
            message: "`models` is empty; a scenario needs at least one model".into(),
        });
    }
    let mut edge_servers = Vec::new();
    for (i, e) in raw.edge_servers.iter().enumerate() {
        if raw.edge_servers[..i].iter().any(|f| f.name == e.name) {
            return Err(field_error(
                "name",
                &e.name,
                format!("edge_servers[{i}].name"),
                format!("edge server `{}` is defined twice", e.name),
            ));
        }
        edge_servers.push(EdgeServer {
            name: e.name.clone(),
            node: node_for(
                "hardware",
                &e.hardware,
                format!("edge_servers[{i}].hardware"),
            )?,
        });
    }
    let cloud = Cloud {
        node: node_for("hardware", &raw.cloud.hardware, "cloud.hardware".into())?,
        rtt_s: raw.cloud.rtt.0,
    };
    let mut devices = Vec::new();
    for (g, group) in raw.device_groups.iter().enumerate() {
        if group.count == 0 {
            return Err(field_error(
                "name",
                &group.name,
                format!("device_groups[{g}].count"),
                "must be at least 1".into(),
            ));
        }
        let node = node_for(
            "hardware",
            &group.hardware,
            format!("device_groups[{g}].hardware"),
        )?;
        let radio = raw.radios.get(&group.radio).ok_or_else(|| {
            field_error(
                "radio",
                &group.radio,
                format!("device_groups[{g}].radio"),
                format!(
                    "no radio named `{}`; defined: {}",
                    group.radio,
                    raw.radios.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
        if group.covered_by.is_empty() {
            return Err(field_error(
                "name",
                &group.name,
                format!("device_groups[{g}].covered_by"),
                "a device must be covered by at least one edge server".into(),
            ));
        }
        let mut covered_by = Vec::new();
        for (j, name) in group.covered_by.iter().enumerate() {
            let index = raw
                .edge_servers
                .iter()
                .position(|e| &e.name == name)
                .ok_or_else(|| {
                    field_error(
                        "covered_by",
                        name,
                        format!("device_groups[{g}].covered_by[{j}]"),
                        format!(
                            "no edge server named `{name}`; defined: {}",
                            raw.edge_servers
                                .iter()
                                .map(|e| e.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
            if !covered_by.contains(&index) {
                covered_by.push(index);
            }
        }
        let power = |given: Option<Watts>, default: f64, name: &str| -> Result<f64> {
            let watts = given.map_or(default, Watts::get);
            if watts > 0.0 && watts.is_finite() {
                Ok(watts)
            } else {
                Err(field_error(
                    "radio",
                    &group.radio,
                    format!("radios.{}.{name}", group.radio),
                    format!("must be a positive power, got {watts} W"),
                ))
            }
        };
        let radio = Radio {
            uplink_bps: radio.uplink.0,
            downlink_bps: radio.downlink.0,
            rtt_s: radio.rtt.0,
            tx_power_w: power(radio.tx_power, UE_POWER_CLASS_3_W, "tx_power")?,
            idle_power_w: power(radio.idle_power, LTE_CONNECTED_POWER_W, "idle_power")?,
        };
        for i in 0..group.count {
            devices.push(Device {
                name: format!("{}-{}", group.name, i + 1),
                group: g,
                node: node.clone(),
                radio,
                covered_by: covered_by.clone(),
            });
        }
    }
    let mut models = Vec::new();
    let given: Vec<Option<f64>> = raw.models.iter().map(|m| m.share).collect();
    for (i, m) in raw.models.iter().enumerate() {
        let architecture = catalogue
            .model(&m.name)
            .map_err(|e| field_error("name", &m.name, format!("models[{i}].name"), e.to_string()))?
            .clone();
        if raw.models[..i].iter().any(|n| {
            super::architecture::name_key(&n.name) == super::architecture::name_key(&m.name)
        }) {
            return Err(field_error(
                "name",
                &m.name,
                format!("models[{i}].name"),
                format!("model `{}` is listed twice", m.name),
            ));
        }
        let share = match m.share {
            Some(s) if !(s.is_finite() && s > 0.0 && s <= 1.0) => {
                return Err(field_error(
                    "name",
                    &m.name,
                    format!("models[{i}].share"),
                    format!("must be in (0, 1], got {s}"),
                ));
            }
            Some(s) => s,
            None => 1.0 / raw.models.len() as f64,
        };
        models.push(ServedModel {
            on_device: architecture.cost(m.device_precision),
            on_server: architecture.cost(m.server_precision),
            architecture,
            share,
        });
    }
    if given.iter().any(Option::is_some) {
        if given.iter().any(Option::is_none) {
            return Err(Error::File {
                file: file.into(),
                message: "give `share` for every model or for none".into(),
            });
        }
        let total: f64 = models.iter().map(|m| m.share).sum();
        if (total - 1.0).abs() > 1e-9 {
            return Err(Error::File {
                file: file.into(),
                message: format!("model shares sum to {total}, not 1"),
            });
        }
    }
    let workload = match raw.workload {
        None => None,
        Some(w) => {
            if w.window.is_some() == w.requests.is_some() {
                return Err(Error::File {
                    file: file.into(),
                    message: "workload: give exactly one of `window` (e.g. \"1 s\") or `requests` (a count)".into(),
                });
            }
            let positive = |v: Option<Seconds>, path: &str| -> Result<Option<f64>> {
                match v {
                    Some(s) if s.get() <= 0.0 => Err(Error::File {
                        file: file.into(),
                        message: format!("workload.{path} must be positive, got {s}"),
                    }),
                    other => Ok(other.map(Seconds::get)),
                }
            };
            if w.requests == Some(0) {
                return Err(Error::File {
                    file: file.into(),
                    message: "workload.requests must be at least 1".into(),
                });
            }
            Some(Workload {
                trace: w.trace,
                start_s: w.start.map_or(0.0, Seconds::get).max(0.0),
                window_s: positive(w.window, "window")?,
                requests: w.requests,
                ttft_slo_s: positive(w.ttft_slo, "ttft_slo")?,
                e2e_slo_s: positive(w.e2e_slo, "e2e_slo")?,
                seed: w.seed,
            })
        }
    };
    let caching = match raw.caching {
        None => None,
        Some(c) => Some(resolve_caching(
            file,
            text,
            c,
            &raw.edge_servers,
            catalogue,
        )?),
    };
    let batching = match raw.batching {
        None => None,
        Some(b) => Some(resolve_batching(file, text, b, catalogue)?),
    };
    Ok(Scenario {
        name: raw.name,
        description: raw.description,
        devices,
        edge_servers,
        cloud,
        models,
        workload,
        caching,
        batching,
    })
}

fn resolve_batching(
    file: &str,
    text: &str,
    b: BatchingFile,
    catalogue: &Catalogue,
) -> Result<Batching> {
    let bad = |path: &str, message: String| Error::field(file, 0, path, message);
    let model = catalogue
        .model(&b.model)
        .map_err(|e| {
            Error::field(
                file,
                locate(text, "model", &b.model),
                "batching.model",
                e.to_string(),
            )
        })?
        .clone();
    let precisions = b.precisions.unwrap_or_else(|| Precision::ALL.to_vec());
    if precisions.is_empty() {
        return Err(bad(
            "batching.precisions",
            "is empty; list at least one of fp16, int8, int4".into(),
        ));
    }
    for (i, p) in precisions.iter().enumerate() {
        if precisions[..i].contains(p) {
            return Err(bad(
                &format!("batching.precisions[{i}]"),
                format!("`{p}` is listed twice"),
            ));
        }
    }
    if let Some(u) = b.memory_utilisation {
        if !(u > 0.0 && u <= 1.0) {
            return Err(bad(
                "batching.memory_utilisation",
                format!("must be in (0, 1], got {u}"),
            ));
        }
    }
    if b.requests == 0 {
        return Err(bad("batching.requests", "must be at least 1".into()));
    }
    let arrival_speedup = b.arrival_speedup.unwrap_or(1.0);
    if !(arrival_speedup.is_finite() && arrival_speedup > 0.0) {
        return Err(bad(
            "batching.arrival_speedup",
            format!("must be positive and finite, got {arrival_speedup}"),
        ));
    }
    let start_s = b.start.map_or(0.0, Seconds::get);
    if !(start_s.is_finite() && start_s >= 0.0) {
        return Err(bad(
            "batching.start",
            format!("must not be negative, got {start_s} s"),
        ));
    }
    let slo = |v: Option<Seconds>, path: &str| -> Result<Option<f64>> {
        match v.map(Seconds::get) {
            Some(s) if !(s.is_finite() && s > 0.0) => {
                Err(bad(path, format!("must be positive, got {s} s")))
            }
            other => Ok(other),
        }
    };
    let shares = b.min_precision.unwrap_or(MinPrecisionFile {
        fp16: 0.0,
        int8: 0.0,
        int4: 1.0,
    });
    let min_precision_shares = vec![
        (Precision::Fp16, shares.fp16),
        (Precision::Int8, shares.int8),
        (Precision::Int4, shares.int4),
    ];
    for (p, share) in &min_precision_shares {
        if !(share.is_finite() && *share >= 0.0) {
            return Err(bad(
                &format!("batching.min_precision.{p}"),
                format!("must be a non-negative share, got {share}"),
            ));
        }
    }
    let total: f64 = min_precision_shares.iter().map(|(_, s)| s).sum();
    if (total - 1.0).abs() > 1e-9 {
        return Err(bad(
            "batching.min_precision",
            format!("shares sum to {total}, not 1"),
        ));
    }
    Ok(Batching {
        model,
        precisions,
        memory_utilisation: b.memory_utilisation,
        trace: b.trace,
        start_s,
        requests: b.requests,
        arrival_speedup,
        ttft_slo_s: slo(b.ttft_slo, "batching.ttft_slo")?,
        tpot_slo_s: slo(b.tpot_slo, "batching.tpot_slo")?,
        min_precision_shares,
        objective: b.objective.unwrap_or(BatchingObjective::Requests),
        seed: b.seed,
    })
}

/// Projections a LoRA adapter may adapt (`mei4llm::problems::caching::Projection`).
const PROJECTIONS: [&str; 7] = ["q", "k", "v", "o", "gate", "up", "down"];

fn resolve_caching(
    file: &str,
    text: &str,
    c: CachingFile,
    edge_servers: &[EdgeServerFile],
    catalogue: &Catalogue,
) -> Result<Caching> {
    let field = |key: &str, value: &str, path: &str, message: String| {
        Error::field(file, locate(text, key, value), path, message)
    };
    let positive_bytes = |b: Bytes, path: &str| -> Result<f64> {
        if b.get().is_finite() && b.get() > 0.0 {
            Ok(b.get())
        } else {
            Err(Error::field(
                file,
                0,
                path,
                format!("must be positive, got {b}"),
            ))
        }
    };
    let every = positive_bytes(c.storage, "caching.storage")?;
    let mut storage_bytes = vec![every; edge_servers.len()];
    for (name, bytes) in &c.storage_per_server {
        let path = format!("caching.storage_per_server.{name}");
        let index = edge_servers
            .iter()
            .position(|e| &e.name == name)
            .ok_or_else(|| {
                Error::field(
                    file,
                    0,
                    path.clone(),
                    format!(
                        "no edge server named `{name}`; defined: {}",
                        edge_servers
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
        return Err(Error::field(
            file,
            0,
            "caching.latency_bound",
            format!("must be positive, got {}", c.latency_bound),
        ));
    }
    let rates = match c.rate_series {
        None => CachingRates::Radio,
        Some(s) => CachingRates::Series(
            ThroughputSeries::five_gophers(&s.carrier, s.connections, &s.server)
                .map_err(|e| field("carrier", &s.carrier, "caching.rate_series", e.to_string()))?,
        ),
    };
    let l = c.library;
    let generated = !l.bases.is_empty();
    let library = match (l.file, generated) {
        (Some(path), false) => CachingLibrary::File(path),
        (None, true) => {
            let mut bases = Vec::new();
            for (j, b) in l.bases.iter().enumerate() {
                let arch = catalogue.model(&b.model).map_err(|e| {
                    field(
                        "model",
                        &b.model,
                        &format!("caching.library.bases[{j}].model"),
                        e.to_string(),
                    )
                })?;
                bases.push((arch.clone(), b.precision));
            }
            for (j, p) in l.lora_projections.iter().enumerate() {
                if !PROJECTIONS.contains(&p.as_str()) {
                    return Err(field(
                        "lora_projections",
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
                return Err(Error::field(
                    file,
                    0,
                    "caching.library",
                    "`loras_per_base` needs `lora_ranks` and `lora_projections`",
                ));
            }
            if let Some(j) = l.lora_ranks.iter().position(|&r| r == 0) {
                return Err(Error::field(
                    file,
                    0,
                    format!("caching.library.lora_ranks[{j}]"),
                    "a LoRA rank must be at least 1",
                ));
            }
            CachingLibrary::Generate {
                bases,
                loras_per_base: l.loras_per_base,
                lora_ranks: l.lora_ranks,
                lora_projections: l.lora_projections,
                finetunes_per_base: l.finetunes_per_base,
                quantised: l.quantised,
            }
        }
        _ => {
            return Err(Error::field(
                file,
                0,
                "caching.library",
                "give either `file` (a library file) or `bases` (to generate one), not both or neither",
            ));
        }
    };
    let p = c.popularity;
    let popularity = match (p.zipf, p.counts) {
        (Some(exponent), None) => {
            let personal = p.personal.unwrap_or(0.0);
            if !(exponent.is_finite() && exponent >= 0.0) {
                return Err(Error::field(
                    file,
                    0,
                    "caching.popularity.zipf",
                    format!("must be a non-negative exponent, got {exponent}"),
                ));
            }
            if !(0.0..=1.0).contains(&personal) {
                return Err(Error::field(
                    file,
                    0,
                    "caching.popularity.personal",
                    format!("must be in [0, 1], got {personal}"),
                ));
            }
            CachingPopularity::Zipf { exponent, personal }
        }
        (None, Some(path)) if p.personal.is_none() => CachingPopularity::Counts(path),
        _ => {
            return Err(Error::field(
                file,
                0,
                "caching.popularity",
                "give either `zipf` (and optionally `personal`) or `counts` (a CSV file)",
            ));
        }
    };
    if let Some(h) = c.min_hit_ratio {
        if !(0.0..=1.0).contains(&h) {
            return Err(Error::field(
                file,
                0,
                "caching.min_hit_ratio",
                format!("must be in [0, 1], got {h}"),
            ));
        }
    }
    Ok(Caching {
        storage_bytes,
        latency_bound_s,
        rates,
        library,
        popularity,
        seed: c.seed,
        min_hit_ratio: c.min_hit_ratio,
    })
}
