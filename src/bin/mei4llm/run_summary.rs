//! The table `solve-trace` and `report` print: one line per solver of a run directory's
//! `summary.json` and `timings.json`, with the columns of the run's problem.

use mei4llm::problems::registry;
use mei4llm::replay::files::{SUMMARY_JSON, TIMINGS_JSON};
use serde_json::Value;
use std::error::Error;
use std::path::Path;

/// Prints the summary table of the run directory `dir`.
pub fn print_summary(dir: &Path) -> Result<(), Box<dyn Error>> {
    let read = |name: &str| -> Result<Value, Box<dyn Error>> {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    };
    let summary = read(SUMMARY_JSON)?;
    let timings = read(TIMINGS_JSON).unwrap_or(Value::Null);
    let problem = summary["run"]["problem"].as_str().unwrap_or_default();
    let entry = registry::find(problem)
        .map_err(|e| format!("{}: {e}", dir.join(SUMMARY_JSON).display()))?;
    let empty = Vec::new();
    let solvers = summary["solvers"].as_array().unwrap_or(&empty);
    entry.summary_table(solvers, &timings).print();
    Ok(())
}
