//! The `info` entries of the environments' epoch reports: a dict for one environment, and for
//! a vector environment the same entries batched as Gymnasium batches vector infos (an array
//! per key over the environments, with a boolean `_key` mask of those that have it).

use super::arrays::arrays_to_python;
use super::instance::PyInstance;
use super::scenario::PyScenario;
use crate::problems::formulation::Info;
use crate::problems::registry::Reported;
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// One entry as a Python value.
fn value(py: Python<'_>, info: &Info) -> PyResult<PyObject> {
    Ok(match info {
        Info::Int(v) => v.into_pyobject(py)?.into_any().unbind(),
        Info::Float(v) => v.into_pyobject(py)?.into_any().unbind(),
        Info::MaybeFloat(v) => v.into_pyobject(py)?.unbind(),
        Info::Bool(v) => v.into_pyobject(py)?.to_owned().into_any().unbind(),
        Info::Text(v) => v.as_deref().into_pyobject(py)?.unbind(),
        Info::Plain(v) => plain(py, v)?,
        Info::Arrays(a) => arrays_to_python(py, a)?.unbind(),
    })
}

/// Plain data as nested dicts, lists, strings, numbers, booleans and `None`, built directly
/// (a report is converted at every epoch end of every environment).
pub(crate) fn plain(py: Python<'_>, v: &serde_json::Value) -> PyResult<PyObject> {
    use serde_json::Value;
    Ok(match v {
        Value::Null => py.None(),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any().unbind(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any().unbind(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any().unbind(),
            _ => n
                .as_f64()
                .unwrap_or(f64::NAN)
                .into_pyobject(py)?
                .into_any()
                .unbind(),
        },
        Value::String(s) => s.into_pyobject(py)?.into_any().unbind(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(plain(py, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, item) in map {
                dict.set_item(k, plain(py, item)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

/// The `(key, value)` pairs of a report, the instance (as `instance`, on `scenario`) last.
fn entries(
    py: Python<'_>,
    report: &Reported,
    scenario: &Py<PyScenario>,
) -> PyResult<Vec<(&'static str, Cell)>> {
    let mut out: Vec<(&'static str, Cell)> = report
        .info
        .iter()
        .map(|(k, v)| Ok((*k, Cell::of(py, v)?)))
        .collect::<PyResult<_>>()?;
    if let Some(instance) = &report.instance {
        let instance = Py::new(
            py,
            PyInstance {
                inner: instance.clone(),
                scenario: scenario.clone_ref(py),
            },
        )?;
        out.push(("instance", Cell::Object(instance.into_any())));
    }
    Ok(out)
}

/// The `info` dict of one environment's report (the environment on `scenario`).
pub(crate) fn info_dict<'py>(
    py: Python<'py>,
    report: &Reported,
    scenario: &Py<PyScenario>,
) -> PyResult<Bound<'py, PyDict>> {
    let info = PyDict::new(py);
    for (key, cell) in entries(py, report, scenario)? {
        info.set_item(key, cell.into_py(py))?;
    }
    Ok(info)
}

/// One value with the dtype of its batched array.
enum Cell {
    Int(i64),
    Float(f64),
    Bool(bool),
    Object(PyObject),
}

impl Cell {
    fn of(py: Python<'_>, info: &Info) -> PyResult<Cell> {
        Ok(match info {
            Info::Int(v) => Cell::Int(*v),
            Info::Float(v) | Info::MaybeFloat(Some(v)) => Cell::Float(*v),
            Info::Bool(v) => Cell::Bool(*v),
            other => Cell::Object(value(py, other)?),
        })
    }

    fn into_py(self, py: Python<'_>) -> PyObject {
        match self {
            Cell::Int(v) => v
                .into_pyobject(py)
                .map_or_else(|_| py.None(), |v| v.into_any().unbind()),
            Cell::Float(v) => v
                .into_pyobject(py)
                .map_or_else(|_| py.None(), |v| v.into_any().unbind()),
            Cell::Bool(v) => v
                .into_pyobject(py)
                .map_or_else(|_| py.None(), |v| v.to_owned().into_any().unbind()),
            Cell::Object(v) => v,
        }
    }
}

/// The reports of `n` environments (`(index, report)`) batched into one `info` dict: for each
/// key, an array over the environments (`int64`, `float64` or `bool` when every report has
/// that kind, else `object` with `None` where absent) and the `bool` mask `_key` of the
/// environments that report it (the environments on `scenario`).
pub(crate) fn batched<'py>(
    py: Python<'py>,
    n: usize,
    reports: &[(usize, Reported)],
    scenario: &Py<PyScenario>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut keys: Vec<(&'static str, Vec<(usize, Cell)>)> = Vec::new();
    for (i, report) in reports {
        for (key, cell) in entries(py, report, scenario)? {
            match keys.iter_mut().find(|(k, _)| *k == key) {
                Some((_, column)) => column.push((*i, cell)),
                None => keys.push((key, vec![(*i, cell)])),
            }
        }
    }
    let info = PyDict::new(py);
    for (key, cells) in keys {
        let mut mask = vec![false; n];
        cells.iter().for_each(|&(i, _)| mask[i] = true);
        info.set_item(key, column(py, n, cells)?)?;
        info.set_item(format!("_{key}"), PyArray1::from_vec(py, mask))?;
    }
    Ok(info)
}

/// The array of one key over `n` environments from the cells of those that report it.
fn column(py: Python<'_>, n: usize, cells: Vec<(usize, Cell)>) -> PyResult<PyObject> {
    let all = |kind: fn(&Cell) -> bool| cells.iter().all(|(_, c)| kind(c));
    if all(|c| matches!(c, Cell::Int(_))) {
        let mut values = vec![0; n];
        for (i, cell) in cells {
            if let Cell::Int(x) = cell {
                values[i] = x;
            }
        }
        return Ok(PyArray1::from_vec(py, values).into_any().unbind());
    }
    if all(|c| matches!(c, Cell::Float(_))) {
        let mut values = vec![0.0; n];
        for (i, cell) in cells {
            if let Cell::Float(x) = cell {
                values[i] = x;
            }
        }
        return Ok(PyArray1::from_vec(py, values).into_any().unbind());
    }
    if all(|c| matches!(c, Cell::Bool(_))) {
        let mut values = vec![false; n];
        for (i, cell) in cells {
            if let Cell::Bool(x) = cell {
                values[i] = x;
            }
        }
        return Ok(PyArray1::from_vec(py, values).into_any().unbind());
    }
    let mut values: Vec<PyObject> = (0..n).map(|_| py.None()).collect();
    for (i, cell) in cells {
        values[i] = cell.into_py(py);
    }
    Ok(PyArray1::from_vec(py, values).into_any().unbind())
}
