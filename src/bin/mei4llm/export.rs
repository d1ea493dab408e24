//! `mei4llm export`: a problem's MILP written as MPS or LP, for other solvers to cross-check.

use crate::args::ObjectiveArgs;
use mei4llm::problems::batching::{self, BatchingInstance};
use mei4llm::problems::caching::{self, CachingInstance};
use mei4llm::problems::split::{Exact, SplitInstance};
use mei4llm::solve::milp::{ModelFormat, RecordedModel, record};
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
    /// The exact solver's placement MILP of the scenario's [caching] section: binary placement,
    /// continuous shared-block and hit variables, storage rows.
    Caching,
    /// The exact solver's admission MILP of the scenario's [batching] section: binary
    /// (request, server, precision) and precision choices, memory, TTFT-prefix and TPOT-level
    /// rows.
    Batching,
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
    after_help = "What is written, with --problem split (the default): the first master MILP that the\n\
    exact solver of `split` builds for the first epoch of the scenario's [workload] (the epoch\n\
    `mei4llm plan` solves): one binary per request and candidate choice, the bandwidth and\n\
    compute shares, the outer-approximation tangents of the share-dependent costs and\n\
    deadlines, and the edge-memory rows. Its optimum is a lower bound on the epoch's optimal\n\
    objective, in units of the warm start's mean cost per request.\n\
    \nWith --problem caching: the MILP the exact solver of `caching` solves for the scenario's\n\
    [caching] section (the placement `mei4llm plan --problem caching` finds): one binary per\n\
    server and model some request can use, continuous shared-block and hit variables, one\n\
    storage row per server; it is maximised, and its optimum is the best expected hit ratio.\n\
    \nWith --problem batching: the MILP the exact solver of `batching` solves for the scenario's\n\
    [batching] section (the decision `mei4llm plan --problem batching` finds): one binary per\n\
    request, server and precision on which the request meets its SLOs alone, one per server and\n\
    precision, continuous TPOT level variables, memory, TTFT-prefix and TPOT-level rows; it is\n\
    maximised, and its optimum is the most requests (or tokens) one batch admits.\n\
    \nAny MILP solver (HiGHS, CBC, SCIP, Gurobi, CPLEX) reads the file; HiGHS reading it back\n\
    finds the same optimum as solving the model in memory (tested).\n\
    \nThe format follows --format, else the extension of --out (.mps or .lp).\n\
    \nExamples:\n\
    \x20 mei4llm export --problem split --scenario scenarios/small.toml --out small.mps\n\
    \x20 mei4llm export --problem split --scenario scenarios/small.toml --format lp --out small.lp\n\
    \x20 mei4llm export --problem caching --scenario scenarios/caching-city.toml --out caching-city.mps\n\
    \x20 mei4llm export --problem batching --scenario scenarios/batching-edge.toml --out batching-edge.mps\n\
    \x20 highs small.mps"
)]
pub struct Args {
    /// The problem.
    #[arg(long, value_enum, default_value = "split")]
    problem: ProblemArg,
    /// A scenario file (.toml or .json) with a [workload] section (split), a [caching]
    /// section (caching) or a [batching] section (batching).
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
    match args.problem {
        ProblemArg::Split => split(args, format),
        ProblemArg::Caching => caching(args, format),
        ProblemArg::Batching => batching(args, format),
    }
}

/// The only model a solve recorded, or an error saying none was built.
fn first(models: Vec<RecordedModel>) -> Result<RecordedModel, Box<dyn Error>> {
    models
        .into_iter()
        .next()
        .ok_or_else(|| "the exact solver built no MILP for this instance".into())
}

fn split(args: &Args, format: ModelFormat) -> Result<(), Box<dyn Error>> {
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
    let master = first(models)?;
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

/// Refuses the objective flags of split, with `why` the other problem maximises instead.
fn refuse_objective(args: &Args, why: &str) -> Result<(), Box<dyn Error>> {
    if args.objective.objective != crate::args::ObjectiveArg::Latency
        || args.objective.per_second.is_some()
        || args.objective.per_joule.is_some()
    {
        return Err(format!("the objective flags apply to --problem split only: {why}").into());
    }
    Ok(())
}

fn caching(args: &Args, format: ModelFormat) -> Result<(), Box<dyn Error>> {
    refuse_objective(args, "caching maximises the hit ratio")?;
    let scenario = Scenario::from_path(&args.scenario)?;
    let instance = CachingInstance::from_scenario(&scenario)?;
    if instance.demands().is_empty() {
        return Err(format!(
            "no request of `{}` can be served within the latency bound, so there is no MILP: every placement has hit ratio 0",
            scenario.name
        )
        .into());
    }
    let (outcome, models) = record(|| caching::Exact.solve(&instance, &Budget::default()));
    outcome?;
    let milp = first(models)?;
    milp.write(&args.out, format)?;
    println!(
        "wrote {} ({}): the exact solver's placement MILP for the [caching] section of `{}` ({} servers, {} models, {} users, {} merged demands), {} variables and {} constraints",
        args.out.display(),
        format.extension().to_uppercase(),
        scenario.name,
        instance.servers.len(),
        instance.library.models.len(),
        instance.users.len(),
        instance.demands().len(),
        milp.model.num_variables(),
        milp.model.num_constraints()
    );
    Ok(())
}

fn batching(args: &Args, format: ModelFormat) -> Result<(), Box<dyn Error>> {
    refuse_objective(
        args,
        "batching maximises what the [batching] section's objective says",
    )?;
    let scenario = Scenario::from_path(&args.scenario)?;
    let instance = BatchingInstance::from_scenario(&scenario)?;
    if instance.servable_value() <= 0.0 {
        return Err(format!(
            "no waiting request of `{}` can be served within its SLOs, so there is no MILP: the empty batch is optimal",
            scenario.name
        )
        .into());
    }
    let (outcome, models) = record(|| batching::Exact.solve(&instance, &Budget::default()));
    outcome?;
    let milp = first(models)?;
    milp.write(&args.out, format)?;
    println!(
        "wrote {} ({}): the exact solver's admission MILP for the [batching] section of `{}` ({} servers, {} waiting requests), {} variables and {} constraints",
        args.out.display(),
        format.extension().to_uppercase(),
        scenario.name,
        instance.servers.len(),
        instance.requests.len(),
        milp.model.num_variables(),
        milp.model.num_constraints()
    );
    Ok(())
}
