//! The records of a finished run of any registered problem.

use super::RegistryError;
use crate::problems::formulation::Replays;
use crate::replay::{
    EpochRecord, Error, RequestRecord, RunInfo, RunRecords, TimingRecord, TimingReport,
};
use std::any::Any;
use std::path::Path;

/// The tables of a run.
pub const TABLES: [&str; 3] = ["epochs", "requests", "timings"];

/// A finished run of any registered problem, held in memory.
pub trait AnyRecords: Send + Sync {
    /// `run.json`.
    fn info(&self) -> &RunInfo;
    /// Epochs delivered.
    fn epochs(&self) -> usize;
    /// The column names and rows of table `epochs`, `requests` or `timings`.
    fn rows(
        &self,
        table: &str,
    ) -> Result<
        (
            &'static [&'static str],
            Vec<&(dyn erased_serde::Serialize + Sync)>,
        ),
        RegistryError,
    >;
    /// `summary.json`.
    fn summary(&self) -> Result<serde_json::Value, RegistryError>;
    /// `timings.json`.
    fn timing_report(
        &self,
        threads: Option<usize>,
        wall_time_s: Option<f64>,
    ) -> Result<TimingReport, RegistryError>;
    /// Writes the run directory `dir`.
    fn write(
        &self,
        dir: &Path,
        threads: Option<usize>,
        wall_time_s: Option<f64>,
    ) -> Result<(), RegistryError>;
    /// The compact form (see [`RunRecords::to_bytes`]).
    fn to_bytes(&self) -> Result<Vec<u8>, RegistryError>;
    /// The whole run from this shard's run and the others' (of the same problem).
    fn merge(&self, others: &[&dyn AnyRecords]) -> Result<Box<dyn AnyRecords>, RegistryError>;
    /// The concrete run, for [`AnyRecords::merge`].
    fn as_any(&self) -> &dyn Any;
}

/// A finished run of formulation `F`.
pub(crate) struct Run<F: Replays> {
    records: RunRecords<F::Record>,
}

impl<F: Replays> Run<F> {
    /// The run of `records`.
    pub(crate) fn new(records: RunRecords<F::Record>) -> Run<F> {
        Run { records }
    }
}

/// `rows` as serialisable values.
fn erased<'a, T: serde::Serialize + Sync + 'a>(
    rows: impl Iterator<Item = &'a T>,
) -> Vec<&'a (dyn erased_serde::Serialize + Sync)> {
    rows.map(|r| r as &(dyn erased_serde::Serialize + Sync))
        .collect()
}

impl<F: Replays> AnyRecords for Run<F>
where
    F::Record: Clone + Sync,
{
    fn info(&self) -> &RunInfo {
        &self.records.run
    }

    fn epochs(&self) -> usize {
        self.records.epochs.len()
    }

    fn rows(
        &self,
        table: &str,
    ) -> Result<
        (
            &'static [&'static str],
            Vec<&(dyn erased_serde::Serialize + Sync)>,
        ),
        RegistryError,
    > {
        let r = &self.records;
        Ok(match table {
            "epochs" => (EpochRecord::COLUMNS, erased(r.epoch_rows())),
            "requests" => (F::Record::COLUMNS, erased(r.request_rows())),
            "timings" => (TimingRecord::COLUMNS, erased(r.timing_rows())),
            other => {
                return Err(Error::config(
                    "table",
                    format!(
                        "unknown table `{other}`; the tables are: {}",
                        TABLES.join(", ")
                    ),
                )
                .into());
            }
        })
    }

    fn summary(&self) -> Result<serde_json::Value, RegistryError> {
        let summary = self.records.summary::<F::Stats>()?;
        serde_json::to_value(&summary).map_err(|e| Error::config("summary", e.to_string()).into())
    }

    fn timing_report(
        &self,
        threads: Option<usize>,
        wall_time_s: Option<f64>,
    ) -> Result<TimingReport, RegistryError> {
        Ok(self.records.timing_report(threads, wall_time_s)?)
    }

    fn write(
        &self,
        dir: &Path,
        threads: Option<usize>,
        wall_time_s: Option<f64>,
    ) -> Result<(), RegistryError> {
        Ok(self.records.write::<F::Stats>(dir, threads, wall_time_s)?)
    }

    fn to_bytes(&self) -> Result<Vec<u8>, RegistryError> {
        Ok(self.records.to_bytes()?)
    }

    fn merge(&self, others: &[&dyn AnyRecords]) -> Result<Box<dyn AnyRecords>, RegistryError> {
        let mut parts = vec![self.records.clone()];
        for other in others {
            let Some(run) = other.as_any().downcast_ref::<Run<F>>() else {
                return Err(Error::config(
                    "merge",
                    format!(
                        "runs of problems `{}` and `{}` cannot be merged",
                        self.info().problem,
                        other.info().problem
                    ),
                )
                .into());
            };
            parts.push(run.records.clone());
        }
        Ok(Box::new(Run::<F>::new(RunRecords::merge(parts)?)))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
