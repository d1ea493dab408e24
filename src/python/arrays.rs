//! Decisions as numpy arrays, and decisions read from either form `evaluate` accepts.
//!
//! - `split`: one entry per request in five arrays: `tier` (codes into [`TIERS`]: 0 device,
//!   1 edge, 2 cloud), `server` (the edge server, −1 for device-only), `split`,
//!   `bandwidth_share` and `compute_share`.
//! - `caching`: a `servers × models` boolean matrix, `True` where the server stores the model.
//! - `batching`: `server`, one entry per waiting request (the server it joins, −1 while it
//!   waits), and `precision`, one entry per server (codes into [`PRECISIONS`]: 0 fp16, 1 int8,
//!   2 int4; −1 when the server admits nobody).

use super::convert::from_python;
use super::error::decision_error;
use super::solve::{AnyInstance, PyOutcome};
use crate::problems::batching::BatchDecision;
use crate::problems::caching::{CachingInstance, Placement};
use crate::problems::split::{Assignment, Choice, SplitDecision, Tier};
use crate::system::Precision;
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The tiers in the order of their codes in the `tier` array (`split_arrays` writes them).
pub(crate) const TIERS: [Tier; 3] = [Tier::Device, Tier::Edge, Tier::Cloud];

/// The precisions in the order of their codes in a batching decision's `precision` array.
pub(crate) const PRECISIONS: [Precision; 3] = Precision::ALL;

/// The keys of a split decision's arrays.
const SPLIT_KEYS: [&str; 5] = [
    "tier",
    "server",
    "split",
    "bandwidth_share",
    "compute_share",
];

/// `decision` as the five arrays of a split decision.
pub(crate) fn split_arrays<'py>(
    py: Python<'py>,
    decision: &SplitDecision,
) -> PyResult<Bound<'py, PyDict>> {
    let a = &decision.assignments;
    let code = |t: Tier| match t {
        Tier::Device => 0,
        Tier::Edge => 1,
        Tier::Cloud => 2,
    };
    let server = |c: &Choice| c.server.map_or(-1, |s| s as i64);
    let dict = PyDict::new(py);
    let int = |f: &dyn Fn(&Assignment) -> i64| PyArray1::from_vec(py, a.iter().map(f).collect());
    let float = |f: &dyn Fn(&Assignment) -> f64| PyArray1::from_vec(py, a.iter().map(f).collect());
    dict.set_item("tier", int(&|x| code(x.choice.tier)))?;
    dict.set_item("server", int(&|x| server(&x.choice)))?;
    dict.set_item("split", int(&|x| i64::from(x.choice.split)))?;
    dict.set_item("bandwidth_share", float(&|x| x.bandwidth_share))?;
    dict.set_item("compute_share", float(&|x| x.compute_share))?;
    Ok(dict)
}

/// `placement` as a `servers × models` boolean matrix of `instance`'s shape.
pub(crate) fn placement_matrix<'py>(
    py: Python<'py>,
    instance: &CachingInstance,
    placement: &Placement,
) -> PyResult<Bound<'py, PyAny>> {
    let servers = instance.servers.len();
    let models = instance.library.models.len();
    let mut flags = Array2::<bool>::from_elem((servers, models), false);
    for (n, stored) in placement.stored.iter().enumerate().take(servers) {
        for &i in stored.iter().filter(|&&i| i < models) {
            flags[[n, i]] = true;
        }
    }
    Ok(flags.into_pyarray(py).into_any())
}

/// `value` as a numpy array (`numpy.asarray`) whose dtype kind is one of `kinds`.
fn array<'py>(value: &Bound<'py, PyAny>, what: &str, kinds: &str) -> PyResult<Bound<'py, PyAny>> {
    let numpy = value.py().import("numpy")?;
    let array = numpy
        .call_method1("asarray", (value,))
        .map_err(|e| decision_error(format!("{what}: not an array: {e}")))?;
    let kind: String = array.getattr("dtype")?.getattr("kind")?.extract()?;
    if !kinds.contains(kind.as_str()) {
        let dtype = array.getattr("dtype")?.str()?.to_string();
        return Err(decision_error(format!(
            "{what}: an array of dtype {dtype}; expected {}",
            match kinds {
                "b" => "bool",
                "iu" => "integers",
                _ => "numbers",
            }
        )));
    }
    Ok(array)
}

/// A 1-D array of `dtype` (after the kind check).
fn column<'py, T: numpy::Element + Copy>(
    value: &Bound<'py, PyAny>,
    what: &str,
    kinds: &str,
    dtype: &str,
) -> PyResult<Vec<T>> {
    let array = array(value, what, kinds)?.call_method1("astype", (dtype,))?;
    let array: PyReadonlyArray1<'_, T> = array.extract().map_err(|_| {
        decision_error(format!(
            "{what}: a 1-D array is expected (one entry per request)"
        ))
    })?;
    Ok(array.as_array().iter().copied().collect())
}

/// A split decision from its arrays (a dict or a DataFrame with [`SPLIT_KEYS`]).
fn split_from_arrays(value: &Bound<'_, PyAny>) -> PyResult<SplitDecision> {
    let get = |key: &str| {
        value.get_item(key).map_err(|_| {
            decision_error(format!(
                "split decision: no `{key}`; give `assignments` (as Outcome.decision) or the \
                 arrays {}",
                SPLIT_KEYS.join(", ")
            ))
        })
    };
    let tiers: Vec<i64> = column(&get("tier")?, "tier", "iu", "int64")?;
    let servers: Vec<i64> = column(&get("server")?, "server", "iu", "int64")?;
    let splits: Vec<i64> = column(&get("split")?, "split", "iu", "int64")?;
    let bandwidth: Vec<f64> = column(
        &get("bandwidth_share")?,
        "bandwidth_share",
        "iuf",
        "float64",
    )?;
    let compute: Vec<f64> = column(&get("compute_share")?, "compute_share", "iuf", "float64")?;
    let n = tiers.len();
    let lengths = [servers.len(), splits.len(), bandwidth.len(), compute.len()];
    if lengths.iter().any(|&l| l != n) {
        return Err(decision_error(format!(
            "split decision: arrays of different lengths: {}",
            SPLIT_KEYS
                .iter()
                .zip(std::iter::once(n).chain(lengths))
                .map(|(k, l)| format!("{k} {l}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let assignments = (0..n)
        .map(|k| {
            let tier = usize::try_from(tiers[k])
                .ok()
                .and_then(|t| TIERS.get(t).copied())
                .ok_or_else(|| {
                    decision_error(format!(
                        "tier[{k}]: {}; the codes are 0 (device), 1 (edge), 2 (cloud)",
                        tiers[k]
                    ))
                })?;
            let server = match servers[k] {
                -1 => None,
                s => Some(usize::try_from(s).map_err(|_| {
                    decision_error(format!(
                        "server[{k}]: {s}; an edge server index, or -1 for none"
                    ))
                })?),
            };
            let split = u32::try_from(splits[k]).map_err(|_| {
                decision_error(format!("split[{k}]: {} is not a split point", splits[k]))
            })?;
            Ok(Assignment {
                choice: Choice {
                    tier,
                    server,
                    split,
                },
                bandwidth_share: bandwidth[k],
                compute_share: compute[k],
            })
        })
        .collect::<PyResult<_>>()?;
    Ok(SplitDecision { assignments })
}

/// A split decision: `Outcome.decision`'s dict (`{"assignments": [...]}`) or the arrays of
/// [`split_arrays`] (a dict of arrays or a DataFrame).
pub(crate) fn split_decision(value: &Bound<'_, PyAny>) -> PyResult<SplitDecision> {
    let is_dict = value.downcast::<PyDict>().is_ok();
    if is_dict && value.contains("assignments")? {
        return from_python(value, "split decision")
            .map_err(|e| decision_error(e.value(value.py())));
    }
    split_from_arrays(value)
}

/// A caching placement: `Outcome.decision`'s dict (`{"stored": [...]}`) or a `servers ×
/// models` boolean matrix.
pub(crate) fn placement(value: &Bound<'_, PyAny>) -> PyResult<Placement> {
    if value.downcast::<PyDict>().is_ok() {
        return from_python(value, "caching placement")
            .map_err(|e| decision_error(e.value(value.py())));
    }
    let array = array(value, "caching placement", "b")?;
    let matrix: PyReadonlyArray2<'_, bool> = array.extract().map_err(|_| {
        decision_error("caching placement: a 2-D array (servers × models) is expected")
    })?;
    let flags: Vec<Vec<bool>> = matrix
        .as_array()
        .rows()
        .into_iter()
        .map(|row| row.to_vec())
        .collect();
    Ok(Placement::from_flags(&flags))
}

/// `decision` as the two arrays of a batching decision.
pub(crate) fn batching_arrays<'py>(
    py: Python<'py>,
    decision: &BatchDecision,
) -> PyResult<Bound<'py, PyDict>> {
    let server: Vec<i64> = decision
        .assignments
        .iter()
        .map(|s| s.map_or(-1, |j| j as i64))
        .collect();
    let precision: Vec<i64> = decision
        .precisions
        .iter()
        .map(|p| {
            p.and_then(|p| PRECISIONS.iter().position(|&q| q == p))
                .map_or(-1, |q| q as i64)
        })
        .collect();
    let dict = PyDict::new(py);
    dict.set_item("server", PyArray1::from_vec(py, server))?;
    dict.set_item("precision", PyArray1::from_vec(py, precision))?;
    Ok(dict)
}

/// A batching decision: `Outcome.decision`'s dict (`{"precisions": [...], "assignments":
/// [...]}`) or the arrays of [`batching_arrays`] (a dict with `server` and `precision`).
pub(crate) fn batching_decision(value: &Bound<'_, PyAny>) -> PyResult<BatchDecision> {
    let is_dict = value.downcast::<PyDict>().is_ok();
    if is_dict && value.contains("assignments")? {
        return from_python(value, "batching decision")
            .map_err(|e| decision_error(e.value(value.py())));
    }
    let get = |key: &str| {
        value.get_item(key).map_err(|_| {
            decision_error(format!(
                "batching decision: no `{key}`; give `precisions` and `assignments` (as \
                 Outcome.decision) or the arrays server, precision"
            ))
        })
    };
    let servers: Vec<i64> = column(&get("server")?, "server", "iu", "int64")?;
    let precisions: Vec<i64> = column(&get("precision")?, "precision", "iu", "int64")?;
    let assignments = servers
        .iter()
        .enumerate()
        .map(|(k, &s)| match s {
            -1 => Ok(None),
            s => usize::try_from(s).map(Some).map_err(|_| {
                decision_error(format!(
                    "server[{k}]: {s}; an edge server index, or -1 while waiting"
                ))
            }),
        })
        .collect::<PyResult<_>>()?;
    let precisions = precisions
        .iter()
        .enumerate()
        .map(|(j, &q)| match q {
            -1 => Ok(None),
            q => usize::try_from(q)
                .ok()
                .and_then(|q| PRECISIONS.get(q).copied())
                .map(Some)
                .ok_or_else(|| {
                    decision_error(format!(
                        "precision[{j}]: {q}; the codes are 0 (fp16), 1 (int8), 2 (int4), or -1 \
                         for none"
                    ))
                }),
        })
        .collect::<PyResult<_>>()?;
    Ok(BatchDecision {
        precisions,
        assignments,
    })
}

/// The decision of `decision` (an `Outcome`, or a decision in either form `evaluate` accepts)
/// as numpy arrays of `instance`'s shape: for `split` a dict of five per-request arrays
/// (`tier` codes 0 device, 1 edge, 2 cloud; `server`, −1 for none; `split`;
/// `bandwidth_share`; `compute_share`), for `caching` a `servers × models` boolean matrix,
/// for `batching` a dict of `server` (per request, −1 while waiting) and `precision` (per
/// server, codes 0 fp16, 1 int8, 2 int4, −1 for none).
/// `None` when an outcome has no decision.
#[pyfunction]
pub(crate) fn decision_arrays<'py>(
    py: Python<'py>,
    instance: AnyInstance<'_>,
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
    Ok(Some(match instance {
        AnyInstance::Split(_) => split_arrays(py, &split_decision(&decision)?)?.into_any(),
        AnyInstance::Caching(instance) => {
            placement_matrix(py, &instance.inner, &placement(&decision)?)?
        }
        AnyInstance::Batching(_) => batching_arrays(py, &batching_decision(&decision)?)?.into_any(),
    }))
}
