//! Plain Python values from serde types and back, through JSON: the Python layer holds no
//! schema of its own, so a decision read back by `evaluate` has exactly the Rust shape.

use super::error::value_error;
use pyo3::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

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

/// A serde value from a Python value; `what` names it in the `ValueError`.
pub(crate) fn from_python<T: DeserializeOwned>(
    value: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<T> {
    let text = json_text(value).map_err(|e| value_error(format!("{what}: {e}")))?;
    serde_json::from_str(&text).map_err(|e| value_error(format!("{what}: {e}")))
}
