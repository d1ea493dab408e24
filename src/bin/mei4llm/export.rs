//! `mei4llm export`: a problem's MILP written as MPS or LP, for other solvers to cross-check.

use crate::args::{ProblemArgs, problems_help, with_flags};
use mei4llm::solve::milp::ModelFormat;
use std::error::Error;
use std::path::PathBuf;

/// File formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// Free-format MPS.
    Mps,
    /// CPLEX LP.
    Lp,
}

fn after_help() -> String {
    let mut text = String::from(
        "What is written: the MILP the exact solver of the problem builds for the scenario's\n\
         instance (the one `mei4llm plan` solves). With --problem split: the first master MILP for\n\
         the first epoch of the scenario's [workload]: one binary per request and candidate choice,\n\
         the bandwidth and compute shares, the outer-approximation tangents of the share-dependent\n\
         costs and deadlines, and the edge-memory rows; its optimum is a lower bound on the epoch's\n\
         optimal objective, in units of the warm start's mean cost per request. With --problem\n\
         caching: the placement MILP of the [caching] section (one binary per server and model some\n\
         request can use, continuous shared-block and hit variables, one storage row per server;\n\
         maximised: its optimum is the best expected hit ratio). With --problem batching: the\n\
         admission MILP of the [batching] section (one binary per request, server and precision on\n\
         which the request meets its SLOs alone, one per server and precision, continuous TPOT level\n\
         variables, memory, TTFT-prefix and TPOT-level rows; maximised).\n\
         \nAny MILP solver (HiGHS, CBC, SCIP, Gurobi, CPLEX) reads the file; HiGHS reading it back\n\
         finds the same optimum as solving the model in memory (tested).\n\
         \nThe format follows --format, else the extension of --out (.mps or .lp). The file is\n\
         written whole or not at all: under a temporary name beside it, renamed once complete (a\n\
         device or pipe such as /dev/stdout gets the complete file's bytes, each write checked).\n",
    );
    text.push_str(&problems_help(true));
    text.push_str(
        "\nExamples:\n\
         \x20 mei4llm export --problem split --scenario small --out small.mps\n\
         \x20 mei4llm export --problem split --scenario scenarios/small.toml --format lp --out small.lp\n\
         \x20 mei4llm export --problem caching --scenario caching-city --out caching-city.mps\n\
         \x20 mei4llm export --problem batching --scenario batching-edge --out batching-edge.mps\n\
         \x20 highs small.mps",
    );
    text
}

#[derive(clap::Args)]
#[command(after_help = after_help(), allow_negative_numbers = true)]
pub struct Args {
    #[command(flatten)]
    problem: ProblemArgs,
    /// File format (default: from the extension of --out).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// The file to write (whole or not at all; see below).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

pub fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let format = match (args.format, args.out.extension().and_then(|e| e.to_str())) {
        (Some(FormatArg::Mps), _) => ModelFormat::Mps,
        (Some(FormatArg::Lp), _) => ModelFormat::Lp,
        (None, Some(e)) if e.eq_ignore_ascii_case("mps") => ModelFormat::Mps,
        (None, Some(e)) if e.eq_ignore_ascii_case("lp") => ModelFormat::Lp,
        (None, _) => {
            return Err(format!(
                "give --format mps or --format lp: `{}` does not end in .mps or .lp",
                args.out.display()
            )
            .into());
        }
    };
    let entry = args.problem.entry()?;
    let scenario = args.problem.scenario()?;
    let milp = entry
        .export(scenario, &args.problem.settings(None))
        .map_err(with_flags)?;
    milp.model.write(&args.out, format)?;
    println!(
        "wrote {} ({}): {}, {} variables and {} constraints",
        args.out.display(),
        format.extension().to_uppercase(),
        milp.what,
        milp.model.model.num_variables(),
        milp.model.model.num_constraints()
    );
    Ok(())
}
