//! Plain Python values from serde types and their JSON text: the Python layer holds no
//! schema of its own, so a decision read back by `evaluate` has exactly the Rust shape.

use super::error::value_error;
use pyo3::prelude::*;
use serde::Serialize;

/// `value` as nested Python dicts, lists, strings and numbers.
pub(crate) fn to_python<T: Serialize + ?Sized>(py: Python<'_>, value: &T) -> PyResult<PyObject> {
    let text = serde_json::to_string(value).map_err(value_error)?;
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

/// The JSON text of a Python value made of dicts, lists, strings, numbers, paths
/// (`os.PathLike`, as their text) and `None`.
pub(crate) fn json_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = value.py();
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("default", py.import("os")?.getattr("fspath")?)?;
    py.import("json")?
        .call_method("dumps", (value,), Some(&kwargs))
        .map_err(|e| {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "not a value of dicts, lists, strings, numbers, paths and None: {}",
                e.value(py)
            ))
        })?
        .extract::<String>()
}
