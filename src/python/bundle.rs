//! `mei4llm.scenarios()` and the bundled files: the scenarios and data the wheel carries, to
//! name from any folder and to copy and edit.

use super::error::value_error;
use crate::system::bundle;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// The names of the bundled scenarios (`small`, `city`, …), as `Scenario.bundled` takes them.
#[pyfunction]
pub(crate) fn scenarios() -> Vec<&'static str> {
    bundle::scenarios()
}

/// The paths of every bundled file (`scenarios/small.toml`,
/// `datasets/traces/azure_llm_2023_conv.csv`, …).
#[pyfunction]
pub(crate) fn bundled_files() -> Vec<&'static str> {
    bundle::files().map(|(path, _)| path).collect()
}

/// The bytes of the bundled file at `path`.
#[pyfunction]
pub(crate) fn bundled_file<'py>(py: Python<'py>, path: &str) -> PyResult<Bound<'py, PyBytes>> {
    let bytes = bundle::file(path).ok_or_else(|| {
        value_error(format!(
            "no bundled file `{path}`; mei4llm.datasets.files() lists them"
        ))
    })?;
    Ok(PyBytes::new(py, bytes))
}
