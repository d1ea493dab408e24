//! `mei4llm`: plan how LLMs are served at the mobile network edge.

mod args;
mod export;
mod inspect;
mod plan;
mod report;
mod run_summary;
mod serve;
mod solve_trace;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Plan how large language models are served and tuned at the mobile network edge.
///
/// Start with `mei4llm inspect --scenario scenarios/small.toml` to see what running each model
/// costs on each device, edge server and cloud GPU of a scenario, then
/// `mei4llm plan --scenario scenarios/small.toml` to plan one epoch of its requests, and
/// `mei4llm solve-trace --scenario scenarios/small.toml --epoch 1s --max-epochs 60 --out runs/small`
/// to replay the first 60 one-second epochs of a real trace through every solver side by side.
#[derive(Parser)]
#[command(
    name = "mei4llm",
    version,
    about,
    long_about,
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// What running a model costs: per-layer table, prefill and decode time per tier, bytes
    /// crossing each split, KV bytes per token, and whether it fits in memory.
    Inspect(inspect::Args),
    /// Plan a scenario's instance of a problem by one solver: with `--problem split` (the
    /// default) per request of an epoch the split point, tier, server and shares; with
    /// `caching` which models each edge server stores; with `batching` which waiting requests
    /// join the next batch on which server and precision.
    Plan(plan::Args),
    /// Replay a request trace epoch by epoch through several solvers side by side, in
    /// parallel, into CSV rows, a JSON summary (latency percentiles, SLO goodput, energy, hit
    /// ratios or admitted shares, gap to the optimum) and SVG plots, for any problem.
    SolveTrace(solve_trace::Args),
    /// Serve a request trace with continuous batching on the scenario's edge servers, a
    /// batching planner (or a vLLM-like baseline) choosing each next batch: TTFT and TPOT
    /// percentiles and SLO goodput per policy, CSV files and plots.
    Serve(serve::Args),
    /// Rebuild the summary and plots of a `solve-trace` directory from its CSV files.
    Report(report::Args),
    /// Write a problem's MILP as MPS or LP, to cross-check with other solvers.
    Export(export::Args),
}

fn main() -> ExitCode {
    // Like other command-line tools, stop quietly when the reader of the output goes away
    // (`mei4llm plan … | head`) instead of failing on the closed pipe.
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any other thread exists; restoring the
    // default action of SIGPIPE affects nothing but how a write to a closed pipe ends.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect(args) => inspect::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Plan(args) => plan::run(&args),
        Command::SolveTrace(args) => solve_trace::run(&args),
        Command::Serve(args) => serve::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Report(args) => report::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Export(args) => export::run(&args).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
