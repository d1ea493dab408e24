//! `mei4llm export`: a problem's MILP written as MPS or LP, for other solvers to cross-check.

use crate::args::ObjectiveArgs;
use mei4llm::problems::split::{Exact, SplitInstance};
use mei4llm::solve::milp::{ModelFormat, record};
use mei4llm::solve::{Budget, Solver};
use mei4llm::system::Scenario;
use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;

/// The problems whose MILP can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProblemArg {
    /// The exact solver's first master: binary choice per request and candidate, continuous
    /// shares, tangent cuts of the share-dependent costs, edge memory rows.
    Split,
}

/// File formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// Free-format MPS.
    Mps,
    /// CPLEX LP.
    Lp,
}

#[derive(clap::Args)]
#[command(
    after_help = "What is written: the first master MILP that the exact solver of `split` builds for the\n\
    first epoch of the scenario's [workload] (the epoch `mei4llm plan` solves): one binary per\n\
    request and candidate choice, the bandwidth and compute shares, the outer-approximation\n\
    tangents of the share-dependent costs and deadlines, and the edge-memory rows. Its optimum\n\
    is a lower bound on the epoch's optimal objective, in units of the warm start's mean cost\n\
    per request. Any MILP solver (HiGHS, CBC, SCIP, Gurobi, CPLEX) reads it; HiGHS reading it\n\
    back finds the same optimum as solving the model in memory (tested).\n\
    \nThe format follows --format, else the extension of --out (.mps or .lp).\n\
    \nExamples:\n\
    \x20 mei4llm export --problem split --scenario scenarios/small.toml --out small.mps\n\
    \x20 mei4llm export --problem split --scenario scenarios/small.toml --format lp --out small.lp\n\
    \x20 highs small.mps"
)]
pub struct Args {
    /// The problem.
    #[arg(long, value_enum, default_value = "split")]
    problem: ProblemArg,
    /// A scenario file (.toml or .json) with a [workload] section.
    #[arg(long)]
    scenario: PathBuf,
    /// File format (default: from the extension of --out).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// The file to write.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    objective: ObjectiveArgs,
}

pub fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let ProblemArg::Split = args.problem;
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
    let objective = args.objective.objective()?;
    let scenario = Arc::new(Scenario::from_path(&args.scenario)?);
    let instance = SplitInstance::from_scenario(scenario, objective)?;
    if let Some(why) = instance.infeasibility() {
        return Err(
            format!("the first epoch is infeasible, so there is no master MILP: {why}").into(),
        );
    }
    let solver = Exact { max_rounds: 1 };
    let (outcome, models) = record(|| solver.solve(&instance, &Budget::default()));
    outcome?;
    let Some(master) = models.into_iter().next() else {
        return Err("the exact solver built no MILP for this epoch".into());
    };
    master.write(&args.out, format)?;
    println!(
        "wrote {} ({}): the exact solver's first master MILP for the first epoch of `{}` ({} requests), {} variables and {} constraints",
        args.out.display(),
        format.extension().to_uppercase(),
        instance.scenario.name,
        instance.requests.len(),
        master.model.num_variables(),
        master.model.num_constraints()
    );
    Ok(())
}
