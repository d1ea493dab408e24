//! A finished run held in memory: its `run.json` and solved epochs, the statistics of
//! `summary.json` and `timings.json` computed from them, the runs of a trace's shards merged
//! into the whole run, a run directory written from them, and a compact form to send a run
//! between processes.

use super::EpochInfo;
use super::Error;
use super::files::{OutputDir, RunInfo};
use super::problem::{RecordStats, RequestRecord};
use super::records::{EpochRecord, TimingRecord};
use super::run::{ReplayTotals, Sink, SolvedEpoch, SolverErrors};
use super::summary::{Summary, SummaryReport, TimingReport, Timings};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A finished run: what was run, how far it got, and every epoch it delivered, in order (the
/// epochs a `Vec<SolvedEpoch<R>>` sink collected).
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecords<R> {
    /// What was run and how far it got (`run.json`).
    pub run: RunInfo,
    /// The index of the epoch whose failure stopped the run (see
    /// [`ReplayTotals::failed_epoch`]).
    pub failed_epoch: Option<u64>,
    /// The delivered epochs, in epoch order.
    pub epochs: Vec<SolvedEpoch<R>>,
}

/// The compact form of a [`RunRecords`]: `run.json` and the three CSV files' rows, with the
/// number of request rows of each epoch to group them again. CSV keeps every float's bits.
#[derive(Serialize, Deserialize)]
struct Packed {
    run: RunInfo,
    failed_epoch: Option<u64>,
    request_rows: Vec<usize>,
    epochs_csv: String,
    requests_csv: String,
    timings_csv: String,
}

impl<R: RequestRecord> RunRecords<R> {
    /// The run `run` that ended with `totals` after delivering `epochs`; `run` records the
    /// totals.
    pub fn new(mut run: RunInfo, totals: &ReplayTotals, epochs: Vec<SolvedEpoch<R>>) -> Self {
        run.record(totals);
        RunRecords {
            run,
            failed_epoch: totals.failed_epoch,
            epochs,
        }
    }

    /// The rows of `epochs.csv`.
    pub fn epoch_rows(&self) -> impl Iterator<Item = &EpochRecord> {
        self.epochs.iter().flat_map(|e| &e.epochs)
    }

    /// The rows of `requests.csv`.
    pub fn request_rows(&self) -> impl Iterator<Item = &R> {
        self.epochs.iter().flat_map(|e| &e.requests)
    }

    /// The rows of `timings.csv`.
    pub fn timing_rows(&self) -> impl Iterator<Item = &TimingRecord> {
        self.epochs.iter().flat_map(|e| &e.timings)
    }

    /// The whole run from the runs of its shards (see [`Shard`](super::Shard)), which must share
    /// every setting: the epochs in index order and, when an epoch failed in some shard, the
    /// epochs after the earliest such one dropped, as the whole run would have stopped there.
    /// Rows read and skipped are those of any shard (all read the same rows), or of the one
    /// that failed.
    pub fn merge(parts: Vec<RunRecords<R>>) -> Result<Self, Error> {
        let Some(first) = parts.first() else {
            return Err(Error::config("shards", "no shard to merge"));
        };
        let reference = settings(&first.run);
        for part in &parts[1..] {
            let other = settings(&part.run);
            if other != reference {
                return Err(Error::config(
                    "shards",
                    format!(
                        "shards of different runs cannot be merged: {} and {} differ",
                        serde_json::to_string(&reference).unwrap_or_default(),
                        serde_json::to_string(&other).unwrap_or_default()
                    ),
                ));
            }
        }
        let lead = parts
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.failed_epoch.map(|e| (e, i)))
            .min()
            .map_or(0, |(_, i)| i);
        let failed_epoch = parts[lead].failed_epoch;
        let mut run = parts[lead].run.clone();
        let mut epochs: Vec<SolvedEpoch<R>> = parts
            .into_iter()
            .flat_map(|p| p.epochs)
            .filter(|e| failed_epoch.is_none_or(|f| e.epoch.index < f))
            .collect();
        epochs.sort_by_key(|e| e.epoch.index);
        if let Some(pair) = epochs
            .windows(2)
            .find(|w| w[0].epoch.index == w[1].epoch.index)
        {
            return Err(Error::config(
                "shards",
                format!("epoch {} is in two shards", pair[0].epoch.index),
            ));
        }
        run.epochs = epochs.len() as u64;
        run.requests = epochs.iter().map(|e| e.epoch.requests as u64).sum();
        run.solver_errors = epochs
            .iter()
            .map(|e| SolverErrors::of(&e.epochs).count)
            .sum();
        run.complete = run.stopped_by.is_none() && run.solver_errors == 0;
        Ok(RunRecords {
            run,
            failed_epoch,
            epochs,
        })
    }

    /// The content of `summary.json`, from the rows in epoch order.
    pub fn summary<S: RecordStats<R>>(&self) -> Result<SummaryReport<S::Report>, Error> {
        let mut summary: Summary<S> = Summary::new(&self.run.solvers);
        for row in self.epoch_rows() {
            summary.add_epoch(row)?;
        }
        for row in self.request_rows() {
            summary.add_request(row)?;
        }
        Ok(summary.report(&self.run))
    }

    /// The content of `timings.json` for a run on `threads` threads that took `wall_time_s`.
    pub fn timing_report(
        &self,
        threads: Option<usize>,
        wall_time_s: Option<f64>,
    ) -> Result<TimingReport, Error> {
        let mut times = Timings::new(&self.run.solvers);
        for row in self.timing_rows() {
            times.add(row)?;
        }
        Ok(times.report(threads, wall_time_s))
    }

    /// Writes the run directory `dir` (see [`files`](super::files)) with the same files as a
    /// run that wrote it epoch by epoch.
    pub fn write<S: RecordStats<R>>(
        &self,
        dir: &Path,
        threads: Option<usize>,
        wall_time_s: Option<f64>,
    ) -> Result<(), Error>
    where
        R: Clone,
    {
        let mut out: OutputDir<R, S> = OutputDir::create(dir, &self.run)?;
        for solved in &self.epochs {
            out.epoch(<OutputDir<R, S> as Sink<R>>::prepare(solved.clone()))?;
        }
        out.finish(&self.run, threads, wall_time_s)
    }

    /// The run as compact bytes (JSON holding the CSV rows), to send to another process.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let packed = Packed {
            run: self.run.clone(),
            failed_epoch: self.failed_epoch,
            request_rows: self.epochs.iter().map(|e| e.requests.len()).collect(),
            epochs_csv: csv_text(self.epoch_rows())?,
            requests_csv: csv_text(self.request_rows())?,
            timings_csv: csv_text(self.timing_rows())?,
        };
        serde_json::to_vec(&packed).map_err(|e| packed_error(e.to_string()))
    }

    /// The run from [`to_bytes`](Self::to_bytes)' bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let packed: Packed =
            serde_json::from_slice(bytes).map_err(|e| packed_error(e.to_string()))?;
        let epoch_rows: Vec<EpochRecord> = csv_rows(&packed.epochs_csv)?;
        let timing_rows: Vec<TimingRecord> = csv_rows(&packed.timings_csv)?;
        let mut request_rows = csv_rows::<R>(&packed.requests_csv)?.into_iter();
        let solvers = packed.run.solvers.len().max(1);
        if epoch_rows.len() != solvers * packed.request_rows.len()
            || timing_rows.len() != epoch_rows.len()
        {
            return Err(packed_error(format!(
                "{} epoch rows and {} timing rows for {} epochs of {solvers} solvers",
                epoch_rows.len(),
                timing_rows.len(),
                packed.request_rows.len()
            )));
        }
        let epochs = epoch_rows
            .chunks(solvers)
            .zip(timing_rows.chunks(solvers))
            .zip(&packed.request_rows)
            .map(|((rows, timings), &n)| {
                let first = &rows[0];
                SolvedEpoch {
                    epoch: EpochInfo {
                        index: first.epoch,
                        start_s: first.start_s,
                        end_s: first.end_s,
                        requests: first.requests,
                    },
                    epochs: rows.to_vec(),
                    timings: timings.to_vec(),
                    requests: request_rows.by_ref().take(n).collect(),
                }
            })
            .collect();
        Ok(RunRecords {
            run: packed.run,
            failed_epoch: packed.failed_epoch,
            epochs,
        })
    }
}

/// `run` without what depends on how far the run got: the settings shards must share.
fn settings(run: &RunInfo) -> RunInfo {
    let mut run = run.clone();
    run.record(&ReplayTotals {
        epochs: 0,
        requests: 0,
        rows: Default::default(),
        wall_time_s: 0.0,
        stopped_by: None,
        failed_epoch: None,
        solver_errors: Default::default(),
    });
    run
}

/// An error about the compact form.
fn packed_error(message: String) -> Error {
    Error::config("packed run", message)
}

/// Rows as CSV text with a header.
fn csv_text<'a, T: Serialize + 'a>(rows: impl Iterator<Item = &'a T>) -> Result<String, Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.serialize(row).map_err(|e| packed_error(e.to_string()))?;
    }
    let bytes = w.into_inner().map_err(|e| packed_error(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| packed_error(e.to_string()))
}

/// Rows from CSV text with a header.
fn csv_rows<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, Error> {
    csv::Reader::from_reader(text.as_bytes())
        .into_deserialize()
        .collect::<Result<_, _>>()
        .map_err(|e| packed_error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problems::split::replay::SplitRecord;
    use crate::replay::{EpochInfo, RowCounts};

    /// An epoch of one request solved by solver `x`.
    fn epoch(index: u64) -> SolvedEpoch<SplitRecord> {
        let info = EpochInfo {
            index,
            start_s: index as f64,
            end_s: index as f64 + 1.0,
            requests: 1,
        };
        SolvedEpoch {
            epoch: info,
            epochs: vec![EpochRecord {
                epoch: index,
                start_s: info.start_s,
                end_s: info.end_s,
                solver: "x".into(),
                requests: 1,
                status: "optimal".into(),
                objective: Some(index as f64),
                bound: None,
                gap: None,
                gap_to_exact: None,
                nodes: 0,
                iterations: 0,
                reason: String::new(),
            }],
            timings: vec![TimingRecord {
                epoch: index,
                solver: "x".into(),
                solve_time_s: 0.25,
            }],
            requests: Vec::new(),
        }
    }

    fn run() -> RunInfo {
        serde_json::from_value(serde_json::json!({
            "version": "0", "problem": "split", "scenario": "s", "scenario_file": "s.toml",
            "trace": "t.csv", "trace_format": "azure", "epoch_rule": "1s", "solvers": ["x"],
            "exact_solver": null, "seed": 0, "time_limit_s": null, "gap": 1e-6,
            "skip_bad_rows": false, "start_s": 0.0, "max_epochs": null, "settings": {},
            "complete": true, "stopped_by": null, "epochs": 0, "requests": 0,
            "rows": {"read_requests": 9, "skipped_rows": 0, "first_skipped": [], "before_start": 0}
        }))
        .unwrap()
    }

    fn part(indices: &[u64], failed_epoch: Option<u64>) -> RunRecords<SplitRecord> {
        let mut run = run();
        run.complete = failed_epoch.is_none();
        run.stopped_by = failed_epoch.map(|e| format!("epoch {e} failed"));
        run.rows = RowCounts {
            read_requests: 5 + indices.len() as u64,
            ..run.rows
        };
        RunRecords {
            run,
            failed_epoch,
            epochs: indices.iter().map(|&i| epoch(i)).collect(),
        }
    }

    #[test]
    fn a_failed_epoch_in_one_shard_drops_the_later_epochs_of_every_shard() {
        // Epoch 3 failed in the second shard: the whole run would have delivered 0, 1 and 2.
        let merged =
            RunRecords::merge(vec![part(&[0, 2, 4, 6], None), part(&[1, 5], Some(3))]).unwrap();
        let indices: Vec<u64> = merged.epochs.iter().map(|e| e.epoch.index).collect();
        assert_eq!(indices, [0, 1, 2]);
        assert_eq!(merged.failed_epoch, Some(3));
        assert!(!merged.run.complete);
        assert_eq!(merged.run.stopped_by.as_deref(), Some("epoch 3 failed"));
        assert_eq!((merged.run.epochs, merged.run.requests), (3, 3));
        assert_eq!(merged.run.rows.read_requests, 7, "the failed shard's rows");
        let objectives: Vec<_> = merged.epoch_rows().map(|r| r.objective).collect();
        assert_eq!(objectives, [Some(0.0), Some(1.0), Some(2.0)]);
    }

    #[test]
    fn an_epoch_in_two_shards_is_refused() {
        let error = RunRecords::merge(vec![part(&[0, 1], None), part(&[1], None)]).unwrap_err();
        assert!(error.to_string().contains("epoch 1"), "{error}");
    }

    #[test]
    fn bytes_read_back_and_bad_bytes_are_an_error() {
        let p = part(&[0, 4], None);
        let back = RunRecords::<SplitRecord>::from_bytes(&p.to_bytes().unwrap()).unwrap();
        assert_eq!(back, p);
        assert!(RunRecords::<SplitRecord>::from_bytes(b"{}").is_err());
    }
}
