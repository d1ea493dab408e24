//! `mei4llm serve`: a request trace served by edge servers with continuous batching, one
//! simulation per policy, into a table, CSV files and SVG plots.

use crate::args::{parse_duration, parse_threads};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mei4llm::output::write_whole;
use mei4llm::serve::{
    GOODPUT_SVG, POLICIES, Policy, PolicyRun, PolicySummary, TPOT_SVG, TTFT_SVG, Workload,
    WorkloadOptions, goodput, latency_cdf, simulate,
};
use mei4llm::solve::Budget;
use mei4llm::system::Scenario;
use mei4llm::text::{Table, time};
use std::error::Error;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// File of the per-request records.
const REQUESTS_CSV: &str = "requests.csv";
/// File of the per-policy summary.
const SUMMARY_CSV: &str = "summary.csv";

const AFTER_HELP: &str = "\
The scenario's [batching] section gives the model, the precisions, the trace, SLOs (default:
MLPerf Inference's Llama-3.1-8B server constraints, TTFT 2 s and TPOT 100 ms) and the shares of
the requests' narrowest precisions; its edge servers serve. Each policy is simulated on its own
over the same requests:

  A server runs one iteration at a time: the prefill of the prompts it just admitted, or one
  decode step of its batch. At the end of each iteration (and at each arrival while it is idle)
  the policy sees the waiting queue and the servers between iterations, with their running
  sequences and loaded precision, and picks who joins which server at which precision.
  Admitted prompts are prefilled earliest TTFT deadline first; every sequence reserves its whole
  KV cache until its last token. Decode steps take the roofline time at the current contexts.

Policies:
  exact       the batching MILP on HiGHS (certified optimum per call, within --time-limit)
  assignment  generalised-assignment heuristic with Moore-Hodgson re-optimisation
  density     value per KV byte, first fit
  fcfs        arrival order, first fit      spf  shortest prompt first, first fit
  vllm        vLLM-like: arrival order, memory only, no SLOs, the queue blocks on its head
The first five admit only requests that meet both SLOs and drop a request whose TTFT deadline
passes while it waits; vllm drops nobody for waiting. Measured TPOT includes the pauses that
later prefills cause to running decodes, so it can exceed the SLO even for the planners.

Files in --out:
  requests.csv   per policy and request: server, precision, arrival, admission, first token,
                 finish, TTFT, TPOT, longest decode step, SLOs, status (met/missed/dropped)
  summary.csv    per policy: served, dropped, met, TTFT and TPOT p50/p99, span (first arrival
                 to last token), arrivals (first to last arrival), goodput (requests within
                 both SLOs per second of arrivals, and as a share), planner calls and
                 mean planner time (the only column that varies between runs)
  ttft_cdf.svg, tpot_cdf.svg, goodput.svg
Each file is written whole or not at all (under a temporary name beside it, then renamed).

Example:
  mei4llm serve --scenario scenarios/batching-serve.toml \\
      --trace datasets/traces/mooncake_conversation_trace.jsonl --requests 300 --out runs/mooncake";

/// Arguments of `mei4llm serve`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Scenario file with a [batching] section and the edge servers, or a bundled scenario's
    /// name (`batching-serve`).
    #[arg(long, value_name = "FILE|NAME")]
    pub scenario: String,
    /// Trace (Azure CSV, Mooncake JSONL, ...), read from its first request; default: the
    /// [batching] section's trace from its start.
    #[arg(long)]
    pub trace: Option<String>,
    /// Comma-separated policies to compare.
    #[arg(
        long,
        default_value = "exact,assignment,density,fcfs,spf,vllm",
        value_delimiter = ','
    )]
    pub policies: Vec<String>,
    /// Serve at most this many requests (default: the [batching] section's `requests`).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub requests: Option<usize>,
    /// Serve only the requests arriving within this long of the first (e.g. 10m, 90s).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", allow_hyphen_values = true)]
    pub duration: Option<Duration>,
    /// Shorten inter-arrival times by this factor (an experiment knob for the offered load;
    /// default: the section's `arrival_speedup`).
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    pub arrival_speedup: Option<f64>,
    /// Seed of the draw of the requests' narrowest precisions (default: the section's seed).
    #[arg(long, allow_hyphen_values = true)]
    pub seed: Option<u64>,
    /// Time limit of each planner call (the exact solver returns its best batch when it binds).
    #[arg(
        long,
        value_parser = parse_duration,
        default_value = "10s",
        value_name = "DURATION",
        allow_hyphen_values = true
    )]
    pub time_limit: Duration,
    /// Threads of each planner call (the exact solver's HiGHS threads), at most 256.
    #[arg(long, default_value_t = 1, value_parser = parse_threads, allow_hyphen_values = true)]
    pub threads: usize,
    /// Directory for the CSV files and plots (created if missing; each file written whole or
    /// not at all).
    #[arg(long)]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs `mei4llm serve`.
pub fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let policies = args
        .policies
        .iter()
        .map(|p| Policy::by_name(p.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    if policies.is_empty() {
        return Err(format!("--policies is empty; known: {}", POLICIES.join(", ")).into());
    }
    let scenario = Scenario::open(&args.scenario)?;
    let options = WorkloadOptions {
        trace: crate::args::trace(&args.trace)?,
        requests: args.requests,
        duration_s: args.duration.map(|d| d.as_secs_f64()),
        arrival_speedup: args.arrival_speedup,
        seed: args.seed,
    };
    let workload = Workload::from_scenario(&scenario, &options)?;
    let budget = Budget::default()
        .with_time_limit(args.time_limit)
        .with_threads(args.threads);
    let n = workload.requests.len() as u64;
    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::with_draw_target(
            Some(n * policies.len() as u64),
            ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] [{wide_bar}] {percent:>3}% of the requests, {msg}, ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(250));
        bar
    };
    let mut runs: Vec<PolicyRun> = Vec::with_capacity(policies.len());
    for (i, policy) in policies.iter().enumerate() {
        bar.set_message(format!("policy {}", policy.name()));
        let done = i as u64 * n;
        let run = simulate(&workload, policy, &budget, &mut |resolved| {
            bar.set_position(done + resolved)
        })?;
        runs.push(run);
    }
    bar.finish_and_clear();
    let summaries: Vec<PolicySummary> = runs.iter().map(PolicySummary::of).collect();
    write(&args.out, &runs, &summaries)?;
    print(&scenario, &workload, &summaries);
    println!(
        "\nwrote {} ({REQUESTS_CSV}, {SUMMARY_CSV}, {TTFT_SVG}, {TPOT_SVG}, {GOODPUT_SVG})",
        args.out.display()
    );
    Ok(())
}

fn write(
    out: &Path,
    runs: &[PolicyRun],
    summaries: &[PolicySummary],
) -> Result<(), Box<dyn Error>> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let path = out.join(REQUESTS_CSV);
    write_whole(
        &path,
        &csv_bytes(&path, runs.iter().flat_map(|r| &r.records))?,
    )?;
    let path = out.join(SUMMARY_CSV);
    write_whole(&path, &csv_bytes(&path, summaries)?)?;
    for (file, svg) in [
        (TTFT_SVG, latency_cdf(runs, false)),
        (TPOT_SVG, latency_cdf(runs, true)),
        (GOODPUT_SVG, goodput(summaries)),
    ] {
        write_whole(&out.join(file), svg.as_bytes())?;
    }
    Ok(())
}

/// The CSV text of `rows` with a header, for the file `path` (which errors name).
fn csv_bytes<T: serde::Serialize>(
    path: &Path,
    rows: impl IntoIterator<Item = T>,
) -> Result<Vec<u8>, String> {
    let context = |e: csv::Error| format!("{}: {e}", path.display());
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.serialize(row).map_err(context)?;
    }
    writer
        .into_inner()
        .map_err(|e| format!("{}: {}", path.display(), e.error()))
}

fn print(scenario: &Scenario, workload: &Workload, summaries: &[PolicySummary]) {
    let servers: Vec<&str> = workload.servers.iter().map(|s| s.name.as_str()).collect();
    let last = workload.requests.last().map_or(0.0, |r| r.arrival_s);
    println!(
        "{}: {} requests arriving over {:.1} s on {} serving {}",
        scenario.name,
        workload.requests.len(),
        last,
        servers.join(", "),
        workload.model.name
    );
    let mut table = Table::new(&[
        "policy",
        "served",
        "dropped",
        "met",
        "TTFT p50",
        "TTFT p99",
        "TPOT p50",
        "TPOT p99",
        "goodput",
        "goodput share",
        "planner mean",
    ]);
    let opt = |v: Option<f64>| v.map_or("-".to_string(), time);
    for s in summaries {
        table.row(vec![
            s.policy.clone(),
            s.served.to_string(),
            s.dropped.to_string(),
            s.met.to_string(),
            opt(s.ttft_p50_s),
            opt(s.ttft_p99_s),
            opt(s.tpot_p50_s),
            opt(s.tpot_p99_s),
            format!("{:.3} req/s", s.goodput_rps),
            format!("{:.1}%", 100.0 * s.goodput_share),
            opt(s.planner_mean_s),
        ]);
    }
    table.print();
}
