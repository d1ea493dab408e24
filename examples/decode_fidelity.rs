//! Predicted against measured decode speed on the Jetson Orin Nano 8GB (both power modes),
//! and the fit of the edge-module constants.
//!
//! ```text
//! cargo run --release --example decode_fidelity
//! ```

use mei4llm::system::Catalogue;
use mei4llm::system::calibration::{WORST_ROW_LIMIT, compare_decode, fit_decode};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let catalogue = Catalogue::bundled();
    let comparison = compare_decode(catalogue)?;
    println!("| model | power mode | measured tok/s | predicted tok/s | error |");
    println!("|---|---|---:|---:|---:|");
    for r in &comparison.rows {
        let mode = r.power_mode.split(" (").next().unwrap_or(&r.power_mode);
        println!(
            "| {} | {} | {:.2} | {:.2} | {:+.1}% |",
            r.model,
            mode,
            r.measured_tokens_per_s,
            r.predicted_tokens_per_s,
            100.0 * r.relative_error()
        );
    }
    println!(
        "\nmedian |error| {:.1}%, mean {:.1}%, worst {:.1}% over {} rows",
        100.0 * comparison.median_abs_error(),
        100.0 * comparison.mean_abs_error(),
        100.0 * comparison.max_abs_error(),
        comparison.rows.len()
    );
    match fit_decode(catalogue)? {
        Some(fit) => println!(
            "refit (mean |error| minimised, every row within {:.0}%): memory efficiency {:.3}, sampling {:.3e} s per vocabulary entry (mean {:.1}%, worst {:.1}%)",
            100.0 * WORST_ROW_LIMIT,
            fit.memory_efficiency,
            fit.sampling_s_per_vocab_entry,
            100.0 * fit.mean_abs_error,
            100.0 * fit.max_abs_error
        ),
        None => println!("no constants keep every row within the limit"),
    }
    Ok(())
}
