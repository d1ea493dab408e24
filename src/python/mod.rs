//! The Python module `mei4llm._core` (feature `python`, built by maturin): thin wrappers that
//! convert types, release the GIL while Rust solves and turn errors into Python exceptions.
//! The Python package `python/mei4llm/` re-exports it.

mod convert;
mod env;
mod error;
mod info;
mod instance;
mod policy;
mod scenario;
mod solve;

use pyo3::prelude::*;

/// `mei4llm._core`: scenarios, `split` and `caching` instances, every solver by name, and the
/// environments.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("SolverError", m.py().get_type::<error::SolverError>())?;
    m.add_class::<scenario::PyScenario>()?;
    m.add_class::<instance::PySplitInstance>()?;
    m.add_class::<instance::PyCachingInstance>()?;
    m.add_class::<solve::PyOutcome>()?;
    m.add_class::<env::PySplitEnv>()?;
    m.add_class::<env::PyCachingEnv>()?;
    m.add_class::<env::PyVecSplitEnv>()?;
    m.add_class::<env::PyVecCachingEnv>()?;
    m.add_function(wrap_pyfunction!(solve::solve, m)?)?;
    m.add_function(wrap_pyfunction!(solve::evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(solve::solvers, m)?)?;
    Ok(())
}
