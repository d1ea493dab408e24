//! `mei4llm solve-trace`: a request trace solved epoch by epoch by several solvers side by
//! side, with a progress bar, into a directory of CSV, JSON and SVG files.

use crate::args::{OBJECTIVES_HELP, ObjectiveArgs, parse_duration};
use crate::plan::SOLVER_HELP;
use crate::table::{Table, time};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mei4llm::replay::files::{RUN_JSON, SUMMARY_JSON, TIMINGS_JSON};
use mei4llm::replay::{
    self, OutputDir, Progress, ReplayOptions, RunInfo, RunInputs, Slo, SplitRecord, SplitReplay,
    SplitStats, TraceSource, replay, run_seed,
};
use mei4llm::system::Scenario;
use mei4llm::system::trace::{EpochRule, TraceReader};
use serde_json::Value;
use std::error::Error;
use std::fs::File;
use std::io::{BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The problems a trace can be replayed through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProblemArg {
    /// Split point, tier, server, bandwidth and compute shares per request.
    Split,
}

fn after_help() -> String {
    let mut text = String::from(
        "Each epoch of the trace becomes one instance of the problem: its requests get a device and\n\
         a model of the scenario (drawn with a seed derived from --seed and the epoch's index), and\n\
         every solver of --solvers plans it. Epochs are solved in parallel on --threads threads\n\
         and written in epoch order, so the same --seed gives byte-identical files whatever the\n\
         thread count (unless a --time-limit binds).\n\
         \nFiles in --out:\n\
         \x20 run.json          what was run; `complete` is false if the run stopped early\n\
         \x20 epochs.csv        per epoch and solver: status, objective, bound, gap, gap_to_exact\n\
         \x20                   (against the exact solver's proven optimum), reason\n\
         \x20 requests.csv      per epoch, solver and request: tier, server, split, shares, TTFT,\n\
         \x20                   end-to-end latency, device energy, bytes up and down, meets_slo\n\
         \x20 summary.json      per solver: TTFT and end-to-end mean/p50/p90/p99, SLO goodput,\n\
         \x20                   energy, bytes, tiers, split histogram, gap to the exact solver\n\
         \x20 timings.csv/.json measured solve times (the only files that vary between runs)\n\
         \x20 latency_cdf.svg, choices.svg, solve_time.svg\n\
         Rows are appended and flushed one epoch at a time: an interrupted run keeps complete\n\
         rows for the epochs done, and `mei4llm report DIR` rebuilds the summary and plots.\n\
         \nSLOs (they only measure; the solvers plan with the scenario's own deadlines): a request\n\
         meets them if its TTFT <= --ttft-slo and its end-to-end latency <= --e2e-slo, or, without\n\
         one, <= TTFT SLO + TPOT SLO x (output tokens - 1). Defaults: the scenario's ttft_slo and\n\
         e2e_slo, else MLPerf Inference's server-scenario constraints for Llama-3.1-8B (TTFT 2 s,\n\
         TPOT 100 ms; mlcommons/inference loadgen/mlperf.conf).\n\n",
    );
    text.push_str(OBJECTIVES_HELP);
    text.push_str("\nSolvers of split:\n");
    for (name, line) in SOLVER_HELP {
        text.push_str(&format!("  {name:<13}{line}\n"));
    }
    text.push_str(
        "\nBad input: a malformed trace row stops the run with the file, line and field named\n\
         (the epochs before it are written); with --skip-bad-rows it is skipped and counted in\n\
         run.json. An infeasible epoch is recorded with its status and reason, and the run goes on.\n\
         \nExit status: 0 when the whole trace was replayed; 1 on bad input or when the run stopped\n\
         early; 2 on a malformed command line.\n\
         \nExamples:\n\
         \x20 mei4llm solve-trace --scenario scenarios/small.toml --epoch 1s --max-epochs 60 --out runs/small\n\
         \x20 mei4llm solve-trace --scenario scenarios/small.toml --epoch 1s --solvers descent,greedy,device-only,edge-only,cloud-only --threads 2 --out runs/azure\n\
         \x20 mei4llm solve-trace --scenario scenarios/city.toml --trace datasets/traces/mooncake_conversation_trace.jsonl --epoch 500ms --solvers exact,descent --time-limit 10s --out runs/city\n\
         \x20 mei4llm report runs/small",
    );
    text
}

#[derive(clap::Args)]
#[command(after_help = after_help(), allow_negative_numbers = true)]
pub struct Args {
    /// A scenario file (.toml or .json).
    #[arg(long)]
    scenario: PathBuf,
    /// The trace (Azure, Mooncake, BurstGPT or Vidur, detected from its first line); default:
    /// the scenario's [workload] trace.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// The problem each epoch is an instance of.
    #[arg(long, value_enum, default_value = "split")]
    problem: ProblemArg,
    /// Solvers, comma separated, side by side on every epoch (see the list below).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "exact,descent,greedy,neurosurgeon,device-only,edge-only,cloud-only,random"
    )]
    solvers: Vec<String>,
    /// Epochs: a time window (1s, 500ms) or a request count (200); default: the scenario's
    /// workload window or request count.
    #[arg(long, value_name = "RULE")]
    epoch: Option<String>,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Seed of the run (default: the scenario's workload seed, else 0).
    #[arg(long)]
    seed: Option<u64>,
    /// Directory for the files (created if missing; the files of an earlier run are replaced).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Wall-clock limit of each solve, e.g. 5s, 500ms (default: none).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    time_limit: Option<Duration>,
    /// Relative optimality gap at which the exact solver stops.
    #[arg(long, default_value_t = 1e-6)]
    gap: f64,
    /// Skip malformed trace rows (counted in run.json) instead of stopping at the first.
    #[arg(long)]
    skip_bad_rows: bool,
    #[command(flatten)]
    objective: ObjectiveArgs,
    /// TTFT SLO, e.g. 2s.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    ttft_slo: Option<Duration>,
    /// TPOT SLO, which sets each request's end-to-end SLO when --e2e-slo is not given.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    tpot_slo: Option<Duration>,
    /// A fixed end-to-end SLO for every request, e.g. 30s.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    e2e_slo: Option<Duration>,
    /// Stop after this many epochs.
    #[arg(long, value_name = "N")]
    max_epochs: Option<u64>,
    /// Epochs held in memory at once (default: 8 x threads).
    #[arg(long, value_name = "N")]
    in_flight: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// A reader that counts the bytes read through it, for the progress bar.
struct Counting<R> {
    inner: R,
    bytes: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The epoch rule: the flag, else the scenario's workload.
fn epoch_rule(args: &Args, scenario: &Scenario) -> Result<(EpochRule, String), Box<dyn Error>> {
    replay::epoch_rule(scenario, args.epoch.as_deref())?.ok_or_else(|| {
        "give --epoch (e.g. 1s or 200): the scenario's [workload] sets no window or request count"
            .into()
    })
}

/// The SLOs: flags over the scenario's workload over MLPerf's defaults.
fn slo(args: &Args, scenario: &Scenario) -> Slo {
    let mut slo = Slo::for_scenario(scenario);
    if let Some(t) = args.ttft_slo {
        slo.ttft_s = t.as_secs_f64();
    }
    if let Some(t) = args.tpot_slo {
        slo.tpot_s = t.as_secs_f64();
    }
    if let Some(e) = args.e2e_slo {
        slo.e2e_s = Some(e.as_secs_f64());
    }
    slo
}

pub fn run(args: &Args) -> Result<ExitCode, Box<dyn Error>> {
    let ProblemArg::Split = args.problem;
    let objective = args.objective.objective()?;
    let scenario = Arc::new(Scenario::from_path(&args.scenario)?);
    let TraceSource {
        path: trace,
        start_s,
    } = TraceSource::of(&scenario, args.trace.as_deref()).ok_or_else(|| {
        format!(
            "give --trace: scenario `{}` has no [workload] trace",
            scenario.name
        )
    })?;
    let (rule, rule_text) = epoch_rule(args, &scenario)?;
    let seed = run_seed(&scenario, args.seed);
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let problem = SplitReplay::new(Arc::clone(&scenario), objective, slo(args, &scenario))?;
    let options = ReplayOptions {
        rule,
        solvers: args.solvers.iter().map(|s| s.trim().to_string()).collect(),
        threads,
        in_flight: args.in_flight.unwrap_or(0),
        seed,
        time_limit: args.time_limit,
        gap: args.gap,
        skip_bad_rows: args.skip_bad_rows,
        start_s,
        max_epochs: args.max_epochs,
        shard: None,
    };
    options.validate(&problem)?;

    let file = File::open(&trace).map_err(|e| format!("{}: cannot read: {e}", trace.display()))?;
    let size = file.metadata().map_or(0, |m| m.len());
    let bytes = Arc::new(AtomicU64::new(0));
    let reader = BufReader::with_capacity(
        1 << 16,
        Counting {
            inner: file,
            bytes: Arc::clone(&bytes),
        },
    );
    let requests = TraceReader::from_reader(trace.display().to_string(), reader)?;
    let inputs = RunInputs {
        scenario_file: args.scenario.display().to_string(),
        trace: trace.display().to_string(),
        trace_format: requests.format().name().to_string(),
        epoch_rule: rule_text,
    };
    let mut info = RunInfo::new(
        &problem,
        problem.settings(),
        &scenario.name,
        inputs,
        &options,
    );
    let mut out: OutputDir<SplitRecord, SplitStats> = OutputDir::create(&args.out, &info)?;

    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr());
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
    };
    let mut on_progress = |p: &Progress| {
        let rate = p.requests as f64 / p.elapsed.as_secs_f64().max(1e-9);
        bar.set_position(bytes.load(Ordering::Relaxed));
        bar.set_message(format!(
            "{} requests in {} epochs, {rate:.0} requests/s",
            p.requests, p.epochs
        ));
    };
    let totals = replay(&problem, requests, &options, &mut out, &mut on_progress);
    bar.finish_and_clear();
    let totals = totals?;
    info.record(&totals);
    out.finish(&info, Some(threads), Some(totals.wall_time_s))?;

    print_summary(&args.out)?;
    println!(
        "\n{} epochs, {} requests, {} solvers in {} on {threads} thread(s).",
        totals.epochs,
        totals.requests,
        options.solvers.len(),
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
        "Files in {}: {RUN_JSON}, epochs.csv, requests.csv, {SUMMARY_JSON}, timings.csv, {TIMINGS_JSON}, latency_cdf.svg, choices.svg, solve_time.svg",
        args.out.display()
    );
    match totals.stopped_by {
        None => Ok(ExitCode::SUCCESS),
        Some(error) => Err(format!(
            "{error}\n(the run stopped there; the {} epochs before it are in {})",
            totals.epochs,
            args.out.display()
        )
        .into()),
    }
}

/// Prints one line per solver of a run directory's `summary.json` and `timings.json`.
pub fn print_summary(dir: &Path) -> Result<(), Box<dyn Error>> {
    let read = |name: &str| -> Result<Value, Box<dyn Error>> {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    };
    let summary = read(SUMMARY_JSON)?;
    let timings = read(TIMINGS_JSON).unwrap_or(Value::Null);
    let seconds = |v: &Value| v.as_f64().map_or_else(|| "-".into(), time);
    let share = |v: &Value| {
        v.as_f64()
            .map_or_else(|| "-".into(), |x| format!("{:.1}%", 100.0 * x))
    };
    let mut t = Table::new(&[
        "solver",
        "epochs",
        "unplanned requests (epochs)",
        "TTFT mean",
        "TTFT p99",
        "E2E mean",
        "E2E p90",
        "E2E p99",
        "SLO goodput",
        "energy/request",
        "gap to exact (mean/max)",
        "solve time",
    ]);
    let empty = Vec::new();
    for (i, s) in summary["solvers"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .enumerate()
    {
        let e = &s["epochs"];
        let r = &s["requests"];
        let planned_epochs = e["with_objective"].as_u64().unwrap_or(0);
        let total_epochs = e["epochs"].as_u64().unwrap_or(0);
        let gap = &e["gap_to_exact"];
        let gap_text = match (gap["mean"].as_f64(), gap["max"].as_f64()) {
            (Some(mean), Some(max)) => format!("{:.2}% / {:.2}%", 100.0 * mean, 100.0 * max),
            _ => "-".into(),
        };
        let energy = r["device_energy_j"]["mean"]
            .as_f64()
            .map_or_else(|| "-".into(), |j| format!("{j:.3} J"));
        t.row(vec![
            s["solver"].as_str().unwrap_or("?").to_string(),
            total_epochs.to_string(),
            format!(
                "{} ({})",
                r["tiers"]["none"].as_u64().unwrap_or(0),
                total_epochs.saturating_sub(planned_epochs)
            ),
            seconds(&r["ttft_s"]["mean"]),
            seconds(&r["ttft_s"]["p99"]),
            seconds(&r["e2e_s"]["mean"]),
            seconds(&r["e2e_s"]["p90"]),
            seconds(&r["e2e_s"]["p99"]),
            share(&r["slo_goodput"]),
            energy,
            gap_text,
            seconds(&timings["solvers"][i]["total_s"]),
        ]);
    }
    t.print();
    Ok(())
}
