//! The processed traces of Vidur and Sarathi-Serve (`trace.csv`): CSV with `arrived_at` in
//! seconds, `num_prefill_tokens` and `num_decode_tokens`, possibly among other columns.

use super::{CsvSchema, TraceFormat, parse_seconds_ns};

pub(super) const SCHEMA: CsvSchema = CsvSchema {
    format: TraceFormat::Vidur,
    header: "arrived_at,num_prefill_tokens,num_decode_tokens",
    columns: ["arrived_at", "num_prefill_tokens", "num_decode_tokens"],
    parse_time_ns: parse_seconds_ns,
    drop_empty_rows: false,
};
