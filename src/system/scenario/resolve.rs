//! A scenario file's system part resolved: every name looked up in the catalogue, every figure
//! in base units, every reference checked.

use super::file::{
    BackgroundFile, DeviceGroupFile, EdgeServerFile, LocalityFile, ModelFile, RadioFile,
    ScenarioFile, WorkloadFile,
};
use super::limits::{MAX_BACKGROUND_SEQUENCES, MAX_DEVICES, MAX_EDGE_SERVERS};
use super::source::Source;
use super::{Cloud, Device, EdgeServer, LocalityShares, Radio, ServedModel, Workload};
use crate::system::Background;
use crate::system::architecture::name_key;
use crate::system::catalogue::Catalogue;
use crate::system::error::{Error, Result};
use crate::system::network::{LTE_CONNECTED_POWER_W, UE_POWER_CLASS_3_W};
use crate::system::node::Node;
use crate::system::quantity::{Seconds, Watts};
use crate::system::trace::MAX_EPOCH_REQUESTS;
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
        background: background(source, raw.cloud.background.as_ref())?,
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
    let empty = |what: &str, needs: &str| {
        source.field_error(
            what,
            format!("is empty; a scenario needs at least one {needs}"),
        )
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
        .map_err(|e| source.value_error(name, path, e.to_string()))
}

/// The error for the name at `path`, which the entry at `first` already took: both lines named.
fn defined_twice(source: &Source, what: &str, name: &str, path: &str, first: &str) -> Error {
    source.value_error(
        name,
        path,
        format!(
            "{what} `{name}` is defined twice: here and at line {}",
            source.line_of_path(first)
        ),
    )
}

fn edge_servers(
    source: &Source,
    raw: &[EdgeServerFile],
    catalogue: &Catalogue,
) -> Result<Vec<EdgeServer>> {
    if raw.len() > MAX_EDGE_SERVERS {
        return Err(source.field_error(
            &format!("edge_servers[{MAX_EDGE_SERVERS}]"),
            format!(
                "{} edge servers; a scenario holds at most {MAX_EDGE_SERVERS}",
                raw.len()
            ),
        ));
    }
    let mut servers = Vec::new();
    for (i, e) in raw.iter().enumerate() {
        if let Some(first) = raw[..i].iter().position(|f| f.name == e.name) {
            return Err(defined_twice(
                source,
                "edge server",
                &e.name,
                &format!("edge_servers[{i}].name"),
                &format!("edge_servers[{first}].name"),
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
    check_counts(source, &raw.device_groups)?;
    let mut devices = Vec::new();
    for (g, group) in raw.device_groups.iter().enumerate() {
        if let Some(first) = raw.device_groups[..g]
            .iter()
            .position(|h| h.name == group.name)
        {
            return Err(defined_twice(
                source,
                "device group",
                &group.name,
                &format!("device_groups[{g}].name"),
                &format!("device_groups[{first}].name"),
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

/// Every group holds at least one device, and all of them at most [`MAX_DEVICES`] (checked
/// before any device is made).
fn check_counts(source: &Source, groups: &[DeviceGroupFile]) -> Result<()> {
    let mut total = 0u64;
    for (g, group) in groups.iter().enumerate() {
        let path = format!("device_groups[{g}].count");
        if group.count == 0 {
            return Err(source.field_error(&path, "must be at least 1, got 0"));
        }
        total += u64::from(group.count);
        if total > MAX_DEVICES {
            return Err(source.field_error(
                &path,
                format!(
                    "{} devices brings the scenario to {total}; a scenario holds at most {MAX_DEVICES} devices",
                    group.count
                ),
            ));
        }
    }
    Ok(())
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
        return Err(source.field_error(
            &format!("device_groups[{g}].covered_by"),
            "is empty; a device must be covered by at least one edge server",
        ));
    }
    let mut covered_by = Vec::new();
    for (j, name) in group.covered_by.iter().enumerate() {
        let index = servers
            .iter()
            .position(|e| &e.name == name)
            .ok_or_else(|| {
                source.value_error(
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
            .map_err(|e| source.value_error(&m.name, &path, e.to_string()))?
            .clone();
        if let Some(first) = raw[..i]
            .iter()
            .position(|n| name_key(&n.name) == name_key(&m.name))
        {
            return Err(defined_twice(
                source,
                "model",
                &m.name,
                &path,
                &format!("models[{first}].name"),
            ));
        }
        let share = match m.share {
            Some(s) if !(s.is_finite() && s > 0.0 && s <= 1.0) => {
                return Err(source.field_error(
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
    if raw.iter().all(|m| m.share.is_none()) {
        return Ok(());
    }
    if let Some(i) = raw.iter().position(|m| m.share.is_none()) {
        return Err(source.field_error(
            &format!("models[{i}].share"),
            "missing: give `share` for every model or for none",
        ));
    }
    let total: f64 = models.iter().map(|m| m.share).sum();
    if (total - 1.0).abs() > 1e-9 {
        return Err(source.field_error(
            &format!("models[{}].share", raw.len() - 1),
            format!("the model shares sum to {total}, not 1"),
        ));
    }
    Ok(())
}

fn workload(source: &Source, w: &WorkloadFile) -> Result<Workload> {
    if w.window.is_some() == w.requests.is_some() {
        let path = if w.window.is_some() {
            "workload.requests"
        } else {
            "workload"
        };
        return Err(source.field_error(
            path,
            "give exactly one of `window` (e.g. \"1 s\") or `requests` (a count)",
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
    if let Some(n) = w.requests {
        check_epoch_requests(source, "workload.requests", n)?;
    }
    let start_s = w.start.map_or(0.0, Seconds::get);
    if !(start_s.is_finite() && start_s >= 0.0) {
        return Err(source.field_error(
            "workload.start",
            format!("must be a finite time, not negative, got {start_s} s"),
        ));
    }
    Ok(Workload {
        trace: source.resolve(&w.trace)?,
        start_s,
        window_s: positive(w.window, "window")?,
        requests: w.requests,
        ttft_slo_s: positive(w.ttft_slo, "ttft_slo")?,
        e2e_slo_s: positive(w.e2e_slo, "e2e_slo")?,
        seed: w.seed,
        locality: locality(source, w.locality.as_ref())?,
    })
}

/// The cloud's background batch: at least one sequence (at most [`MAX_BACKGROUND_SEQUENCES`])
/// of at least one token of context.
fn background(source: &Source, file: Option<&BackgroundFile>) -> Result<Option<Background>> {
    let Some(file) = file else {
        return Ok(None);
    };
    if !(1..=MAX_BACKGROUND_SEQUENCES).contains(&file.sequences) {
        return Err(source.field_error(
            "cloud.background.sequences",
            format!(
                "{} sequences; a background batch has 1 to {MAX_BACKGROUND_SEQUENCES} (leave `background` out for an idle GPU)",
                file.sequences
            ),
        ));
    }
    if file.context == 0 {
        return Err(source.field_error(
            "cloud.background.context",
            "0 tokens; a decoding sequence holds at least one",
        ));
    }
    Ok(Some(Background {
        sequences: file.sequences,
        context_tokens: file.context,
    }))
}

/// The locality shares of `[workload.locality]`: each in [0, 1], together at most 1.
fn locality(source: &Source, file: Option<&LocalityFile>) -> Result<LocalityShares> {
    let Some(file) = file else {
        return Ok(LocalityShares::default());
    };
    for (key, share) in [("device", file.device), ("edge", file.edge)] {
        if !(share.is_finite() && (0.0..=1.0).contains(&share)) {
            return Err(source.field_error(
                &format!("workload.locality.{key}"),
                format!("a share of requests must be in [0, 1], got {share}"),
            ));
        }
    }
    if file.device + file.edge > 1.0 {
        return Err(source.field_error(
            "workload.locality",
            format!(
                "the shares of requests kept on the device ({}) and in the edge site ({}) add up to more than 1",
                file.device, file.edge
            ),
        ));
    }
    Ok(LocalityShares {
        device_share: file.device,
        edge_share: file.edge,
    })
}

/// A count of requests per epoch, written at `path`: at least 1, at most
/// [`MAX_EPOCH_REQUESTS`].
fn check_epoch_requests(source: &Source, path: &str, requests: u32) -> Result<()> {
    if requests == 0 {
        return Err(source.field_error(path, "must be at least 1, got 0"));
    }
    if u64::from(requests) > MAX_EPOCH_REQUESTS as u64 {
        return Err(source.field_error(
            path,
            format!("{requests} requests; an epoch holds at most {MAX_EPOCH_REQUESTS}"),
        ));
    }
    Ok(())
}
