//! `mei4llm solve-trace`: a request trace solved epoch by epoch by several solvers side by
//! side, with a progress bar, into a directory of CSV, JSON and SVG files.

use crate::args::{
    ProblemArgs, SloArgs, parse_duration, parse_threads, problems_help, trace, with_flags,
};
use crate::run_summary::print_summary;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mei4llm::problems::registry::{self, Replayed, TraceMeter, TraceRequest};
use mei4llm::replay::Progress;
use mei4llm::replay::SOLVE_TIME_SVG;
use mei4llm::replay::files::{EPOCHS_CSV, REQUESTS_CSV, RUN_JSON, SUMMARY_JSON, TIMINGS_JSON};
use mei4llm::text::time;
use std::error::Error;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn after_help() -> String {
    let mut text = String::from(
        "Each epoch of the trace becomes one instance of the problem, built with a seed derived from\n\
         --seed and the epoch's index, and every solver of --solvers answers it (default: every\n\
         solver of the problem but its test oracles). Epochs are solved in parallel on --threads\n\
         threads and written in epoch order, so the same --seed gives byte-identical files whatever\n\
         the thread count (unless a --time-limit binds).\n",
    );
    for entry in registry::all() {
        text.push_str(&format!(
            "\n--problem {}: {}\n",
            entry.name(),
            entry.replay_help()
        ));
    }
    text.push_str(
        "\nFiles in --out:\n\
         \x20 run.json          what was run; `complete` is false if the run stopped early or a solver failed\n\
         \x20 epochs.csv        per epoch and solver: status, objective, bound, gap, gap_to_exact\n\
         \x20                   (how much worse than the exact solver's proven optimum), reason\n\
         \x20 requests.csv      per epoch, solver and request: the problem's record (above)\n\
         \x20 summary.json      per solver: the problem's statistics (above) and the gap to exact\n\
         \x20 timings.csv/.json measured solve times and their percentiles (the only files that\n\
         \x20                   vary between runs)\n\
         \x20 plots             the problem's (above) and solve_time.svg\n\
         Rows are appended and flushed one epoch at a time: an interrupted run keeps complete\n\
         rows for the epochs done, and `mei4llm report DIR` rebuilds the summary and plots.\n",
    );
    text.push_str(&problems_help(true));
    text.push_str(
        "\nBad input: a malformed trace row stops the run with the file, line and field named\n\
         (the epochs before it are written); with --skip-bad-rows it is skipped and counted in\n\
         run.json. An infeasible epoch is recorded with its status and reason, and the run goes on.\n\
         \nExit status: 0 when the whole trace was replayed; 1 on bad input or when the run stopped\n\
         early; 2 on a malformed command line.\n\
         \nExamples:\n\
         \x20 mei4llm solve-trace --scenario small --epoch 1s --max-epochs 60 --out runs/small\n\
         \x20 mei4llm solve-trace --scenario scenarios/small.toml --epoch 1s --solvers descent,greedy,device-only,edge-only,cloud-only --threads 2 --out runs/azure\n\
         \x20 mei4llm solve-trace --scenario city --trace bundled:datasets/traces/mooncake_conversation_trace.jsonl --epoch 500ms --solvers exact,descent --time-limit 10s --out runs/city\n\
         \x20 mei4llm solve-trace --problem caching --scenario caching-small --epoch 1s --max-epochs 120 --out runs/caching\n\
         \x20 mei4llm solve-trace --problem caching --scenario caching-city --epoch 60s --solvers exact,greedy,trimcaching --threads 2 --out runs/caching-city\n\
         \x20 mei4llm solve-trace --problem batching --scenario batching-edge --max-epochs 20 --out runs/batching\n\
         \x20 mei4llm solve-trace --problem batching --scenario batching-small --trace datasets/traces/azure_llm_2023_conv.csv --epoch 10s --max-epochs 30 --out runs/batching-10s\n\
         \x20 mei4llm report runs/small",
    );
    text
}

#[derive(clap::Args)]
#[command(after_help = after_help(), allow_negative_numbers = true)]
pub struct Args {
    #[command(flatten)]
    problem: ProblemArgs,
    #[command(flatten)]
    slo: SloArgs,
    /// The trace (Azure, Mooncake, BurstGPT or Vidur, detected from its first line; a file, or
    /// `bundled:datasets/traces/…`); default: the problem's, from the scenario.
    #[arg(long)]
    trace: Option<String>,
    /// Solvers, comma separated, side by side on every epoch (default: every solver of the
    /// problem but its test oracles; see the lists below).
    #[arg(long, value_delimiter = ',')]
    solvers: Option<Vec<String>>,
    /// Epochs: a time window (1s, 500ms) or a request count (200); default: the problem's,
    /// from the scenario.
    #[arg(long, value_name = "RULE", allow_hyphen_values = true)]
    epoch: Option<String>,
    /// Worker threads, at most 256 (default: every core).
    #[arg(long, value_parser = parse_threads, allow_hyphen_values = true)]
    threads: Option<usize>,
    /// Seed of the run (default: the problem's, from the scenario, else 0).
    #[arg(long, allow_hyphen_values = true)]
    seed: Option<u64>,
    /// Directory for the files (created if missing). The files of an earlier run there are
    /// replaced once the first epoch is solved, so a run that stops before leaves them as they
    /// were; each file is written whole or not at all.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Wall-clock limit of each solve, e.g. 5s, 500ms (default: none).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true)]
    time_limit: Option<Duration>,
    /// Relative optimality gap at which the exact solver stops, in [0, 1).
    #[arg(long, default_value_t = 1e-6, allow_hyphen_values = true)]
    gap: f64,
    /// Skip malformed trace rows (counted in run.json) instead of stopping at the first.
    #[arg(long)]
    skip_bad_rows: bool,
    /// Stop after this many epochs.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    max_epochs: Option<u64>,
    /// Epochs held in memory at once (default: 8 x threads).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    in_flight: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// A progress bar over the trace's bytes, when standard error is a terminal.
fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{wide_bar}] {percent:>3}% of the trace, {msg}, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    // Keeps the spinner and clock moving while a long epoch is being solved.
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

/// Runs `mei4llm solve-trace`: the replay with a progress bar, then its summary and files.
pub fn run(args: &Args) -> Result<ExitCode, Box<dyn Error>> {
    let entry = args.problem.entry()?;
    let scenario = args.problem.scenario()?;
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let meter = Arc::new(TraceMeter::default());
    let request = trace_request(args, threads, &meter)?;
    let bar = progress_bar(args.quiet);
    let mut on_progress = |p: &Progress| {
        let rate = p.requests as f64 / p.elapsed.as_secs_f64().max(1e-9);
        bar.set_length(meter.total.load(Ordering::Relaxed));
        bar.set_position(meter.read.load(Ordering::Relaxed));
        bar.set_message(format!(
            "{} requests in {} epochs, {rate:.0} requests/s",
            p.requests, p.epochs
        ));
    };
    let settings = args.problem.settings(Some(&args.slo));
    let replayed = entry.replay(
        scenario,
        &settings,
        &request,
        Some(&args.out),
        false,
        &mut on_progress,
    );
    bar.finish_and_clear();
    let replayed = replayed.map_err(with_flags)?;
    if let (0, Some(error)) = (replayed.totals.epochs, &replayed.totals.stopped_by) {
        return Err(format!(
            "{error}\n(the run stopped before its first epoch: nothing was written in {})",
            args.out.display()
        )
        .into());
    }
    print_summary(&args.out)?;
    print_totals(args, &replayed, threads, entry.plots());
    stopped_or_failed(args, &replayed)?;
    Ok(ExitCode::SUCCESS)
}

/// What the replay is asked for, from the command line.
fn trace_request(
    args: &Args,
    threads: usize,
    meter: &Arc<TraceMeter>,
) -> Result<TraceRequest, Box<dyn Error>> {
    Ok(TraceRequest {
        scenario_file: args.problem.scenario.clone(),
        trace: trace(&args.trace)?,
        epoch: args.epoch.clone(),
        seed: args.seed,
        solvers: args
            .solvers
            .as_ref()
            .map(|s| s.iter().map(|s| s.trim().to_string()).collect()),
        threads,
        in_flight: args.in_flight.unwrap_or(0),
        time_limit: args.time_limit,
        gap: args.gap,
        skip_bad_rows: args.skip_bad_rows,
        max_epochs: args.max_epochs,
        shard: None,
        meter: Some(Arc::clone(meter)),
        stop: None,
    })
}

/// The run's size and time, the rows it skipped and the files it wrote.
fn print_totals(args: &Args, replayed: &Replayed, threads: usize, plots: &[&str]) {
    let totals = &replayed.totals;
    println!(
        "\n{} epochs, {} requests, {} solvers in {} on {threads} thread(s).",
        totals.epochs,
        totals.requests,
        replayed.info.solvers.len(),
        time(totals.wall_time_s)
    );
    if totals.rows.skipped_rows > 0 {
        println!(
            "Skipped {} malformed row(s) of the trace; the first: {}",
            totals.rows.skipped_rows,
            totals.rows.first_skipped.first().map_or("", String::as_str)
        );
    }
    println!(
        "Files in {}: {RUN_JSON}, {EPOCHS_CSV}, {REQUESTS_CSV}, {SUMMARY_JSON}, timings.csv, {TIMINGS_JSON}, {}, {SOLVE_TIME_SVG}",
        args.out.display(),
        plots.join(", ")
    );
}

/// An error when the run stopped before the trace's end or a solver run failed.
fn stopped_or_failed(args: &Args, replayed: &Replayed) -> Result<(), Box<dyn Error>> {
    let totals = &replayed.totals;
    if let Some(error) = &totals.stopped_by {
        return Err(format!(
            "{error}\n(the run stopped there; the {} epochs before it are in {})",
            totals.epochs,
            args.out.display()
        )
        .into());
    }
    let errors = &totals.solver_errors;
    if let Some(first) = &errors.first {
        return Err(format!(
            "{} solver run(s) failed (status `error` in {}); the first: {first}",
            errors.count,
            args.out.join(EPOCHS_CSV).display()
        )
        .into());
    }
    Ok(())
}
