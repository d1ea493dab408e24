//! Scenario files: the shipped ones load in both formats, and every kind of bad input is an
//! error that names the file, the line and the field.

use mei4llm::system::Scenario;
use std::path::Path;

fn small_text() -> String {
    std::fs::read_to_string("scenarios/small.toml").unwrap()
}

#[test]
fn the_shipped_scenarios_load() {
    let small = Scenario::from_path(Path::new("scenarios/small.toml")).unwrap();
    assert_eq!(small.devices.len(), 8);
    assert_eq!(small.edge_servers.len(), 2);
    assert_eq!(small.models.len(), 2);
    // NUWINS 5G static uplink median 102.8 Mbps, RTT 14.3 ms; Irish 5G static downlink 29.8.
    let r = small.devices[0].radio;
    assert_eq!(
        (r.uplink_bps, r.downlink_bps, r.rtt_s),
        (102.8e6, 29.8e6, 0.0143)
    );
    assert!((r.tx_power_w - 0.1995).abs() < 1e-4);
    assert_eq!(small.cloud.rtt_s, 0.0993);
    assert_eq!(
        small.workload.as_ref().unwrap().trace.file_name(),
        Some("azure_llm_2023_conv.csv")
    );
    assert!(small.workload.as_ref().unwrap().trace.exists());

    let city = Scenario::from_path(Path::new("scenarios/city.toml")).unwrap();
    assert!(city.devices.len() >= 500);
    assert!(city.edge_servers.len() >= 10);
    let classes: std::collections::HashSet<_> =
        city.devices.iter().map(|d| d.node.profile.class).collect();
    assert!(classes.len() >= 2, "mixed phone and Jetson devices");
    assert!(city.devices.iter().all(|d| d.covered_by.len() == 2));
}

#[test]
fn json_reads_the_same_scenario() {
    let value: toml::Value = toml::from_str(&small_text()).unwrap();
    let json = serde_json::to_string_pretty(&value).unwrap();
    let from_json = Scenario::from_json_str("small.json", &json).unwrap();
    let from_toml = Scenario::from_toml_str("small.toml", &small_text()).unwrap();
    assert_eq!(from_json.devices.len(), from_toml.devices.len());
    assert_eq!(
        from_json.devices[7].radio.uplink_bps,
        from_toml.devices[7].radio.uplink_bps
    );
    let bad = json.replace("\"count\": 4", "\"count\": 4, \"colour\": \"red\"");
    let e = Scenario::from_json_str("small.json", &bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("small.json:") && e.contains("colour"), "{e}");
}

/// Replaces `from` (which must occur) in the small scenario and returns the error message.
fn error_after(from: &str, to: &str) -> String {
    let text = small_text();
    assert!(text.contains(from), "fixture text `{from}` not found");
    let edited = text.replacen(from, to, 1);
    Scenario::from_toml_str("small.toml", &edited)
        .map(|_| String::new())
        .unwrap_or_else(|e| e.to_string())
}

fn line_of(from: &str) -> usize {
    small_text().lines().position(|l| l.contains(from)).unwrap() + 1
}

#[track_caller]
fn assert_names(message: &str, line: usize, field: &str) {
    assert!(
        message.starts_with(&format!("small.toml:{line}:")),
        "expected line {line}: {message}"
    );
    assert!(
        message.contains(field),
        "expected field `{field}`: {message}"
    );
}

#[test]
fn a_missing_field_is_named() {
    let e = error_after("hardware = \"NVIDIA L4 24GB\"\n", "");
    assert!(
        e.starts_with("small.toml:") && e.contains("missing field `hardware`"),
        "{e}"
    );
}

#[test]
fn an_unknown_field_is_named_with_its_line() {
    let e = error_after(
        "count = 4\nhardware = \"Qualcomm Snapdragon 8 Gen 3\"",
        "count = 4\ncolour = \"red\"\nhardware = \"Qualcomm Snapdragon 8 Gen 3\"",
    );
    assert_names(&e, line_of("count = 4") + 1, "colour");
}

#[test]
fn zero_negative_and_nan_values_are_rejected() {
    let e = error_after("count = 4", "count = 0");
    assert!(
        e.contains("device_groups[0].count") && e.contains("at least 1"),
        "{e}"
    );
    let e = error_after("count = 4", "count = -4");
    assert_names(&e, line_of("count = 4"), "count");
    let e = error_after("share = 0.5", "share = nan");
    assert!(e.contains("models[0].share"), "{e}");
    let e = error_after("tx_power = \"23 dBm\"", "tx_power = \"NaN W\"");
    assert_names(&e, line_of("tx_power"), "NaN");
}

#[test]
fn units_must_be_given_and_of_the_right_kind() {
    let e = error_after("tx_power = \"23 dBm\"", "tx_power = 23");
    assert_names(&e, line_of("tx_power"), "no unit");
    let e = error_after("tx_power = \"23 dBm\"", "tx_power = \"23 ms\"");
    assert_names(&e, line_of("tx_power"), "is a time, expected a power");
    let e = error_after(
        "rtt = { dataset = \"nuwins\", radio = \"5G\", mobility = \"static\", percentile = \"p50\" }",
        "rtt = \"14 Mbps\"",
    );
    assert!(e.contains("is a data rate, expected a time"), "{e}");
}

#[test]
fn unknown_names_are_errors_that_list_what_exists() {
    let e = error_after(
        "\"Qualcomm Snapdragon 8 Gen 3\"",
        "\"Qualcomm Snapdragon 9 Gen 9\"",
    );
    assert_names(
        &e,
        line_of("Qualcomm Snapdragon 8 Gen 3"),
        "device_groups[0].hardware",
    );
    assert!(e.contains("NVIDIA H100 SXM 80GB"), "{e}");
    let e = error_after("name = \"Llama-2-7B\"", "name = \"Llama-2-70B\"");
    assert_names(&e, line_of("name = \"Llama-2-7B\""), "models[0].name");
    let e = error_after("radio = \"5g-static\"", "radio = \"6g\"");
    assert_names(
        &e,
        line_of("radio = \"5g-static\""),
        "device_groups[0].radio",
    );
    let e = error_after(
        "covered_by = [\"edge-l4\", \"edge-a100\"]",
        "covered_by = [\"edge-l4\", \"edge-z\"]",
    );
    assert!(
        e.contains("device_groups[0].covered_by[1]") && e.contains("edge-z"),
        "{e}"
    );
    let e = error_after(
        "radio = \"5G\", mobility = \"static\"",
        "radio = \"6G\", mobility = \"static\"",
    );
    assert!(
        e.contains("no uplink throughput_mbps row") && e.contains("6G"),
        "{e}"
    );
}

#[test]
fn model_shares_must_sum_to_one() {
    let e = error_after("share = 0.5", "share = 0.6");
    assert!(e.contains("sum to 1.1"), "{e}");
}

#[test]
fn a_malformed_file_names_its_line() {
    let e = error_after("[[edge_servers]]", "[[edge_servers]");
    assert_names(&e, line_of("[[edge_servers]]"), "");
}
