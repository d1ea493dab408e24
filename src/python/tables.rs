//! The cost model's tables, as `mei4llm inspect` prints them, as columns for DataFrames:
//! `cost_table` (a scenario's models on its nodes), `layer_table` and `split_table` (one model),
//! `model_catalogue` and `hardware_catalogue` (the bundled data).

use super::columns::{Column, ColumnError, Columns};
use super::error::value_error;
use super::scenario::AnyScenario;
use crate::system::cost_report::{
    BatchQuery, BatchSpeed, HardwareRow, MEDIAN_OUTPUT_TOKENS, MEDIAN_PROMPT_TOKENS, ModelReport,
    NodeSpeed, ScenarioReport, SplitRow, UnitRow, hardware_rows,
};
use crate::system::{Catalogue, ModelCost, Precision};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Columns of `NodeSpeed`.
const SPEED_COLUMNS: &[&str] = &[
    "node",
    "role",
    "precision",
    "prefill_s",
    "prefill_tokens_per_s",
    "decode_tokens_per_s",
    "end_to_end_s",
    "memory_needed_bytes",
    "memory_bytes",
    "fits",
];

/// Columns of `UnitRow`.
const UNIT_COLUMNS: &[&str] = &[
    "unit",
    "params",
    "weight_bytes",
    "prefill_flops",
    "decode_flops",
    "decode_bytes",
];

/// Columns of `SplitRow`.
const SPLIT_COLUMNS: &[&str] = &[
    "split",
    "device_weight_bytes",
    "server_weight_bytes",
    "activation_bytes_per_token",
];

/// Columns of `HardwareRow`.
const HARDWARE_COLUMNS: &[&str] = &[
    "name",
    "class",
    "memory_bytes",
    "memory_bandwidth_bytes_per_s",
    "fp16_flops_per_s",
    "calibrated",
];

/// Columns as a dict, or a `ValueError` naming what did not fit.
fn dict<'py, 'a, T: serde::Serialize + 'a>(
    py: Python<'py>,
    names: &[&'static str],
    rows: impl IntoIterator<Item = &'a T>,
) -> PyResult<Bound<'py, PyDict>> {
    Columns::of(names, rows)
        .map_err(value_error)?
        .into_python(py)
}

/// The cost of model `name` of the catalogue at `precision` (`fp16`, `int8` or `int4`).
fn model_cost(name: &str, precision: &str) -> PyResult<ModelCost> {
    let precision: Precision = precision.parse().map_err(value_error)?;
    Ok(Catalogue::bundled()
        .model(name)
        .map_err(value_error)?
        .cost(precision))
}

/// One row per model of `scenario` (a `Scenario` or a file) and node (one per distinct
/// hardware of each role: device, edge, cloud): prefill time and speed, decode speed,
/// end-to-end time of a request of `prompt_tokens` and `output_tokens` tokens (default: the
/// medians of the Azure 2023 conversation trace, 1020 and 129) with the whole model on the
/// node, and whether it fits in memory. Devices run the model at its device precision, servers
/// at its server one. With `batch`, also the decode step of that many sequences of
/// `context_tokens` tokens each (default: the prompt tokens) on every node.
#[pyfunction]
#[pyo3(signature = (scenario, prompt_tokens=None, output_tokens=None, batch=None, context_tokens=None))]
pub(crate) fn cost_table<'py>(
    py: Python<'py>,
    scenario: AnyScenario<'_>,
    prompt_tokens: Option<u64>,
    output_tokens: Option<u64>,
    batch: Option<u64>,
    context_tokens: Option<u64>,
) -> PyResult<Bound<'py, PyDict>> {
    let (scenario, _) = scenario.load()?;
    let prompt_tokens = prompt_tokens.unwrap_or(MEDIAN_PROMPT_TOKENS);
    let output_tokens = output_tokens.unwrap_or(MEDIAN_OUTPUT_TOKENS);
    if batch.is_none() && context_tokens.is_some() {
        return Err(value_error(
            "context_tokens is the context of a batch: give batch too",
        ));
    }
    let query = batch.map(|sequences| BatchQuery {
        sequences,
        context_tokens: context_tokens.unwrap_or(prompt_tokens),
    });
    let report =
        ScenarioReport::new(&scenario, prompt_tokens, output_tokens, query).map_err(value_error)?;
    let speeds: Vec<(&str, &NodeSpeed)> = report
        .models
        .iter()
        .flat_map(|m| m.speeds.iter().map(move |s| (m.model.as_str(), s)))
        .collect();
    // The batch step goes in columns of its own.
    let plain: Vec<NodeSpeed> = speeds
        .iter()
        .map(|(_, s)| NodeSpeed {
            batch: None,
            ..(*s).clone()
        })
        .collect();
    let mut columns = Columns::of(SPEED_COLUMNS, &plain).map_err(value_error)?;
    let models = speeds.iter().map(|(m, _)| Some(m.to_string())).collect();
    columns
        .insert(0, "model", Column::Text(models))
        .map_err(value_error)?;
    let batches: Vec<&BatchSpeed> = speeds
        .iter()
        .filter_map(|(_, s)| s.batch.as_ref())
        .collect();
    if !batches.is_empty() {
        add_batch_columns(&mut columns, &batches).map_err(value_error)?;
    }
    columns.into_python(py)
}

/// The columns of one batch step per row, after the others, each name prefixed `batch_`.
fn add_batch_columns(columns: &mut Columns, batches: &[&BatchSpeed]) -> Result<(), ColumnError> {
    let n = batches.len();
    let int = |f: fn(&BatchSpeed) -> u64| {
        Column::Int(
            batches.iter().map(|b| f(b) as i64).collect(),
            vec![false; n],
        )
    };
    let float = |f: fn(&BatchSpeed) -> f64| Column::Float(batches.iter().map(|b| f(b)).collect());
    let added = [
        ("batch_sequences", int(|b| b.sequences)),
        ("batch_context_tokens", int(|b| b.context_tokens)),
        ("batch_step_s", float(|b| b.step_s)),
        (
            "batch_tokens_per_s_per_sequence",
            float(|b| b.tokens_per_s_per_sequence),
        ),
        ("batch_tokens_per_s", float(|b| b.tokens_per_s)),
        (
            "batch_memory_needed_bytes",
            float(|b| b.memory_needed_bytes),
        ),
        (
            "batch_fits",
            Column::Bool(batches.iter().map(|b| b.fits).collect(), vec![false; n]),
        ),
    ];
    for (name, column) in added {
        columns.insert(columns.width(), name, column)?;
    }
    Ok(())
}

/// One row per unit of model `model` (embedding, every block, head) at `precision`: parameters,
/// weight bytes, prefill FLOPs of a `prompt_tokens`-token prompt (default: 1020, the median of
/// the Azure 2023 conversation trace), and the FLOPs and bytes of one decode step at that
/// context.
#[pyfunction]
#[pyo3(signature = (model, precision="fp16", prompt_tokens=None))]
pub(crate) fn layer_table<'py>(
    py: Python<'py>,
    model: &str,
    precision: &str,
    prompt_tokens: Option<u64>,
) -> PyResult<Bound<'py, PyDict>> {
    let report = ModelReport::new(
        &model_cost(model, precision)?,
        prompt_tokens.unwrap_or(MEDIAN_PROMPT_TOKENS),
        MEDIAN_OUTPUT_TOKENS,
    );
    dict::<UnitRow>(py, UNIT_COLUMNS, &report.units)
}

/// One row per split point `s` of model `model` at `precision` (0: server only; the number of
/// blocks: device only): the weight bytes on each side and the bytes sent up per token.
#[pyfunction]
#[pyo3(signature = (model, precision="fp16"))]
pub(crate) fn split_table<'py>(
    py: Python<'py>,
    model: &str,
    precision: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let report = ModelReport::new(
        &model_cost(model, precision)?,
        MEDIAN_PROMPT_TOKENS,
        MEDIAN_OUTPUT_TOKENS,
    );
    dict::<SplitRow>(py, SPLIT_COLUMNS, &report.splits)
}

/// One row per model architecture of the catalogue: its published configuration and its
/// parameter count as the cost model computes it (`params`).
#[pyfunction]
pub(crate) fn model_catalogue(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let models = Catalogue::bundled().models();
    let mut columns = Columns::of(&[], models).map_err(value_error)?;
    let params = models
        .iter()
        .map(|m| i64::try_from(m.total_params()).map_err(value_error))
        .collect::<PyResult<Vec<i64>>>()?;
    let mask = vec![false; params.len()];
    columns
        .insert(1, "params", Column::Int(params, mask))
        .map_err(value_error)?;
    columns.into_python(py)
}

/// One row per hardware profile of the catalogue: class, memory, bandwidth, fp16 peak and
/// whether it is calibrated (so the cost model can run on it).
#[pyfunction]
pub(crate) fn hardware_catalogue(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let rows = hardware_rows(Catalogue::bundled());
    dict::<HardwareRow>(py, HARDWARE_COLUMNS, &rows)
}
