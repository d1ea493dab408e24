//! `mei4llm report`: rebuilds a run directory's summary and plots from its CSV files.

use crate::solve_trace::print_summary;
use std::error::Error;
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(
    after_help = "Reads run.json, epochs.csv, requests.csv and timings.csv of a directory written by\n\
    `mei4llm solve-trace`, and writes summary.json, timings.json, latency_cdf.svg,\n\
    choices.svg and solve_time.svg again (for instance after a run was interrupted, or after\n\
    editing the CSV files). The result is the same as the run's own when the CSV files are\n\
    unchanged.\n\
    \nExamples:\n\
    \x20 mei4llm report runs/small\n\
    \x20 mei4llm report runs/small --quiet"
)]
pub struct Args {
    /// A directory written by `mei4llm solve-trace`.
    dir: PathBuf,
    /// Do not print the summary table.
    #[arg(long)]
    quiet: bool,
}

pub fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let (run, redrawn) = mei4llm::replay::report(&args.dir)?;
    if !args.quiet {
        print_summary(&args.dir)?;
        println!();
    }
    println!(
        "{} run over {} ({} epochs, {} request rows{}): wrote {} in {}",
        run.problem,
        run.trace,
        redrawn.epochs,
        redrawn.request_rows,
        if run.complete {
            ""
        } else {
            "; the run did not complete"
        },
        redrawn.files.join(", "),
        args.dir.display()
    );
    Ok(())
}
