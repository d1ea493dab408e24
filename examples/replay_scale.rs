//! A trace of more than a million rows streamed through the split heuristics, to show that the
//! replay's memory is bounded by the epoch size and not by the trace's length.
//!
//! The trace is the Azure LLM conversation trace (2023, 19,366 requests over about an hour)
//! repeated `copies` times, each copy shifted by the trace's span rounded up to a whole second
//! plus one second, written in the Azure format to a temporary file. It is then replayed with
//! `mei4llm::replay` exactly as `mei4llm solve-trace` does, into a temporary output directory
//! (CSV rows appended per epoch, statistics in bounded memory, plots at the end).
//!
//! ```text
//! cargo build --release --example replay_scale
//! /usr/bin/time -v target/release/examples/replay_scale [copies=52] [threads=2] [epoch=1s] [solvers=descent,greedy,neurosurgeon,device-only,edge-only,cloud-only,random]
//! ```
//!
//! `/usr/bin/time -v` reports the peak resident memory ("Maximum resident set size").

use mei4llm::problems::formulation::Formulation;
use mei4llm::problems::split::Objective;
use mei4llm::problems::split::Split;
use mei4llm::problems::split::replay::{Slo, SplitRecord, SplitStats};
use mei4llm::replay::{OutputDir, ReplayOptions, RunInfo, replay};
use mei4llm::system::Scenario;
use mei4llm::system::trace::{TraceReader, read_trace};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// 2023-11-16 18:15:46.6805900, the first timestamp of the Azure conversation trace, in
/// nanoseconds since 1970-01-01.
const FIRST_NS: i64 = (19_677 * 86_400 + 18 * 3_600 + 15 * 60 + 46) * 1_000_000_000 + 680_590_000;

/// The date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `YYYY-MM-DD HH:MM:SS.fffffff`, as the Azure traces write times.
fn azure_time(ns: i64) -> String {
    let seconds = ns.div_euclid(1_000_000_000);
    let fraction = ns.rem_euclid(1_000_000_000) / 100;
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{fraction:07}",
        of_day / 3_600,
        of_day % 3_600 / 60,
        of_day % 60
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let copies: u64 = args.next().map_or(Ok(52), |a| a.parse())?;
    let threads: usize = args.next().map_or(Ok(2), |a| a.parse())?;
    let epoch = args.next().unwrap_or_else(|| "1s".into());
    let solvers: Vec<String> = args
        .next()
        .unwrap_or_else(|| {
            "descent,greedy,neurosurgeon,device-only,edge-only,cloud-only,random".into()
        })
        .split(',')
        .map(String::from)
        .collect();

    let source = Path::new("datasets/traces/azure_llm_2023_conv.csv");
    let requests = read_trace(source)?;
    let span_s = requests.last().map_or(0.0, |r| r.arrival_s);
    let shift_ns = (span_s.ceil() as i64 + 1) * 1_000_000_000;
    let dir = tempfile::tempdir()?;
    let trace = dir.path().join("azure_repeated.csv");
    let started = Instant::now();
    let mut out = BufWriter::new(std::fs::File::create(&trace)?);
    writeln!(out, "TIMESTAMP,ContextTokens,GeneratedTokens")?;
    for copy in 0..copies as i64 {
        for r in &requests {
            let ns = FIRST_NS + copy * shift_ns + (r.arrival_s * 1e9).round() as i64;
            writeln!(
                out,
                "{},{},{}",
                azure_time(ns),
                r.prompt_tokens,
                r.output_tokens
            )?;
        }
    }
    out.flush()?;
    drop(out);
    let rows = copies * requests.len() as u64;
    let bytes = std::fs::metadata(&trace)?.len();
    println!(
        "wrote {rows} rows ({:.1} MB, {copies} copies of {} shifted by {} s) in {:.1} s",
        bytes as f64 / 1e6,
        source.display(),
        shift_ns / 1_000_000_000,
        started.elapsed().as_secs_f64()
    );

    let scenario = Arc::new(Scenario::from_path(Path::new("scenarios/small.toml"))?);
    let problem = Split::with(Arc::clone(&scenario), Objective::Latency, Slo::default())?;
    let options = ReplayOptions {
        rule: epoch.parse()?,
        solvers,
        threads,
        seed: 1,
        ..ReplayOptions::default()
    };
    let reader = TraceReader::open(&trace)?;
    let mut info = RunInfo {
        version: env!("CARGO_PKG_VERSION").into(),
        problem: "split".into(),
        scenario: scenario.name.clone(),
        scenario_file: "scenarios/small.toml".into(),
        trace: trace.display().to_string(),
        trace_format: reader.format().name().into(),
        epoch_rule: epoch.clone(),
        solvers: options.solvers.clone(),
        exact_solver: None,
        seed: options.seed,
        time_limit_s: None,
        gap: options.gap,
        skip_bad_rows: false,
        start_s: 0.0,
        max_epochs: None,
        settings: problem.settings(),
        complete: false,
        stopped_by: None,
        solver_errors: 0,
        epochs: 0,
        requests: 0,
        rows: Default::default(),
    };
    let out_dir = dir.path().join("run");
    let mut sink: OutputDir<SplitRecord, SplitStats> = OutputDir::create(&out_dir, &info)?;
    let totals = replay(&problem, reader, &options, &mut sink, &mut |_| {})?;
    if let Some(error) = &totals.stopped_by {
        return Err(error.to_string().into());
    }
    info.complete = true;
    info.epochs = totals.epochs;
    info.requests = totals.requests;
    info.rows = totals.rows.clone();
    sink.finish(&info, Some(threads), Some(totals.wall_time_s))?;
    let requests_csv = std::fs::metadata(out_dir.join("requests.csv"))?.len();
    println!(
        "replayed {} requests in {} epochs of {epoch} through {} solvers on {threads} thread(s) in {:.1} s ({:.0} requests/s); requests.csv {:.1} MB",
        totals.requests,
        totals.epochs,
        options.solvers.len(),
        totals.wall_time_s,
        totals.requests as f64 / totals.wall_time_s,
        requests_csv as f64 / 1e6
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_azure_writes_them() {
        assert_eq!(azure_time(FIRST_NS), "2023-11-16 18:15:46.6805900");
        assert_eq!(
            azure_time(FIRST_NS + 14 * 86_400 * 1_000_000_000),
            "2023-11-30 18:15:46.6805900"
        );
        assert_eq!(
            azure_time(FIRST_NS + 16 * 86_400 * 1_000_000_000),
            "2023-12-02 18:15:46.6805900"
        );
    }
}
