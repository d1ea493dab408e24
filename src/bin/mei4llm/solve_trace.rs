//! `mei4llm solve-trace`: a request trace solved epoch by epoch by several solvers side by
//! side, with a progress bar, into a directory of CSV, JSON and SVG files.

use crate::args::{OBJECTIVES_HELP, ObjectiveArg, ObjectiveArgs, parse_duration};
use crate::run_summary::print_summary;
use crate::table::time;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mei4llm::replay::files::{EPOCHS_CSV, REQUESTS_CSV, RUN_JSON, SUMMARY_JSON, TIMINGS_JSON};
use mei4llm::replay::{
    self, BatchingReplay, CachingReplay, OutputDir, Progress, RecordStats, ReplayOptions,
    ReplayProblem, RunInfo, RunInputs, SOLVE_TIME_SVG, Slo, SplitReplay, TraceSource, replay,
    run_seed,
};
use mei4llm::system::trace::{EpochRule, TraceReader};
use mei4llm::system::{DataPath, Scenario};
use std::error::Error;
use std::io::{BufReader, IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The problems a trace can be replayed through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProblemArg {
    /// Split point, tier, server, bandwidth and compute shares per request.
    Split,
    /// Which models each edge server stores for the epoch's requests; hits and misses.
    Caching,
    /// Which of the epoch's waiting requests join the next batch, on which edge server, at
    /// which precision.
    Batching,
}

/// The solvers of split run when --solvers is not given: all of them.
const SPLIT_SOLVERS: &str =
    "exact,descent,greedy,neurosurgeon,device-only,edge-only,cloud-only,random";
/// The solvers of caching run when --solvers is not given: all but the brute force.
const CACHING_SOLVERS: &str = "exact,greedy,trimcaching,sharing-blind,popularity";
/// The solvers of batching run when --solvers is not given: all but the brute force.
const BATCHING_SOLVERS: &str = "exact,assignment,density,fcfs,spf";

fn after_help() -> String {
    let mut text = String::from(
        "Each epoch of the trace becomes one instance of the problem, built with a seed derived from\n\
         --seed and the epoch's index, and every solver of --solvers answers it. Epochs are solved\n\
         in parallel on --threads threads and written in epoch order, so the same --seed gives\n\
         byte-identical files whatever the thread count (unless a --time-limit binds).\n\
         \n--problem split: the epoch's requests get a device and a model of the scenario's catalogue;\n\
         each solver plans split point, tier, server and shares per request.\n\
         \n--problem caching (a scenario with a [caching] section; give --trace): each request is drawn\n\
         a user (a device, by the section's user weights) and a model (by that user's popularity).\n\
         Each solver places models on the edge servers for exactly the epoch's requests, as if the\n\
         caches were refilled before every epoch; the epoch's objective is the fraction of its\n\
         requests that hit. A request is a hit when an edge server covering its user stores the\n\
         model and delivers it within the latency bound (the fastest such server serves it), else a\n\
         miss that fetches the whole model from the cloud over the backhaul. The section's least\n\
         hit ratio, if any, applies to every epoch.\n\
         \n--problem batching (a scenario with a [batching] section): the epoch's requests are the\n\
         waiting queue of one batching decision over the scenario's idle edge servers, serving the\n\
         section's model at its precisions, with its SLOs (else MLPerf's) and memory share; each\n\
         request's narrowest accepted precision is drawn with the section's shares. The decision is\n\
         taken at the epoch's end: the end of its window (--epoch 1s), or its last arrival\n\
         (--epoch 200). Waiting times are the trace's arrival gaps shortened by the section's\n\
         arrival_speedup; epochs are cut on the trace's own clock. A request past its TTFT SLO, or\n\
         that no server can serve alone, is recorded as not servable and never admitted. Epochs are\n\
         independent (nothing admitted occupies a later epoch's servers). Defaults come from the\n\
         section: without --trace its trace from its `start`, without --epoch epochs of its\n\
         `requests` requests, without --seed its seed; a --trace is read from its first request.\n\
         \nFiles in --out:\n\
         \x20 run.json          what was run; `complete` is false if the run stopped early\n\
         \x20 epochs.csv        per epoch and solver: status, objective, bound, gap, gap_to_exact\n\
         \x20                   (how much worse than the exact solver's proven optimum), reason\n\
         \x20 requests.csv      per epoch, solver and request; split: tier, server, split, shares,\n\
         \x20                   TTFT, end-to-end latency, device energy, bytes up and down, meets_slo;\n\
         \x20                   caching: user, model, reachable, tier (edge/cloud/none), server, hit,\n\
         \x20                   latency_s (delivery of a hit), cloud_bytes (fetched on a miss);\n\
         \x20                   batching: tokens, min_precision, waited_s, servable, planned,\n\
         \x20                   admitted, server, precision, predicted ttft_s and tpot_s, kv_bytes,\n\
         \x20                   value\n\
         \x20 summary.json      per solver; split: TTFT and end-to-end mean/p50/p90/p99, SLO goodput,\n\
         \x20                   energy, bytes, tiers, split histogram; caching: hit ratio overall, of\n\
         \x20                   the reachable requests and per epoch, latency mean/p50/p90/p99, cloud\n\
         \x20                   bytes, hits per server; batching: admitted share overall, of the\n\
         \x20                   servable requests and per epoch, value, TTFT and TPOT percentiles,\n\
         \x20                   admitted per server and precision; all: gap to the exact solver\n\
         \x20 timings.csv/.json measured solve times and their percentiles (the only files that\n\
         \x20                   vary between runs)\n\
         \x20 plots             split: latency_cdf.svg, choices.svg; caching: hit_ratio.svg,\n\
         \x20                   latency_cdf.svg; batching: admitted_share.svg; all: solve_time.svg\n\
         Rows are appended and flushed one epoch at a time: an interrupted run keeps complete\n\
         rows for the epochs done, and `mei4llm report DIR` rebuilds the summary and plots.\n\
         \nSLOs of split (they only measure; the solvers plan with the scenario's own deadlines): a\n\
         request meets them if its TTFT <= --ttft-slo and its end-to-end latency <= --e2e-slo, or,\n\
         without one, <= TTFT SLO + TPOT SLO x (output tokens - 1). Defaults: the scenario's ttft_slo\n\
         and e2e_slo, else MLPerf Inference's server-scenario constraints for Llama-3.1-8B (TTFT 2 s,\n\
         TPOT 100 ms; mlcommons/inference loadgen/mlperf.conf).\n\n",
    );
    text.push_str(OBJECTIVES_HELP);
    text.push_str(&format!("\nSolvers of split (default: {SPLIT_SOLVERS}):\n"));
    for (name, line) in crate::plan::SOLVER_HELP {
        text.push_str(&format!("  {name:<14}{line}\n"));
    }
    text.push_str(&format!(
        "\nSolvers of caching (default: {CACHING_SOLVERS}; the objective and SLO flags do not apply):\n"
    ));
    for (name, line) in crate::plan_caching::SOLVER_HELP {
        text.push_str(&format!("  {name:<14}{line}\n"));
    }
    text.push_str(
        "  brute-force   every combination of the servers' feasible model sets (a test oracle:\n\
         \x20               epochs of a few requests only)\n",
    );
    text.push_str(&format!(
        "\nSolvers of batching (default: {BATCHING_SOLVERS}; the objective and SLO flags do not apply:\n\
         the [batching] section sets them):\n"
    ));
    for (name, line) in crate::plan_batching::SOLVER_HELP {
        text.push_str(&format!("  {name:<14}{line}\n"));
    }
    text.push_str(
        "  brute-force   every precision profile and assignment (a test oracle: epochs of a few\n\
         \x20               requests only)\n",
    );
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
         \x20 mei4llm solve-trace --problem caching --scenario scenarios/caching-small.toml --trace datasets/traces/azure_llm_2023_conv.csv --epoch 1s --max-epochs 120 --out runs/caching\n\
         \x20 mei4llm solve-trace --problem caching --scenario scenarios/caching-city.toml --trace datasets/traces/azure_llm_2023_conv.csv --epoch 60s --solvers exact,greedy,trimcaching --threads 2 --out runs/caching-city\n\
         \x20 mei4llm solve-trace --problem batching --scenario scenarios/batching-edge.toml --max-epochs 20 --out runs/batching\n\
         \x20 mei4llm solve-trace --problem batching --scenario scenarios/batching-small.toml --trace datasets/traces/azure_llm_2023_conv.csv --epoch 10s --max-epochs 30 --out runs/batching-10s\n\
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
    /// Solvers, comma separated, side by side on every epoch (default: every solver of the
    /// problem; see the lists below).
    #[arg(long, value_delimiter = ',')]
    solvers: Option<Vec<String>>,
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
    /// TTFT SLO of split, e.g. 2s.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    ttft_slo: Option<Duration>,
    /// TPOT SLO of split, which sets each request's end-to-end SLO when --e2e-slo is not given.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    tpot_slo: Option<Duration>,
    /// A fixed end-to-end SLO of split for every request, e.g. 30s.
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

/// The flags that only apply to split, refused with the other problems (`why` says what they
/// maximise instead).
fn refuse_split_flags(args: &Args, why: &str) -> Result<(), String> {
    let o = &args.objective;
    let given = [
        ("--objective", o.objective != ObjectiveArg::Latency),
        ("--per-second", o.per_second.is_some()),
        ("--per-joule", o.per_joule.is_some()),
        ("--ttft-slo", args.ttft_slo.is_some()),
        ("--tpot-slo", args.tpot_slo.is_some()),
        ("--e2e-slo", args.e2e_slo.is_some()),
    ];
    match given.iter().find(|(_, set)| *set) {
        Some((flag, _)) => Err(format!("{flag} applies to --problem split only: {why}")),
        None => Ok(()),
    }
}

/// What a run takes when the command line does not say: the trace and its start, the epoch
/// rule, the seed and the solvers.
struct Defaults {
    source: Option<TraceSource>,
    rule: Option<(EpochRule, String)>,
    seed: u64,
    solvers: &'static str,
}

impl Defaults {
    /// The scenario's [workload] fills in what is not given (split, caching).
    fn workload(
        args: &Args,
        scenario: &Scenario,
        solvers: &'static str,
    ) -> Result<Defaults, Box<dyn Error>> {
        Ok(Defaults {
            source: TraceSource::of(scenario, args.trace.as_ref().map(DataPath::from).as_ref()),
            rule: replay::epoch_rule(scenario, args.epoch.as_deref())?,
            seed: run_seed(scenario, args.seed),
            solvers,
        })
    }
}

pub fn run(args: &Args) -> Result<ExitCode, Box<dyn Error>> {
    let scenario = Arc::new(Scenario::from_path(&args.scenario)?);
    match args.problem {
        ProblemArg::Split => {
            let objective = args.objective.objective()?;
            let problem = SplitReplay::new(Arc::clone(&scenario), objective, slo(args, &scenario))?;
            let defaults = Defaults::workload(args, &scenario, SPLIT_SOLVERS)?;
            execute(args, &scenario, &problem, problem.settings(), defaults)
        }
        ProblemArg::Caching => {
            refuse_split_flags(args, "caching maximises the hit ratio")?;
            let problem = CachingReplay::new(&scenario)?;
            let defaults = Defaults::workload(args, &scenario, CACHING_SOLVERS)?;
            execute(args, &scenario, &problem, problem.settings(), defaults)
        }
        ProblemArg::Batching => {
            refuse_split_flags(
                args,
                "batching maximises the admitted requests (or tokens) under the SLOs of its [batching] section",
            )?;
            let problem = BatchingReplay::new(&scenario)?;
            let rule = match args.epoch.as_deref() {
                Some(text) => replay::epoch_rule(&scenario, Some(text))?,
                None => Some(problem.default_rule()),
            };
            let defaults = Defaults {
                source: Some(
                    problem.trace_source(args.trace.as_ref().map(DataPath::from).as_ref()),
                ),
                rule,
                seed: args.seed.unwrap_or(problem.default_seed()),
                solvers: BATCHING_SOLVERS,
            };
            execute(args, &scenario, &problem, problem.settings(), defaults)
        }
    }
}

/// Replays the trace through `problem` into --out, prints the summary, and says what stopped
/// the run if it did not complete.
fn execute<P: ReplayProblem>(
    args: &Args,
    scenario: &Scenario,
    problem: &P,
    settings: serde_json::Value,
    defaults: Defaults,
) -> Result<ExitCode, Box<dyn Error>> {
    let TraceSource {
        path: trace,
        start_s,
    } = defaults.source.ok_or_else(|| {
        format!(
            "give --trace: scenario `{}` has no [workload] trace",
            scenario.name
        )
    })?;
    let (rule, rule_text) = defaults.rule.ok_or(
        "give --epoch (e.g. 1s or 200): the scenario's [workload] sets no window or request count",
    )?;
    let seed = defaults.seed;
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let solvers: Vec<String> = match &args.solvers {
        Some(given) => given.iter().map(|s| s.trim().to_string()).collect(),
        None => defaults.solvers.split(',').map(String::from).collect(),
    };
    let options = ReplayOptions {
        rule,
        solvers,
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
    options.validate(problem)?;

    let size = trace.len();
    let bytes = Arc::new(AtomicU64::new(0));
    let reader = BufReader::with_capacity(
        1 << 16,
        Counting {
            inner: trace.open()?,
            bytes: Arc::clone(&bytes),
        },
    );
    let requests = TraceReader::from_reader(trace.to_string(), reader)?;
    let inputs = RunInputs {
        scenario_file: args.scenario.display().to_string(),
        trace: trace.to_string(),
        trace_format: requests.format().name().to_string(),
        epoch_rule: rule_text,
    };
    let mut info = RunInfo::new(problem, settings, &scenario.name, inputs, &options);
    let mut out: OutputDir<P::Record, P::Stats> = OutputDir::create(&args.out, &info)?;

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
    let totals = replay(problem, requests, &options, &mut out, &mut on_progress);
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
    let plots = <P::Stats as RecordStats<P::Record>>::PLOTS;
    println!(
        "Files in {}: {RUN_JSON}, {EPOCHS_CSV}, {REQUESTS_CSV}, {SUMMARY_JSON}, timings.csv, {TIMINGS_JSON}, {}, {SOLVE_TIME_SVG}",
        args.out.display(),
        plots.join(", ")
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
