//! Statistics of a run, accumulated in epoch order so that they do not depend on the thread
//! count: percentiles in bounded memory, and the per-solver epoch and solve-time statistics.

use super::Error;
use super::problem::{RecordStats, RequestRecord};
use super::records::{EpochRecord, TimingRecord};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Values kept exactly by [`Quantiles`] before it switches to a sketch (512 KiB of `f64`).
pub const EXACT_LIMIT: usize = 65_536;

/// Relative accuracy of [`Quantiles`] once it holds more than [`EXACT_LIMIT`] values.
pub const RELATIVE_ACCURACY: f64 = 1e-3;

/// Percentiles of a stream of values in bounded memory.
///
/// Up to [`EXACT_LIMIT`] values are kept and percentiles are exact (nearest rank: the
/// `⌈q·n⌉`-th smallest value). Beyond that the values move into a DDSketch (Masson, Rim and
/// Lee, VLDB 2019): logarithmic buckets of ratio `γ = (1 + α)/(1 − α)` with `α` =
/// [`RELATIVE_ACCURACY`], so every percentile is within 0.1 % of the exact one, in a few
/// thousand buckets whatever the stream's length. Count, sum, mean, minimum and maximum are
/// always exact. NaN values are not counted.
///
/// ```
/// use mei4llm::replay::Quantiles;
///
/// let mut q = Quantiles::default();
/// for v in [3.0, 1.0, 2.0, 4.0] {
///     q.add(v);
/// }
/// assert_eq!(q.quantiles(&[0.5, 0.9, 1.0]), [2.0, 4.0, 4.0]);
/// assert_eq!(q.mean(), Some(2.5));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Quantiles {
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
    exact: Vec<f64>,
    sketch: Option<Sketch>,
}

/// DDSketch buckets: value `x > 0` falls in bucket `⌈ln x / ln γ⌉`.
#[derive(Debug, Clone, Default)]
struct Sketch {
    positive: BTreeMap<i32, u64>,
    negative: BTreeMap<i32, u64>,
    zeros: u64,
}

fn ln_gamma() -> f64 {
    ((1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)).ln()
}

impl Sketch {
    fn add(&mut self, v: f64) {
        if v == 0.0 {
            self.zeros += 1;
            return;
        }
        let index = (v.abs().ln() / ln_gamma()).ceil() as i32;
        let side = if v > 0.0 {
            &mut self.positive
        } else {
            &mut self.negative
        };
        *side.entry(index).or_insert(0) += 1;
    }

    /// The value standing for bucket `index`: within `α` of every value in it.
    fn value(index: i32) -> f64 {
        let gamma = ln_gamma().exp();
        2.0 * (f64::from(index) * ln_gamma()).exp() / (gamma + 1.0)
    }

    /// The value of rank `rank` (1-based) among the `count` values.
    fn rank(&self, rank: u64) -> f64 {
        let mut seen = 0;
        for (&index, &n) in self.negative.iter().rev() {
            seen += n;
            if seen >= rank {
                return -Self::value(index);
            }
        }
        seen += self.zeros;
        if seen >= rank {
            return 0.0;
        }
        for (&index, &n) in &self.positive {
            seen += n;
            if seen >= rank {
                return Self::value(index);
            }
        }
        f64::NAN
    }
}

impl Quantiles {
    /// Adds a value (NaN is ignored).
    pub fn add(&mut self, v: f64) {
        if v.is_nan() {
            return;
        }
        if self.count == 0 {
            self.min = v;
            self.max = v;
        } else {
            self.min = self.min.min(v);
            self.max = self.max.max(v);
        }
        self.count += 1;
        self.sum += v;
        match &mut self.sketch {
            Some(sketch) => sketch.add(v),
            None if self.exact.len() < EXACT_LIMIT => self.exact.push(v),
            None => {
                let mut sketch = Sketch::default();
                for &x in &self.exact {
                    sketch.add(x);
                }
                sketch.add(v);
                self.exact = Vec::new();
                self.sketch = Some(sketch);
            }
        }
    }

    /// Values added (NaN excluded).
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Sum of the values.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// Mean of the values, `None` without any.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }

    /// Whether the percentiles are exact (no more than [`EXACT_LIMIT`] values so far).
    pub fn is_exact(&self) -> bool {
        self.sketch.is_none()
    }

    /// The `q`-quantiles (`0 ≤ q ≤ 1`), nearest rank; NaN without values.
    pub fn quantiles(&self, qs: &[f64]) -> Vec<f64> {
        if self.count == 0 {
            return vec![f64::NAN; qs.len()];
        }
        let rank = |q: f64| ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        match &self.sketch {
            None => {
                let mut sorted = self.exact.clone();
                sorted.sort_by(f64::total_cmp);
                qs.iter().map(|&q| sorted[rank(q) as usize - 1]).collect()
            }
            Some(sketch) => qs
                .iter()
                .map(|&q| sketch.rank(rank(q)).clamp(self.min, self.max))
                .collect(),
        }
    }

    /// Count, mean, percentiles and extremes, for the JSON files.
    pub fn distribution(&self) -> Distribution {
        let [p50, p90, p99] = match self.quantiles(&[0.5, 0.9, 0.99])[..] {
            [a, b, c] => [a, b, c],
            _ => [f64::NAN; 3],
        };
        let some = |v: f64| (self.count > 0).then_some(v);
        Distribution {
            count: self.count,
            mean: self.mean(),
            p50: some(p50),
            p90: some(p90),
            p99: some(p99),
            min: some(self.min),
            max: some(self.max),
            exact: self.is_exact(),
        }
    }
}

/// A summary of a distribution as written to JSON; `null` statistics when it is empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Values.
    pub count: u64,
    /// Mean.
    pub mean: Option<f64>,
    /// Median (nearest rank).
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
    /// Whether the percentiles are exact (see [`Quantiles`]).
    pub exact: bool,
}

/// How one solver did over the epochs: `epochs.csv` summed up.
#[derive(Debug, Clone, Default)]
pub struct EpochStats {
    epochs: u64,
    statuses: BTreeMap<String, u64>,
    objective_sum: f64,
    with_objective: u64,
    gap_to_exact: Quantiles,
}

impl EpochStats {
    /// Adds one epoch's row.
    pub fn add(&mut self, record: &EpochRecord) {
        self.epochs += 1;
        *self.statuses.entry(record.status.clone()).or_insert(0) += 1;
        if let Some(objective) = record.objective {
            self.objective_sum += objective;
            self.with_objective += 1;
        }
        if let Some(gap) = record.gap_to_exact {
            self.gap_to_exact.add(gap);
        }
    }

    /// The statistics for `summary.json`.
    pub fn report(&self) -> EpochReport {
        EpochReport {
            epochs: self.epochs,
            by_status: self.statuses.clone(),
            with_objective: self.with_objective,
            objective_sum: self.objective_sum,
            gap_to_exact: self.gap_to_exact.distribution(),
        }
    }
}

/// One solver's epochs in `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// Epochs solved.
    pub epochs: u64,
    /// Epochs per status.
    pub by_status: BTreeMap<String, u64>,
    /// Epochs with a decision.
    pub with_objective: u64,
    /// Sum of the objective over the epochs with a decision.
    pub objective_sum: f64,
    /// Relative gap to the exact solver's proven optimum, over the epochs where both have an
    /// objective (see [`EpochRecord::gap_to_exact`]).
    pub gap_to_exact: Distribution,
}

/// One solver's entry in `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SolverSummary<T> {
    /// The solver.
    pub solver: String,
    /// Its epochs.
    pub epochs: EpochReport,
    /// The problem's statistics of its request records.
    pub requests: T,
}

/// `summary.json`: the run and each solver's statistics.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryReport<T> {
    /// What was run (the content of `run.json`).
    pub run: super::files::RunInfo,
    /// One entry per solver, in the run's order.
    pub solvers: Vec<SolverSummary<T>>,
}

/// The statistics of every solver of a run, fed with its rows in epoch order.
pub struct Summary<S> {
    solvers: Vec<String>,
    epochs: Vec<EpochStats>,
    requests: Vec<S>,
}

impl<S> Summary<S> {
    /// Empty statistics for `solvers`.
    pub fn new(solvers: &[String]) -> Self
    where
        S: Default,
    {
        Summary {
            solvers: solvers.to_vec(),
            epochs: solvers.iter().map(|_| EpochStats::default()).collect(),
            requests: solvers.iter().map(|_| S::default()).collect(),
        }
    }

    fn position(&self, solver: &str) -> Result<usize, Error> {
        self.solvers
            .iter()
            .position(|s| s == solver)
            .ok_or_else(|| {
                Error::config(
                    "record",
                    format!(
                        "solver `{solver}` is not one of the run's solvers ({})",
                        self.solvers.join(", ")
                    ),
                )
            })
    }

    /// Adds one row of `epochs.csv`.
    pub fn add_epoch(&mut self, record: &EpochRecord) -> Result<(), Error> {
        let i = self.position(&record.solver)?;
        self.epochs[i].add(record);
        Ok(())
    }

    /// Adds one row of `requests.csv`.
    pub fn add_request<R: RequestRecord>(&mut self, record: &R) -> Result<(), Error>
    where
        S: RecordStats<R>,
    {
        let i = self.position(record.solver())?;
        self.requests[i].add(record);
        Ok(())
    }

    /// The content of `summary.json`.
    pub fn report<R>(&self, run: &super::files::RunInfo) -> SummaryReport<S::Report>
    where
        S: RecordStats<R>,
    {
        SummaryReport {
            run: run.clone(),
            solvers: self
                .solvers
                .iter()
                .zip(&self.epochs)
                .zip(&self.requests)
                .map(|((solver, epochs), requests)| SolverSummary {
                    solver: solver.clone(),
                    epochs: epochs.report(),
                    requests: requests.report(),
                })
                .collect(),
        }
    }

    /// The problem's plots.
    pub fn plots<R>(&self, run: &super::files::RunInfo) -> Vec<(&'static str, String)>
    where
        S: RecordStats<R>,
    {
        let solvers: Vec<(&str, &S)> = self
            .solvers
            .iter()
            .map(String::as_str)
            .zip(&self.requests)
            .collect();
        S::plots(&solvers, run)
    }
}

/// Bins of the solve-time plot at most, whatever the number of epochs.
const MAX_BINS: usize = 512;

/// Consecutive epochs of one solver, merged for the solve-time plot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeBin {
    /// First epoch index in the bin.
    pub first_epoch: u64,
    /// Last epoch index in the bin.
    pub last_epoch: u64,
    /// Solves in the bin.
    pub solves: u64,
    /// Sum of their times in seconds.
    pub total_s: f64,
    /// Longest of them in seconds.
    pub max_s: f64,
}

/// One solver's solve times: percentiles and a series of at most 512 bins of consecutive
/// epochs (pairs of bins merge when it fills, so memory stays bounded).
#[derive(Debug, Clone, Default)]
pub struct TimeStats {
    times: Quantiles,
    bins: Vec<TimeBin>,
    /// Solves per bin.
    width: u64,
}

impl TimeStats {
    fn add(&mut self, record: &TimingRecord) {
        self.times.add(record.solve_time_s);
        if self.width == 0 {
            self.width = 1;
        }
        let t = record.solve_time_s;
        match self.bins.last_mut() {
            Some(bin) if bin.solves < self.width => {
                bin.last_epoch = record.epoch;
                bin.solves += 1;
                bin.total_s += t;
                bin.max_s = bin.max_s.max(t);
            }
            _ => self.bins.push(TimeBin {
                first_epoch: record.epoch,
                last_epoch: record.epoch,
                solves: 1,
                total_s: t,
                max_s: t,
            }),
        }
        if self.bins.len() > MAX_BINS {
            self.bins = self
                .bins
                .chunks(2)
                .map(|pair| match pair {
                    [a, b] => TimeBin {
                        first_epoch: a.first_epoch,
                        last_epoch: b.last_epoch,
                        solves: a.solves + b.solves,
                        total_s: a.total_s + b.total_s,
                        max_s: a.max_s.max(b.max_s),
                    },
                    [a] => *a,
                    _ => unreachable!("chunks of two"),
                })
                .collect();
            self.width *= 2;
        }
    }

    /// The bins of the series, in epoch order.
    pub fn bins(&self) -> &[TimeBin] {
        &self.bins
    }
}

/// `timings.json`: how long each solver took, and the run's wall time and threads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimingReport {
    /// Threads the run used (`null` when redrawn by `report` without the run's file).
    pub threads: Option<usize>,
    /// Wall-clock seconds of the whole run.
    pub wall_time_s: Option<f64>,
    /// Per solver, in the run's order.
    pub solvers: Vec<SolverTimes>,
}

/// One solver's solve times in `timings.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolverTimes {
    /// The solver.
    pub solver: String,
    /// Sum of its solve times in seconds (CPU-bound work, so about its share of the
    /// thread-seconds).
    pub total_s: f64,
    /// Per-epoch solve time in seconds.
    pub solve_time_s: Distribution,
}

/// Every solver's solve times, fed with `timings.csv` rows in epoch order.
pub struct Timings {
    solvers: Vec<String>,
    stats: Vec<TimeStats>,
}

impl Timings {
    /// Empty statistics for `solvers`.
    pub fn new(solvers: &[String]) -> Self {
        Timings {
            solvers: solvers.to_vec(),
            stats: solvers.iter().map(|_| TimeStats::default()).collect(),
        }
    }

    /// Adds one row of `timings.csv`.
    pub fn add(&mut self, record: &TimingRecord) -> Result<(), Error> {
        let i = self
            .solvers
            .iter()
            .position(|s| *s == record.solver)
            .ok_or_else(|| {
                Error::config(
                    "timing record",
                    format!("solver `{}` is not one of the run's", record.solver),
                )
            })?;
        self.stats[i].add(record);
        Ok(())
    }

    /// The content of `timings.json`.
    pub fn report(&self, threads: Option<usize>, wall_time_s: Option<f64>) -> TimingReport {
        TimingReport {
            threads,
            wall_time_s,
            solvers: self
                .solvers
                .iter()
                .zip(&self.stats)
                .map(|(solver, s)| SolverTimes {
                    solver: solver.clone(),
                    total_s: s.times.sum(),
                    solve_time_s: s.times.distribution(),
                })
                .collect(),
        }
    }

    /// Each solver's name and statistics, in the run's order.
    pub fn per_solver(&self) -> impl Iterator<Item = (&str, &TimeStats)> {
        self.solvers.iter().map(String::as_str).zip(&self.stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_percentiles_are_nearest_rank() {
        let mut q = Quantiles::default();
        for v in (1..=100).rev() {
            q.add(f64::from(v));
        }
        q.add(f64::NAN);
        assert_eq!(q.count(), 100);
        assert_eq!(
            q.quantiles(&[0.0, 0.5, 0.9, 0.99, 1.0]),
            [1.0, 50.0, 90.0, 99.0, 100.0]
        );
        let d = q.distribution();
        assert_eq!((d.mean, d.min, d.max), (Some(50.5), Some(1.0), Some(100.0)));
        assert!(d.exact);
        assert_eq!(Quantiles::default().distribution().p50, None);
    }

    #[test]
    fn the_sketch_stays_within_its_accuracy() {
        // 200,000 values spread over six decades, both signs and zero.
        let values: Vec<f64> = (0..200_000u64)
            .map(|i| {
                let x = 1e-3 * 10f64.powf(6.0 * ((i * 7919) % 200_000) as f64 / 200_000.0);
                match i % 10 {
                    0 => 0.0,
                    1 => -x,
                    _ => x,
                }
            })
            .collect();
        let mut q = Quantiles::default();
        for &v in &values {
            q.add(v);
        }
        assert!(!q.is_exact());
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        for p in [0.01, 0.1, 0.15, 0.5, 0.9, 0.99, 1.0] {
            let exact = sorted[((p * sorted.len() as f64).ceil() as usize).max(1) - 1];
            let got = q.quantiles(&[p])[0];
            assert!(
                (got - exact).abs() <= RELATIVE_ACCURACY * exact.abs() + 1e-300,
                "p{p}: {got} vs {exact}"
            );
        }
        let sum: f64 = values.iter().sum();
        assert!((q.sum() - sum).abs() <= 1e-9 * sum.abs());
    }

    #[test]
    fn time_bins_stay_bounded() {
        let mut t = TimeStats::default();
        for epoch in 0..10_000 {
            t.add(&TimingRecord {
                epoch,
                solver: "x".into(),
                solve_time_s: 1.0,
            });
        }
        assert!(t.bins().len() <= MAX_BINS);
        assert_eq!(t.bins().iter().map(|b| b.solves).sum::<u64>(), 10_000);
        assert_eq!(t.bins()[0].first_epoch, 0);
        assert_eq!(t.bins().last().unwrap().last_epoch, 9_999);
    }
}
