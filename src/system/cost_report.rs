//! What running a model costs, as rows: per unit (embedding, blocks, head), per split point, and
//! the whole model's speed on a node. `mei4llm inspect` prints these rows and the Python
//! package returns them as DataFrames, so both show the same figures.

use super::catalogue::Catalogue;
use super::error::{Error, Result};
use super::model_cost::{ModelCost, Part};
use super::node::{Background, Node};
use super::precision::Precision;
use super::scenario::Scenario;
use serde::Serialize;

/// Median prompt length of the Azure LLM conversation trace (2023), the default prompt.
pub const MEDIAN_PROMPT_TOKENS: u64 = 1020;
/// Median output length of the same trace, the default output.
pub const MEDIAN_OUTPUT_TOKENS: u64 = 129;

/// One unit of a model (the embedding, a block or the head) for a prompt of `n` tokens.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitRow {
    /// `embedding`, `block i` or `head`.
    pub unit: String,
    /// Parameters of the unit.
    pub params: u64,
    /// Bytes of its weights at the model's precision.
    pub weight_bytes: f64,
    /// FLOPs of prefilling the prompt through it.
    pub prefill_flops: f64,
    /// FLOPs of one decode step at a context of `n` tokens.
    pub decode_flops: f64,
    /// Bytes one decode step reads (weights and KV cache) at a context of `n` tokens.
    pub decode_bytes: f64,
}

/// One split point `s`: the device runs the embedding and blocks `1..s`, a server the rest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SplitRow {
    /// The split point (0: server only; the number of blocks: device only).
    pub split: u32,
    /// Weights the device holds.
    pub device_weight_bytes: f64,
    /// Weights the server holds.
    pub server_weight_bytes: f64,
    /// Bytes sent up per prompt token at this split.
    pub activation_bytes_per_token: f64,
}

/// The whole model on one node: how fast it prefills and decodes, and whether it fits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeSpeed {
    /// The node's hardware.
    pub node: String,
    /// `device`, `edge` or `cloud`.
    pub role: String,
    /// Precision of the weights.
    pub precision: Precision,
    /// Time to prefill the prompt.
    pub prefill_s: f64,
    /// Prompt tokens per second of prefill.
    pub prefill_tokens_per_s: f64,
    /// Tokens per second of steady decode at a context of the prompt.
    pub decode_tokens_per_s: f64,
    /// Prefill and every decode step of the output.
    pub end_to_end_s: f64,
    /// Weights and the KV cache of prompt and output.
    pub memory_needed_bytes: f64,
    /// The node's memory.
    pub memory_bytes: f64,
    /// Whether what is needed fits in the memory.
    pub fits: bool,
    /// One decode step of a batch, when one is asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchSpeed>,
}

/// One decode step of a batch of equal sequences on a node: every block reads its weights
/// once and each sequence's KV cache ([`Node::batch_decode_step_s`], the serving model every
/// problem uses).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchSpeed {
    /// Sequences in the batch.
    pub sequences: u64,
    /// Tokens of context each sequence holds at the step.
    pub context_tokens: u64,
    /// Time of the step (one token for every sequence).
    pub step_s: f64,
    /// Tokens per second each sequence sees (`1 / step`).
    pub tokens_per_s_per_sequence: f64,
    /// Tokens per second of the whole batch.
    pub tokens_per_s: f64,
    /// Weights once and every sequence's KV cache.
    pub memory_needed_bytes: f64,
    /// Whether that fits in the node's memory.
    pub fits: bool,
}

/// The most sequences a batch step is computed for.
pub const MAX_BATCH_SEQUENCES: u64 = 4096;

impl BatchSpeed {
    /// A decode step of `sequences` sequences of `context_tokens` tokens each, with the whole of
    /// `cost` on `node`.
    pub fn new(
        node: &Node,
        cost: &ModelCost,
        sequences: u64,
        context_tokens: u64,
    ) -> Result<BatchSpeed> {
        if !(1..=MAX_BATCH_SEQUENCES).contains(&sequences) {
            return Err(Error::invalid(
                "batch",
                format!("{sequences} sequences; a batch has 1 to {MAX_BATCH_SEQUENCES}"),
            ));
        }
        if context_tokens == 0 {
            return Err(Error::invalid(
                "context",
                "0 tokens; a sequence at a decode step holds at least one",
            ));
        }
        let whole = Part::whole(cost.layers);
        let contexts = vec![context_tokens; sequences as usize];
        let step_s = node.batch_decode_step_s(cost, whole, &contexts)?;
        let needed = cost.weight_bytes(whole)
            + cost.kv_bytes_per_token(whole) * (sequences * context_tokens) as f64;
        Ok(BatchSpeed {
            sequences,
            context_tokens,
            step_s,
            tokens_per_s_per_sequence: 1.0 / step_s,
            tokens_per_s: sequences as f64 / step_s,
            memory_needed_bytes: needed,
            fits: node.fits(needed),
        })
    }
}

/// A batch to report a decode step of: sequences and the context each holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchQuery {
    /// Sequences in the batch.
    pub sequences: u64,
    /// Tokens of context of each.
    pub context_tokens: u64,
}

impl NodeSpeed {
    /// The whole of `cost` on `node` (acting as `role`) for a request of `prompt_tokens` and
    /// `output_tokens` tokens, both at least 1.
    pub fn new(
        node: &Node,
        role: &str,
        cost: &ModelCost,
        prompt_tokens: u64,
        output_tokens: u64,
    ) -> Result<NodeSpeed> {
        NodeSpeed::beside(node, role, cost, (prompt_tokens, output_tokens), None)
    }

    /// [`new`](Self::new) for a request of `(prompt, output)` tokens decoding beside
    /// `background` (a loaded cloud GPU): its decode steps are the batch steps of both, and
    /// the memory holds the background's KV cache too.
    pub fn beside(
        node: &Node,
        role: &str,
        cost: &ModelCost,
        (prompt_tokens, output_tokens): (u64, u64),
        background: Option<Background>,
    ) -> Result<NodeSpeed> {
        check_tokens(prompt_tokens, output_tokens)?;
        let whole = Part::whole(cost.layers);
        let costs = node.phase_costs_beside(cost, prompt_tokens, output_tokens, background)?;
        let (prefill_s, decode_s) = (costs.prefill_s(whole), costs.decode_s(whole));
        let step_s = match background {
            None => node.decode_step_s(cost, whole, prompt_tokens)?,
            Some(b) => {
                let mut contexts = vec![b.context_tokens; b.sequences as usize];
                contexts.push(prompt_tokens);
                node.batch_decode_step_s(cost, whole, &contexts)?
            }
        };
        let others = background.map_or(0, |b| b.sequences * b.context_tokens);
        let tokens = prompt_tokens + output_tokens + others;
        let needed = cost.weight_bytes(whole) + cost.kv_bytes_per_token(whole) * tokens as f64;
        Ok(NodeSpeed {
            node: node.name().into(),
            role: role.into(),
            precision: cost.precision,
            prefill_s,
            prefill_tokens_per_s: prompt_tokens as f64 / prefill_s,
            decode_tokens_per_s: 1.0 / step_s,
            end_to_end_s: prefill_s + decode_s,
            memory_needed_bytes: needed,
            memory_bytes: node.profile.memory_bytes,
            fits: node.fits(needed),
            batch: None,
        })
    }

    /// This speed with the decode step of `batch` on `node` (the node it was made for).
    pub fn with_batch(
        self,
        node: &Node,
        cost: &ModelCost,
        batch: Option<BatchQuery>,
    ) -> Result<NodeSpeed> {
        let batch = batch
            .map(|b| BatchSpeed::new(node, cost, b.sequences, b.context_tokens))
            .transpose()?;
        Ok(NodeSpeed { batch, ..self })
    }
}

/// A model at one precision: its totals, units, split points and speeds on nodes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelReport {
    /// The model.
    pub model: String,
    /// Precision of the weights.
    pub precision: Precision,
    /// Parameters in all.
    pub total_params: u64,
    /// Transformer blocks.
    pub layers: u32,
    /// Width of the residual stream.
    pub hidden: u64,
    /// Vocabulary size.
    pub vocab: u64,
    /// Bytes of all weights.
    pub weight_bytes: f64,
    /// Bytes of KV cache per token of context.
    pub kv_bytes_per_token: f64,
    /// The prompt the unit and speed figures are for.
    pub prompt_tokens: u64,
    /// The output the speed figures are for.
    pub output_tokens: u64,
    /// Embedding, every block, head.
    pub units: Vec<UnitRow>,
    /// Every split point, 0 to `layers`.
    pub splits: Vec<SplitRow>,
    /// The whole model on nodes (empty until some are added).
    pub speeds: Vec<NodeSpeed>,
}

impl ModelReport {
    /// The units and split points of `cost` for a prompt of `prompt_tokens` tokens (decode at a
    /// context of the prompt); no speeds yet.
    pub fn new(cost: &ModelCost, prompt_tokens: u64, output_tokens: u64) -> ModelReport {
        let n = prompt_tokens;
        let layers = cost.layers;
        let embedding = cost.embedding();
        let block = cost.block();
        let head = cost.head();
        let mut units = Vec::with_capacity(layers as usize + 2);
        units.push(UnitRow {
            unit: "embedding".into(),
            params: embedding.params,
            weight_bytes: embedding.weight_bytes,
            prefill_flops: 0.0,
            decode_flops: 0.0,
            decode_bytes: cost.embedding_bytes(1),
        });
        units.extend((1..=layers).map(|i| UnitRow {
            unit: format!("block {i}"),
            params: block.params,
            weight_bytes: block.weight_bytes,
            prefill_flops: cost.block_prefill_flops(n),
            decode_flops: cost.block_decode_flops(n),
            decode_bytes: cost.block_decode_bytes(n),
        }));
        units.push(UnitRow {
            unit: "head".into(),
            params: head.params,
            weight_bytes: head.weight_bytes,
            prefill_flops: cost.head_flops(),
            decode_flops: cost.head_flops(),
            decode_bytes: cost.head_bytes(),
        });
        let splits = (0..=layers)
            .map(|s| SplitRow {
                split: s,
                device_weight_bytes: cost.weight_bytes(Part::device(s, layers)),
                server_weight_bytes: cost.weight_bytes(Part::server(s, layers)),
                activation_bytes_per_token: cost.activation_bytes_per_token(s),
            })
            .collect();
        ModelReport {
            model: cost.name.clone(),
            precision: cost.precision,
            total_params: cost.total_params(),
            layers,
            hidden: cost.hidden,
            vocab: cost.vocab,
            weight_bytes: cost.weight_bytes(Part::whole(layers)),
            kv_bytes_per_token: cost.kv_bytes_per_token(Part::whole(layers)),
            prompt_tokens,
            output_tokens,
            units,
            splits,
            speeds: Vec::new(),
        }
    }
}

/// Every model of a scenario on one node per distinct hardware of each role (device, edge,
/// cloud): devices run the model at its device precision, servers at its server precision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioReport {
    /// The scenario's name.
    pub scenario: String,
    /// Devices in the scenario.
    pub devices: usize,
    /// Edge servers in the scenario.
    pub edge_servers: usize,
    /// One report per model (at its server precision, without units), with its speeds.
    pub models: Vec<ModelReport>,
}

impl ScenarioReport {
    /// The report of `scenario` for a request of `prompt_tokens` and `output_tokens` tokens,
    /// and the decode step of `batch` on every node when one is given.
    pub fn new(
        scenario: &Scenario,
        prompt_tokens: u64,
        output_tokens: u64,
        batch: Option<BatchQuery>,
    ) -> Result<ScenarioReport> {
        let mut nodes: Vec<(&Node, &str)> = Vec::new();
        let candidates = scenario
            .devices
            .iter()
            .map(|d| (&*d.node, "device"))
            .chain(scenario.edge_servers.iter().map(|e| (&*e.node, "edge")));
        for (node, role) in candidates {
            if !nodes
                .iter()
                .any(|(n, r)| n.name() == node.name() && *r == role)
            {
                nodes.push((node, role));
            }
        }
        nodes.push((&scenario.cloud.node, "cloud"));
        let mut models = Vec::with_capacity(scenario.models.len());
        for m in &scenario.models {
            let mut report = ModelReport::new(&m.on_server, prompt_tokens, output_tokens);
            report.units.clear();
            for (node, role) in &nodes {
                let cost = if *role == "device" {
                    &m.on_device
                } else {
                    &m.on_server
                };
                let background = match *role {
                    "cloud" => scenario.cloud.background,
                    _ => None,
                };
                let tokens = (prompt_tokens, output_tokens);
                let speed = NodeSpeed::beside(node, role, cost, tokens, background)?;
                report.speeds.push(speed.with_batch(node, cost, batch)?);
            }
            models.push(report);
        }
        Ok(ScenarioReport {
            scenario: scenario.name.clone(),
            devices: scenario.devices.len(),
            edge_servers: scenario.edge_servers.len(),
            models,
        })
    }
}

/// One hardware profile of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HardwareRow {
    /// The profile's name.
    pub name: String,
    /// Its class (`server_gpu`, `phone_soc`, …).
    pub class: &'static str,
    /// Memory capacity.
    pub memory_bytes: f64,
    /// Peak memory bandwidth.
    pub memory_bandwidth_bytes_per_s: f64,
    /// Dense fp16 peak, when published.
    pub fp16_flops_per_s: Option<f64>,
    /// Whether a calibration exists, so that the cost model can run on it.
    pub calibrated: bool,
}

/// Every hardware profile of `catalogue`, in the order of its data file.
pub fn hardware_rows(catalogue: &Catalogue) -> Vec<HardwareRow> {
    catalogue
        .hardware()
        .iter()
        .map(|h| HardwareRow {
            name: h.name.clone(),
            class: h.class.name(),
            memory_bytes: h.memory_bytes,
            memory_bandwidth_bytes_per_s: h.memory_bandwidth_bytes_per_s,
            fp16_flops_per_s: h.fp16_flops_per_s,
            calibrated: catalogue.node(&h.name).is_ok(),
        })
        .collect()
}

/// Prompt and output lengths must be at least one token.
fn check_tokens(prompt_tokens: u64, output_tokens: u64) -> Result<()> {
    for (what, n) in [
        ("prompt_tokens", prompt_tokens),
        ("output_tokens", output_tokens),
    ] {
        if n == 0 {
            return Err(Error::invalid(what, "0; at least one token is needed"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn units_add_up_to_the_model_and_splits_span_it() {
        let catalogue = Catalogue::bundled();
        let cost = catalogue.model("Llama-2-7B").unwrap().cost(Precision::Fp16);
        let report = ModelReport::new(&cost, MEDIAN_PROMPT_TOKENS, MEDIAN_OUTPUT_TOKENS);
        assert_eq!(report.units.len(), 32 + 2);
        let params: u64 = report.units.iter().map(|u| u.params).sum();
        assert_eq!(params, report.total_params);
        let weights: f64 = report.units.iter().map(|u| u.weight_bytes).sum();
        assert!((weights - report.weight_bytes).abs() <= 1e-9 * report.weight_bytes);
        assert_eq!(report.splits.len(), 33);
        // Split 0 puts every weight on the server, split L every weight on the device.
        assert_eq!(report.splits[0].device_weight_bytes, 0.0);
        assert_eq!(report.splits[32].server_weight_bytes, 0.0);
        for s in &report.splits {
            let sum = s.device_weight_bytes + s.server_weight_bytes;
            assert!((sum - report.weight_bytes).abs() <= 1e-9 * report.weight_bytes);
        }
    }

    #[test]
    fn speeds_follow_the_node_and_reject_empty_requests() {
        let catalogue = Catalogue::bundled();
        let cost = catalogue.model("Llama-2-7B").unwrap().cost(Precision::Fp16);
        let node = catalogue.node("NVIDIA L4 24GB").unwrap();
        let speed = NodeSpeed::new(&node, "edge", &cost, 1020, 129).unwrap();
        let times = node
            .phase_times(&cost, Part::whole(cost.layers), 1020, 129)
            .unwrap();
        assert_eq!(speed.prefill_s, times.prefill_s);
        assert_eq!(speed.end_to_end_s, times.prefill_s + times.decode_s);
        assert_eq!(speed.prefill_tokens_per_s, 1020.0 / times.prefill_s);
        assert!(speed.fits, "13.5 GB of fp16 weights fit in 24 GB");
        let error = NodeSpeed::new(&node, "edge", &cost, 0, 129).unwrap_err();
        assert!(error.to_string().contains("prompt_tokens"), "{error}");
    }

    /// A batch step is the serving model's: one sequence's step is the single-sequence decode
    /// step, and a batch reads the weights once, so each sequence is slower but the batch
    /// faster than one sequence alone.
    #[test]
    fn a_batch_step_is_the_batch_roofline() {
        let catalogue = Catalogue::bundled();
        let node = catalogue.node("NVIDIA L4 24GB").unwrap();
        let cost = catalogue
            .model("Llama-3.1-8B")
            .unwrap()
            .cost(Precision::Fp16);
        let whole = Part::whole(cost.layers);
        let one = BatchSpeed::new(&node, &cost, 1, 2048).unwrap();
        assert_eq!(one.step_s, node.decode_step_s(&cost, whole, 2048).unwrap());
        let sixteen = BatchSpeed::new(&node, &cost, 16, 2048).unwrap();
        let step = node.batch_decode_step_s(&cost, whole, &[2048; 16]).unwrap();
        assert_eq!(sixteen.step_s, step);
        assert_eq!(sixteen.tokens_per_s, 16.0 / step);
        assert!(sixteen.step_s > one.step_s && sixteen.tokens_per_s > one.tokens_per_s);
        let kv = cost.kv_bytes_per_token(whole) * 16.0 * 2048.0;
        assert_eq!(sixteen.memory_needed_bytes, cost.weight_bytes(whole) + kv);
        for (sequences, context) in [(0, 2048), (MAX_BATCH_SEQUENCES + 1, 2048), (4, 0)] {
            let error = BatchSpeed::new(&node, &cost, sequences, context).unwrap_err();
            assert!(
                error.to_string().contains("batch") || context == 0,
                "{error}"
            );
        }
        let query = BatchQuery {
            sequences: 16,
            context_tokens: 2048,
        };
        let speed = NodeSpeed::new(&node, "edge", &cost, 1020, 129).unwrap();
        assert_eq!(
            speed.with_batch(&node, &cost, Some(query)).unwrap().batch,
            Some(sixteen)
        );
    }

    #[test]
    fn a_scenario_has_one_speed_per_distinct_node_and_role() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let scenario = Scenario::from_path(&root.join("scenarios/small.toml")).unwrap();
        let report = ScenarioReport::new(&scenario, 1020, 129, None).unwrap();
        assert_eq!((report.devices, report.edge_servers), (8, 2));
        for m in &report.models {
            assert!(m.units.is_empty());
            let roles: Vec<&str> = m.speeds.iter().map(|s| s.role.as_str()).collect();
            // Two phone SoCs, two edge GPUs, one cloud GPU.
            assert_eq!(roles, ["device", "device", "edge", "edge", "cloud"]);
        }
    }

    /// A loaded cloud's row is what `split` prices: decode beside the background batch, its
    /// KV cache in the memory needed.
    #[test]
    fn a_loaded_cloud_is_shown_beside_its_background() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join("scenarios/small.toml")).unwrap();
        let loaded = text.replace(
            "[cloud]\n",
            "[cloud]\nbackground = { sequences = 64, context = 1149 }\n",
        );
        let path = root.join("scenarios/small.toml");
        let idle = Scenario::from_toml_str(&path.display().to_string(), &text).unwrap();
        let loaded = Scenario::from_toml_str(&path.display().to_string(), &loaded).unwrap();
        let row = |s: &Scenario| {
            let report = ScenarioReport::new(s, 1020, 129, None).unwrap();
            report.models[0].speeds.last().unwrap().clone()
        };
        let (a, b) = (row(&idle), row(&loaded));
        assert_eq!(b.role, "cloud");
        assert_eq!(a.prefill_s, b.prefill_s);
        assert!(b.decode_tokens_per_s < a.decode_tokens_per_s);
        let cloud = &loaded.cloud;
        let cost = &loaded.models[0].on_server;
        let beside = cloud
            .node
            .phase_costs_beside(cost, 1020, 129, cloud.background)
            .unwrap();
        let whole = Part::whole(cost.layers);
        assert_eq!(
            b.end_to_end_s,
            beside.prefill_s(whole) + beside.decode_s(whole)
        );
        let kv = cost.kv_bytes_per_token(whole) * (64.0 * 1149.0);
        assert!((b.memory_needed_bytes - a.memory_needed_bytes - kv).abs() <= 1e-6 * kv);
    }

    #[test]
    fn hardware_rows_list_the_catalogue() {
        let catalogue = Catalogue::bundled();
        let rows = hardware_rows(catalogue);
        assert_eq!(rows.len(), catalogue.hardware().len());
        let l4 = rows.iter().find(|r| r.name == "NVIDIA L4 24GB").unwrap();
        assert_eq!(l4.class, "server_gpu");
        assert!(l4.calibrated);
    }
}
