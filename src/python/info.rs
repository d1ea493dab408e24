//! The `info` entries of the environments' epoch and window reports: a dict for one
//! environment, and for a vector environment the same entries batched as Gymnasium batches
//! vector infos (an array per key over the environments, with a boolean `_key` mask of those
//! that have it), built in one pass over the step's reports.

use super::arrays::batching_arrays;
use super::convert::to_python;
use super::instance::{PyBatchingInstance, PyCachingInstance, PySplitInstance};
use crate::env::{DecisionReport, EpochReport, OptimumReport, WindowReport};
use crate::problems::split::SplitDecision;
use numpy::PyArray1;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::sync::Arc;

/// One `info` value, with the dtype of its batched array.
pub(crate) enum Cell {
    /// A whole number (`int64` array).
    Int(i64),
    /// A number (`float64` array).
    Float(f64),
    /// A flag (`bool` array).
    Bool(bool),
    /// A number that may be missing (`float64` array when every environment has one, else an
    /// `object` array with `None`).
    MaybeFloat(Option<f64>),
    /// Any other value (`object` array, `None` where absent).
    Object(PyObject),
}

impl Cell {
    fn into_py(self, py: Python<'_>) -> PyResult<PyObject> {
        Ok(match self {
            Cell::Int(v) => v.into_pyobject(py)?.into_any().unbind(),
            Cell::Float(v) => v.into_pyobject(py)?.into_any().unbind(),
            Cell::Bool(v) => v.into_pyobject(py)?.to_owned().into_any().unbind(),
            Cell::MaybeFloat(v) => v.into_pyobject(py)?.unbind(),
            Cell::Object(v) => v,
        })
    }
}

/// The named `info` values of a report, in order.
pub(crate) type Cells = Vec<(&'static str, Cell)>;

/// A report that becomes `info` entries.
pub(crate) trait ReportInfo {
    /// The entries; `scenario` names the scenario of the environment.
    fn cells(&self, py: Python<'_>, scenario: &str) -> PyResult<Cells>;
}

/// `optimum`, `optimum_bound`, `optimum_status`, `optimum_reason`, `optimum_time_s`, `regret`.
fn optimum_cells(
    py: Python<'_>,
    optimum: &Option<OptimumReport>,
    cells: &mut Cells,
) -> PyResult<()> {
    if let Some(o) = optimum {
        cells.push(("optimum", Cell::MaybeFloat(o.objective)));
        cells.push(("optimum_bound", Cell::MaybeFloat(o.bound)));
        let status = o.status.as_str().into_pyobject(py)?.into_any().unbind();
        cells.push(("optimum_status", Cell::Object(status)));
        let reason = o.reason.as_deref().into_pyobject(py)?.unbind();
        cells.push(("optimum_reason", Cell::Object(reason)));
        cells.push(("optimum_time_s", Cell::Float(o.time_s)));
        cells.push(("regret", Cell::MaybeFloat(o.regret)));
    }
    Ok(())
}

/// `decision` as the plain values of its serde form (`{"assignments": [{"choice": {"tier",
/// "server", "split"}, "bandwidth_share", "compute_share"}, ...]}`), built directly: a report
/// is converted at every epoch end of every environment.
pub(crate) fn decision(py: Python<'_>, decision: &SplitDecision) -> PyResult<PyObject> {
    let assignments = PyList::empty(py);
    for a in &decision.assignments {
        let choice = PyDict::new(py);
        choice.set_item(intern!(py, "tier"), a.choice.tier.name())?;
        choice.set_item(intern!(py, "server"), a.choice.server)?;
        choice.set_item(intern!(py, "split"), a.choice.split)?;
        let assignment = PyDict::new(py);
        assignment.set_item(intern!(py, "choice"), choice)?;
        assignment.set_item(intern!(py, "bandwidth_share"), a.bandwidth_share)?;
        assignment.set_item(intern!(py, "compute_share"), a.compute_share)?;
        assignments.append(assignment)?;
    }
    let out = PyDict::new(py);
    out.set_item(intern!(py, "assignments"), assignments)?;
    Ok(out.into_any().unbind())
}

impl ReportInfo for EpochReport {
    fn cells(&self, py: Python<'_>, _scenario: &str) -> PyResult<Cells> {
        let mut cells = vec![
            ("epoch", Cell::Int(self.epoch as i64)),
            ("requests", Cell::Int(self.requests as i64)),
            ("dropped_requests", Cell::Int(self.dropped_requests as i64)),
            ("objective", Cell::Float(self.objective)),
            ("feasible", Cell::Bool(self.feasible)),
            (
                "reason",
                Cell::Object(self.reason.as_deref().into_pyobject(py)?.unbind()),
            ),
        ];
        optimum_cells(py, &self.optimum, &mut cells)?;
        let instance = PySplitInstance {
            inner: Arc::clone(&self.instance),
        };
        cells.push(("instance", Cell::Object(Py::new(py, instance)?.into_any())));
        let decision = match &self.decision {
            Some(d) => decision(py, d)?,
            None => py.None(),
        };
        cells.push(("decision", Cell::Object(decision)));
        Ok(cells)
    }
}

impl ReportInfo for WindowReport {
    fn cells(&self, py: Python<'_>, scenario: &str) -> PyResult<Cells> {
        let mut cells = vec![
            ("window", Cell::Int(self.window as i64)),
            ("requests", Cell::Int(self.requests as i64)),
            ("reachable", Cell::Int(self.reachable as i64)),
            ("hits", Cell::Int(self.hits as i64)),
        ];
        optimum_cells(py, &self.optimum, &mut cells)?;
        if let Some(instance) = &self.instance {
            let instance = PyCachingInstance {
                inner: Arc::clone(instance),
                scenario: scenario.into(),
            };
            cells.push(("instance", Cell::Object(Py::new(py, instance)?.into_any())));
        }
        cells.push(("placement", Cell::Object(to_python(py, &self.placement)?)));
        Ok(cells)
    }
}

impl ReportInfo for DecisionReport {
    fn cells(&self, py: Python<'_>, scenario: &str) -> PyResult<Cells> {
        let mut cells = vec![
            ("window", Cell::Int(self.window as i64)),
            ("requests", Cell::Int(self.requests as i64)),
            ("unservable", Cell::Int(self.unservable as i64)),
            ("admitted", Cell::Int(self.admitted as i64)),
            ("objective", Cell::Float(self.objective)),
            ("feasible", Cell::Bool(self.feasible)),
            (
                "reason",
                Cell::Object(self.reason.as_deref().into_pyobject(py)?.unbind()),
            ),
        ];
        optimum_cells(py, &self.optimum, &mut cells)?;
        let instance = PyBatchingInstance {
            inner: Arc::clone(&self.instance),
            scenario: scenario.into(),
        };
        cells.push(("instance", Cell::Object(Py::new(py, instance)?.into_any())));
        let decision = batching_arrays(py, &self.decision)?;
        cells.push(("decision", Cell::Object(decision.into_any().unbind())));
        Ok(cells)
    }
}

/// The `info` dict of one environment's report.
pub(crate) fn info_dict<'py>(py: Python<'py>, cells: Cells) -> PyResult<Bound<'py, PyDict>> {
    let info = PyDict::new(py);
    for (key, cell) in cells {
        info.set_item(key, cell.into_py(py)?)?;
    }
    Ok(info)
}

/// The reports of `n` environments (`(index, cells)`) batched into one `info` dict: for each
/// key, an array over the environments ([`column`]) and the `bool` mask `_key` of the
/// environments that report it.
pub(crate) fn batched<'py>(
    py: Python<'py>,
    n: usize,
    rows: Vec<(usize, Cells)>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut keys: Vec<(&'static str, Vec<(usize, Cell)>)> = Vec::new();
    for (i, cells) in rows {
        for (key, cell) in cells {
            match keys.iter_mut().find(|(k, _)| *k == key) {
                Some((_, column)) => column.push((i, cell)),
                None => keys.push((key, vec![(i, cell)])),
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

/// The array of one key over `n` environments from the cells of those that report it:
/// `int64`, `float64` or `bool` when every cell is of that kind (a number that may be missing
/// counts as a float when it is there), else `object` with `None` where absent.
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
    if all(|c| matches!(c, Cell::Float(_) | Cell::MaybeFloat(Some(_)))) {
        let mut values = vec![0.0; n];
        for (i, cell) in cells {
            if let Cell::Float(x) | Cell::MaybeFloat(Some(x)) = cell {
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
        values[i] = cell.into_py(py)?;
    }
    Ok(PyArray1::from_vec(py, values).into_any().unbind())
}
