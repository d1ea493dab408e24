//! What a choice costs a request: its time to first token, end-to-end latency and device
//! energy as a fixed part plus the parts paid at its bandwidth and compute shares, and its
//! bytes and memory, all from the cost model of the system layer.

use super::choice::{Choice, Tier};
use super::instance::{OptionCost, SplitInstance};
use super::terms::Terms;
use crate::system::{Background, ModelCost, Node, Part, PhaseCosts, TOKEN_ID_BYTES};
use std::cell::OnceCell;

impl SplitInstance {
    /// The cost of `choice` for the request of `phases`, with its node times taken from them.
    pub(super) fn priced(
        &self,
        phases: &PhaseCache<'_>,
        choice: Choice,
    ) -> Result<OptionCost, String> {
        let priced = match choice.tier {
            Tier::Device => self.device_only(phases, choice)?,
            _ => self.offloaded(phases, choice)?,
        };
        Ok(self.option(phases.k, choice, priced))
    }

    /// The option of `choice` for request `k` from its times and figures: its cost by the
    /// objective's weights, and the least shares its deadlines need.
    fn option(&self, k: usize, choice: Choice, priced: Priced) -> OptionCost {
        let r = &self.requests[k];
        let (per_second, per_joule) = self.objective.weights();
        let Priced {
            ttft_s,
            e2e_s,
            energy_j,
            rest,
        } = priced;
        // Energy enters only when weighted: a device without a power figure has NaN energy.
        let cost = if per_joule > 0.0 {
            e2e_s.combine(per_second, &energy_j, per_joule)
        } else {
            e2e_s.scale(per_second)
        }
        .scale(r.weight);
        let floors = match (r.ttft_deadline_s, r.e2e_deadline_s) {
            (None, None) => (0.0, 0.0),
            (ttft, e2e) => deadline_floors(&[(ttft_s, ttft), (e2e_s, e2e)]),
        };
        OptionCost {
            choice,
            ttft_s,
            e2e_s,
            energy_j,
            cost,
            floors,
            device_compute_s: rest.device_compute_s,
            upload_bytes: rest.upload_bytes,
            download_bytes: rest.download_bytes,
            device_memory_bytes: rest.device_memory_bytes,
            edge_kv_bytes: rest.edge_kv_bytes,
        }
    }

    /// The whole model on the device: no share-dependent part.
    fn device_only(&self, phases: &PhaseCache<'_>, choice: Choice) -> Result<Priced, String> {
        let r = &self.requests[phases.k];
        let device = &self.scenario.devices[r.device];
        let model = &self.scenario.models[r.model];
        let layers = model.architecture.layers;
        if choice.split != layers || choice.server.is_some() {
            return Err(format!(
                "device-only runs all {layers} blocks on the device (split {layers}, no server)"
            ));
        }
        let context = (r.prompt_tokens as u64 + r.output_tokens as u64) as f64;
        let power_w = device.node.active_power_w().unwrap_or(f64::NAN);
        let whole = Part::whole(layers);
        let (prefill, decode) = part_times(phases.device(), whole)?;
        let fixed = |value: f64| Terms {
            fixed: value,
            ..Terms::default()
        };
        Ok(Priced {
            ttft_s: fixed(prefill),
            e2e_s: fixed(prefill + decode),
            energy_j: fixed(power_w * (prefill + decode)),
            rest: Rest {
                device_compute_s: prefill + decode,
                upload_bytes: 0.0,
                download_bytes: 0.0,
                device_memory_bytes: model.on_device.weight_bytes(whole)
                    + model.on_device.kv_bytes_per_token(whole) * context,
                edge_kv_bytes: 0.0,
            },
        })
    }

    /// The server of an offloading `choice` for request `k`, or why the choice is not one.
    fn offload_server(&self, k: usize, choice: Choice) -> Result<usize, String> {
        let device = &self.scenario.devices[self.requests[k].device];
        let layers = self.layers(k);
        let server = choice
            .server
            .ok_or_else(|| format!("{} needs an edge server", choice.tier.name()))?;
        if !device.covered_by.contains(&server) {
            return Err(format!(
                "edge server {server} does not cover device `{}`",
                device.name
            ));
        }
        if choice.split >= layers {
            return Err(format!(
                "split {} of a {layers}-block model leaves nothing to offload",
                choice.split
            ));
        }
        if choice.tier == Tier::Cloud
            && choice.split > 0
            && self.scenario.cloud.background.is_some()
        {
            return Err(format!(
                "split {}: a loaded cloud (one with a background batch) serves whole requests only",
                choice.split
            ));
        }
        Ok(server)
    }

    /// The blocks after the split on an edge server or in the cloud: the device part, the
    /// uplink (at the bandwidth share), the server part (at the compute share on an edge
    /// server) and the round trips.
    fn offloaded(&self, phases: &PhaseCache<'_>, choice: Choice) -> Result<Priced, String> {
        let k = phases.k;
        let server = self.offload_server(k, choice)?;
        let r = &self.requests[k];
        let device = &self.scenario.devices[r.device];
        let model = &self.scenario.models[r.model];
        let s = choice.split;
        let server_part = Part::server(s, model.architecture.layers);
        let device_side = phases.device_side(s)?;
        let (device_prefill, device_decode) = (device_side.prefill_s, device_side.decode_s);
        let (server_prefill, server_decode) =
            part_times(phases.server(choice.tier, server), server_part)?;
        let link = self.link_times(k, choice);
        let on_edge = choice.tier == Tier::Edge;
        let ttft_fixed = device_prefill
            + link.rtt_s
            + link.down_token_s
            + if on_edge { 0.0 } else { server_prefill };
        let decode_fixed =
            device_decode + link.token_round_trips_s + if on_edge { 0.0 } else { server_decode };
        let edge = |value: f64| if on_edge { value } else { 0.0 };
        let ttft = Terms {
            fixed: ttft_fixed,
            upload: link.up_prompt_s,
            edge: edge(server_prefill),
        };
        let e2e = Terms {
            fixed: ttft_fixed + decode_fixed,
            upload: link.up_prompt_s + link.up_tokens_s,
            edge: edge(server_prefill + server_decode),
        };
        // The device computes its part, transmits while uploading, and keeps its radio
        // connected for the rest of the request (round trips, server time, tokens down).
        let device_busy = device_prefill + device_decode;
        let power_w = device.node.active_power_w().unwrap_or(f64::NAN);
        let radio = device.radio;
        let energy = Terms {
            fixed: power_w * device_busy + radio.idle_power_w * (e2e.fixed - device_busy),
            upload: radio.tx_power_w * (link.up_prompt_s + link.up_tokens_s),
            edge: radio.idle_power_w * e2e.edge,
        };
        let context = (r.prompt_tokens as u64 + r.output_tokens as u64) as f64;
        Ok(Priced {
            ttft_s: ttft,
            e2e_s: e2e,
            energy_j: energy,
            rest: Rest {
                device_compute_s: device_prefill + device_decode,
                upload_bytes: link.uploads * link.activation_bytes,
                download_bytes: r.output_tokens as f64 * TOKEN_ID_BYTES,
                device_memory_bytes: device_side.memory_bytes,
                edge_kv_bytes: edge(model.on_server.kv_bytes_per_token(server_part) * context),
            },
        })
    }

    /// What the radio link costs an offloading `choice` of request `k`. An inner split sends
    /// one activation up and one token down per generated token and waits a round trip for
    /// each; a server-only split streams tokens down.
    fn link_times(&self, k: usize, choice: Choice) -> LinkTimes {
        let r = &self.requests[k];
        let radio = self.scenario.devices[r.device].radio;
        let activation = self.scenario.models[r.model]
            .on_server
            .activation_bytes_per_token(choice.split);
        let inner = choice.split >= 1;
        let n = r.prompt_tokens as u64;
        let steps = (r.output_tokens as u64 - 1) as f64;
        let rtt_s = match choice.tier {
            Tier::Edge => radio.rtt_s,
            _ => self.scenario.cloud.rtt_s,
        };
        let down_token_s = 8.0 * TOKEN_ID_BYTES / radio.downlink_bps;
        LinkTimes {
            activation_bytes: activation,
            uploads: n as f64 + if inner { steps } else { 0.0 },
            up_prompt_s: 8.0 * n as f64 * activation / radio.uplink_bps,
            up_tokens_s: if inner {
                8.0 * steps * activation / radio.uplink_bps
            } else {
                0.0
            },
            rtt_s,
            down_token_s,
            token_round_trips_s: if inner {
                steps * (rtt_s + down_token_s)
            } else {
                0.0
            },
        }
    }
}

/// A choice's times and energy (fixed and share-dependent parts) and its other figures.
struct Priced {
    ttft_s: Terms,
    e2e_s: Terms,
    energy_j: Terms,
    rest: Rest,
}

/// The radio link's part in an offloading choice, at whole uplink.
struct LinkTimes {
    /// Bytes of one activation at the split.
    activation_bytes: f64,
    /// Activations sent up: the prompt's, and one per generated token after the first for an
    /// inner split.
    uploads: f64,
    /// Uploading the prompt's activations.
    up_prompt_s: f64,
    /// Uploading the generated tokens' activations (inner splits).
    up_tokens_s: f64,
    /// One round trip to the server.
    rtt_s: f64,
    /// Sending one token down.
    down_token_s: f64,
    /// The per-token round trips and tokens down of an inner split's decode.
    token_round_trips_s: f64,
}

/// Parts of an [`OptionCost`] that are not share-dependent.
struct Rest {
    device_compute_s: f64,
    upload_bytes: f64,
    download_bytes: f64,
    device_memory_bytes: f64,
    edge_kv_bytes: f64,
}

/// The phase costs ([`PhaseCosts`]) of one request on its device and on the servers of its
/// choices, and the device side of each split, each computed once, when first asked for: the
/// choices of a request differ only in how many blocks run where.
pub(super) struct PhaseCache<'a> {
    instance: &'a SplitInstance,
    k: usize,
    device: OnceCell<Result<PhaseCosts, String>>,
    edges: Vec<OnceCell<Result<PhaseCosts, String>>>,
    cloud: OnceCell<Result<PhaseCosts, String>>,
    /// Per split, the device side, shared by the choices of every tier and cell.
    device_sides: Vec<OnceCell<Result<DeviceSide, String>>>,
}

/// What the device part of one split costs the device.
struct DeviceSide {
    prefill_s: f64,
    decode_s: f64,
    /// Weights of the part and their KV cache for the prompt and the output.
    memory_bytes: f64,
}

impl<'a> PhaseCache<'a> {
    /// Nothing computed yet, for request `k`.
    pub(super) fn new(instance: &'a SplitInstance, k: usize) -> PhaseCache<'a> {
        PhaseCache {
            instance,
            k,
            device: OnceCell::new(),
            edges: (0..instance.edge_count())
                .map(|_| OnceCell::new())
                .collect(),
            cloud: OnceCell::new(),
            device_sides: (0..instance.layers(k)).map(|_| OnceCell::new()).collect(),
        }
    }

    /// The device side of split `split` (below the model's block count).
    #[inline(always)]
    fn device_side(&self, split: u32) -> Result<&DeviceSide, String> {
        self.device_sides[split as usize]
            .get_or_init(|| {
                let r = &self.instance.requests[self.k];
                let model = &self.instance.scenario.models[r.model].on_device;
                let part = Part::device(split, model.layers);
                let (prefill_s, decode_s) = part_times(self.device(), part)?;
                let context = (r.prompt_tokens as u64 + r.output_tokens as u64) as f64;
                Ok(DeviceSide {
                    prefill_s,
                    decode_s,
                    memory_bytes: model.weight_bytes(part)
                        + model.kv_bytes_per_token(part) * context,
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The phase costs of the request on `node`, decoding beside `background`.
    fn costs(
        &self,
        node: &Node,
        model: &ModelCost,
        background: Option<Background>,
    ) -> Result<PhaseCosts, String> {
        let r = &self.instance.requests[self.k];
        let (n, m) = (r.prompt_tokens as u64, r.output_tokens as u64);
        node.phase_costs_beside(model, n, m, background)
            .map_err(|e| e.to_string())
    }

    /// On the request's device, for its part of the model.
    #[inline(always)]
    fn device(&self) -> Result<&PhaseCosts, String> {
        let scenario = &self.instance.scenario;
        let r = &self.instance.requests[self.k];
        self.device
            .get_or_init(|| {
                self.costs(
                    &scenario.devices[r.device].node,
                    &scenario.models[r.model].on_device,
                    None,
                )
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// On edge server `e` (`tier` edge) or in the cloud, for the server part of the model.
    #[inline(always)]
    fn server(&self, tier: Tier, e: usize) -> Result<&PhaseCosts, String> {
        let scenario = &self.instance.scenario;
        let model = &scenario.models[self.instance.requests[self.k].model].on_server;
        let (cell, node, background) = match tier {
            Tier::Edge => (&self.edges[e], &scenario.edge_servers[e].node, None),
            _ => (&self.cloud, &scenario.cloud.node, scenario.cloud.background),
        };
        cell.get_or_init(|| self.costs(node, model, background))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Prefill and decode times of `part` (nothing for an empty part, whatever `costs` are).
#[inline(always)]
fn part_times(costs: Result<&PhaseCosts, String>, part: Part) -> Result<(f64, f64), String> {
    if part.is_empty() {
        return Ok((0.0, 0.0));
    }
    let costs = costs?;
    Ok((costs.prefill_s(part), costs.decode_s(part)))
}

/// The least shares meeting every `(terms, deadline)` pair, as documented on
/// [`OptionCost::floors`]; infinite when a deadline is below the fixed part.
fn deadline_floors(limits: &[(Terms, Option<f64>)]) -> (f64, f64) {
    let mut floors = (0.0f64, 0.0f64);
    for (terms, deadline) in limits {
        let Some(d) = deadline else { continue };
        let slack = d - terms.fixed;
        if slack <= 0.0 {
            return (f64::INFINITY, f64::INFINITY);
        }
        let (u, v) = (terms.upload, terms.edge);
        let (ru, rv) = (u.sqrt(), v.sqrt());
        let (mut beta, mut f) = (ru * (ru + rv) / slack, rv * (ru + rv) / slack);
        // Keep each share within 1 when the other can absorb the rest of the deadline.
        if f > 1.0 && slack > v {
            (beta, f) = (u / (slack - v), 1.0);
        } else if beta > 1.0 && slack > u {
            (beta, f) = (1.0, v / (slack - u));
        }
        floors.0 = floors.0.max(beta);
        floors.1 = floors.1.max(f);
    }
    floors
}
