//! The registered problems, and the generic paths every layer serves them through.
//!
//! [`all`] lists them; each is a [`Registered`] (one [`Entry`] per [`Formulation`]), and the
//! CLI, the Python module and the environments never name a problem: they look one up by name
//! ([`find`]) and call it. Adding a problem is its folder and one line in [`ENTRIES`].
//!
//! ```
//! use mei4llm::problems::registry;
//! use mei4llm::solve::Budget;
//!
//! let split = registry::find("split")?;
//! let scenario = registry::open_scenario("small")?;
//! let plan = split.plan(scenario, &serde_json::json!({}), "greedy", &Budget::default())?;
//! let json: serde_json::Value = serde_json::from_str(&plan.json)?;
//! assert_eq!(json["status"], "feasible");
//! assert!(plan.text.contains("greedy"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Formulation`]: super::formulation::Formulation

mod entry;
mod env;
mod error;
mod instance;
mod records;
mod registered;
mod settings;

pub use entry::Entry;
pub use env::{AnyEnv, AnyVecEnv, Reported, VecStep};
pub use error::RegistryError;
pub use instance::{AnyInstance, AnyOutcome, GivenDecision};
pub use records::AnyRecords;
pub use registered::{PlanOutput, Registered, Replayed, TraceMeter, TraceRequest};
pub use settings::settings;

use super::{Batching, Caching, Split};
use crate::replay::files::{RUN_JSON, read_json};
use crate::replay::{Redrawn, RunInfo};
use crate::system::Scenario;
use std::path::Path;
use std::sync::Arc;

/// Every registered problem, in the order `--help` lists them.
pub static ENTRIES: &[&dyn Registered] = &[
    &Entry::<Split>::NEW,
    &Entry::<Caching>::NEW,
    &Entry::<Batching>::NEW,
];

/// Every registered problem.
pub fn all() -> &'static [&'static dyn Registered] {
    ENTRIES
}

/// The names of the registered problems, comma separated.
pub fn names() -> String {
    ENTRIES
        .iter()
        .map(|e| e.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The problem called `name`.
pub fn find(name: &str) -> Result<&'static dyn Registered, RegistryError> {
    ENTRIES
        .iter()
        .copied()
        .find(|e| e.name() == name)
        .ok_or_else(|| {
            super::Error::Unknown {
                kind: "problem".into(),
                name: name.into(),
                known: names(),
            }
            .into()
        })
}

/// A scenario as a user names it (a file, or a bundled scenario's name), with every problem
/// section it holds read by its problem: a section no problem claims, or one its problem
/// refuses, is an error naming the file, the line and the field.
pub fn open_scenario(name_or_path: &str) -> Result<Arc<Scenario>, RegistryError> {
    let scenario = Arc::new(Scenario::open(name_or_path)?);
    check_sections(&scenario)?;
    Ok(scenario)
}

/// Every problem section of `scenario` read by its problem.
pub fn check_sections(scenario: &Arc<Scenario>) -> Result<(), RegistryError> {
    for name in &scenario.sections {
        let entry = ENTRIES
            .iter()
            .find(|e| e.section() == Some(name.as_str()))
            .ok_or_else(|| {
                let known: Vec<&str> = ENTRIES.iter().filter_map(|e| e.section()).collect();
                crate::system::Error::field(
                    &scenario.source.file,
                    scenario.source.line_of_path(name),
                    name.as_str(),
                    format!(
                        "unknown section `[{name}]`; the problems' sections are: {}",
                        known.join(", ")
                    ),
                )
            })?;
        entry.check_section(scenario)?;
    }
    Ok(())
}

/// Rebuilds `summary.json`, `timings.json` and the plots of the run directory `dir` from its
/// CSV files, for whichever problem its `run.json` names.
pub fn report(dir: &Path) -> Result<(RunInfo, Redrawn), RegistryError> {
    let run: RunInfo = read_json(&dir.join(RUN_JSON))?;
    let entry = find(&run.problem).map_err(|_| crate::replay::Error::Read {
        file: dir.join(RUN_JSON),
        line: None,
        message: format!(
            "problem `{}` cannot be reported (known: {})",
            run.problem,
            names()
        ),
    })?;
    let redrawn = entry.redraw(dir, &run)?;
    Ok((run, redrawn))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problems::formulation::Formulation;

    /// Every solver `F` lists resolves to a solver of that name, and no other name does.
    fn solver_table_resolves<F: Formulation>() {
        for name in F::SOLVERS.iter().map(|s| s.name) {
            assert_eq!(
                F::solver(name).map(|s| s.name().to_string()),
                Some(name.to_string()),
                "{}",
                F::NAME
            );
        }
        assert!(F::solver("no-such-solver").is_none(), "{}", F::NAME);
    }

    #[test]
    fn every_listed_name_resolves_to_a_solver_of_that_name() {
        solver_table_resolves::<Split>();
        solver_table_resolves::<Caching>();
        solver_table_resolves::<Batching>();
    }
}
