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

/// The JSON text of a Python value made of dicts, lists, strings, numbers and `None`.
pub(crate) fn json_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = value.py();
    py.import("json")?
        .call_method1("dumps", (value,))?
        .extract::<String>()
}
