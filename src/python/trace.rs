//! `mei4llm.read_trace`: a request trace read by the Rust streaming readers into columns.

use super::columns::{Column, Columns};
use super::error::{trace_error, value_error};
use crate::system::trace::{Request, TraceFormat, TraceReader};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::path::{Path, PathBuf};

/// A trace read into memory.
struct Read {
    requests: Vec<Request>,
    format: TraceFormat,
    skipped_rows: u64,
    dropped_rows: u64,
}

/// Reads up to `limit` requests of the trace at `path`.
fn read(path: &Path, limit: Option<usize>, skip_bad_rows: bool) -> PyResult<Read> {
    let path = crate::system::DataPath::parse(&path.display().to_string()).map_err(trace_error)?;
    let mut reader = TraceReader::open(path)
        .map_err(trace_error)?
        .skip_bad_rows(skip_bad_rows);
    let mut requests = Vec::new();
    while limit.is_none_or(|n| requests.len() < n) {
        match reader.next() {
            Some(request) => requests.push(request.map_err(trace_error)?),
            None => break,
        }
    }
    Ok(Read {
        requests,
        format: reader.format(),
        skipped_rows: reader.skipped_rows(),
        dropped_rows: reader.dropped_rows(),
    })
}

/// Reads the trace at `path` (Azure, Mooncake, BurstGPT or Vidur, detected from its first
/// line), up to `limit` requests, with the GIL released. Returns the columns (`id`,
/// `arrival_s`, `prompt_tokens`, `output_tokens`, and for Mooncake `prefix_blocks`, a list of
/// block ids per request) and what was read (`file`, `format`, `skipped_rows`,
/// `dropped_rows`). A malformed row is a `TraceError` naming the file, line and field, unless
/// `skip_bad_rows` is set, in which case it is skipped and counted.
#[pyfunction]
#[pyo3(signature = (path, limit=None, skip_bad_rows=false))]
pub(crate) fn read_trace<'py>(
    py: Python<'py>,
    path: PathBuf,
    limit: Option<usize>,
    skip_bad_rows: bool,
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
    let read = py.allow_threads(|| read(&path, limit, skip_bad_rows))?;
    let n = read.requests.len();
    let int =
        |f: fn(&Request) -> i64| Column::Int(read.requests.iter().map(f).collect(), vec![false; n]);
    let ids = read
        .requests
        .iter()
        .map(|r| i64::try_from(r.id).map_err(value_error))
        .collect::<PyResult<Vec<i64>>>()?;
    let columns = Columns::from_columns(
        n,
        vec![
            ("id", Column::Int(ids, vec![false; n])),
            (
                "arrival_s",
                Column::Float(read.requests.iter().map(|r| r.arrival_s).collect()),
            ),
            ("prompt_tokens", int(|r| i64::from(r.prompt_tokens))),
            ("output_tokens", int(|r| i64::from(r.output_tokens))),
        ],
    )
    .map_err(value_error)?;
    let dict = columns.into_python(py)?;
    if read.format == TraceFormat::Mooncake {
        let blocks = PyList::empty(py);
        for r in &read.requests {
            blocks.append(PyList::new(py, &r.prefix_blocks)?)?;
        }
        dict.set_item("prefix_blocks", blocks)?;
    }
    let info = PyDict::new(py);
    info.set_item("file", path.display().to_string())?;
    info.set_item("format", read.format.name())?;
    info.set_item("skipped_rows", read.skipped_rows)?;
    info.set_item("dropped_rows", read.dropped_rows)?;
    Ok((dict, info))
}
