//! Scenario files: the devices, edge servers, cloud, radio links and models of one study, in
//! TOML or JSON, and the sections of the problems studied on them.
//!
//! Files are strict: unknown fields, quantities without units, units of the wrong kind, unknown
//! device, model or profile names and dangling references are errors that name the file, the
//! line and the field. Every link figure is either a measured profile from
//! `datasets/network/network_profiles_summary.csv` (picked by dataset, radio, mobility and
//! percentile), a Shannon rate (`bandwidth`, `snr`), or a quantity written with its unit.
//!
//! This layer reads the system a scenario describes. A table it does not know (`[caching]`,
//! `[batching]`, …) is a problem's section: [`Scenario::section`] gives it to the problem, which
//! parses it with the same line-accurate errors, and [`Scenario::resolve`] resolves the paths it
//! names. A scenario is read from a file ([`Scenario::from_path`]), from the crate's bundle by
//! name ([`Scenario::bundled`]: `small`, `city`, …; [`bundle::scenarios`]
//! lists them), or from either ([`Scenario::open`]).
//!
//! A name given twice (a device group, an edge server, a model, a radio) is an error naming
//! both lines. A leading byte-order mark is dropped in TOML and JSON alike; anything after a
//! JSON document is an error. Sizes are bounded, each limit far above every bundled scenario:
//!
//! | limit | value | largest bundled |
//! |---|---|---|
//! | file size ([`MAX_SCENARIO_BYTES`]; only a regular file is read) | 16 MiB | 5.2 kB |
//! | devices, over all groups ([`MAX_DEVICES`]) | 100,000 | 600 |
//! | edge servers ([`MAX_EDGE_SERVERS`]) | 1,000 | 12 |
//! | requests per epoch, `[workload] requests` ([`MAX_EPOCH_REQUESTS`](super::trace::MAX_EPOCH_REQUESTS)) | 100,000 | 500 |
//! | LoRA models per base, `[caching]` (`MAX_LORAS_PER_BASE` of `src/problems/caching/section.rs`) | 1,000 | 21 |
//! | fine-tuned copies per base, `[caching]` (`MAX_FINETUNES_PER_BASE`, the same file) | 100 | 1 |
//! | a trace line ([`MAX_TRACE_LINE_BYTES`](super::trace::MAX_TRACE_LINE_BYTES)) | 1 MiB | 2,053 B |
//! | prefix blocks of a request ([`MAX_PREFIX_BLOCKS`](super::trace::MAX_PREFIX_BLOCKS)) | 1,024 | 247 |
//!
//! An error quotes a value by at most its first 80 characters, with its size in bytes.
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
//!
//! let small = Scenario::bundled("small").unwrap(); // from any folder
//! assert_eq!(small.devices.len(), 8);
//! ```

pub(crate) mod excerpt;
mod file;
mod limits;
mod locate;
mod resolve;
mod source;
pub mod spec;
pub(crate) mod unique;

pub use limits::{MAX_DEVICES, MAX_EDGE_SERVERS, MAX_SCENARIO_BYTES};
pub use source::{Format, Source};

use super::architecture::{Architecture, name_key};
use super::bundle;
use super::catalogue::Catalogue;
use super::data_path::DataPath;
use super::error::{Error, Result};
use super::model_cost::ModelCost;
use super::node::{Background, Node};
use file::ScenarioFile;
use serde::Serialize;
use serde::de::DeserializeOwned;
use source::{line_of, located};
use std::path::Path;
use std::sync::Arc;

/// What a device's radio link delivers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
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
    /// Its hardware (capacity is taken as ample: each request gets a GPU, which must hold the
    /// server part of its model, its KV cache and the background's).
    pub node: Arc<Node>,
    /// Round-trip time from a device to the cloud.
    pub rtt_s: f64,
    /// What each cloud GPU decodes besides the planned request (its load); `None`: an idle
    /// GPU.
    pub background: Option<Background>,
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
    /// Trace file (resolved against the scenario's folder, or the bundle).
    pub trace: DataPath,
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
    /// Shares of requests that must not leave their device or their edge site.
    pub locality: LocalityShares,
}

/// Shares of a workload's requests whose data may not go everywhere (the rest may be served by
/// any tier). Requests are drawn into a class with these shares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LocalityShares {
    /// Share that must be served on the user's device alone.
    pub device_share: f64,
    /// Share that may use the device and the edge servers but must not reach the cloud.
    pub edge_share: f64,
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
    /// The names of the problem sections the file holds (`caching`, `batching`, …), in file
    /// order.
    pub sections: Vec<String>,
    /// The file it was read from.
    #[serde(skip)]
    pub source: Arc<Source>,
}

impl Scenario {
    /// A scenario file, or else a bundled scenario of that name (`small`, `small.toml`): the
    /// way a user names a scenario on the command line or from Python.
    pub fn open(name_or_path: &str) -> Result<Scenario> {
        let path = Path::new(name_or_path);
        if path.exists() {
            return Scenario::from_path(path);
        }
        if bundle::scenario_file(name_or_path).is_some() {
            return Scenario::bundled(name_or_path);
        }
        Err(Error::File {
            file: name_or_path.into(),
            message: format!(
                "no such file, and no bundled scenario of that name (bundled: {})",
                bundle::scenarios().join(", ")
            ),
        })
    }

    /// The bundled scenario called `name` (`small`, `city`, `caching-small`, …; see
    /// [`bundle::scenarios`]); its relative paths resolve within the bundle.
    pub fn bundled(name: &str) -> Result<Scenario> {
        let file = bundle::scenario_file(name).ok_or_else(|| Error::UnknownName {
            kind: "bundled scenario",
            name: name.into(),
            known: bundle::scenarios().join(", "),
        })?;
        Scenario::read(DataPath::Bundled(file))
    }

    /// Reads a `.toml` or `.json` scenario file; its relative paths resolve against its folder.
    pub fn from_path(path: &Path) -> Result<Scenario> {
        Scenario::read(DataPath::File(path.to_path_buf()))
    }

    /// Reads the scenario at `path`, on disk or bundled.
    pub fn read(path: DataPath) -> Result<Scenario> {
        let name = path.to_string();
        let format = match path.extension() {
            Some("json") => Format::Json,
            Some("toml") => Format::Toml,
            _ => {
                return Err(Error::File {
                    file: name,
                    message: "scenario files end in .toml or .json".into(),
                });
            }
        };
        let text = path.read_to_string(MAX_SCENARIO_BYTES)?;
        Scenario::parse(Source::new(&name, Some(path), format, text))
    }

    /// Parses TOML text; `file` names it in error messages, and relative paths resolve
    /// against the working directory.
    pub fn from_toml_str(file: &str, text: &str) -> Result<Scenario> {
        Scenario::parse(Source::new(file, None, Format::Toml, text.into()))
    }

    /// Parses JSON text; `file` names it in error messages, and relative paths resolve
    /// against the working directory.
    pub fn from_json_str(file: &str, text: &str) -> Result<Scenario> {
        Scenario::parse(Source::new(file, None, Format::Json, text.into()))
    }

    fn parse(source: Source) -> Result<Scenario> {
        let raw = raw_file(&source)?;
        let system = resolve::system(&source, &raw, Catalogue::bundled())?;
        Ok(Scenario {
            name: raw.name,
            description: raw.description,
            devices: system.devices,
            edge_servers: system.edge_servers,
            cloud: system.cloud,
            models: system.models,
            workload: system.workload,
            sections: raw.sections,
            source: Arc::new(source),
        })
    }

    /// The problem section `name` (`[caching]`) deserialized as `T`; `None` when the file has
    /// none. Errors name the file, the line and the field, as for the rest of the file.
    pub fn section<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        if !self.sections.iter().any(|s| s == name) {
            return Ok(None);
        }
        self.source.section(name)
    }

    /// A path written in the file, resolved against the file's folder (or the bundle, for a
    /// bundled scenario).
    pub fn resolve(&self, relative: &Path) -> Result<DataPath> {
        self.source.resolve(relative)
    }

    /// The model called `name` in the catalogue of this scenario.
    pub fn model_index(&self, name: &str) -> Option<usize> {
        let key = name_key(name);
        self.models
            .iter()
            .position(|m| name_key(&m.architecture.name) == key)
    }
}

/// The file's text deserialized, with the line and field of the first error.
fn raw_file(source: &Source) -> Result<ScenarioFile> {
    let text = source.text();
    match source.format {
        Format::Toml => {
            let deserializer = toml::Deserializer::new(text);
            serde_path_to_error::deserialize(deserializer).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let line = inner.span().map_or_else(
                    || source.line_of_path(&path),
                    |span| line_of(text, span.start),
                );
                located(&source.file, line, &path, inner.message())
            })
        }
        Format::Json => {
            let mut deserializer = serde_json::Deserializer::from_str(text);
            let raw: ScenarioFile =
                serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
                    let path = e.path().to_string();
                    let inner = e.into_inner();
                    located(&source.file, inner.line() as u64, &path, &inner.to_string())
                })?;
            deserializer.end().map_err(|e| {
                located(
                    &source.file,
                    e.line() as u64,
                    ".",
                    &format!("after the scenario: {e}"),
                )
            })?;
            Ok(raw)
        }
    }
}
