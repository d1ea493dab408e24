//! A scenario file's system part resolved: every name looked up in the catalogue, every figure
//! in base units, every reference checked.

use super::file::{
    DeviceGroupFile, EdgeServerFile, ModelFile, RadioFile, ScenarioFile, WorkloadFile,
};
use super::source::Source;
use super::{Cloud, Device, EdgeServer, Radio, ServedModel, Workload};
use crate::system::architecture::name_key;
use crate::system::catalogue::Catalogue;
use crate::system::error::{Error, Result};
use crate::system::network::{LTE_CONNECTED_POWER_W, UE_POWER_CLASS_3_W};
use crate::system::node::Node;
use crate::system::quantity::{Seconds, Watts};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The resolved parts of a scenario's system.
pub(super) struct System {
    pub devices: Vec<Device>,
    pub edge_servers: Vec<EdgeServer>,
    pub cloud: Cloud,
    pub models: Vec<ServedModel>,
    pub workload: Option<Workload>,
}

/// Resolves the system part of `raw`, read from `source`.
pub(super) fn system(source: &Source, raw: &ScenarioFile, catalogue: &Catalogue) -> Result<System> {
    require_some(source, raw)?;
    let edge_servers = edge_servers(source, &raw.edge_servers, catalogue)?;
    let cloud = Cloud {
        node: node(source, catalogue, &raw.cloud.hardware, "cloud.hardware")?,
        rtt_s: raw.cloud.rtt.get(),
    };
    let devices = devices(source, raw, catalogue)?;
    let models = models(source, &raw.models, catalogue)?;
    let workload = raw
        .workload
        .as_ref()
        .map(|w| workload(source, w))
        .transpose()?;
    Ok(System {
        devices,
        edge_servers,
        cloud,
        models,
        workload,
    })
}

/// At least one edge server, device group and model.
fn require_some(source: &Source, raw: &ScenarioFile) -> Result<()> {
    let empty = |what: &str, needs: &str| Error::File {
        file: source.file.clone(),
        message: format!("`{what}` is empty; a scenario needs at least one {needs}"),
    };
    if raw.edge_servers.is_empty() {
        return Err(empty("edge_servers", "edge server"));
    }
    if raw.device_groups.is_empty() {
        return Err(empty("device_groups", "device group"));
    }
    if raw.models.is_empty() {
        return Err(empty("models", "model"));
    }
    Ok(())
}

/// The hardware called `name`, written at `path`.
fn node(source: &Source, catalogue: &Catalogue, name: &str, path: &str) -> Result<Arc<Node>> {
    catalogue
        .node(name)
        .map(Arc::new)
        .map_err(|e| source.value_error("hardware", name, path, e.to_string()))
}

fn edge_servers(
    source: &Source,
    raw: &[EdgeServerFile],
    catalogue: &Catalogue,
) -> Result<Vec<EdgeServer>> {
    let mut servers = Vec::new();
    for (i, e) in raw.iter().enumerate() {
        if raw[..i].iter().any(|f| f.name == e.name) {
            return Err(source.value_error(
                "name",
                &e.name,
                &format!("edge_servers[{i}].name"),
                format!("edge server `{}` is defined twice", e.name),
            ));
        }
        servers.push(EdgeServer {
            name: e.name.clone(),
            node: node(
                source,
                catalogue,
                &e.hardware,
                &format!("edge_servers[{i}].hardware"),
            )?,
        });
    }
    Ok(servers)
}

fn devices(source: &Source, raw: &ScenarioFile, catalogue: &Catalogue) -> Result<Vec<Device>> {
    let mut devices = Vec::new();
    for (g, group) in raw.device_groups.iter().enumerate() {
        if raw.device_groups[..g].iter().any(|h| h.name == group.name) {
            return Err(source.value_error(
                "name",
                &group.name,
                &format!("device_groups[{g}].name"),
                format!("device group `{}` is defined twice", group.name),
            ));
        }
        if group.count == 0 {
            return Err(source.value_error(
                "name",
                &group.name,
                &format!("device_groups[{g}].count"),
                "must be at least 1",
            ));
        }
        let node = node(
            source,
            catalogue,
            &group.hardware,
            &format!("device_groups[{g}].hardware"),
        )?;
        let radio = radio(source, &raw.radios, group, g)?;
        let covered_by = coverage(source, &raw.edge_servers, group, g)?;
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
    Ok(devices)
}

/// The radio of device group `g`.
fn radio(
    source: &Source,
    radios: &BTreeMap<String, RadioFile>,
    group: &DeviceGroupFile,
    g: usize,
) -> Result<Radio> {
    let radio = radios.get(&group.radio).ok_or_else(|| {
        source.value_error(
            "radio",
            &group.radio,
            &format!("device_groups[{g}].radio"),
            format!(
                "no radio named `{}`; defined: {}",
                group.radio,
                radios.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    let power = |given: Option<Watts>, default: f64, name: &str| -> Result<f64> {
        let watts = given.map_or(default, Watts::get);
        if watts > 0.0 && watts.is_finite() {
            Ok(watts)
        } else {
            Err(source.field_error(
                &format!("radios.{}.{name}", group.radio),
                format!("must be a positive power, got {watts} W"),
            ))
        }
    };
    Ok(Radio {
        uplink_bps: radio.uplink.get(),
        downlink_bps: radio.downlink.get(),
        rtt_s: radio.rtt.get(),
        tx_power_w: power(radio.tx_power, UE_POWER_CLASS_3_W, "tx_power")?,
        idle_power_w: power(radio.idle_power, LTE_CONNECTED_POWER_W, "idle_power")?,
    })
}

/// Indices of the edge servers that cover device group `g`.
fn coverage(
    source: &Source,
    servers: &[EdgeServerFile],
    group: &DeviceGroupFile,
    g: usize,
) -> Result<Vec<usize>> {
    if group.covered_by.is_empty() {
        return Err(source.value_error(
            "name",
            &group.name,
            &format!("device_groups[{g}].covered_by"),
            "a device must be covered by at least one edge server",
        ));
    }
    let mut covered_by = Vec::new();
    for (j, name) in group.covered_by.iter().enumerate() {
        let index = servers
            .iter()
            .position(|e| &e.name == name)
            .ok_or_else(|| {
                source.value_error(
                    "covered_by",
                    name,
                    &format!("device_groups[{g}].covered_by[{j}]"),
                    format!(
                        "no edge server named `{name}`; defined: {}",
                        servers
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
    Ok(covered_by)
}

fn models(source: &Source, raw: &[ModelFile], catalogue: &Catalogue) -> Result<Vec<ServedModel>> {
    let mut models = Vec::new();
    for (i, m) in raw.iter().enumerate() {
        let path = format!("models[{i}].name");
        let architecture = catalogue
            .model(&m.name)
            .map_err(|e| source.value_error("name", &m.name, &path, e.to_string()))?
            .clone();
        if raw[..i]
            .iter()
            .any(|n| name_key(&n.name) == name_key(&m.name))
        {
            return Err(source.value_error(
                "name",
                &m.name,
                &path,
                format!("model `{}` is listed twice", m.name),
            ));
        }
        let share = match m.share {
            Some(s) if !(s.is_finite() && s > 0.0 && s <= 1.0) => {
                return Err(source.value_error(
                    "name",
                    &m.name,
                    &format!("models[{i}].share"),
                    format!("must be in (0, 1], got {s}"),
                ));
            }
            Some(s) => s,
            None => 1.0 / raw.len() as f64,
        };
        models.push(ServedModel {
            on_device: architecture.cost(m.device_precision),
            on_server: architecture.cost(m.server_precision),
            architecture,
            share,
        });
    }
    check_shares(source, raw, &models)?;
    Ok(models)
}

/// Shares are given for every model or for none, and then sum to 1.
fn check_shares(source: &Source, raw: &[ModelFile], models: &[ServedModel]) -> Result<()> {
    let given = raw.iter().filter(|m| m.share.is_some()).count();
    let file_error = |message: String| Error::File {
        file: source.file.clone(),
        message,
    };
    if given == 0 {
        return Ok(());
    }
    if given < raw.len() {
        return Err(file_error(
            "give `share` for every model or for none".into(),
        ));
    }
    let total: f64 = models.iter().map(|m| m.share).sum();
    if (total - 1.0).abs() > 1e-9 {
        return Err(file_error(format!("model shares sum to {total}, not 1")));
    }
    Ok(())
}

fn workload(source: &Source, w: &WorkloadFile) -> Result<Workload> {
    let file_error = |message: String| Error::File {
        file: source.file.clone(),
        message,
    };
    if w.window.is_some() == w.requests.is_some() {
        return Err(file_error(
            "workload: give exactly one of `window` (e.g. \"1 s\") or `requests` (a count)".into(),
        ));
    }
    let positive = |v: Option<Seconds>, key: &str| -> Result<Option<f64>> {
        match v {
            Some(s) if !(s.get() > 0.0 && s.get().is_finite()) => Err(source.field_error(
                &format!("workload.{key}"),
                format!("must be positive and finite, got {s}"),
            )),
            other => Ok(other.map(Seconds::get)),
        }
    };
    if w.requests == Some(0) {
        return Err(source.field_error("workload.requests", "must be at least 1"));
    }
    Ok(Workload {
        trace: source.resolve(&w.trace)?,
        start_s: w.start.map_or(0.0, Seconds::get).max(0.0),
        window_s: positive(w.window, "window")?,
        requests: w.requests,
        ttft_slo_s: positive(w.ttft_slo, "ttft_slo")?,
        e2e_slo_s: positive(w.e2e_slo, "e2e_slo")?,
        seed: w.seed,
    })
}
