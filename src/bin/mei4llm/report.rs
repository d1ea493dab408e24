//! `mei4llm report`: rebuilds a run directory's summary and plots from its CSV files.

use crate::run_summary::print_summary;
use std::error::Error;
use std::path::PathBuf;

fn after_help() -> String {
    let plots: String = mei4llm::problems::registry::all()
        .iter()
        .map(|entry| format!("  {:<10}{}\n", entry.name(), entry.plots().join(", ")))
        .collect();
    format!(
        "Reads run.json, epochs.csv, requests.csv and timings.csv of a directory written by\n\
         `mei4llm solve-trace` (of the problem run.json names), and writes summary.json,\n\
         timings.json, solve_time.svg and the problem's plots again, for instance after a run was\n\
         interrupted, or after editing the CSV files. The result is the same as the run's own when\n\
         the CSV files are unchanged. A CSV file's last line without its newline is what a write\n\
         cut short leaves (a run killed mid-write): it is left out, with a note; any other bad row\n\
         is an error naming its file and line. The files are written whole or not at all.\n\
         \nThe plots of each problem:\n{plots}\
         \nExamples:\n\
         \x20 mei4llm report runs/small\n\
         \x20 mei4llm report runs/small --quiet"
    )
}

#[derive(clap::Args)]
#[command(after_help = after_help())]
pub struct Args {
    /// A directory written by `mei4llm solve-trace`.
    dir: PathBuf,
    /// Do not print the summary table.
    #[arg(long)]
    quiet: bool,
}

pub fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let (run, redrawn) = mei4llm::problems::registry::report(&args.dir)?;
    for (file, line) in &redrawn.incomplete {
        eprintln!(
            "note: {}:{line}: left out an incomplete last line (no newline: a write cut short)",
            args.dir.join(file).display()
        );
    }
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
