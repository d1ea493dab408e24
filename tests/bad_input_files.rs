//! Bad scenario and trace files, in one table: each case derives a file from a bundled one (one
//! field replaced, a line added or removed, a byte spoilt) or names a path, and states what the
//! error must say: the file, the 1-based line (or none, for a file refused whole), the field
//! and the value. No case may be accepted or panic, and no message may echo a huge value.
//!
//! To add a case, add one line to the list of its kind (`scenario_cases`, `section_cases`,
//! `json_cases`, `file_cases`, `trace_cases`).

use mei4llm::problems::registry;
use mei4llm::system::trace::TraceReader;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// The crate root.
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The longest message an error may have (the lists of known names included).
const MAX_MESSAGE_BYTES: usize = 4096;

/// Which reader a case goes through.
#[derive(Clone, Copy, Debug)]
enum Reader {
    /// `registry::open_scenario`: the scenario and every problem section in it.
    Scenario,
    /// `TraceReader`: every row of the trace.
    Trace,
}

/// The bytes of a case's file, or a path that exists already.
#[derive(Debug)]
enum Content {
    Bytes(Vec<u8>),
    Path(PathBuf),
}

/// One bad input and what its error must name.
#[derive(Debug)]
struct Case {
    /// What was done to the file, for failure messages.
    what: String,
    reader: Reader,
    /// The extension of the file written (`toml`, `json`, `csv`, `jsonl`).
    ext: &'static str,
    content: Content,
    /// The 1-based line the error must name; `None` for an error about the file as a whole.
    line: Option<usize>,
    /// The field the error must name.
    field: Option<&'static str>,
    /// Text the message must contain (the value, or the limit it breaks).
    value: Option<String>,
}

impl Case {
    fn field(mut self, field: &'static str) -> Case {
        self.field = Some(field);
        self
    }

    fn value(mut self, value: impl Into<String>) -> Case {
        self.value = Some(value.into());
        self
    }

    /// The error is on the line `n` lines after the edit's first line.
    fn below(mut self, n: usize) -> Case {
        self.line = self.line.map(|l| l + n);
        self
    }

    fn at_line(mut self, line: usize) -> Case {
        self.line = Some(line);
        self
    }

    /// The error is about the file as a whole.
    fn whole_file(mut self) -> Case {
        self.line = None;
        self
    }
}

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap()
}

/// The text of a bundled scenario.
fn scenario_text(base: &str) -> String {
    read(&format!("scenarios/{base}.toml"))
}

/// The JSON form of a bundled scenario (pretty-printed, one key a line).
fn scenario_json(base: &str) -> String {
    let value: serde_json::Value = toml::from_str(&scenario_text(base)).unwrap();
    serde_json::to_string_pretty(&value).unwrap()
}

/// The first lines of a bundled trace, or a fixture of `tests/data`.
fn trace_text(base: &str) -> String {
    let text = match base {
        "burstgpt" => read("tests/data/burstgpt_sample.csv"),
        "vidur" => read("tests/data/vidur_sample.csv"),
        "mooncake" => read("datasets/traces/mooncake_conversation_trace.jsonl"),
        _ => read("datasets/traces/azure_llm_2023_conv.csv"),
    };
    text.lines().take(30).map(|l| format!("{l}\n")).collect()
}

/// The 1-based line on which `needle` starts in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` is not in the base file"));
    text[..at].matches('\n').count() + 1
}

/// `text` with its first `from` replaced by `to`, and the line of the edit.
fn edited(text: &str, from: &str, to: &[u8]) -> (Vec<u8>, usize) {
    let line = line_of(text, from);
    let at = text.find(from).unwrap_or_default();
    let mut bytes = text.as_bytes()[..at].to_vec();
    bytes.extend_from_slice(to);
    bytes.extend_from_slice(&text.as_bytes()[at + from.len()..]);
    (bytes, line)
}

fn case(reader: Reader, ext: &'static str, what: String, bytes: Vec<u8>, line: usize) -> Case {
    Case {
        what,
        reader,
        ext,
        content: Content::Bytes(bytes),
        line: Some(line),
        field: None,
        value: None,
    }
}

/// A bundled scenario (TOML) with its first `from` replaced by `to`; the error is expected on
/// the line of `from`.
fn toml(base: &str, from: &str, to: &str) -> Case {
    toml_bytes(base, from, to.as_bytes())
}

fn toml_bytes(base: &str, from: &str, to: &[u8]) -> Case {
    let (bytes, line) = edited(&scenario_text(base), from, to);
    let what = format!(
        "{base}.toml: `{}` -> `{}`",
        excerpt(from.as_bytes()),
        excerpt(to)
    );
    case(Reader::Scenario, "toml", what, bytes, line)
}

/// The JSON form of a bundled scenario with its first `from` replaced by `to`.
fn json(base: &str, from: &str, to: &str) -> Case {
    let (bytes, line) = edited(&scenario_json(base), from, to.as_bytes());
    let what = format!(
        "{base}.json: `{}` -> `{}`",
        excerpt(from.as_bytes()),
        excerpt(to.as_bytes())
    );
    case(Reader::Scenario, "json", what, bytes, line)
}

/// The first lines of a trace with the first `from` replaced by `to`.
fn trace(base: &str, from: &str, to: &str) -> Case {
    trace_bytes(base, from, to.as_bytes())
}

fn trace_bytes(base: &str, from: &str, to: &[u8]) -> Case {
    let ext = if base == "mooncake" { "jsonl" } else { "csv" };
    let (bytes, line) = edited(&trace_text(base), from, to);
    let what = format!(
        "{base} trace: `{}` -> `{}`",
        excerpt(from.as_bytes()),
        excerpt(to)
    );
    case(Reader::Trace, ext, what, bytes, line)
}

/// Whole bytes as a file, refused as a whole.
fn bytes(reader: Reader, ext: &'static str, what: &str, bytes: Vec<u8>) -> Case {
    case(reader, ext, what.to_string(), bytes, 0).whole_file()
}

/// A path that exists already.
fn path(reader: Reader, path: PathBuf) -> Case {
    Case {
        what: format!("the path {}", path.display()),
        reader,
        ext: "",
        content: Content::Path(path),
        line: None,
        field: None,
        value: None,
    }
}

fn excerpt(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(60)]).replace('\n', "⏎")
}

/// Errors in the system part of a scenario.
fn scenario_cases() -> Vec<Case> {
    let small = scenario_text("small");
    let first_group = line_of(&small, "name = \"s24\"");
    let first_server = line_of(&small, "name = \"edge-l4\"");
    let first_model = line_of(&small, "name = \"Llama-2-7B\"");
    let count = "device_groups[0].count";
    let rtt = r#"rtt = { dataset = "5gophers", radio = "5G mmWave VERIZON", mobility = "static", notes = "US-West", percentile = "p50" }"#;
    let uplink =
        r#"uplink = { dataset = "nuwins", radio = "5G", mobility = "static", percentile = "p50" }"#;
    let up = "radios.5g-static.uplink";
    vec![
        // Syntax.
        toml("small", "name = \"small\"", "name = \"small"),
        toml("small", "[[device_groups]]", "[[device_groups]"),
        toml("small", "count = 4", "count = = 4"),
        toml("small", "count = 4", "count = 99999999999999999999"),
        toml("small", "name = \"small\"", "name = \"small\"\nname = \"again\"").below(1),
        // Wrong types and values of a device group's count.
        toml("small", "count = 4", "count = \"four\"").field(count).value("four"),
        toml("small", "count = 4", "count = 0").field(count).value("got 0"),
        toml("small", "count = 4", "count = -4").field(count).value("-4"),
        toml("small", "count = 4", "count = 4.5").field(count).value("4.5"),
        toml("small", "count = 4", "count = nan").field(count).value("NaN"),
        toml("small", "count = 4", "count = inf").field(count).value("inf"),
        toml("small", "count = 4", "count = 1000000000")
            .field(count)
            .value("at most 100000 devices"),
        // Unknown and missing fields.
        toml("small", "count = 4", "count = 4\ncolour = \"red\"")
            .below(1)
            .field("device_groups[0].colour")
            .value("colour"),
        toml("small", "name = \"small\"", "name = \"small\"\nnmae = \"x\"")
            .below(1)
            .field("nmae")
            .value("nmae"),
        toml("small", "radio = \"5g-static\"\n", "")
            .at_line(first_group - 1)
            .field("device_groups[0]")
            .value("radio"),
        toml("small", "name = \"small\"\n", "").at_line(1).value("`name`"),
        // Unknown names and dangling references.
        toml(
            "small",
            "hardware = \"Qualcomm Snapdragon 8 Gen 3\"",
            "hardware = \"Nope Phone 9\"",
        )
        .field("device_groups[0].hardware")
        .value("Nope Phone 9"),
        toml("small", "radio = \"5g-static\"", "radio = \"6g\"")
            .field("device_groups[0].radio")
            .value("6g"),
        toml("small", "\"edge-l4\", \"edge-a100\"]", "\"edge-l4\", \"edge-x\"]")
            .field("device_groups[0].covered_by[1]")
            .value("edge-x"),
        toml(
            "small",
            "covered_by = [\"edge-l4\", \"edge-a100\"]",
            "covered_by = []",
        )
        .field("device_groups[0].covered_by")
        .value("is empty"),
        toml(
            "small",
            "covered_by = [\"edge-l4\", \"edge-a100\"]",
            "covered_by = \"edge-l4\"",
        )
        .field("device_groups[0].covered_by")
        .value("edge-l4"),
        toml("small", "name = \"Llama-2-7B\"", "name = \"GPT-9\"")
            .field("models[0].name")
            .value("GPT-9"),
        toml("small", "device_precision = \"int4\"", "device_precision = \"int3\"")
            .field("models[0].device_precision")
            .value("int3"),
        toml(
            "small",
            "hardware = \"NVIDIA H100 SXM 80GB\"",
            "hardware = \"NVIDIA Z1\"",
        )
        .field("cloud.hardware")
        .value("NVIDIA Z1"),
        toml("small", "hardware = \"NVIDIA L4 24GB\"", "hardware = \"L5\"")
            .field("edge_servers[0].hardware")
            .value("L5"),
        toml(
            "small",
            "hardware = \"NVIDIA L4 24GB\"",
            "hardware = \"NVIDIA L4 24GB\"\nracks = 2",
        )
        .below(1)
        .field("edge_servers[0].racks")
        .value("racks"),
        // Duplicate names, both places named.
        toml("small", "name = \"elite\"", "name = \"s24\"")
            .field("device_groups[1].name")
            .value(format!("`s24` is defined twice: here and at line {first_group}")),
        toml("small", "name = \"edge-a100\"", "name = \"edge-l4\"")
            .field("edge_servers[1].name")
            .value(format!("here and at line {first_server}")),
        toml("small", "name = \"Llama-3.2-3B\"", "name = \"llama-2-7b\"")
            .field("models[1].name")
            .value(format!("here and at line {first_model}")),
        // Model shares.
        toml("small", "share = 0.5", "share = 0.7")
            .below(6)
            .field("models[1].share")
            .value("sum to 1.2"),
        toml("small", "share = 0.5", "share = -0.5")
            .field("models[0].share")
            .value("-0.5"),
        toml("small", "share = 0.5", "share = nan")
            .field("models[0].share")
            .value("NaN"),
        toml("small", "share = 0.5", "share = inf")
            .field("models[0].share")
            .value("inf"),
        toml("small", "share = 0.5", "share = \"half\"")
            .field("models[0].share")
            .value("half"),
        toml("small", "share = 0.5\n", "")
            .at_line(first_model - 1)
            .field("models[0].share")
            .value("every model or for none"),
        // Links.
        toml("small", rtt, "rtt = \"-5 ms\"")
            .field("cloud.rtt")
            .value("-5 ms"),
        toml("small", rtt, "rtt = \"80\"")
            .field("cloud.rtt")
            .value("`80` has no unit"),
        toml("small", rtt, "rtt = \"80 Mbps\"")
            .field("cloud.rtt")
            .value("80 Mbps"),
        toml("small", rtt, "rtt = \"NaN ms\"")
            .field("cloud.rtt")
            .value("NaN"),
        toml("small", rtt, "rtt = \"inf ms\"")
            .field("cloud.rtt")
            .value("inf"),
        toml("small", rtt, "rtt = \"1e400 ms\"")
            .field("cloud.rtt")
            .value("1e400"),
        toml("small", uplink, "uplink = \"0 Mbps\"")
            .field(up)
            .value("0 Mbps"),
        toml("small", uplink, "uplink = \"-3 Mbps\"")
            .field(up)
            .value("-3 Mbps"),
        toml(
            "small",
            uplink,
            r#"uplink = { dataset = "nowhere", radio = "5G", mobility = "static", percentile = "p50" }"#,
        )
        .field(up)
        .value("nowhere"),
        toml(
            "small",
            uplink,
            r#"uplink = { dataset = "nuwins", radio = "5G", mobility = "static", percentile = "p51" }"#,
        )
        .field("radios.5g-static.uplink.percentile")
        .value("p51"),
        toml(
            "small",
            uplink,
            r#"uplink = { bandwidth = "0 MHz", snr = "10 dB" }"#,
        )
        .field(up)
        .value("bandwidth must be positive"),
        toml(
            "small",
            uplink,
            r#"uplink = { bandwidth = "20 MHz", snr = "NaN dB" }"#,
        )
        .field("radios.5g-static.uplink.snr")
        .value("NaN dB"),
        toml(
            "small",
            uplink,
            r#"uplink = { bandwidth = "20 MHz", snr = "10 dB", dataset = "nuwins" }"#,
        )
        .field(up)
        .value("a measured profile needs all of"),
        toml("small", "tx_power = \"23 dBm\"", "tx_power = \"0 W\"")
            .field("radios.5g-static.tx_power")
            .value("got 0 W"),
        toml("small", "tx_power = \"23 dBm\"", "tx_power = \"5 ms\"")
            .field("radios.5g-static.tx_power")
            .value("expected a power"),
        toml(
            "small",
            "tx_power = \"23 dBm\"",
            "tx_power = \"23 dBm\"\nidle_power = \"-1 W\"",
        )
        .below(1)
        .field("radios.5g-static.idle_power")
        .value("-1"),
        toml(
            "small",
            "tx_power = \"23 dBm\"",
            "tx_power = \"23 dBm\"\nantenna = 2",
        )
        .below(1)
        .field("radios.5g-static.antenna")
        .value("antenna"),
        // A loaded cloud.
        toml("small", rtt, &format!("{rtt}\nbackground = {{ sequences = 0, context = 1149 }}"))
            .below(1)
            .field("cloud.background.sequences")
            .value("0 sequences"),
        toml("small", rtt, &format!("{rtt}\nbackground = {{ sequences = 200000, context = 1149 }}"))
            .below(1)
            .field("cloud.background.sequences")
            .value("1 to 100000"),
        toml("small", rtt, &format!("{rtt}\nbackground = {{ sequences = 8, context = 0 }}"))
            .below(1)
            .field("cloud.background.context")
            .value("0 tokens"),
        toml("small", rtt, &format!("{rtt}\nbackground = {{ sequences = 8, context = 9, load = 1 }}"))
            .below(1)
            .field("cloud.background.load")
            .value("load"),
        // Locality classes.
        toml("small", "seed = 1", "seed = 1\n[workload.locality]\ndevice = 1.5")
            .below(2)
            .field("workload.locality.device")
            .value("got 1.5"),
        toml("small", "seed = 1", "seed = 1\n[workload.locality]\ndevice = 0.7\nedge = 0.5")
            .below(1)
            .field("workload.locality")
            .value("add up to more than 1"),
        toml("small", "seed = 1", "seed = 1\n[workload.locality]\ncloud = 0.1")
            .below(2)
            .field("workload.locality.cloud")
            .value("cloud"),
        // The workload.
        toml("small", "requests = 8", "requests = 0")
            .field("workload.requests")
            .value("got 0"),
        toml("small", "requests = 8", "requests = 1000000")
            .field("workload.requests")
            .value("an epoch holds at most 100000"),
        toml("small", "requests = 8", "requests = -1")
            .field("workload.requests")
            .value("-1"),
        toml("small", "requests = 8", "requests = 8\nwindow = \"1 s\"")
            .field("workload.requests")
            .value("exactly one of `window`"),
        toml("small", "requests = 8", "window = \"0 s\"")
            .field("workload.window")
            .value("got 0"),
        toml("small", "requests = 8", "window = \"NaN s\"")
            .field("workload.window")
            .value("NaN"),
        toml("small", "seed = 1", "seed = 1\nstart = \"-5 s\"")
            .below(1)
            .field("workload.start")
            .value("-5"),
        toml("small", "seed = 1", "seed = -1")
            .field("workload.seed")
            .value("-1"),
        toml("small", "seed = 1", "seed = 1\nttft_slo = \"0 s\"")
            .below(1)
            .field("workload.ttft_slo")
            .value("got 0"),
        toml(
            "small",
            "trace = \"../datasets/traces/azure_llm_2023_conv.csv\"",
            "trace = 5",
        )
        .field("workload.trace")
        .value("5"),
        // Huge values are cut in the message.
        toml(
            "small",
            "hardware = \"Qualcomm Snapdragon 8 Gen 3\"",
            &format!("hardware = \"{}\"", "Q".repeat(5_000_000)),
        )
        .field("device_groups[0].hardware")
        .value("… (5000000 bytes)"),
        toml(
            "small",
            "count = 4",
            &format!("count = \"{}\"", "9".repeat(1_000_000)),
        )
        .field(count)
        .value("… (1000000 bytes)"),
        toml(
            "small",
            "name = \"small\"",
            &format!("name = \"{}", "x".repeat(10_000_000)),
        ),
        // Bytes that are not UTF-8, byte-order marks, trailing garbage.
        toml_bytes("small", "count = 4", b"count = \"\xff\"").value("0xff"),
        toml("small", "name = \"small\"", "name = \"small\"\n\u{feff}").below(1),
        toml("small", "requests = 8\n", "requests = 8\n}}}\n").below(1),
        toml(
            "small",
            "[workload]",
            "[cachng]\nstorage = \"1 GB\"\n\n[workload]",
        )
        .field("cachng")
        .value("unknown section `[cachng]`"),
    ]
}

/// Errors in the problems' sections (`[caching]`, `[batching]`).
fn section_cases() -> Vec<Case> {
    let c = "caching-small";
    let b = "batching-small";
    let storage = "storage = \"12 GB\"";
    let caching = scenario_text(c);
    let first_base = line_of(&caching, "{ model = \"Llama-3.2-3B\"");
    vec![
        toml(c, storage, "storage = \"-1 GB\"")
            .field("caching.storage")
            .value("-1000000000"),
        toml(c, storage, "storage = \"0 GB\"")
            .field("caching.storage")
            .value("got 0"),
        toml(c, storage, "storage = \"NaN GB\"")
            .field("caching.storage")
            .value("NaN"),
        toml(c, storage, "storage = \"inf GB\"")
            .field("caching.storage")
            .value("inf"),
        toml(c, storage, "storage = \"12\"")
            .field("caching.storage")
            .value("`12` has no unit"),
        toml(c, storage, "storage = \"12 s\"")
            .field("caching.storage")
            .value("12 s"),
        toml(c, storage, "storage = 12")
            .field("caching.storage")
            .value("12"),
        toml(c, "{ edge-b = \"24 GB\" }", "{ edge-z = \"24 GB\" }")
            .field("caching.storage_per_server.edge-z")
            .value("no edge server named `edge-z`"),
        toml(c, "{ edge-b = \"24 GB\" }", "{ edge-b = \"-24 GB\" }")
            .field("caching.storage_per_server.edge-b")
            .value("-24000000000"),
        toml(c, "latency_bound = \"1800 s\"", "latency_bound = \"0 s\"")
            .field("caching.latency_bound")
            .value("got 0"),
        toml(c, "latency_bound = \"1800 s\"", "latency_bound = \"-1 s\"")
            .field("caching.latency_bound")
            .value("-1"),
        toml(c, "latency_bound = \"1800 s\"", "latency_bound = \"NaN s\"")
            .field("caching.latency_bound")
            .value("NaN"),
        toml(
            c,
            "latency_bound = \"1800 s\"",
            "latency_bound = \"1800 s\"\nrate_series = { carrier = \"NOPE\", connections = 1, server = \"US-East\" }",
        )
        .below(1)
        .field("caching.rate_series")
        .value("NOPE"),
        toml(c, "seed = 1\n\n[caching.library]", "seed = -1\n\n[caching.library]")
            .field("caching.seed")
            .value("-1"),
        toml(
            c,
            "seed = 1\n\n[caching.library]",
            "seed = 1\nmin_hit_ratio = 1.5\n\n[caching.library]",
        )
        .below(1)
        .field("caching.min_hit_ratio")
        .value("1.5"),
        toml(
            c,
            "seed = 1\n\n[caching.library]",
            "seed = 1\nbogus = 2\n\n[caching.library]",
        )
        .below(1)
        .field("caching.bogus")
        .value("bogus"),
        toml(c, "storage = \"12 GB\"\n", "")
            .at_line(line_of(&caching, "[caching]"))
            .field("caching")
            .value("`storage`"),
        toml(c, "loras_per_base = 4", "loras_per_base = 1001")
            .field("caching.library.loras_per_base")
            .value("at most 1000 per base"),
        toml(c, "loras_per_base = 4", "loras_per_base = -4")
            .field("caching.library.loras_per_base")
            .value("-4"),
        toml(c, "loras_per_base = 4", "loras_per_base = \"x\"")
            .field("caching.library.loras_per_base")
            .value("x"),
        toml(c, "finetunes_per_base = 1", "finetunes_per_base = 101")
            .field("caching.library.finetunes_per_base")
            .value("at most 100 per base"),
        toml(c, "lora_ranks = [8, 16, 32, 64]", "lora_ranks = [8, 0]")
            .field("caching.library.lora_ranks[1]")
            .value("got 0"),
        toml(c, "lora_ranks = [8, 16, 32, 64]", "lora_ranks = [100000]")
            .field("caching.library.lora_ranks[0]")
            .value("rank 100000 exceeds the hidden size"),
        toml(c, "lora_ranks = [8, 16, 32, 64]", "lora_ranks = [-8]")
            .field("caching.library.lora_ranks[0]")
            .value("-8"),
        toml(c, "lora_projections = [\"q\", \"v\"]", "lora_projections = [\"q\", \"x\"]")
            .field("caching.library.lora_projections[1]")
            .value("unknown projection `x`"),
        toml(c, "lora_projections = [\"q\", \"v\"]", "lora_projections = [\"q\", \"q\"]")
            .field("caching.library.lora_projections[1]")
            .value("`q` is listed twice"),
        toml(c, "quantised = [\"int8\", \"int4\"]", "quantised = [\"int8\", \"int8\"]")
            .field("caching.library.quantised[1]")
            .value("`int8` is listed twice"),
        toml(c, "quantised = [\"int8\", \"int4\"]", "quantised = [\"int3\"]")
            .field("caching.library.quantised[0]")
            .value("int3"),
        toml(
            c,
            "{ model = \"Qwen2-0.5B\", precision = \"fp16\" }",
            "{ model = \"Llama-3.2-3B\", precision = \"int8\" }",
        )
        .field("caching.library.bases[1].model")
        .value(format!("listed twice: here and at line {first_base}")),
        toml(
            c,
            "{ model = \"Qwen2-0.5B\", precision = \"fp16\" }",
            "{ model = \"Qwen9\", precision = \"fp16\" }",
        )
        .field("caching.library.bases[1].model")
        .value("Qwen9"),
        toml(
            c,
            "[caching.library]\n",
            "[caching.library]\nfile = \"library.toml\"\n",
        )
        .field("caching.library")
        .value("not both or neither"),
        toml(c, "zipf = 0.8", "zipf = -1")
            .field("caching.popularity.zipf")
            .value("-1"),
        toml(c, "zipf = 0.8", "zipf = nan")
            .field("caching.popularity.zipf")
            .value("NaN"),
        toml(c, "zipf = 0.8", "zipf = \"high\"")
            .field("caching.popularity.zipf")
            .value("high"),
        toml(c, "personal = 0.5", "personal = 2")
            .field("caching.popularity.personal")
            .value("got 2"),
        toml(c, "personal = 0.5", "personal = -0.1")
            .field("caching.popularity.personal")
            .value("-0.1"),
        toml(c, "personal = 0.5", "personal = 0.5\ncounts = \"counts.csv\"")
            .at_line(line_of(&caching, "[caching.popularity]"))
            .field("caching.popularity")
            .value("either `zipf`"),
        toml(b, "model = \"Llama-3.1-8B\"", "model = \"Llama-9\"")
            .field("batching.model")
            .value("Llama-9"),
        toml(b, "requests = 40", "requests = 0")
            .field("batching.requests")
            .value("got 0"),
        toml(b, "requests = 40", "requests = 100001")
            .field("batching.requests")
            .value("at most 100000"),
        toml(b, "requests = 40", "requests = -1")
            .field("batching.requests")
            .value("-1"),
        toml(b, "requests = 40", "requests = 40\nmemory_utilisation = 0")
            .below(1)
            .field("batching.memory_utilisation")
            .value("got 0"),
        toml(b, "requests = 40", "requests = 40\nmemory_utilisation = 1.5")
            .below(1)
            .field("batching.memory_utilisation")
            .value("1.5"),
        toml(b, "requests = 40", "requests = 40\nmemory_utilisation = nan")
            .below(1)
            .field("batching.memory_utilisation")
            .value("NaN"),
        toml(b, "arrival_speedup = 20", "arrival_speedup = 0")
            .field("batching.arrival_speedup")
            .value("got 0"),
        toml(b, "arrival_speedup = 20", "arrival_speedup = -20")
            .field("batching.arrival_speedup")
            .value("-20"),
        toml(b, "arrival_speedup = 20", "arrival_speedup = inf")
            .field("batching.arrival_speedup")
            .value("inf"),
        toml(b, "requests = 40", "requests = 40\nstart = \"-1 s\"")
            .below(1)
            .field("batching.start")
            .value("-1"),
        toml(b, "requests = 40", "requests = 40\nttft_slo = \"0 s\"")
            .below(1)
            .field("batching.ttft_slo")
            .value("got 0"),
        toml(b, "requests = 40", "requests = 40\ntpot_slo = \"-1 ms\"")
            .below(1)
            .field("batching.tpot_slo")
            .value("got -0.001 s"),
        toml(b, "fp16 = 0.25, int8", "fp16 = -0.25, int8")
            .field("batching.min_precision.fp16")
            .value("-0.25"),
        toml(b, "fp16 = 0.25, int8", "fp16 = 0.35, int8")
            .field("batching.min_precision")
            .value("sum to 1.1"),
        toml(b, "fp16 = 0.25, int8", "fp16 = nan, int8")
            .field("batching.min_precision.fp16")
            .value("NaN"),
        toml(b, "precisions = [\"fp16\", \"int8\", \"int4\"]", "precisions = []")
            .field("batching.precisions")
            .value("is empty"),
        toml(
            b,
            "precisions = [\"fp16\", \"int8\", \"int4\"]",
            "precisions = [\"fp16\", \"fp16\"]",
        )
        .field("batching.precisions[1]")
        .value("`fp16` is listed twice"),
        toml(
            b,
            "precisions = [\"fp16\", \"int8\", \"int4\"]",
            "precisions = [\"fp8\"]",
        )
        .field("batching.precisions[0]")
        .value("fp8"),
        toml(b, "requests = 40", "requests = 40\nobjective = \"latency\"")
            .below(1)
            .field("batching.objective")
            .value("latency"),
        toml(b, "requests = 40", "requests = 40\nbatch = 8")
            .below(1)
            .field("batching.batch")
            .value("batch"),
    ]
}

/// Errors in JSON scenarios.
fn json_cases() -> Vec<Case> {
    let small = scenario_json("small");
    let first_group = line_of(&small, "\"name\": \"s24\"");
    let last = small.matches('\n').count() + 1;
    vec![
        json("small", "\"count\": 4", "\"count\": 0")
            .field("device_groups[0].count")
            .value("got 0"),
        json(
            "small",
            "\"count\": 4",
            "\"count\": 4,\n      \"colour\": \"red\"",
        )
        .below(1)
        .field("device_groups[0].colour")
        .value("colour"),
        json("small", "\"count\": 4,", "\"count\": 4")
            .below(1)
            .value("expected `,`"),
        json("small", "\"name\": \"elite\"", "\"name\": \"s24\"")
            .field("device_groups[1].name")
            .value(format!("here and at line {first_group}")),
        json("small", "\"5g-static\": {", "\"lte-walking\": {")
            .at_line(line_of(&small, "\"lte-walking\": {"))
            .field("radios")
            .value("`lte-walking` is defined twice"),
        json("small", "\"share\": 0.5", "\"share\": 1e999")
            .field("models[0].share")
            .value("out of range"),
        json("small", "\"share\": 0.5", "\"share\": NaN").field("models[0].share"),
        json("small", "\"requests\": 8", "\"requests\": 1000000")
            .field("workload.requests")
            .value("at most 100000"),
        json(
            "caching-small",
            "\"edge-b\": \"24 GB\"",
            "\"edge-b\": \"24 GB\",\n      \"edge-b\": \"30 GB\"",
        )
        .below(1)
        .field("caching.storage_per_server")
        .value("`edge-b` is defined twice"),
        json(
            "caching-small",
            "\"storage\": \"12 GB\"",
            "\"storage\": \"-1 GB\"",
        )
        .field("caching.storage")
        .value("-1000000000"),
        json("batching-small", "\"requests\": 40", "\"requests\": 0")
            .field("batching.requests")
            .value("got 0"),
        {
            let mut text = scenario_json("small");
            text.push_str("\n{}\n");
            case(
                Reader::Scenario,
                "json",
                "small.json with a second document".into(),
                text.into_bytes(),
                last + 1,
            )
            .value("trailing characters")
        },
        {
            let mut text = b"\xef\xbb\xbf".to_vec();
            text.extend(
                scenario_json("small")
                    .replace("\"count\": 4", "\"count\": 0")
                    .bytes(),
            );
            let line = line_of(&small, "\"count\": 4");
            case(
                Reader::Scenario,
                "json",
                "small.json after a byte-order mark, count 0".into(),
                text,
                line,
            )
            .field("device_groups[0].count")
            .value("got 0")
        },
        bytes(Reader::Scenario, "json", "an empty JSON file", Vec::new())
            .at_line(1)
            .value("EOF"),
        bytes(Reader::Scenario, "json", "a JSON array", b"[1, 2]".to_vec())
            .at_line(1)
            .value("invalid type: sequence"),
    ]
}

/// Files refused whole: empty, too large, not a file, not a scenario.
fn file_cases(dir: &Path) -> Vec<Case> {
    let folder = dir.join("folder.toml");
    std::fs::create_dir_all(&folder).unwrap();
    let device = dir.join("zero.toml");
    #[cfg(unix)]
    std::os::unix::fs::symlink("/dev/zero", &device).unwrap();
    let trace_folder = dir.join("folder.csv");
    std::fs::create_dir_all(&trace_folder).unwrap();
    let mut large = scenario_text("small").into_bytes();
    large.extend(std::iter::repeat_n(b'#', 17 << 20));
    let mut cases = vec![
        bytes(Reader::Scenario, "toml", "an empty TOML file", Vec::new())
            .at_line(1)
            .value("`name`"),
        bytes(Reader::Scenario, "toml", "a 17 MiB scenario", large)
            .value("larger than 16777216 bytes"),
        bytes(
            Reader::Scenario,
            "yaml",
            "a .yaml scenario",
            b"name: x".to_vec(),
        )
        .value("end in .toml or .json"),
        path(Reader::Scenario, folder).value("is a folder"),
        path(Reader::Scenario, PathBuf::from("/dev/zero")).value("end in .toml or .json"),
        path(Reader::Trace, trace_folder).value("is a folder"),
        path(Reader::Trace, PathBuf::from("/dev/zero"))
            .at_line(1)
            .value("longer than 1048576 bytes"),
        bytes(Reader::Trace, "csv", "an empty trace", Vec::new()).value("empty"),
        bytes(Reader::Trace, "csv", "blank lines", b"\n  \n\n".to_vec()).value("empty"),
    ];
    if cfg!(unix) {
        cases.push(path(Reader::Scenario, device).value("is not a regular file"));
    }
    cases
}

/// Errors in traces.
fn trace_cases() -> Vec<Case> {
    let azure = trace_text("azure");
    let first_row = "2023-11-16 18:15:46.6805900,374,44";
    let second_row = line_of(&azure, "2023-11-16 18:15:50.9951690");
    let time = "TIMESTAMP";
    let prompt = "ContextTokens";
    let output = "GeneratedTokens";
    let mooncake_first = r#"{"timestamp": 0, "input_length": 6758, "output_length": 500"#;
    let header = "TIMESTAMP,ContextTokens,GeneratedTokens";
    vec![
        trace("azure", header, "TIME,Context,Generated")
            .whole_file()
            .value("unknown trace format: line 1 is `TIME,Context,Generated`"),
        trace("azure", header, &"x".repeat(500_000))
            .whole_file()
            .value("… (500000 bytes)"),
        trace("azure", header, &"x".repeat(50_000_000)).value("longer than 1048576 bytes"),
        trace(
            "azure",
            first_row,
            &format!("2023-11-16 18:15:46.6805900,374,{}", "4".repeat(2 << 20)),
        )
        .value("longer than 1048576 bytes"),
        trace("azure", first_row, "2023-13-16 18:15:46.6805900,374,44")
            .field(time)
            .value("no such date"),
        trace("azure", first_row, "6023-11-16 18:15:46.6805900,374,44")
            .field(time)
            .value("out of range"),
        trace("azure", first_row, "soon,374,44")
            .field(time)
            .value("`soon` is not a time"),
        trace("azure", first_row, ",374,44")
            .field(time)
            .value("is not a time"),
        trace("azure", first_row, "2023-11-16 18:15:59.0,374,44")
            .at_line(second_row)
            .field(time)
            .value("earlier than the row at line 2"),
        trace("azure", first_row, "2023-11-16 18:15:46.6805900,0,44")
            .field(prompt)
            .value("at least one prompt token"),
        trace("azure", first_row, "2023-11-16 18:15:46.6805900,-3,44")
            .field(prompt)
            .value("`-3` is negative"),
        trace("azure", first_row, "2023-11-16 18:15:46.6805900,1.5,44")
            .field(prompt)
            .value("`1.5` is not an integer"),
        trace("azure", first_row, "2023-11-16 18:15:46.6805900,,44")
            .field(prompt)
            .value("empty"),
        trace(
            "azure",
            first_row,
            "2023-11-16 18:15:46.6805900,99999999999,44",
        )
        .field(prompt)
        .value("exceeds 4294967295"),
        trace("azure", first_row, "2023-11-16 18:15:46.6805900,NaN,44")
            .field(prompt)
            .value("`NaN` is not an integer"),
        trace("azure", first_row, "2023-11-16 18:15:46.6805900,374,-1")
            .field(output)
            .value("`-1` is negative"),
        trace("azure", first_row, "2023-11-16 18:15:46.6805900,374,x")
            .field(output)
            .value("`x`"),
        trace("azure", first_row, "2023-11-16 18:15:46.6805900,374")
            .field(output)
            .value("missing"),
        trace("azure", first_row, "2023-11-16 18:15:46.6805900,374,44,9").value("4 columns"),
        trace(
            "azure",
            first_row,
            &format!("2023-11-16 18:15:46.6805900,{},44", "7".repeat(5000)),
        )
        .field(prompt)
        .value("… (5000 bytes)"),
        trace_bytes("azure", first_row, b"2023-11-16 18:15:46.6805900,37\xff,44")
            .field(prompt)
            .value("UTF-8"),
        trace_bytes(
            "azure",
            &format!("{header}\n{first_row}"),
            format!("\u{feff}{header}\n2023-11-16 18:15:46.6805900,0,44").as_bytes(),
        )
        .below(1)
        .field(prompt)
        .value("at least one prompt token"),
        trace(
            "mooncake",
            mooncake_first,
            r#"{"timestamp": "0", "input_length": 6758, "output_length": 500"#,
        )
        .field("timestamp")
        .value("`\"0\"` is not a number"),
        trace(
            "mooncake",
            mooncake_first,
            r#"{"timestamp": 0, "output_length": 500"#,
        )
        .field("input_length")
        .value("missing"),
        trace(
            "mooncake",
            mooncake_first,
            r#"{"timestamp": 0, "input_length": 0, "output_length": 500"#,
        )
        .field("input_length")
        .value("at least one prompt token"),
        trace(
            "mooncake",
            mooncake_first,
            r#"{"timestamp": 0, "input_length": -5, "output_length": 500"#,
        )
        .field("input_length")
        .value("`-5` is negative"),
        trace(
            "mooncake",
            mooncake_first,
            r#"{"timestamp": 0, "input_length": 6758, "output_length": null"#,
        )
        .field("output_length")
        .value("missing (or null)"),
        trace(
            "mooncake",
            mooncake_first,
            r#"{"timestamp": 1e300, "input_length": 6758, "output_length": 500"#,
        )
        .field("timestamp")
        .value("out of range"),
        trace(
            "mooncake",
            r#""hash_ids": [0, 1, 2"#,
            r#""hash_ids": [-1, 1, 2"#,
        )
        .field("hash_ids[0]")
        .value("`-1` is negative"),
        trace(
            "mooncake",
            r#""hash_ids": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]"#,
            r#""hash_ids": 3"#,
        )
        .field("hash_ids")
        .value("`3` is not an array"),
        trace(
            "mooncake",
            r#""hash_ids": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]"#,
            &format!(r#""hash_ids": [{}0]"#, "0, ".repeat(2000)),
        )
        .field("hash_ids")
        .value("2001 prefix blocks; a request lists at most 1024"),
        trace(
            "mooncake",
            mooncake_first,
            r#"{"timestamp": 0 "input_length": 6758, "output_length": 500"#,
        )
        .value("not a JSON object of a request"),
        trace(
            "mooncake",
            mooncake_first,
            r#"{"timestamp": 999999999, "input_length": 6758, "output_length": 500"#,
        )
        .below(1)
        .field("timestamp")
        .value("earlier than the row at line 1"),
        trace("burstgpt", "5,ChatGPT,472", "five,ChatGPT,472")
            .field("Timestamp")
            .value("`five` is not a number of seconds"),
        trace("burstgpt", "5,ChatGPT,472", "inf,ChatGPT,472")
            .field("Timestamp")
            .value("not a finite time"),
        trace("vidur", "4.314579,396", "-4.314579,396")
            .field("arrived_at")
            .value("earlier than the row"),
    ]
}

/// Writes the case's file into `dir` (scenario paths to bundled data made absolute, so they
/// resolve from there) and returns its path.
fn write(case: &Case, index: usize, dir: &Path) -> PathBuf {
    match &case.content {
        Content::Path(path) => path.clone(),
        Content::Bytes(bytes) => {
            let path = dir.join(format!("case{index:03}.{}", case.ext));
            let absolute = format!("\"{ROOT}/datasets/");
            let bytes = match (case.reader, std::str::from_utf8(bytes)) {
                (Reader::Scenario, Ok(text)) => {
                    text.replace("\"../datasets/", &absolute).into_bytes()
                }
                _ => bytes.clone(),
            };
            std::fs::write(&path, bytes).unwrap();
            path
        }
    }
}

/// The error the case's reader gives, or `None` if it accepts the file.
fn first_error(reader: Reader, path: &Path) -> Option<String> {
    match reader {
        Reader::Scenario => registry::open_scenario(&path.display().to_string())
            .err()
            .map(|e| e.to_string()),
        Reader::Trace => match TraceReader::open(path) {
            Err(e) => Some(e.to_string()),
            Ok(rows) => rows.filter_map(Result::err).map(|e| e.to_string()).next(),
        },
    }
}

/// What is wrong with the error the case got, if anything.
fn check(case: &Case, path: &Path, got: Option<String>) -> Option<String> {
    let Some(message) = got else {
        return Some("accepted".into());
    };
    let file = path.display().to_string();
    let place = match case.line {
        Some(line) => format!("{file}:{line}: "),
        None => format!("{file}: "),
    };
    let mut wanted = vec![place];
    wanted.extend(case.field.map(|f| format!("field `{f}`")));
    wanted.extend(case.value.clone());
    let missing: Vec<&String> = wanted.iter().filter(|w| !message.contains(*w)).collect();
    if message.len() > MAX_MESSAGE_BYTES {
        return Some(format!("a message of {} bytes", message.len()));
    }
    (!missing.is_empty()).then(|| format!("lacks {missing:?}: {message}"))
}

fn all_cases(dir: &Path) -> Vec<Case> {
    let mut cases = scenario_cases();
    cases.extend(section_cases());
    cases.extend(json_cases());
    cases.extend(file_cases(dir));
    cases.extend(trace_cases());
    cases
}

#[test]
fn every_bad_file_is_an_error_naming_its_file_line_field_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let cases = all_cases(dir.path());
    let mut failures = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let path = write(case, index, dir.path());
        let got = catch_unwind(AssertUnwindSafe(|| first_error(case.reader, &path)));
        let failure = match got {
            Err(_) => Some("panicked".to_string()),
            Ok(got) => check(case, &path, got),
        };
        if let Some(failure) = failure {
            failures.push(format!("case {index} ({}): {failure}", case.what));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    let count = |has: fn(&Case) -> bool| cases.iter().filter(|c| has(c)).count();
    println!(
        "bad input files: {} cases refused as expected, 0 accepted, 0 panics; {} name a line, {} a field, {} a value",
        cases.len(),
        count(|c| c.line.is_some()),
        count(|c| c.field.is_some()),
        count(|c| c.value.is_some()),
    );
}

#[test]
fn a_byte_order_mark_is_accepted_in_toml_and_json_alike() {
    let dir = tempfile::tempdir().unwrap();
    for (ext, text) in [
        ("toml", scenario_text("small")),
        ("json", scenario_json("small")),
    ] {
        let path = dir.path().join(format!("bom.{ext}"));
        let text = text.replace("\"../datasets/", &format!("\"{ROOT}/datasets/"));
        std::fs::write(&path, format!("\u{feff}{text}")).unwrap();
        let scenario = registry::open_scenario(&path.display().to_string()).unwrap();
        assert_eq!(
            (scenario.name.as_str(), scenario.devices.len()),
            ("small", 8)
        );
        let inline = match ext {
            "toml" => {
                mei4llm::system::Scenario::from_toml_str("s.toml", &format!("\u{feff}{text}"))
            }
            _ => mei4llm::system::Scenario::from_json_str("s.json", &format!("\u{feff}{text}")),
        };
        assert_eq!(inline.unwrap().devices.len(), 8);
    }
}

#[test]
fn every_bundled_scenario_and_trace_fits_the_limits() {
    for name in mei4llm::system::bundle::scenarios() {
        let scenario = registry::open_scenario(name).unwrap();
        assert!(scenario.devices.len() as u64 * 100 <= mei4llm::system::scenario::MAX_DEVICES);
    }
    for trace in [
        "azure_llm_2023_conv.csv",
        "azure_llm_2023_code.csv",
        "mooncake_conversation_trace.jsonl",
    ] {
        let path = Path::new(ROOT).join("datasets/traces").join(trace);
        let rows = TraceReader::open(path.as_path()).unwrap().count();
        assert!(
            rows * 5 <= mei4llm::system::trace::MAX_EPOCH_REQUESTS,
            "{trace}: {rows}"
        );
    }
}
