//! `mei4llm plan`: the instance of a scenario, planned by one solver of any problem.

use crate::args::{ProblemArgs, parse_duration, problems_help, with_flags};
use mei4llm::solve::Budget;
use std::error::Error;
use std::process::ExitCode;
use std::time::Duration;

/// Exit status when the solver found no plan without proving that none exists (clap uses 2
/// for usage errors).
pub const NOT_FOUND: u8 = 3;

fn after_help() -> String {
    let mut text = String::from(
        "Objectives of split (what the plan minimises, summed over the epoch's requests):\n\
         \x20 latency  end-to-end latency in seconds, from the prompt to the last token: device and\n\
         \x20          server compute, uploads, and one round trip per generated token under an\n\
         \x20          inner split (1 <= split < blocks)\n\
         \x20 energy   device energy in joules: on-device compute at active power plus radio\n\
         \x20          transmission at the device's transmit power plus the connected radio while\n\
         \x20          it waits for the server (round trips, server compute, tokens down)\n\
         \x20 mixed    per-second · latency + per-joule · energy (give --per-second and --per-joule)\n",
    );
    text.push_str(&problems_help(true));
    text.push_str(
        "\nThe instance is the scenario's own: for split the first epoch of its [workload] (its trace,\n\
         `requests` or `window`, and its seed for the devices and models of the requests); for the\n\
         other problems their section of the scenario.\n\
         \nExit status: 0 when a plan was found or the instance was proven infeasible (the reason is\n\
         printed); 3 when the solver found no plan without proving that none exists; 1 on bad\n\
         input (unknown solver, unreadable scenario) or when the plan fails its re-check;\n\
         2 on a malformed command line.\n\
         \nExamples:\n\
         \x20 mei4llm plan --scenario small\n\
         \x20 mei4llm plan --scenario scenarios/small.toml --solver descent --objective energy\n\
         \x20 mei4llm plan --problem caching --scenario caching-small --solver greedy\n\
         \x20 mei4llm plan --problem batching --scenario batching-small --solver assignment\n\
         \x20 mei4llm plan --scenario small --objective mixed --per-second 1 --per-joule 0.05 --time-limit 5s --json",
    );
    text
}

#[derive(clap::Args)]
#[command(after_help = after_help(), allow_negative_numbers = true)]
pub struct Args {
    #[command(flatten)]
    problem: ProblemArgs,
    /// Solver (see the lists below).
    #[arg(long, default_value = "exact")]
    solver: String,
    /// Wall-clock limit of the solve, e.g. 5s, 500ms, 2m (default: none).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true)]
    time_limit: Option<Duration>,
    /// Relative optimality gap at which the exact solver stops, in [0, 1).
    #[arg(long, default_value_t = 1e-6, allow_hyphen_values = true)]
    gap: f64,
    /// Seed of the solver's random choices (the requests' devices and models come from the
    /// workload's own seed).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    seed: u64,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> Result<ExitCode, Box<dyn Error>> {
    let budget = Budget {
        time_limit: args.time_limit,
        gap: args.gap,
        seed: args.seed,
        ..Budget::default()
    };
    let entry = args.problem.entry()?;
    let scenario = args.problem.scenario()?;
    let plan = entry
        .plan(
            scenario,
            &args.problem.settings(None),
            &args.solver,
            &budget,
        )
        .map_err(with_flags)?;
    if args.json {
        println!("{}", plan.json);
    } else {
        print!("{}", plan.text);
    }
    if let Some(why) = plan.failed_check {
        return Err(why.into());
    }
    Ok(if plan.answered {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(NOT_FOUND)
    })
}
