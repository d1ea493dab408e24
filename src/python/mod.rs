//! The Python module `mei4llm._core` (feature `python`, built by maturin): thin wrappers that
//! convert types, release the GIL while Rust works and turn errors into Python exceptions.
//! Every problem is served through the registry ([`crate::problems::registry`]): one instance
//! class, one environment class and one vector environment class for all of them. The Python
//! package `python/mei4llm/` re-exports the module and makes DataFrames of its columns.

mod arrays;
mod bundle;
mod columns;
mod convert;
mod env;
mod error;
mod info;
mod instance;
mod policy;
mod replay;
mod scenario;
mod solve;
mod tables;
mod trace;
mod trace_run;

use pyo3::prelude::*;

/// `mei4llm._core`: scenarios (from files or bundled), instances of every registered problem,
/// every solver by name, decisions as arrays, cost tables, traces and their replay, the
/// environments, the bundled files and the exception classes.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    let classes = error::exceptions(py)?;
    m.add("Error", classes.error.bind(py))?;
    m.add("InputError", classes.input.bind(py))?;
    m.add("ScenarioError", classes.scenario.bind(py))?;
    m.add("TraceError", classes.trace.bind(py))?;
    m.add("DecisionError", classes.decision.bind(py))?;
    m.add("SolverError", classes.solver.bind(py))?;
    m.add(
        "TIERS",
        crate::problems::split::formulation::TIERS
            .map(crate::problems::split::Tier::name)
            .to_vec(),
    )?;
    m.add(
        "PRECISIONS",
        crate::system::Precision::ALL
            .map(crate::system::Precision::name)
            .to_vec(),
    )?;
    m.add_class::<scenario::PyScenario>()?;
    m.add_class::<instance::PyInstance>()?;
    m.add_class::<solve::PyOutcome>()?;
    m.add_class::<env::PyEnv>()?;
    m.add_class::<env::PyVecEnv>()?;
    m.add_class::<trace_run::PyTraceRun>()?;
    m.add_function(wrap_pyfunction!(solve::solve, m)?)?;
    m.add_function(wrap_pyfunction!(solve::evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(solve::solvers, m)?)?;
    m.add_function(wrap_pyfunction!(solve::problems, m)?)?;
    m.add_function(wrap_pyfunction!(arrays::decision_arrays, m)?)?;
    m.add_function(wrap_pyfunction!(bundle::scenarios, m)?)?;
    m.add_function(wrap_pyfunction!(bundle::bundled_files, m)?)?;
    m.add_function(wrap_pyfunction!(bundle::bundled_file, m)?)?;
    m.add_function(wrap_pyfunction!(tables::cost_table, m)?)?;
    m.add_function(wrap_pyfunction!(tables::layer_table, m)?)?;
    m.add_function(wrap_pyfunction!(tables::split_table, m)?)?;
    m.add_function(wrap_pyfunction!(tables::model_catalogue, m)?)?;
    m.add_function(wrap_pyfunction!(tables::hardware_catalogue, m)?)?;
    m.add_function(wrap_pyfunction!(trace::read_trace, m)?)?;
    m.add_function(wrap_pyfunction!(replay::solve_trace, m)?)?;
    Ok(())
}
