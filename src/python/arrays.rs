//! Decisions as numpy arrays, and decisions read from either form `evaluate` accepts: the
//! serde form of `Outcome.decision` (a dict with the problem's key, such as `assignments`), or
//! the arrays of `decision_arrays` (a dict of arrays, a DataFrame, or one array).
//!
//! What each problem's arrays are is the problem's (`split`: `tier`, `server`, `split`,
//! `bandwidth_share`, `compute_share` per request; `caching`: a `servers × models` boolean
//! matrix; `batching`: `server` per request and `precision` per server).

use super::convert::json_text;
use super::error::{decision_error, registry_error};
use super::instance::PyInstance;
use super::solve::PyOutcome;
use crate::problems::arrays::{Array, Arrays, Values};
use crate::problems::registry::{AnyInstance, GivenDecision};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// `value` (anything `numpy.asarray` takes) as an [`Array`]; `what` names it in errors.
fn array(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Array> {
    let numpy = value.py().import("numpy")?;
    let array = numpy
        .call_method1("asarray", (value,))
        .map_err(|e| decision_error(format!("{what}: not an array: {e}")))?;
    let dtype = array.getattr("dtype")?;
    let kind: String = dtype.getattr("kind")?.extract()?;
    let name = dtype.str()?.to_string();
    let shape: Vec<usize> = array.getattr("shape")?.extract()?;
    let flat = array.call_method0("ravel")?;
    let values = match kind.as_str() {
        "b" => Values::Bool(
            flat.call_method1("astype", ("bool",))?
                .extract::<Vec<bool>>()?,
        ),
        "i" | "u" => Values::Int(
            flat.call_method1("astype", ("int64",))?
                .extract::<Vec<i64>>()?,
        ),
        "f" => Values::Float(
            flat.call_method1("astype", ("float64",))?
                .extract::<Vec<f64>>()?,
        ),
        _ => {
            return Err(decision_error(format!(
                "{what}: an array of dtype {name}; expected integers, numbers or bool"
            )));
        }
    };
    Ok(Array {
        values,
        shape,
        dtype: name,
    })
}

/// `value` as a decision of `instance`: its serde form when it is a dict with the problem's
/// key, else its arrays.
pub(crate) fn given_decision(
    instance: &dyn AnyInstance,
    value: &Bound<'_, PyAny>,
) -> PyResult<GivenDecision> {
    let key = instance.decision_key();
    if let Ok(dict) = value.downcast::<PyDict>() {
        if dict.contains(key)? {
            let text = json_text(value).map_err(|e| decision_error(e.value(value.py())))?;
            return Ok(GivenDecision::Json(text));
        }
        let mut named = Vec::new();
        for (k, v) in dict.iter() {
            let name: String = k.extract()?;
            named.push((name.clone(), array(&v, &name)?));
        }
        return Ok(GivenDecision::Arrays(Arrays::Named(named)));
    }
    let columns = value.getattr("columns").ok();
    if let Some(columns) = columns.filter(|_| value.hasattr("to_numpy").unwrap_or(false)) {
        let mut named = Vec::new();
        for column in columns.try_iter()? {
            let name: String = column?.extract()?;
            named.push((name.clone(), array(&value.get_item(&name)?, &name)?));
        }
        return Ok(GivenDecision::Arrays(Arrays::Named(named)));
    }
    Ok(GivenDecision::Arrays(Arrays::Single(array(
        value,
        &format!("{} decision", instance.problem()),
    )?)))
}

/// `array` as a numpy array of its shape.
fn to_numpy<'py>(py: Python<'py>, array: &Array) -> PyResult<Bound<'py, PyAny>> {
    let flat = match &array.values {
        Values::Int(v) => PyArray1::from_slice(py, v).into_any(),
        Values::Float(v) => PyArray1::from_slice(py, v).into_any(),
        Values::Bool(v) => PyArray1::from_slice(py, v).into_any(),
    };
    match array.shape.len() {
        1 => Ok(flat),
        _ => flat.call_method1("reshape", (array.shape.clone(),)),
    }
}

/// `arrays` as Python values: a dict of numpy arrays, or one array.
pub(crate) fn arrays_to_python<'py>(
    py: Python<'py>,
    arrays: &Arrays,
) -> PyResult<Bound<'py, PyAny>> {
    match arrays {
        Arrays::Single(array) => to_numpy(py, array),
        Arrays::Named(named) => {
            let dict = PyDict::new(py);
            for (name, array) in named {
                dict.set_item(name, to_numpy(py, array)?)?;
            }
            Ok(dict.into_any())
        }
    }
}

/// The decision of `decision` (an `Outcome`, or a decision in either form `evaluate` accepts)
/// as numpy arrays of `instance`'s shape (see the module documentation); `None` when an
/// outcome has no decision.
#[pyfunction]
pub(crate) fn decision_arrays<'py>(
    py: Python<'py>,
    instance: PyRef<'_, PyInstance>,
    decision: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let decision = if decision.downcast::<PyOutcome>().is_ok() {
        decision.getattr("decision")?
    } else {
        decision.clone()
    };
    if decision.is_none() {
        return Ok(None);
    }
    let given = given_decision(&*instance.inner, &decision)?;
    let arrays = instance.inner.arrays(&given).map_err(registry_error)?;
    Ok(Some(arrays_to_python(py, &arrays)?))
}
