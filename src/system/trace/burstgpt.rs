//! The BurstGPT traces (HPMLL/BurstGPT): CSV with `Timestamp` in seconds.
//!
//! Header `Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type`; the third
//! release inserts `Session ID,Elapsed time` after `Timestamp`, which reading by column name
//! absorbs. Rows with zero tokens on both sides carry no request and are dropped; failed
//! requests (`Response tokens` 0) are kept with zero output tokens.

use super::{CsvSchema, TraceFormat, parse_seconds_ns};

pub(super) const SCHEMA: CsvSchema = CsvSchema {
    format: TraceFormat::BurstGpt,
    header: "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type",
    columns: ["Timestamp", "Request tokens", "Response tokens"],
    parse_time_ns: parse_seconds_ns,
    drop_empty_rows: true,
};
