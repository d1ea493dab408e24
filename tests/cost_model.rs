//! The cost model against its oracles: published parameter totals and measured speeds.

use mei4llm::system::calibration::{compare_decode, compare_phones, fit_decode};
use mei4llm::system::{Catalogue, Part, Precision};

#[test]
fn parameter_totals_match_every_listed_model_exactly() {
    let c = Catalogue::bundled();
    for m in c.models() {
        assert_eq!(m.total_params(), m.listed_params, "{}", m.name);
        // The cost model's own sum over units agrees with the architecture's count.
        for p in Precision::ALL {
            assert_eq!(m.cost(p).total_params(), m.listed_params, "{} {p}", m.name);
        }
    }
    // Published totals quoted in the datasets README.
    for (name, total) in [
        ("Llama-2-7B", 6_738_415_616u64),
        ("Llama-3.1-8B", 8_030_261_248),
        ("Mistral-7B-Instruct-v0.2", 7_241_732_096),
        ("Qwen2-0.5B", 494_032_768),
        ("GPT-2", 124_439_808),
    ] {
        assert_eq!(c.model(name).unwrap().total_params(), total, "{name}");
    }
}

#[test]
fn jetson_decode_predictions_meet_the_fidelity_bounds() {
    let comparison = compare_decode(Catalogue::bundled()).unwrap();
    assert_eq!(comparison.rows.len(), 14);
    let median = comparison.median_abs_error();
    assert!(median <= 0.15, "median |error| {median}");
    for r in &comparison.rows {
        assert!(
            r.relative_error().abs() <= 0.35,
            "{} {}: measured {} predicted {}",
            r.model,
            r.power_mode,
            r.measured_tokens_per_s,
            r.predicted_tokens_per_s
        );
    }
}

#[test]
fn the_stored_edge_module_constants_are_the_documented_fit() {
    let c = Catalogue::bundled();
    let fit = fit_decode(c).unwrap().expect("a feasible fit exists");
    let stored = c
        .calibrations()
        .iter()
        .find(|r| r.scope == "edge_module")
        .unwrap();
    assert!((fit.memory_efficiency - stored.memory_efficiency).abs() < 1e-9);
    assert!((fit.sampling_s_per_vocab_entry - stored.sampling_s_per_vocab_entry).abs() < 1e-12);
}

#[test]
fn phone_constants_reproduce_the_rows_they_were_derived_from() {
    let rows = compare_phones(Catalogue::bundled()).unwrap();
    assert_eq!(rows.len(), 3);
    for r in rows.iter().filter(|r| r.measured_ttft_s.is_some()) {
        let ttft = r.predicted_ttft_s.unwrap() / r.measured_ttft_s.unwrap() - 1.0;
        let decode = r.predicted_tokens_per_s / r.measured_tokens_per_s - 1.0;
        assert!(
            ttft.abs() < 0.005,
            "{} on {}: TTFT off by {ttft}",
            r.model,
            r.soc
        );
        assert!(
            decode.abs() < 0.005,
            "{} on {}: decode off by {decode}",
            r.model,
            r.soc
        );
    }
    // The Llama-3.1-8B row was not used: it checks the Snapdragon 8 Gen 3 constants.
    let check = rows.iter().find(|r| r.model == "Llama-3.1-8B").unwrap();
    let error = check.predicted_tokens_per_s / check.measured_tokens_per_s - 1.0;
    assert!(
        error.abs() < 0.15,
        "Llama-3.1-8B on Snapdragon 8 Gen 3: {error}"
    );
}

#[test]
fn a_split_costs_at_least_the_whole_model_in_weights() {
    let c = Catalogue::bundled();
    for m in c.models() {
        let cost = m.cost(Precision::Int4);
        let whole = cost.weight_bytes(Part::whole(m.layers));
        for s in 0..=m.layers {
            let split = cost.weight_bytes(Part::device(s, m.layers))
                + cost.weight_bytes(Part::server(s, m.layers));
            assert!(split >= whole - 1.0, "{} split {s}", m.name);
        }
    }
}
