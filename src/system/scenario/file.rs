//! A scenario file as written: the system it describes (radios, devices, edge servers, cloud,
//! models, workload) and the names of the problem sections it also holds.
//!
//! The system part is strict: an unknown key that is not a table is an error. A table under an
//! unknown key is a problem's section (`[caching]`, `[batching]`, …), which the problem reads
//! itself ([`super::Scenario::section`]); the registry of problems refuses sections no problem
//! claims.

use super::spec::{DownlinkRate, TimeSpec, UplinkRate};
use crate::system::precision::Precision;
use crate::system::quantity::{Seconds, Watts};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// The keys of the system part, in the order a file usually writes them.
pub(super) const FIELDS: &[&str] = &[
    "name",
    "description",
    "radios",
    "device_groups",
    "edge_servers",
    "cloud",
    "models",
    "workload",
];

/// A scenario file as written.
#[derive(Debug, Clone)]
pub(super) struct ScenarioFile {
    pub name: String,
    pub description: String,
    pub radios: BTreeMap<String, RadioFile>,
    pub device_groups: Vec<DeviceGroupFile>,
    pub edge_servers: Vec<EdgeServerFile>,
    pub cloud: CloudFile,
    pub models: Vec<ModelFile>,
    pub workload: Option<WorkloadFile>,
    /// The keys of the other top-level tables, in file order.
    pub sections: Vec<String>,
}

/// The `[radios]` table: each radio by its name, a name given twice refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
struct Radios(#[serde(deserialize_with = "super::unique::map")] BTreeMap<String, RadioFile>);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RadioFile {
    pub uplink: UplinkRate,
    pub downlink: DownlinkRate,
    pub rtt: TimeSpec,
    #[serde(default)]
    pub tx_power: Option<Watts>,
    #[serde(default)]
    pub idle_power: Option<Watts>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DeviceGroupFile {
    pub name: String,
    pub count: u32,
    pub hardware: String,
    pub radio: String,
    pub covered_by: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EdgeServerFile {
    pub name: String,
    pub hardware: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CloudFile {
    pub hardware: String,
    pub rtt: TimeSpec,
    #[serde(default)]
    pub background: Option<BackgroundFile>,
}

/// `[cloud] background = { sequences = …, context = … }`: what every cloud GPU decodes besides
/// the planned requests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BackgroundFile {
    pub sequences: u64,
    pub context: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ModelFile {
    pub name: String,
    pub device_precision: Precision,
    pub server_precision: Precision,
    #[serde(default)]
    pub share: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WorkloadFile {
    pub trace: PathBuf,
    #[serde(default)]
    pub start: Option<Seconds>,
    #[serde(default)]
    pub window: Option<Seconds>,
    #[serde(default)]
    pub requests: Option<u32>,
    #[serde(default)]
    pub ttft_slo: Option<Seconds>,
    #[serde(default)]
    pub e2e_slo: Option<Seconds>,
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub locality: Option<LocalityFile>,
}

/// `[workload.locality]`: shares of requests that must stay on their device or in their edge
/// site.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LocalityFile {
    #[serde(default)]
    pub device: f64,
    #[serde(default)]
    pub edge: f64,
}

/// Reads the value of an unknown top-level key: a table is a problem's section (skipped here),
/// anything else a misspelt key, refused while its value is read so that the error is placed
/// on the value's line and under its key.
struct SectionProbe<'a> {
    key: &'a str,
}

impl SectionProbe<'_> {
    fn refuse<E: de::Error>(&self) -> E {
        E::custom(format!(
            "unknown field `{}`, expected one of {} or a problem's section (a table such as [caching])",
            self.key,
            FIELDS
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

impl<'de> DeserializeSeed<'de> for SectionProbe<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SectionProbe<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a problem's section (a table)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.refuse())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(self.refuse())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(self.refuse())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(self.refuse())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(self.refuse())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(self.refuse())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(self.refuse())
    }
}

impl<'de> Deserialize<'de> for ScenarioFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ScenarioFile, D::Error> {
        deserializer.deserialize_map(FileVisitor)
    }
}

struct FileVisitor;

/// Sets `slot` from the next value, refusing a key given twice.
fn once<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    key: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(key));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl<'de> Visitor<'de> for FileVisitor {
    type Value = ScenarioFile;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scenario (a table of settings)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ScenarioFile, A::Error> {
        let (mut name, mut description, mut radios) = (None, None, None::<Radios>);
        let (mut device_groups, mut edge_servers, mut cloud) = (None, None, None);
        let (mut models, mut workload) = (None, None);
        let mut sections: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "name" => once(&mut map, &mut name, "name")?,
                "description" => once(&mut map, &mut description, "description")?,
                "radios" => once(&mut map, &mut radios, "radios")?,
                "device_groups" => once(&mut map, &mut device_groups, "device_groups")?,
                "edge_servers" => once(&mut map, &mut edge_servers, "edge_servers")?,
                "cloud" => once(&mut map, &mut cloud, "cloud")?,
                "models" => once(&mut map, &mut models, "models")?,
                "workload" => once(&mut map, &mut workload, "workload")?,
                _ => {
                    map.next_value_seed(SectionProbe { key: &key })?;
                    if sections.contains(&key) {
                        return Err(de::Error::custom(format!("duplicate section `{key}`")));
                    }
                    sections.push(key);
                }
            }
        }
        let missing = |key| de::Error::missing_field(key);
        Ok(ScenarioFile {
            name: name.ok_or_else(|| missing("name"))?,
            description: description.unwrap_or_default(),
            radios: radios.map(|r| r.0).unwrap_or_default(),
            device_groups: device_groups.ok_or_else(|| missing("device_groups"))?,
            edge_servers: edge_servers.ok_or_else(|| missing("edge_servers"))?,
            cloud: cloud.ok_or_else(|| missing("cloud"))?,
            models: models.ok_or_else(|| missing("models"))?,
            workload,
            sections,
        })
    }
}
