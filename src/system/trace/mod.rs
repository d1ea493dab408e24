//! Request traces: streaming readers for the public LLM-serving traces and slicing into epochs.
//!
//! A trace is a sequence of [`Request`]s in arrival order. [`TraceReader`] reads one from a file
//! (or any [`BufRead`]) a row at a time, whatever its size, after detecting its [`TraceFormat`]
//! from the header or first line:
//!
//! | format | first line | time column | prompt | output |
//! |---|---|---|---|---|
//! | Azure LLM inference 2023/2024 | `TIMESTAMP,ContextTokens,GeneratedTokens` | wall clock | `ContextTokens` | `GeneratedTokens` |
//! | Mooncake (JSON lines) | `{"timestamp": …, "input_length": …, …}` | ms | `input_length` | `output_length` |
//! | BurstGPT | `Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type` | s | `Request tokens` | `Response tokens` |
//! | Vidur / Sarathi | a header with `arrived_at,num_prefill_tokens,num_decode_tokens` | s | `num_prefill_tokens` | `num_decode_tokens` |
//!
//! Every row is checked: a prompt has at least one token, an output zero or more, timestamps are
//! finite and never earlier than the row before. A bad row is an error naming the file, the
//! 1-based line and the field, or, with [`TraceReader::skip_bad_rows`], is skipped and counted.
//! [`Epochs`] then cuts the stream into decision epochs.
//!
//! Sizes are bounded: a line holds at most [`MAX_TRACE_LINE_BYTES`] bytes, a request at most
//! [`MAX_PREFIX_BLOCKS`] prefix blocks, an epoch at most [`MAX_EPOCH_REQUESTS`] requests.

mod azure;
mod burstgpt;
mod epochs;
mod limits;
mod line_limit;
mod mooncake;
mod vidur;

pub use epochs::{Epoch, EpochRule, Epochs};
pub use limits::{MAX_EPOCH_REQUESTS, MAX_EPOCH_WINDOW_S, MAX_PREFIX_BLOCKS, MAX_TRACE_LINE_BYTES};

use std::io::BufRead;
use std::path::Path;

use serde::Serialize;

use crate::system::DataPath;
use crate::system::error::{Error, Result};
use crate::system::scenario::excerpt::{excerpt_bytes, shorten_quoted};
use line_limit::{LineLimit, read_line};

/// One inference request of a trace: when it arrives and how many tokens it reads and writes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Request {
    /// 0-based index of the request in its trace (rows that were dropped or skipped get none).
    pub id: u64,
    /// Arrival time in seconds since the first request of the trace.
    pub arrival_s: f64,
    /// Tokens of the prompt (context); at least 1.
    pub prompt_tokens: u32,
    /// Tokens generated in reply; may be 0.
    pub output_tokens: u32,
    /// Ids of the 512-token prefix blocks of the prompt (Mooncake `hash_ids`), so requests that
    /// share a prefix can be recognised; empty for formats that do not record them.
    pub prefix_blocks: Vec<u64>,
}

/// The file formats of the public request traces that [`TraceReader`] understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    /// Azure LLM inference traces 2023 and 2024 (CSV, wall-clock `TIMESTAMP`).
    Azure,
    /// Mooncake traces (JSON lines, `timestamp` in milliseconds, `hash_ids` prefix blocks).
    Mooncake,
    /// BurstGPT traces (CSV, `Timestamp` in seconds).
    BurstGpt,
    /// Vidur / Sarathi-Serve processed traces (CSV, `arrived_at` in seconds).
    Vidur,
}

impl TraceFormat {
    /// Short lower-case name of the format, for logs and reports.
    pub fn name(self) -> &'static str {
        match self {
            TraceFormat::Azure => "azure",
            TraceFormat::Mooncake => "mooncake",
            TraceFormat::BurstGpt => "burstgpt",
            TraceFormat::Vidur => "vidur",
        }
    }
}

/// How a CSV trace format names its columns and reads its timestamps.
struct CsvSchema {
    format: TraceFormat,
    /// The header as the published files write it, to list in errors.
    header: &'static str,
    /// The time, prompt-token and output-token columns.
    columns: [&'static str; 3],
    /// Parses a time cell to nanoseconds on the format's own clock.
    parse_time_ns: fn(&str) -> std::result::Result<i64, String>,
    /// Whether rows with zero tokens on both sides are dropped (logged failures) rather than bad.
    drop_empty_rows: bool,
}

static CSV_SCHEMAS: [CsvSchema; 3] = [azure::SCHEMA, burstgpt::SCHEMA, vidur::SCHEMA];

/// Where a row sits, to name it in errors.
#[derive(Clone, Copy)]
struct Place<'a> {
    file: &'a str,
    line: u64,
}

impl Place<'_> {
    /// An error about `field` of this line; the values it quotes are cut to a readable length.
    fn field(self, field: &str, message: impl Into<String>) -> Error {
        Error::field(self.file, self.line, field, shorten_quoted(&message.into()))
    }

    /// An error about the whole line.
    fn whole_line(self, message: impl Into<String>) -> Error {
        Error::Line {
            file: self.file.to_string(),
            line: self.line,
            message: shorten_quoted(&message.into()),
        }
    }
}

/// One row as read from the file, before its time is made relative to the first request.
struct Row {
    line: u64,
    time_ns: i64,
    prompt_tokens: u32,
    output_tokens: u32,
    prefix_blocks: Vec<u64>,
}

/// What a data line turned out to be.
enum Parsed {
    Row(Row),
    /// A row the format marks as not a request (BurstGPT rows without any token).
    Dropped,
}

/// The data lines of a trace after its header or first line.
enum Lines {
    Csv {
        reader: csv::Reader<LineLimit>,
        record: csv::StringRecord,
        schema: &'static CsvSchema,
        header: Vec<String>,
        /// Indices of the time, prompt and output columns.
        indices: [usize; 3],
        /// The line of the header: csv counts the lines after it from 1.
        header_line: u64,
    },
    Jsonl {
        reader: Box<dyn BufRead + Send>,
        /// The line being parsed.
        buffer: Vec<u8>,
        /// The first line, read to detect the format and not yet parsed.
        first: Option<Vec<u8>>,
        /// The line last read.
        line: u64,
    },
}

impl Lines {
    /// The next non-blank data line, parsed; `None` at the end of the file.
    fn next_row(&mut self, file: &str) -> Option<Result<Parsed>> {
        match self {
            Lines::Csv {
                reader,
                record,
                schema,
                header,
                indices,
                header_line,
            } => loop {
                match reader.read_record(record) {
                    Ok(false) => return None,
                    // A line of white space alone (a CRLF blank line among them) is blank.
                    Ok(true) if record.len() == 1 && record[0].is_empty() => {}
                    Ok(true) => {
                        let line = *header_line + record.position().map_or(0, |p| p.line());
                        let place = Place { file, line };
                        return Some(parse_csv_row(place, schema, header, *indices, record));
                    }
                    Err(error) => return Some(Err(csv_error(file, *header_line, header, error))),
                }
            },
            Lines::Jsonl {
                reader,
                buffer,
                first,
                line,
            } => loop {
                let place = Place {
                    file,
                    line: *line + 1,
                };
                if let Some(text) = first.take() {
                    *buffer = text;
                } else {
                    match read_line(reader, buffer, place) {
                        Ok(false) => return None,
                        Ok(true) => {}
                        Err(error) => return Some(Err(error)),
                    }
                }
                *line += 1;
                let trimmed = buffer.trim_ascii();
                if !trimmed.is_empty() {
                    let place = Place { file, line: *line };
                    return Some(mooncake::parse_line(place, trimmed).map(Parsed::Row));
                }
            },
        }
    }

    /// The name of the time field, for ordering errors.
    fn time_field(&self) -> &'static str {
        match self {
            Lines::Csv { schema, .. } => schema.columns[0],
            Lines::Jsonl { .. } => mooncake::TIME_FIELD,
        }
    }
}

/// Streams the requests of one trace file, a row at a time, checking every row.
///
/// The reader is an [`Iterator`] of `Result<Request>`: a bad row yields an error naming the
/// file, line and field, unless [`skip_bad_rows`](Self::skip_bad_rows) is on, in which case it
/// is counted in [`skipped_rows`](Self::skipped_rows) and passed over. Rows that the format itself
/// marks as non-requests (BurstGPT rows with zero tokens on both sides) are counted in
/// [`dropped_rows`](Self::dropped_rows). A failure to read the file ends the stream.
pub struct TraceReader {
    file: String,
    format: TraceFormat,
    lines: Lines,
    skip_bad_rows: bool,
    /// Time of the first request, the zero of `arrival_s`.
    first_ns: Option<i64>,
    /// Time and line of the last accepted row, to check the order.
    previous: Option<(i64, u64)>,
    next_id: u64,
    skipped_rows: u64,
    dropped_rows: u64,
    done: bool,
}

impl TraceReader {
    /// Opens a trace file (on disk or bundled: a `&Path`, a `PathBuf` or a [`DataPath`]) and
    /// detects its format from the first line; the file is read lazily.
    pub fn open(path: impl Into<DataPath>) -> Result<TraceReader> {
        let path = path.into();
        TraceReader::from_reader(path.to_string(), path.open()?)
    }

    /// Reads a trace from any buffered reader (a file, memory, a pipe); `name` stands for the
    /// file in error messages.
    pub fn from_reader(
        name: impl Into<String>,
        reader: impl BufRead + Send + 'static,
    ) -> Result<TraceReader> {
        let file = name.into();
        let mut reader: Box<dyn BufRead + Send> = Box::new(reader);
        let mut first = Vec::new();
        let mut line = 0;
        loop {
            let place = Place {
                file: &file,
                line: line + 1,
            };
            if !read_line(&mut reader, &mut first, place)? {
                return Err(Error::File {
                    file,
                    message: "the trace is empty: no header or first line".to_string(),
                });
            }
            line += 1;
            if !first.trim_ascii().is_empty() {
                break;
            }
        }
        let first = first.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&first);
        let lines = detect(&file, line, first, reader)?;
        let format = match &lines {
            Lines::Csv { schema, .. } => schema.format,
            Lines::Jsonl { .. } => TraceFormat::Mooncake,
        };
        Ok(TraceReader {
            file,
            format,
            lines,
            skip_bad_rows: false,
            first_ns: None,
            previous: None,
            next_id: 0,
            skipped_rows: 0,
            dropped_rows: 0,
            done: false,
        })
    }

    /// The format detected from the first line.
    pub fn format(&self) -> TraceFormat {
        self.format
    }

    /// With `true`, bad rows are skipped and counted instead of yielded as errors.
    pub fn skip_bad_rows(mut self, skip: bool) -> Self {
        self.skip_bad_rows = skip;
        self
    }

    /// Bad rows skipped so far (only with [`skip_bad_rows`](Self::skip_bad_rows)).
    pub fn skipped_rows(&self) -> u64 {
        self.skipped_rows
    }

    /// Rows dropped so far because the format marks them as non-requests.
    pub fn dropped_rows(&self) -> u64 {
        self.dropped_rows
    }

    /// Checks the order of a parsed row and turns it into the next request.
    fn accept(&mut self, row: Row) -> Result<Request> {
        if let Some((previous_ns, previous_line)) = self.previous
            && row.time_ns < previous_ns
        {
            let back_s = previous_ns.abs_diff(row.time_ns) as f64 / 1e9;
            return Err(Place {
                file: &self.file,
                line: row.line,
            }
            .field(
                self.lines.time_field(),
                format!("{back_s} s earlier than the row at line {previous_line}"),
            ));
        }
        self.previous = Some((row.time_ns, row.line));
        let first_ns = *self.first_ns.get_or_insert(row.time_ns);
        let id = self.next_id;
        self.next_id += 1;
        Ok(Request {
            id,
            arrival_s: row.time_ns.abs_diff(first_ns) as f64 / 1e9,
            prompt_tokens: row.prompt_tokens,
            output_tokens: row.output_tokens,
            prefix_blocks: row.prefix_blocks,
        })
    }
}

impl Iterator for TraceReader {
    type Item = Result<Request>;

    fn next(&mut self) -> Option<Result<Request>> {
        while !self.done {
            let result = match self.lines.next_row(&self.file)? {
                Ok(Parsed::Row(row)) => self.accept(row),
                Ok(Parsed::Dropped) => {
                    self.dropped_rows += 1;
                    continue;
                }
                Err(error) => Err(error),
            };
            match result {
                Ok(request) => return Some(Ok(request)),
                Err(error @ Error::Io { .. }) => {
                    self.done = true;
                    return Some(Err(error));
                }
                Err(_) if self.skip_bad_rows => self.skipped_rows += 1,
                Err(error) => return Some(Err(error)),
            }
        }
        None
    }
}

/// Reads a whole trace file into memory; stops at the first bad row.
pub fn read_trace(path: &Path) -> Result<Vec<Request>> {
    TraceReader::open(path)?.collect()
}

/// Detects the format from the first non-blank line (`line`) and sets up reading the rest.
fn detect(file: &str, line: u64, first: &[u8], reader: Box<dyn BufRead + Send>) -> Result<Lines> {
    if first.trim_ascii_start().starts_with(b"{") {
        return Ok(Lines::Jsonl {
            reader,
            buffer: Vec::new(),
            first: Some(first.to_vec()),
            line: line - 1,
        });
    }
    let mut header = csv::StringRecord::new();
    let parsed = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .from_reader(first)
        .read_record(&mut header);
    let header: Vec<String> = match parsed {
        Ok(_) => header.iter().map(str::to_string).collect(),
        Err(_) => Vec::new(),
    };
    for schema in &CSV_SCHEMAS {
        let find = |name| header.iter().position(|column| column == name);
        if let [Some(time), Some(prompt), Some(output)] = schema.columns.map(find) {
            return Ok(Lines::Csv {
                reader: csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    // Lines end at `\n` alone, so a record's position counts CRLF lines right; the
                    // trim takes the `\r` off the last field.
                    .terminator(csv::Terminator::Any(b'\n'))
                    .trim(csv::Trim::All)
                    .from_reader(LineLimit::new(reader, line + 1)),
                record: csv::StringRecord::new(),
                schema,
                header,
                indices: [time, prompt, output],
                header_line: line,
            });
        }
    }
    let accepted: Vec<String> = CSV_SCHEMAS
        .iter()
        .map(|schema| format!("`{}` ({})", schema.header, schema.format.name()))
        .chain([format!("`{}` ({})", mooncake::FIRST_LINE, "mooncake")])
        .collect();
    Err(Error::File {
        file: file.to_string(),
        message: format!(
            "unknown trace format: line {line} is `{}`; accepted: {}",
            excerpt_bytes(first.trim_ascii()),
            accepted.join("; ")
        ),
    })
}

/// Parses one CSV data row against its schema.
fn parse_csv_row(
    place: Place,
    schema: &CsvSchema,
    header: &[String],
    [time, prompt, output]: [usize; 3],
    record: &csv::StringRecord,
) -> Result<Parsed> {
    if record.len() < header.len() {
        return Err(place.field(
            &header[record.len()],
            format!(
                "missing: the row has {} of the {} columns of the header",
                record.len(),
                header.len()
            ),
        ));
    }
    if record.len() > header.len() {
        return Err(place.whole_line(format!(
            "the row has {} columns, the header {}",
            record.len(),
            header.len()
        )));
    }
    let [time_field, prompt_field, output_field] = schema.columns;
    let time_ns = (schema.parse_time_ns)(&record[time]).map_err(|m| place.field(time_field, m))?;
    let prompt = parse_count(&record[prompt]).map_err(|m| place.field(prompt_field, m))?;
    let output = parse_count(&record[output]).map_err(|m| place.field(output_field, m))?;
    if schema.drop_empty_rows && prompt == 0 && output == 0 {
        return Ok(Parsed::Dropped);
    }
    Ok(Parsed::Row(Row {
        line: place.line,
        time_ns,
        prompt_tokens: prompt_tokens(prompt).map_err(|m| place.field(prompt_field, m))?,
        output_tokens: output_tokens(output).map_err(|m| place.field(output_field, m))?,
        prefix_blocks: Vec::new(),
    }))
}

/// Parses a token count: a non-negative integer.
fn parse_count(text: &str) -> std::result::Result<u64, String> {
    match text.parse::<i64>() {
        Ok(n) => u64::try_from(n).map_err(|_| format!("`{text}` is negative")),
        Err(_) if text.is_empty() => Err("empty".to_string()),
        Err(_) => Err(format!("`{text}` is not an integer")),
    }
}

/// Checks a prompt length: at least one token, at most `u32::MAX`.
fn prompt_tokens(n: u64) -> std::result::Result<u32, String> {
    if n == 0 {
        return Err("0: a request needs at least one prompt token".to_string());
    }
    output_tokens(n)
}

/// Checks an output length: at most `u32::MAX`.
fn output_tokens(n: u64) -> std::result::Result<u32, String> {
    u32::try_from(n).map_err(|_| format!("{n} exceeds {} tokens", u32::MAX))
}

/// Parses a time in seconds, as BurstGPT and Vidur write it, to nanoseconds.
fn parse_seconds_ns(text: &str) -> std::result::Result<i64, String> {
    match text.parse::<f64>() {
        Ok(seconds) => to_ns(seconds, 1e9).map_err(|m| format!("`{text}`: {m}")),
        Err(_) if text.is_empty() => Err("empty".to_string()),
        Err(_) => Err(format!("`{text}` is not a number of seconds")),
    }
}

/// Converts a time given in units of `ns_per_unit` nanoseconds to whole nanoseconds.
fn to_ns(value: f64, ns_per_unit: f64) -> std::result::Result<i64, String> {
    let ns = (value * ns_per_unit).round();
    if !value.is_finite() {
        Err("not a finite time".to_string())
    } else if ns.abs() >= 9.2e18 {
        // i64 nanoseconds span ±292 years; nothing beyond is a trace timestamp.
        Err("out of range (more than 292 years)".to_string())
    } else {
        Ok(ns as i64)
    }
}

fn io_error(file: &str, source: std::io::Error) -> Error {
    Error::Io {
        file: file.into(),
        source,
    }
}

/// Turns a CSV reading error into an error naming the line and, for bad UTF-8, the column.
fn csv_error(file: &str, header_line: u64, header: &[String], error: csv::Error) -> Error {
    let line = header_line + error.position().map_or(0, |p| p.line());
    let place = Place { file, line };
    match error.into_kind() {
        csv::ErrorKind::Io(source) => {
            line_limit::too_long(file, &source).unwrap_or_else(|| io_error(file, source))
        }
        csv::ErrorKind::Utf8 { err, .. } => match header.get(err.field()) {
            Some(field) => place.field(field, "not valid UTF-8"),
            None => place.whole_line(err.to_string()),
        },
        other => place.whole_line(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_non_negative_integers() {
        assert_eq!(parse_count("0"), Ok(0));
        assert_eq!(parse_count("6758"), Ok(6758));
        assert!(parse_count("-3").unwrap_err().contains("negative"));
        assert!(parse_count("1.5").unwrap_err().contains("not an integer"));
        assert!(parse_count("NaN").unwrap_err().contains("not an integer"));
        assert_eq!(parse_count(""), Err("empty".to_string()));
        assert!(prompt_tokens(0).is_err());
        assert_eq!(prompt_tokens(1), Ok(1));
        assert!(output_tokens(u64::from(u32::MAX) + 1).is_err());
    }

    #[test]
    fn seconds_become_nanoseconds() {
        assert_eq!(parse_seconds_ns("4.314579"), Ok(4_314_579_000));
        assert_eq!(parse_seconds_ns("5.8926549999999995"), Ok(5_892_655_000));
        assert_eq!(parse_seconds_ns("118"), Ok(118_000_000_000));
        assert!(parse_seconds_ns("NaN").unwrap_err().contains("finite"));
        assert!(parse_seconds_ns("inf").unwrap_err().contains("finite"));
        assert!(parse_seconds_ns("1e300").unwrap_err().contains("range"));
        assert!(
            parse_seconds_ns("soon")
                .unwrap_err()
                .contains("not a number")
        );
    }
}
