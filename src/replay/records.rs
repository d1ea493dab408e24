//! The rows every problem writes: one per epoch and solver in `epochs.csv`, and the measured
//! solve times in `timings.csv`.

use crate::solve::Sense;
use serde::{Deserialize, Serialize};

/// One row of `epochs.csv`: how one solver did on one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// The epoch's index (see [`EpochInfo::index`](super::EpochInfo::index)).
    pub epoch: u64,
    /// Start of the epoch in seconds since the first request.
    pub start_s: f64,
    /// End of the epoch in seconds.
    pub end_s: f64,
    /// The solver.
    pub solver: String,
    /// Requests in the epoch.
    pub requests: usize,
    /// How the solve ended (see [`SolverRun::status`](super::SolverRun::status)).
    pub status: String,
    /// The decision's objective (the problem's unit, see `run.json`).
    pub objective: Option<f64>,
    /// The solver's proven bound on the optimum.
    pub bound: Option<f64>,
    /// The solver's own relative gap between objective and bound.
    pub gap: Option<f64>,
    /// How much worse than the exact solver's objective on the same epoch, relative to it
    /// (see [`gap_to_exact`]), when the exact solver ran and proved its objective optimal.
    pub gap_to_exact: Option<f64>,
    /// Branch-and-bound nodes.
    pub nodes: u64,
    /// Iterations of the solver's main loop.
    pub iterations: u64,
    /// Why there is no (valid) decision; empty otherwise.
    pub reason: String,
}

impl EpochRecord {
    /// The columns of `epochs.csv`.
    pub const COLUMNS: &'static [&'static str] = &[
        "epoch",
        "start_s",
        "end_s",
        "solver",
        "requests",
        "status",
        "objective",
        "bound",
        "gap",
        "gap_to_exact",
        "nodes",
        "iterations",
        "reason",
    ];
}

/// One row of `timings.csv`: the wall-clock time of one solve. Times change from run to run,
/// so they are kept apart from the files that a seed reproduces byte for byte.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimingRecord {
    /// The epoch's index.
    pub epoch: u64,
    /// The solver.
    pub solver: String,
    /// Wall-clock seconds of the solve (the instance is built once per epoch, outside it).
    pub solve_time_s: f64,
}

impl TimingRecord {
    /// The columns of `timings.csv`.
    pub const COLUMNS: &'static [&'static str] = &["epoch", "solver", "solve_time_s"];
}

/// How much worse `objective` is than the proven optimum `exact`, relative to it:
/// `(objective − exact) / max(|exact|, 1e-9)` when minimising, `(exact − objective) / …` when
/// maximising, so that a worse decision has a positive gap either way.
pub fn gap_to_exact(objective: f64, exact: f64, sense: Sense) -> f64 {
    let worse_by = match sense {
        Sense::Minimise => objective - exact,
        Sense::Maximise => exact - objective,
    };
    worse_by / exact.abs().max(1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header serde writes for a record.
    fn header<T: Serialize>(value: &T) -> Vec<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(value).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        text.lines()
            .next()
            .unwrap()
            .split(',')
            .map(String::from)
            .collect()
    }

    #[test]
    fn columns_match_the_fields() {
        let e = EpochRecord {
            epoch: 0,
            start_s: 0.0,
            end_s: 1.0,
            solver: "x".into(),
            requests: 1,
            status: "optimal".into(),
            objective: None,
            bound: None,
            gap: None,
            gap_to_exact: None,
            nodes: 0,
            iterations: 0,
            reason: String::new(),
        };
        assert_eq!(header(&e), EpochRecord::COLUMNS);
        let t = TimingRecord {
            epoch: 0,
            solver: "x".into(),
            solve_time_s: 0.5,
        };
        assert_eq!(header(&t), TimingRecord::COLUMNS);
    }

    #[test]
    fn gap_is_relative_to_the_optimum_and_positive_when_worse() {
        assert_eq!(gap_to_exact(11.0, 10.0, Sense::Minimise), 0.1);
        assert_eq!(gap_to_exact(10.0, 10.0, Sense::Minimise), 0.0);
        assert_eq!(gap_to_exact(0.6, 0.8, Sense::Maximise), (0.8 - 0.6) / 0.8);
        assert_eq!(gap_to_exact(0.0, 0.0, Sense::Maximise), 0.0);
    }
}
