//! The files of a run directory: what is written while epochs complete, what is written at the
//! end, and how `report` reads them back.
//!
//! | file | content | reproducible |
//! |---|---|---|
//! | `run.json` | what was run: problem, scenario, trace, epoch rule, solvers, seed, settings, rows skipped, whether it completed | yes |
//! | `epochs.csv` | per epoch and solver: status, objective, bound, gap, gap to the exact solver, reason | yes |
//! | `requests.csv` | per epoch, solver and request: the problem's record | yes |
//! | `summary.json` | per solver: the epochs' statistics and the problem's statistics of the requests | yes |
//! | `timings.csv`, `timings.json` | per epoch and solver the wall-clock solve time; percentiles, threads, wall time | no: measured |
//! | `*.svg` | the problem's plots; `solve_time.svg` | yes, except `solve_time.svg` |
//!
//! "Reproducible" files are byte-identical for the same inputs and seed whatever the thread
//! count (as long as no time limit binds).
//!
//! Every file is written whole or not at all:
//!
//! - `run.json`, `summary.json`, `timings.json` and the plots are written under a temporary
//!   name and renamed over the old file once every write and the close succeeded
//!   ([`crate::output`]).
//! - The CSV files are created, and the files of an earlier run in the folder replaced, only
//!   when the first epoch is delivered: a run that stops before (a malformed second line of
//!   the trace, a setting the first epoch rejects) leaves an earlier run there untouched and
//!   writes nothing.
//! - CSV rows are then appended one epoch at a time, `epochs.csv` last, each with a checked
//!   write; a write that fails is cut back to the rows before it and ends the run with an
//!   error. So a run that is interrupted or fails leaves complete rows for the epochs done, and
//!   `report` rebuilds `summary.json`, `timings.json` and the plots from them. A last line
//!   without its newline (a run killed in the middle of a write) is no row: `report` leaves
//!   it out and says so ([`Redrawn::incomplete`]).

use super::Error;
use super::epochs::RowCounts;
use super::plots;
use super::problem::{RecordStats, ReplayProblem, RequestRecord};
use super::records::{EpochRecord, TimingRecord};
use super::run::{ReplayOptions, ReplayTotals, Sink, SolvedEpoch};
use super::summary::{Summary, Timings};
use crate::output::{WriteError, write_whole};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

/// What was run.
pub const RUN_JSON: &str = "run.json";
/// Per epoch and solver.
pub const EPOCHS_CSV: &str = "epochs.csv";
/// Per epoch, solver and request.
pub const REQUESTS_CSV: &str = "requests.csv";
/// Per epoch and solver, the measured solve time.
pub const TIMINGS_CSV: &str = "timings.csv";
/// Per solver statistics.
pub const SUMMARY_JSON: &str = "summary.json";
/// Per solver solve times, threads and wall time.
pub const TIMINGS_JSON: &str = "timings.json";

/// `run.json`: the settings of a run and how far it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunInfo {
    /// Version of mei4llm that wrote the files.
    pub version: String,
    /// The problem (`split`, `caching`).
    pub problem: String,
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file, as given.
    pub scenario_file: String,
    /// The trace file, as given.
    pub trace: String,
    /// The trace's detected format.
    pub trace_format: String,
    /// The epoch rule, as given (`1s`, `200`).
    pub epoch_rule: String,
    /// The solvers, in the order of the rows.
    pub solvers: Vec<String>,
    /// The solver gaps are measured against, when it ran.
    pub exact_solver: Option<String>,
    /// The run's seed.
    pub seed: u64,
    /// Wall-clock limit of each solve in seconds.
    pub time_limit_s: Option<f64>,
    /// Relative optimality gap of exact solvers.
    pub gap: f64,
    /// Whether malformed rows were skipped.
    pub skip_bad_rows: bool,
    /// Requests before this time were left out.
    pub start_s: f64,
    /// The epoch limit, if any.
    pub max_epochs: Option<u64>,
    /// The problem's own settings (objective, SLOs, …).
    pub settings: serde_json::Value,
    /// Whether the run reached the end of the trace (or the epoch limit) with no solver run
    /// in status `error`.
    pub complete: bool,
    /// What stopped it before the end, if anything did.
    pub stopped_by: Option<String>,
    /// Solver runs in status `error` (the solver panicked or its back end failed).
    #[serde(default)]
    pub solver_errors: u64,
    /// Epochs written.
    pub epochs: u64,
    /// Requests in them.
    pub requests: u64,
    /// Rows read, skipped and left out.
    pub rows: RowCounts,
}

/// What a run reads, as `run.json` names it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInputs {
    /// The scenario file, as given (empty for a scenario that is not a file).
    pub scenario_file: String,
    /// The trace file, as given.
    pub trace: String,
    /// The trace's detected format.
    pub trace_format: String,
    /// The epoch rule, as given.
    pub epoch_rule: String,
}

impl RunInfo {
    /// The `run.json` of a run about to start: `problem` (with its own `settings`) replayed
    /// over scenario `scenario` with `options`; not complete and nothing done yet.
    pub fn new<P: ReplayProblem>(
        problem: &P,
        settings: serde_json::Value,
        scenario: &str,
        inputs: RunInputs,
        options: &ReplayOptions,
    ) -> RunInfo {
        RunInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            problem: problem.name().into(),
            scenario: scenario.into(),
            scenario_file: inputs.scenario_file,
            trace: inputs.trace,
            trace_format: inputs.trace_format,
            epoch_rule: inputs.epoch_rule,
            solvers: options.solvers.clone(),
            exact_solver: problem
                .exact_solver()
                .filter(|exact| options.solvers.iter().any(|s| s == exact))
                .map(String::from),
            seed: options.seed,
            time_limit_s: options.time_limit.map(|d| d.as_secs_f64()),
            gap: options.gap,
            skip_bad_rows: options.skip_bad_rows,
            start_s: options.start_s,
            max_epochs: options.max_epochs,
            settings,
            complete: false,
            stopped_by: None,
            solver_errors: 0,
            epochs: 0,
            requests: 0,
            rows: RowCounts::default(),
        }
    }

    /// Records how far the run got: complete unless something stopped it or a solver failed.
    pub fn record(&mut self, totals: &ReplayTotals) {
        self.solver_errors = totals.solver_errors.count;
        self.complete = totals.stopped_by.is_none() && self.solver_errors == 0;
        self.stopped_by = totals.stopped_by.as_ref().map(|e| e.to_string());
        self.epochs = totals.epochs;
        self.requests = totals.requests;
        self.rows = totals.rows.clone();
    }
}

/// Writes `value` as pretty JSON with a final newline.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| Error::write(path, e))?;
    text.push('\n');
    write_whole(path, text.as_bytes()).map_err(unwritten)
}

/// The replay's error for a file that could not be written whole.
fn unwritten(error: WriteError) -> Error {
    Error::write(error.path, error.source)
}

/// Reads a JSON file.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Read {
        file: path.to_path_buf(),
        line: None,
        message: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| Error::Read {
        file: path.to_path_buf(),
        line: Some(e.line() as u64),
        message: e.to_string(),
    })
}

/// A CSV file opened for appending whole epochs.
struct CsvFile {
    path: PathBuf,
    file: File,
    /// Bytes of the complete rows written so far.
    len: u64,
}

impl CsvFile {
    /// Creates (truncates) the file and writes its header.
    fn create(path: PathBuf, columns: &[&str]) -> Result<CsvFile, Error> {
        let file = File::create(&path).map_err(|e| Error::write(&path, e))?;
        let mut header = csv::Writer::from_writer(Vec::new());
        header
            .write_record(columns)
            .map_err(|e| Error::write(&path, e))?;
        let bytes = header.into_inner().map_err(|e| Error::write(&path, e))?;
        let mut csv = CsvFile { path, file, len: 0 };
        csv.append(&bytes)?;
        Ok(csv)
    }

    /// Appends an epoch's rows with one checked write. A write that fails is cut back to the
    /// rows before it, so the file never holds part of an epoch.
    fn append(&mut self, bytes: &[u8]) -> Result<(), Error> {
        match self.file.write_all(bytes).and_then(|()| self.file.flush()) {
            Ok(()) => {
                self.len += bytes.len() as u64;
                Ok(())
            }
            Err(e) => {
                // Freeing space cannot fail for want of it; should it fail anyway, the error
                // reported is still the write's.
                let _ = self.file.set_len(self.len);
                let _ = self.file.seek(SeekFrom::Start(self.len));
                Err(Error::write(&self.path, e))
            }
        }
    }
}

/// Streams the rows of a CSV file written by a run, naming the file and line of a bad one. A
/// last line without its newline is not read: it is what a write cut short leaves, and its
/// values may be cut too ([`incomplete_line`] says where it is).
pub fn read_csv<T: DeserializeOwned>(
    path: &Path,
) -> Result<impl Iterator<Item = Result<T, Error>>, Error> {
    let unreadable = |e: std::io::Error| Error::Read {
        file: path.to_path_buf(),
        line: None,
        message: e.to_string(),
    };
    let mut file = File::open(path).map_err(unreadable)?;
    let (complete, _) = complete_len(&mut file).map_err(unreadable)?;
    let path = path.to_path_buf();
    Ok(
        csv::Reader::from_reader(std::io::BufReader::new(file.take(complete)))
            .into_deserialize::<T>()
            .map(move |row| {
                row.map_err(|e| Error::Read {
                    file: path.clone(),
                    line: e.position().map(|p| p.line()),
                    message: e.to_string(),
                })
            }),
    )
}

/// The 1-based line of a last line without its newline in the CSV file `path`, if it ends in
/// one ([`read_csv`] leaves it out).
pub fn incomplete_line(path: &Path) -> Result<Option<u64>, Error> {
    let unreadable = |e: std::io::Error| Error::Read {
        file: path.to_path_buf(),
        line: None,
        message: e.to_string(),
    };
    let mut file = File::open(path).map_err(unreadable)?;
    let (complete, partial) = complete_len(&mut file).map_err(unreadable)?;
    if !partial {
        return Ok(None);
    }
    let mut lines = 1;
    let mut rest = std::io::BufReader::new(file.take(complete));
    let mut chunk = [0u8; 1 << 16];
    loop {
        let n = rest.read(&mut chunk).map_err(unreadable)?;
        if n == 0 {
            return Ok(Some(lines));
        }
        lines += chunk[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}

/// The length of `file` up to its last newline, and whether bytes follow that newline;
/// leaves the file at its start.
fn complete_len(file: &mut File) -> std::io::Result<(u64, bool)> {
    let len = file.seek(SeekFrom::End(0))?;
    let mut end = len;
    let mut chunk = [0u8; 4096];
    let mut complete = 0;
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let part = &mut chunk[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(part)?;
        if let Some(i) = part.iter().rposition(|&b| b == b'\n') {
            complete = start + i as u64 + 1;
            break;
        }
        end = start;
    }
    file.seek(SeekFrom::Start(0))?;
    Ok((complete, complete < len))
}

/// The CSV files of a run, open for appending.
struct CsvFiles {
    epochs: CsvFile,
    requests: CsvFile,
    timings: CsvFile,
}

/// The output directory of a run: a [`Sink`] that appends each epoch's rows to the CSV files
/// and keeps the statistics; [`finish`](Self::finish) writes the JSON files and the plots.
/// Nothing is written in the directory before the first epoch is delivered (see [`files`](self)).
pub struct OutputDir<R, S> {
    dir: PathBuf,
    /// `run.json` as the run starts.
    run: RunInfo,
    /// Open once the first epoch is delivered.
    csv: Option<CsvFiles>,
    summary: Summary<S>,
    times: Timings,
    record: PhantomData<fn(R)>,
}

impl<R: RequestRecord, S: RecordStats<R>> OutputDir<R, S> {
    /// Creates `dir` if needed for the run `run`; its files are written once the first epoch
    /// is delivered.
    pub fn create(dir: &Path, run: &RunInfo) -> Result<Self, Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            run: run.clone(),
            csv: None,
            summary: Summary::new(&run.solvers),
            times: Timings::new(&run.solvers),
            record: PhantomData,
        })
    }

    /// The CSV files, opened the first time: writes `run.json` (as not complete yet) and the
    /// CSV headers, replacing the files of an earlier run.
    fn csv(&mut self) -> Result<&mut CsvFiles, Error> {
        if self.csv.is_none() {
            self.csv = Some(Self::start(&self.dir, &self.run)?);
        }
        self.csv
            .as_mut()
            .ok_or_else(|| Error::write(&self.dir, "the CSV files are not open"))
    }

    /// Replaces an earlier run's files in `dir` with `run.json` and the CSV headers of `run`.
    fn start(dir: &Path, run: &RunInfo) -> Result<CsvFiles, Error> {
        write_json(&dir.join(RUN_JSON), run)?;
        // Files of an earlier run that this one may not rewrite (if it is interrupted) must not
        // be mistaken for its own.
        let derived = [SUMMARY_JSON, TIMINGS_JSON, plots::SOLVE_TIME_SVG];
        for stale in derived.iter().chain(S::PLOTS) {
            match std::fs::remove_file(dir.join(stale)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::write(dir.join(stale), e));
                }
                _ => {}
            }
        }
        Ok(CsvFiles {
            epochs: CsvFile::create(dir.join(EPOCHS_CSV), EpochRecord::COLUMNS)?,
            requests: CsvFile::create(dir.join(REQUESTS_CSV), R::COLUMNS)?,
            timings: CsvFile::create(dir.join(TIMINGS_CSV), TimingRecord::COLUMNS)?,
        })
    }

    /// Writes `run.json` (final), `summary.json`, `timings.json` and the plots. A run that
    /// stopped before its first epoch writes nothing: the files of an earlier run stay.
    pub fn finish(
        mut self,
        run: &RunInfo,
        threads: Option<usize>,
        wall_time_s: Option<f64>,
    ) -> Result<(), Error> {
        if self.csv.is_none() && !run.complete {
            return Ok(());
        }
        self.csv()?;
        write_json(&self.dir.join(RUN_JSON), run)?;
        write_outputs(
            &self.dir,
            run,
            &self.summary,
            &self.times,
            threads,
            wall_time_s,
        )?;
        Ok(())
    }
}

/// An epoch's rows, formatted as CSV on the worker thread that solved it.
pub struct PreparedEpoch<R> {
    solved: SolvedEpoch<R>,
    /// The bytes of `requests.csv`, `timings.csv` and `epochs.csv`, or why formatting failed.
    bytes: Result<[Vec<u8>; 3], String>,
}

/// CSV rows without a header.
fn csv_rows<T: Serialize>(rows: &[T]) -> Result<Vec<u8>, String> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for row in rows {
        w.serialize(row).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

impl<R: RequestRecord, S: RecordStats<R>> Sink<R> for OutputDir<R, S> {
    type Prepared = PreparedEpoch<R>;

    fn prepare(solved: SolvedEpoch<R>) -> PreparedEpoch<R> {
        let bytes = (|| {
            Ok([
                csv_rows(&solved.requests)?,
                csv_rows(&solved.timings)?,
                csv_rows(&solved.epochs)?,
            ])
        })();
        PreparedEpoch { solved, bytes }
    }

    fn epoch(&mut self, prepared: PreparedEpoch<R>) -> Result<(), Error> {
        let [requests, timings, epochs] = prepared.bytes.map_err(|e| Error::write(&self.dir, e))?;
        let csv = self.csv()?;
        csv.requests.append(&requests)?;
        csv.timings.append(&timings)?;
        // epochs.csv last: an epoch listed there has all its rows in the other files.
        csv.epochs.append(&epochs)?;
        let solved = prepared.solved;
        for row in &solved.epochs {
            self.summary.add_epoch(row)?;
        }
        for row in &solved.timings {
            self.times.add(row)?;
        }
        for row in &solved.requests {
            self.summary.add_request(row)?;
        }
        Ok(())
    }
}

/// Writes `summary.json`, `timings.json` and every plot; returns the file names.
fn write_outputs<R, S: RecordStats<R>>(
    dir: &Path,
    run: &RunInfo,
    summary: &Summary<S>,
    times: &Timings,
    threads: Option<usize>,
    wall_time_s: Option<f64>,
) -> Result<Vec<String>, Error> {
    let mut files = vec![SUMMARY_JSON.to_string(), TIMINGS_JSON.to_string()];
    write_json(&dir.join(SUMMARY_JSON), &summary.report(run))?;
    write_json(&dir.join(TIMINGS_JSON), &times.report(threads, wall_time_s))?;
    let mut plots = summary.plots(run);
    plots.push((plots::SOLVE_TIME_SVG, plots::solve_time(times)));
    for (name, svg) in plots {
        write_whole(&dir.join(name), svg.as_bytes()).map_err(unwritten)?;
        files.push(name.to_string());
    }
    Ok(files)
}

/// What [`redraw`] rebuilt.
#[derive(Debug, Clone, PartialEq)]
pub struct Redrawn {
    /// Epochs in `epochs.csv` (distinct epoch indices).
    pub epochs: u64,
    /// Rows of `requests.csv`.
    pub request_rows: u64,
    /// Files written.
    pub files: Vec<String>,
    /// Each CSV file that ended in a line without its newline, with that line (1-based),
    /// which was left out.
    pub incomplete: Vec<(String, u64)>,
}

/// Rebuilds `summary.json`, `timings.json` and the plots of a run directory from its CSV
/// files, for records of type `R` summarised by `S` (see [`report`](super::report), which
/// picks them from `run.json`). Threads and wall time are carried over from an existing
/// `timings.json`. A last line without its newline, which a write cut short leaves, is left
/// out and named in [`Redrawn::incomplete`]; any other bad row is an error naming its line.
pub fn redraw<R: RequestRecord, S: RecordStats<R>>(
    dir: &Path,
    run: &RunInfo,
) -> Result<Redrawn, Error> {
    let mut summary: Summary<S> = Summary::new(&run.solvers);
    let mut times = Timings::new(&run.solvers);
    let mut epochs = 0;
    let mut last_epoch = None;
    let mut request_rows = 0;
    let at = |file: &str, e: Error| match e {
        Error::Config { message, .. } => Error::Read {
            file: dir.join(file),
            line: None,
            message,
        },
        other => other,
    };
    for row in read_csv::<EpochRecord>(&dir.join(EPOCHS_CSV))? {
        let row = row?;
        if last_epoch != Some(row.epoch) {
            epochs += 1;
            last_epoch = Some(row.epoch);
        }
        summary.add_epoch(&row).map_err(|e| at(EPOCHS_CSV, e))?;
    }
    for row in read_csv::<R>(&dir.join(REQUESTS_CSV))? {
        summary
            .add_request(&row?)
            .map_err(|e| at(REQUESTS_CSV, e))?;
        request_rows += 1;
    }
    let timings_path = dir.join(TIMINGS_CSV);
    if timings_path.is_file() {
        for row in read_csv::<TimingRecord>(&timings_path)? {
            times.add(&row?).map_err(|e| at(TIMINGS_CSV, e))?;
        }
    }
    let (threads, wall_time_s) = read_json::<super::summary::TimingReport>(&dir.join(TIMINGS_JSON))
        .map_or((None, None), |t| (t.threads, t.wall_time_s));
    let files = write_outputs(dir, run, &summary, &times, threads, wall_time_s)?;
    let mut incomplete = Vec::new();
    for name in [EPOCHS_CSV, REQUESTS_CSV, TIMINGS_CSV] {
        let path = dir.join(name);
        if let Some(line) = path.is_file().then(|| incomplete_line(&path)).transpose()? {
            incomplete.extend(line.map(|line| (name.to_string(), line)));
        }
    }
    Ok(Redrawn {
        epochs,
        request_rows,
        files,
        incomplete,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Row {
        epoch: u64,
        value: f64,
    }

    /// The rows `read_csv` reads from `text`, and the line `incomplete_line` names.
    fn read(text: &str) -> (Vec<Row>, Option<u64>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.csv");
        std::fs::write(&path, text).unwrap();
        let rows = read_csv::<Row>(&path)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        (rows, incomplete_line(&path).unwrap())
    }

    #[test]
    fn a_last_line_without_its_newline_is_left_out_and_named() {
        let (rows, line) = read("epoch,value\n0,1.5\n1,2.25\n2,3.1");
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[1],
            Row {
                epoch: 1,
                value: 2.25
            }
        );
        assert_eq!(line, Some(4));
    }

    #[test]
    fn complete_files_are_read_whole() {
        assert_eq!(
            read("epoch,value\n0,1.5\n1,2.25\n"),
            (
                vec![
                    Row {
                        epoch: 0,
                        value: 1.5
                    },
                    Row {
                        epoch: 1,
                        value: 2.25
                    }
                ],
                None
            )
        );
        assert_eq!(read(""), (Vec::new(), None));
        assert_eq!(read("epoch,val").1, Some(1));
    }

    #[test]
    fn a_long_cut_line_is_found_across_chunks() {
        let long = "7".repeat(10_000);
        let (rows, line) = read(&format!("epoch,value\n0,1\n1,{long}"));
        assert_eq!(
            rows,
            vec![Row {
                epoch: 0,
                value: 1.0
            }]
        );
        assert_eq!(line, Some(3));
    }
}
