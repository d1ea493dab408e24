//! `mei4llm`: plan how LLMs are served at the mobile network edge.

mod inspect;
mod table;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Plan how large language models are served and tuned at the mobile network edge.
///
/// Start with `mei4llm inspect --scenario scenarios/small.toml` to see what running each model
/// costs on each device, edge server and cloud GPU of a scenario.
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect(args) => inspect::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
