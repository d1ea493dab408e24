//! `mei4llm inspect`: what running a model costs.

use mei4llm::system::cost_report::{
    BatchQuery, MAX_BATCH_SEQUENCES, MEDIAN_OUTPUT_TOKENS, MEDIAN_PROMPT_TOKENS, ModelReport,
    NodeSpeed, ScenarioReport, hardware_rows,
};
use mei4llm::system::{Catalogue, Precision, Scenario};
use mei4llm::text::{Table, si, time};
use serde::Serialize;
use std::error::Error;

#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mei4llm inspect --scenarios\n  mei4llm inspect --scenario small\n  mei4llm inspect --scenario scenarios/small.toml\n  mei4llm inspect --model Llama-2-7B --device \"NVIDIA L4 24GB\"\n  mei4llm inspect --model Llama-3.2-3B --device \"Qualcomm Snapdragon 8 Gen 3\" --precision int4 --json\n  mei4llm inspect --model Llama-3.1-8B --device \"NVIDIA L4 24GB\" --batch 16 --context 2048\n  mei4llm inspect --scenario small --batch 8\n  mei4llm inspect --list"
)]
pub struct Args {
    /// A scenario file (.toml or .json) or a bundled scenario's name: cost of each of its
    /// models on each of its devices, edge servers and cloud.
    #[arg(long, value_name = "FILE|NAME", conflicts_with_all = ["model", "list", "scenarios"])]
    scenario: Option<String>,
    /// A model of the catalogue (e.g. Llama-2-7B): its per-layer table and split points.
    #[arg(long, required_unless_present_any = ["scenario", "list", "scenarios"])]
    model: Option<String>,
    /// A device profile (e.g. "NVIDIA L4 24GB"): adds its prefill and decode speed and
    /// whether the model fits in its memory.
    #[arg(long, requires = "model")]
    device: Option<String>,
    /// Weight precision: fp16, int8 or int4.
    #[arg(long, default_value = "fp16")]
    precision: Precision,
    /// Prompt tokens (default: the median of the Azure 2023 conversation trace).
    #[arg(long, default_value_t = MEDIAN_PROMPT_TOKENS, value_parser = clap::value_parser!(u64).range(1..), allow_hyphen_values = true)]
    prompt_tokens: u64,
    /// Output tokens (default: the median of the Azure 2023 conversation trace).
    #[arg(long, default_value_t = MEDIAN_OUTPUT_TOKENS, value_parser = clap::value_parser!(u64).range(1..), allow_hyphen_values = true)]
    output_tokens: u64,
    /// Also the decode step of a batch of this many sequences on every node (the serving
    /// model of `batching` and `serve`: weights read once a step, every sequence's KV cache),
    /// with each sequence's and the batch's tokens per second.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_BATCH_SEQUENCES), allow_hyphen_values = true)]
    batch: Option<u64>,
    /// Tokens of context each sequence of `--batch` holds (default: the prompt tokens).
    #[arg(long, value_name = "TOKENS", requires = "batch", value_parser = clap::value_parser!(u64).range(1..), allow_hyphen_values = true)]
    context: Option<u64>,
    /// List the models and device profiles of the catalogue.
    #[arg(long)]
    list: bool,
    /// List the bundled scenarios (names `--scenario` takes from any folder) and the problems
    /// each one has a section for.
    #[arg(long, conflicts_with_all = ["model", "list"])]
    scenarios: bool,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// The batch `--batch` and `--context` ask for.
    fn batch_query(&self) -> Option<BatchQuery> {
        self.batch.map(|sequences| BatchQuery {
            sequences,
            context_tokens: self.context.unwrap_or(self.prompt_tokens),
        })
    }
}

pub fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let catalogue = Catalogue::bundled();
    if args.list {
        return list(catalogue, args.json);
    }
    if args.scenarios {
        return scenarios(args.json);
    }
    if let Some(name) = &args.scenario {
        return scenario(&Scenario::open(name)?, args);
    }
    let name = args.model.as_deref().unwrap_or_default();
    let cost = catalogue.model(name)?.cost(args.precision);
    let mut report = ModelReport::new(&cost, args.prompt_tokens, args.output_tokens);
    if let Some(device) = &args.device {
        let node = catalogue.node(device)?;
        let speed = NodeSpeed::new(
            &node,
            "device",
            &cost,
            args.prompt_tokens,
            args.output_tokens,
        )?;
        report
            .speeds
            .push(speed.with_batch(&node, &cost, args.batch_query())?);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_model(&report);
    }
    Ok(())
}

/// One bundled scenario: its name, description and problem sections.
#[derive(Serialize)]
struct Bundled {
    name: String,
    problems: Vec<&'static str>,
    description: String,
}

fn scenarios(json: bool) -> Result<(), Box<dyn Error>> {
    let mut rows = Vec::new();
    for name in mei4llm::system::bundle::scenarios() {
        let s = Scenario::bundled(name)?;
        let problems = mei4llm::problems::registry::all()
            .iter()
            .filter(|e| match e.section() {
                Some(section) => s.sections.iter().any(|t| t == section),
                None => s.workload.is_some(),
            })
            .map(|e| e.name())
            .collect();
        rows.push(Bundled {
            name: name.into(),
            problems,
            description: s.description,
        });
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let mut t = Table::new(&["scenario", "problems", "description"]);
    for r in &rows {
        t.row(vec![
            r.name.clone(),
            r.problems.join(", "),
            r.description.clone(),
        ]);
    }
    t.print();
    println!(
        "\nName one with --scenario from any folder; `mei4llm inspect --scenario NAME` shows its costs."
    );
    Ok(())
}

fn list(catalogue: &Catalogue, json: bool) -> Result<(), Box<dyn Error>> {
    let hardware = hardware_rows(catalogue);
    if json {
        #[derive(Serialize)]
        struct Listing<'a> {
            models: Vec<(&'a str, u64, u32)>,
            devices: Vec<(&'a str, &'a str)>,
        }
        let listing = Listing {
            models: catalogue
                .models()
                .iter()
                .map(|m| (m.name.as_str(), m.total_params(), m.layers))
                .collect(),
            devices: hardware
                .iter()
                .map(|h| (h.name.as_str(), h.class))
                .collect(),
        };
        println!("{}", serde_json::to_string_pretty(&listing)?);
        return Ok(());
    }
    let mut t = Table::new(&["model", "parameters", "blocks", "hidden", "vocab"]);
    for m in catalogue.models() {
        t.row(vec![
            m.name.clone(),
            si(m.total_params() as f64, ""),
            m.layers.to_string(),
            m.hidden.to_string(),
            m.vocab.to_string(),
        ]);
    }
    t.print();
    println!();
    let mut t = Table::new(&[
        "device",
        "class",
        "memory",
        "bandwidth",
        "fp16 peak",
        "calibrated",
    ]);
    for h in &hardware {
        t.row(vec![
            h.name.clone(),
            h.class.into(),
            si(h.memory_bytes, "B"),
            si(h.memory_bandwidth_bytes_per_s, "B/s"),
            h.fp16_flops_per_s.map_or("-".into(), |f| si(f, "FLOP/s")),
            if h.calibrated { "yes" } else { "no" }.into(),
        ]);
    }
    t.print();
    Ok(())
}

fn print_model(r: &ModelReport) {
    println!(
        "{} at {}: {} parameters in {} blocks (hidden {}, vocabulary {}), {} of weights, {} of KV cache per token",
        r.model,
        r.precision,
        si(r.total_params as f64, ""),
        r.layers,
        r.hidden,
        r.vocab,
        si(r.weight_bytes, "B"),
        si(r.kv_bytes_per_token, "B")
    );
    println!(
        "\nPer unit, for a {}-token prompt (decode at a context of {} tokens):",
        r.prompt_tokens, r.prompt_tokens
    );
    let mut t = Table::new(&[
        "unit",
        "parameters",
        "weights",
        "prefill FLOPs",
        "decode FLOPs/token",
        "decode bytes/token",
    ]);
    for u in &r.units {
        t.row(vec![
            u.unit.clone(),
            si(u.params as f64, ""),
            si(u.weight_bytes, "B"),
            si(u.prefill_flops, "FLOP"),
            si(u.decode_flops, "FLOP"),
            si(u.decode_bytes, "B"),
        ]);
    }
    t.print();
    println!(
        "\nSplit points (the device runs the embedding and blocks 1..s; s = {} is device-only, 0 edge-only):",
        r.layers
    );
    let mut t = Table::new(&[
        "split s",
        "device weights",
        "server weights",
        "bytes up per token",
    ]);
    for s in &r.splits {
        t.row(vec![
            s.split.to_string(),
            si(s.device_weight_bytes, "B"),
            si(s.server_weight_bytes, "B"),
            si(s.activation_bytes_per_token, "B"),
        ]);
    }
    t.print();
    if !r.speeds.is_empty() {
        print_speeds(&r.speeds, r.prompt_tokens, r.output_tokens);
    }
}

fn print_speeds(speeds: &[NodeSpeed], prompt: u64, output: u64) {
    println!(
        "\nWhole model on one node, {prompt}-token prompt, {output} output tokens (decode speed at a context of {prompt}):"
    );
    let mut t = Table::new(&[
        "node",
        "role",
        "precision",
        "prefill",
        "prefill tok/s",
        "decode tok/s",
        "end to end",
        "memory needed",
        "fits",
    ]);
    for s in speeds {
        t.row(vec![
            s.node.clone(),
            s.role.clone(),
            s.precision.to_string(),
            time(s.prefill_s),
            format!("{:.0}", s.prefill_tokens_per_s),
            format!("{:.1}", s.decode_tokens_per_s),
            time(s.end_to_end_s),
            memory(s.memory_needed_bytes, s.memory_bytes),
            yes_no(s.fits),
        ]);
    }
    t.print();
    print_batches(speeds);
}

/// `needed of capacity`.
fn memory(needed_bytes: f64, capacity_bytes: f64) -> String {
    format!("{} of {}", si(needed_bytes, "B"), si(capacity_bytes, "B"))
}

/// `yes` or `no`.
fn yes_no(fits: bool) -> String {
    if fits { "yes" } else { "no" }.into()
}

/// The batch step of every speed that has one.
fn print_batches(speeds: &[NodeSpeed]) {
    let Some(first) = speeds.iter().find_map(|s| s.batch.as_ref()) else {
        return;
    };
    println!(
        "\nOne decode step of a batch of {} sequences, each at a context of {} tokens:",
        first.sequences, first.context_tokens
    );
    let mut t = Table::new(&[
        "node",
        "role",
        "precision",
        "step",
        "tok/s a sequence",
        "tok/s the batch",
        "memory needed",
        "fits",
    ]);
    for (s, b) in speeds
        .iter()
        .filter_map(|s| s.batch.as_ref().map(|b| (s, b)))
    {
        t.row(vec![
            s.node.clone(),
            s.role.clone(),
            s.precision.to_string(),
            time(b.step_s),
            format!("{:.1}", b.tokens_per_s_per_sequence),
            format!("{:.0}", b.tokens_per_s),
            memory(b.memory_needed_bytes, s.memory_bytes),
            yes_no(b.fits),
        ]);
    }
    t.print();
}

fn scenario(s: &Scenario, args: &Args) -> Result<(), Box<dyn Error>> {
    let report = ScenarioReport::new(
        s,
        args.prompt_tokens,
        args.output_tokens,
        args.batch_query(),
    )?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "Scenario `{}`: {} devices, {} edge servers, cloud {}. {}",
        s.name,
        s.devices.len(),
        s.edge_servers.len(),
        s.cloud.node.name(),
        s.description
    );
    for (m, r) in s.models.iter().zip(&report.models) {
        println!(
            "\n== {} ({} parameters, {} blocks; devices at {}, servers at {}; {} of KV cache per token at fp16)",
            r.model,
            si(r.total_params as f64, ""),
            r.layers,
            m.on_device.precision,
            m.on_server.precision,
            si(r.kv_bytes_per_token, "B")
        );
        print_speeds(&r.speeds, r.prompt_tokens, r.output_tokens);
        let hidden = m.on_server.activation_bytes_per_token(1);
        println!(
            "Bytes up per token: {} at an inner split, 4 B (token ids) edge-only, none device-only; `mei4llm inspect --model {:?}` lists every split.",
            si(hidden, "B"),
            r.model
        );
    }
    Ok(())
}
