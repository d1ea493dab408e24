//! The pipeline: stream the trace, cut it into epochs, build each epoch's instance, solve it
//! with every solver on a rayon pool, and hand the results to a [`Sink`] in epoch order.
//!
//! At most [`ReplayOptions::in_flight`] epochs are held at once — read, being solved, or
//! solved and waiting for an earlier epoch — so memory is bounded by the epoch size and not by
//! the trace's length. Each epoch is one task that builds the instance once and runs every
//! solver on it; an epoch is delivered when it is done and every earlier epoch has been
//! delivered, so the sink sees the same sequence whatever the thread count. Seeds are functions of the run's seed and the epoch
//! index ([`instance_seed`](super::instance_seed), [`solver_seed`](super::solver_seed)).

use super::Error;
use super::epochs::{EpochInfo, RowCounts, Rows, instance_seed, solver_seed};
use super::problem::{ReplayProblem, SolverRun};
use super::records::{EpochRecord, TimingRecord, gap_to_exact};
use crate::solve::{Budget, MAX_THREADS, Problem};
use crate::system::Error as InputError;
use crate::system::trace::{Epoch, EpochRule, Epochs, Request};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How a trace is replayed.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayOptions {
    /// How the trace is cut into epochs.
    pub rule: EpochRule,
    /// The solvers, in the order of the output rows.
    pub solvers: Vec<String>,
    /// Worker threads of the pool (each solve itself uses one thread).
    pub threads: usize,
    /// Epochs held in memory at once; 0 means 8 × `threads`.
    pub in_flight: usize,
    /// Seed of the run; each epoch derives its own from it.
    pub seed: u64,
    /// Wall-clock limit of each solve. A limit that binds makes the results depend on the
    /// machine's speed and load, so runs with one are not reproducible byte for byte.
    pub time_limit: Option<Duration>,
    /// Relative optimality gap at which exact solvers stop.
    pub gap: f64,
    /// Skip malformed trace rows (counted) instead of stopping at the first.
    pub skip_bad_rows: bool,
    /// Requests arriving before this time (seconds since the first request) are left out.
    pub start_s: f64,
    /// Stop after this many epochs.
    pub max_epochs: Option<u64>,
    /// Solve only this shard's epochs (the others are read and passed over), so that runs of
    /// every shard of a [`Shard::count`] together make the whole run.
    pub shard: Option<Shard>,
}

/// One of `count` disjoint parts of a run: the epochs whose position in the run leaves
/// remainder `index` when divided by `count` (positions count every epoch of the run from 0,
/// whichever shard it belongs to; [`ReplayOptions::max_epochs`] limits the positions).
///
/// Every shard reads the same rows and derives each epoch's seeds from its index alone
/// ([`instance_seed`](super::instance_seed)), so the records of all shards, sorted by epoch,
/// are the records of the whole run. Dealing epochs out in turn spreads busy and quiet
/// stretches of a trace evenly over the shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: u64,
    /// Shards in all, at least 1.
    pub count: u64,
}

impl Shard {
    /// Whether the epoch at position `seq` of the run belongs to this shard (never, for a
    /// count of 0).
    pub fn owns(&self, seq: u64) -> bool {
        seq.checked_rem(self.count) == Some(self.index)
    }
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            rule: EpochRule::Window { seconds: 1.0 },
            solvers: Vec::new(),
            threads: 1,
            in_flight: 0,
            seed: 0,
            time_limit: None,
            gap: 1e-6,
            skip_bad_rows: false,
            start_s: 0.0,
            max_epochs: None,
            shard: None,
        }
    }
}

impl ReplayOptions {
    /// Epochs held at once (resolving 0 to 8 × threads).
    pub fn window(&self) -> usize {
        if self.in_flight == 0 {
            8 * self.threads.max(1)
        } else {
            self.in_flight
        }
    }

    /// Checks the options against the problem: at least one solver, every one known and
    /// named once, at least one thread, a valid gap and start, a shard within its count.
    pub fn validate<P: ReplayProblem>(&self, problem: &P) -> Result<(), Error> {
        if self.solvers.is_empty() {
            return Err(Error::config("solvers", "no solver given"));
        }
        for (i, name) in self.solvers.iter().enumerate() {
            if !problem.knows(name) {
                return Err(Error::config(
                    "solvers",
                    format!(
                        "unknown {} solver `{name}`; the solvers are: {}",
                        problem.name(),
                        problem.solver_names().join(", ")
                    ),
                ));
            }
            if self.solvers[..i].contains(name) {
                return Err(Error::config("solvers", format!("`{name}` is given twice")));
            }
        }
        if !(1..=MAX_THREADS).contains(&self.threads) {
            return Err(Error::config(
                "threads",
                format!("{}; it must be in 1..={MAX_THREADS}", self.threads),
            ));
        }
        if !(0.0..1.0).contains(&self.gap) {
            return Err(Error::config(
                "gap",
                format!("{}; it must be in [0, 1)", self.gap),
            ));
        }
        if !(self.start_s.is_finite() && self.start_s >= 0.0) {
            return Err(Error::config(
                "start",
                format!("{} s; it must be finite and non-negative", self.start_s),
            ));
        }
        if let Some(shard) = self.shard
            && shard.index >= shard.count
        {
            return Err(Error::config(
                "shard",
                format!(
                    "{} of {}; the index must be below the count",
                    shard.index, shard.count
                ),
            ));
        }
        Ok(())
    }
}

/// One epoch solved by every solver, as a sink receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct SolvedEpoch<R> {
    /// The epoch.
    pub epoch: EpochInfo,
    /// One row per solver, in the run's solver order.
    pub epochs: Vec<EpochRecord>,
    /// One solve time per solver, in the same order.
    pub timings: Vec<TimingRecord>,
    /// The request records, solver by solver, each in request order.
    pub requests: Vec<R>,
}

/// Where solved epochs go, one at a time and in epoch order.
///
/// [`prepare`](Self::prepare) runs on the worker thread that solved the epoch, so that work
/// that does not depend on the order (formatting rows, say) is done in parallel;
/// [`epoch`](Self::epoch) then receives the prepared epochs in order on the calling thread.
pub trait Sink<R> {
    /// An epoch made ready for [`epoch`](Self::epoch).
    type Prepared: Send;

    /// Prepares a solved epoch, on a worker thread.
    fn prepare(solved: SolvedEpoch<R>) -> Self::Prepared;

    /// Takes the next epoch; an error stops the run.
    fn epoch(&mut self, prepared: Self::Prepared) -> Result<(), Error>;
}

/// Keeping every epoch in memory (for tests and small runs).
impl<R: Send> Sink<R> for Vec<SolvedEpoch<R>> {
    type Prepared = SolvedEpoch<R>;

    fn prepare(solved: SolvedEpoch<R>) -> SolvedEpoch<R> {
        solved
    }

    fn epoch(&mut self, solved: SolvedEpoch<R>) -> Result<(), Error> {
        self.push(solved);
        Ok(())
    }
}

/// Both sinks in turn (the records kept in memory and written to a run directory, say): each
/// prepares its own copy of the epoch, and the first error stops the run.
impl<R: Clone, A: Sink<R>, B: Sink<R>> Sink<R> for (A, B) {
    type Prepared = (A::Prepared, B::Prepared);

    fn prepare(solved: SolvedEpoch<R>) -> Self::Prepared {
        (A::prepare(solved.clone()), B::prepare(solved))
    }

    fn epoch(&mut self, (a, b): Self::Prepared) -> Result<(), Error> {
        self.0.epoch(a)?;
        self.1.epoch(b)
    }
}

/// How far a run is, after each delivered epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Epochs delivered.
    pub epochs: u64,
    /// Requests in them.
    pub requests: u64,
    /// Time since the run started.
    pub elapsed: Duration,
}

/// What a run did.
#[derive(Debug)]
pub struct ReplayTotals {
    /// Epochs delivered to the sink.
    pub epochs: u64,
    /// Requests in them.
    pub requests: u64,
    /// Rows read, skipped and left out.
    pub rows: RowCounts,
    /// Wall-clock seconds of the run.
    pub wall_time_s: f64,
    /// What stopped the run before the end of the trace (a malformed row, an epoch whose
    /// instance cannot be built); the epochs before it were delivered.
    pub stopped_by: Option<Error>,
    /// The index of the epoch whose failure stopped the run, when an epoch did.
    pub failed_epoch: Option<u64>,
    /// Solver runs of the delivered epochs that ended in status `error`.
    pub solver_errors: SolverErrors,
}

/// Solver runs that ended in status `error` (the solver panicked or its back end failed): the
/// run goes on, but it is not complete.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SolverErrors {
    /// How many.
    pub count: u64,
    /// The first, in epoch order: `epoch N, solver S: reason`.
    pub first: Option<String>,
}

impl SolverErrors {
    /// The errors among the rows of one epoch.
    pub fn of(epochs: &[EpochRecord]) -> Self {
        let mut errors = SolverErrors::default();
        for row in epochs.iter().filter(|row| row.status == "error") {
            errors.count += 1;
            errors.first.get_or_insert_with(|| {
                format!("epoch {}, solver {}: {}", row.epoch, row.solver, row.reason)
            });
        }
        errors
    }

    /// Adds `later`'s errors (from later epochs) to these.
    pub fn add(&mut self, later: SolverErrors) {
        self.count += later.count;
        if self.first.is_none() {
            self.first = later.first;
        }
    }
}

/// What a task reports about its epoch.
type Done<T> = Result<T, Error>;

/// Epochs read and not yet delivered, by sequence number: their size in requests, their
/// index, and what their task reported once it is done.
type Pending<T> = BTreeMap<u64, (usize, u64, Option<Done<(SolverErrors, T)>>)>;

/// Replays `requests` (a trace, in arrival order) through `problem` with every solver of
/// `options`, delivering epochs to `sink` in order and calling `progress` after each.
///
/// Returns an error before anything is solved when the options are invalid, and when the sink
/// fails. A malformed row (without [`ReplayOptions::skip_bad_rows`]) or an epoch whose instance
/// cannot be built ends the run after the epochs before it are delivered: the totals say what
/// stopped it. An infeasible epoch is not an error: its rows carry the status and reason.
pub fn replay<P, I, S>(
    problem: &P,
    requests: I,
    options: &ReplayOptions,
    sink: &mut S,
    progress: &mut dyn FnMut(&Progress),
) -> Result<ReplayTotals, Error>
where
    P: ReplayProblem,
    I: Iterator<Item = Result<Request, InputError>>,
    S: Sink<P::Record>,
{
    options.validate(problem)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .map_err(|e| Error::config("threads", e.to_string()))?;
    let window = options.window().max(1);
    let exact = problem
        .exact_solver()
        .and_then(|name| options.solvers.iter().position(|s| s == name));
    let mut rows = Rows::new(requests, options.skip_bad_rows, options.start_s);
    let mut epochs = Epochs::new(&mut rows, options.rule)?;
    let (tx, rx) = mpsc::channel::<(u64, Done<(SolverErrors, S::Prepared)>)>();
    let mut run: Delivery<S::Prepared> = Delivery::new();
    let outcome: Result<(), Error> = pool.in_place_scope(|scope| {
        loop {
            while let Some((seq, epoch)) = run.next_epoch(&mut epochs, options, window) {
                let tx = tx.clone();
                scope.spawn(move |_| {
                    // The receiver outlives every task.
                    let _ = tx.send((seq, solve_task::<P, S>(problem, &epoch, options, exact)));
                });
            }
            if run.pending.is_empty() {
                return Ok(());
            }
            // Every task sends exactly once, so a message always comes.
            let Ok((seq, done)) = rx.recv() else {
                return Err(Error::Panicked {
                    what: "the replay".into(),
                    message: "an epoch task ended without reporting".into(),
                });
            };
            if let Some(slot) = run.pending.get_mut(&seq) {
                slot.2 = Some(done);
            }
            run.deliver(sink, progress)?;
        }
    });
    drop(epochs);
    outcome?;
    Ok(run.totals(rows.counts))
}

/// One epoch's task on a worker thread: its rows prepared for the sink, or why it failed. A
/// panic is caught, so that the delivering thread is not left waiting for its message.
fn solve_task<P, S>(
    problem: &P,
    epoch: &Epoch,
    options: &ReplayOptions,
    exact: Option<usize>,
) -> Done<(SolverErrors, S::Prepared)>
where
    P: ReplayProblem,
    S: Sink<P::Record>,
{
    catch_unwind(AssertUnwindSafe(|| {
        solve_epoch(problem, epoch, options, exact)
            .map(|solved| (SolverErrors::of(&solved.epochs), S::prepare(solved)))
    }))
    .unwrap_or_else(|panic| {
        Err(Error::Panicked {
            what: format!("the task of epoch {}", epoch.index),
            message: panic_message(panic.as_ref()),
        })
    })
}

/// What the delivering thread keeps: the epochs read and not yet delivered, whether reading
/// goes on, what stopped it, and what has been delivered.
struct Delivery<T> {
    started: Instant,
    pending: Pending<T>,
    next_seq: u64,
    reading: bool,
    /// A malformed row ends reading; the epochs read before it are still delivered.
    read_error: Option<Error>,
    /// An epoch that failed (its index and error) ends the run there: later epochs are
    /// dropped.
    failed: Option<(u64, Error)>,
    solver_errors: SolverErrors,
    delivered: Progress,
}

impl<T> Delivery<T> {
    fn new() -> Delivery<T> {
        Delivery {
            started: Instant::now(),
            pending: BTreeMap::new(),
            next_seq: 0,
            reading: true,
            read_error: None,
            failed: None,
            solver_errors: SolverErrors::default(),
            delivered: Progress {
                epochs: 0,
                requests: 0,
                elapsed: Duration::ZERO,
            },
        }
    }

    /// The next epoch of this shard to solve and its sequence number, while reading goes on
    /// and fewer than `window` epochs are pending; it is pending from then on.
    fn next_epoch(
        &mut self,
        epochs: &mut impl Iterator<Item = Result<Epoch, InputError>>,
        options: &ReplayOptions,
        window: usize,
    ) -> Option<(u64, Epoch)> {
        while self.reading && self.pending.len() < window {
            if options.max_epochs.is_some_and(|m| self.next_seq >= m) {
                self.reading = false;
                break;
            }
            let epoch = match epochs.next() {
                None => {
                    self.reading = false;
                    break;
                }
                Some(Err(error)) => {
                    self.read_error = Some(error.into());
                    self.reading = false;
                    break;
                }
                Some(Ok(epoch)) => epoch,
            };
            let seq = self.next_seq;
            self.next_seq += 1;
            if options.shard.is_some_and(|shard| !shard.owns(seq)) {
                continue;
            }
            self.pending
                .insert(seq, (epoch.requests.len(), epoch.index, None));
            return Some((seq, epoch));
        }
        None
    }

    /// Hands what is done to `sink`, in order. A failed epoch stops the run: it and the
    /// epochs after it are dropped once done.
    fn deliver<S: Sink<R, Prepared = T>, R>(
        &mut self,
        sink: &mut S,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<(), Error> {
        while let Some(entry) = self.pending.first_entry() {
            if entry.get().2.is_none() {
                break;
            }
            let (requests, index, done) = entry.remove();
            if self.failed.is_some() {
                continue;
            }
            match done {
                Some(Ok((errors, prepared))) => {
                    sink.epoch(prepared)?;
                    self.solver_errors.add(errors);
                    self.delivered.epochs += 1;
                    self.delivered.requests += requests as u64;
                    self.delivered.elapsed = self.started.elapsed();
                    progress(&self.delivered);
                }
                Some(Err(error)) => {
                    self.failed = Some((index, error));
                    self.reading = false;
                }
                None => {}
            }
        }
        Ok(())
    }

    /// The run's totals, with the trace's row counts.
    fn totals(self, rows: RowCounts) -> ReplayTotals {
        let failed_epoch = self.failed.as_ref().map(|(index, _)| *index);
        ReplayTotals {
            epochs: self.delivered.epochs,
            requests: self.delivered.requests,
            rows,
            wall_time_s: self.started.elapsed().as_secs_f64(),
            stopped_by: self.failed.map(|(_, error)| error).or(self.read_error),
            failed_epoch,
            solver_errors: self.solver_errors,
        }
    }
}

/// The message of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Builds an epoch's instance and solves it with every solver in turn, on a worker thread: the
/// rows of the epoch, with each solver's gap to the exact solver's optimum. A solver that
/// panics gets status `error`; an instance that cannot be built is an error.
fn solve_epoch<P: ReplayProblem>(
    problem: &P,
    epoch: &Epoch,
    options: &ReplayOptions,
    exact: Option<usize>,
) -> Result<SolvedEpoch<P::Record>, Error> {
    let info = EpochInfo::of(epoch);
    let instance = problem.build_epoch(epoch, instance_seed(options.seed, info.index))?;
    let sense = problem.problem(&instance).sense();
    let budget = Budget {
        time_limit: options.time_limit,
        gap: options.gap,
        threads: 1,
        seed: solver_seed(options.seed, info.index),
        verbose: false,
    };
    let runs: Vec<(SolverRun<P::Record>, f64)> = options
        .solvers
        .iter()
        .map(|solver| {
            let clock = Instant::now();
            let run = catch_unwind(AssertUnwindSafe(|| {
                problem.solve(&instance, &info, solver, &budget)
            }))
            .unwrap_or_else(|panic| {
                let why = panic_message(panic.as_ref());
                problem.failed(
                    &instance,
                    &info,
                    solver,
                    format!("the solver panicked: {why}"),
                )
            });
            (run, clock.elapsed().as_secs_f64())
        })
        .collect();
    let optimum = exact
        .and_then(|e| runs.get(e))
        .filter(|(run, _)| run.status == "optimal")
        .and_then(|(run, _)| run.objective);
    let mut epochs = Vec::with_capacity(runs.len());
    let mut timings = Vec::with_capacity(runs.len());
    let mut requests = Vec::new();
    for ((run, time_s), solver) in runs.into_iter().zip(&options.solvers) {
        epochs.push(EpochRecord {
            epoch: info.index,
            start_s: info.start_s,
            end_s: info.end_s,
            solver: solver.clone(),
            requests: info.requests,
            status: run.status.to_string(),
            objective: run.objective,
            bound: run.bound,
            gap: run.gap,
            gap_to_exact: optimum
                .zip(run.objective)
                .map(|(o, v)| gap_to_exact(v, o, sense)),
            nodes: run.nodes,
            iterations: run.iterations,
            reason: run.reason.unwrap_or_default(),
        });
        timings.push(TimingRecord {
            epoch: info.index,
            solver: solver.clone(),
            solve_time_s: time_s,
        });
        requests.extend(run.records);
    }
    Ok(SolvedEpoch {
        epoch: info,
        epochs,
        timings,
        requests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::files::RunInfo;
    use crate::replay::problem::{RecordStats, ReplaySolver, RequestRecord};
    use crate::solve::{Evaluation, Found, Problem, Sense, SolveError, Solver};
    use serde::{Deserialize, Serialize};

    /// A toy problem: the instance is the epoch's prompt tokens; solver `sum` answers their
    /// sum, `panic` panics, and epochs whose first request has id `fail_at` cannot be built.
    struct Toy {
        fail_at: Option<u64>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Row {
        solver: String,
        request: u64,
    }

    impl RequestRecord for Row {
        const COLUMNS: &'static [&'static str] = &["solver", "request"];
        fn solver(&self) -> &str {
            &self.solver
        }
    }

    #[derive(Default)]
    struct Count(u64);

    impl RecordStats<Row> for Count {
        type Report = u64;
        const PLOTS: &'static [&'static str] = &[];
        fn add(&mut self, _: &Row) {
            self.0 += 1;
        }
        fn report(&self) -> u64 {
            self.0
        }
        fn plots(_: &[(&str, &Self)], _: &RunInfo) -> Vec<(&'static str, String)> {
            Vec::new()
        }
    }

    /// The toy's instance: the epoch's (request, prompt tokens).
    struct Prompts(Vec<(u64, u32)>);

    impl Problem for Prompts {
        type Decision = ();
        fn sense(&self) -> Sense {
            Sense::Minimise
        }
        fn evaluate(&self, _: &()) -> Evaluation {
            Evaluation {
                objective: self.0.iter().map(|p| f64::from(p.1)).sum(),
                violations: Vec::new(),
            }
        }
    }

    /// The toy's solvers: `sum` answers the sum (proven), `panic` panics.
    struct ToySolver(&'static str);

    impl Solver<Prompts> for ToySolver {
        fn name(&self) -> &str {
            self.0
        }
        fn search(&self, p: &Prompts, _: &Budget) -> Result<Found<()>, SolveError> {
            if self.0 == "panic" {
                panic!("toy panic");
            }
            let sum = p.evaluate(&()).objective;
            Ok(Found::decision((), sum).with_bound(sum))
        }
    }

    impl ReplayProblem for Toy {
        type Epoch = Prompts;
        type Problem = Prompts;
        type Record = Row;
        type Stats = Count;

        fn name(&self) -> &'static str {
            "toy"
        }
        fn solver(&self, name: &str) -> Option<ReplaySolver<Prompts>> {
            ["sum", "panic"]
                .into_iter()
                .find(|&n| n == name)
                .map(|n| Box::new(ToySolver(n)) as ReplaySolver<Prompts>)
        }
        fn solver_names(&self) -> Vec<&'static str> {
            vec!["sum", "panic"]
        }
        fn exact_solver(&self) -> Option<&'static str> {
            Some("sum")
        }
        fn build_epoch(&self, epoch: &Epoch, _: u64) -> Result<Prompts, Error> {
            if epoch.requests.first().map(|r| r.id) == self.fail_at {
                return Err(Error::config("toy", "cannot build"));
            }
            Ok(Prompts(
                epoch
                    .requests
                    .iter()
                    .map(|r| (r.id, r.prompt_tokens))
                    .collect(),
            ))
        }
        fn problem<'a>(&self, epoch: &'a Prompts) -> &'a Prompts {
            epoch
        }
        fn epoch_records(
            &self,
            p: &Prompts,
            _: &EpochInfo,
            solver: &str,
            _: Option<&()>,
        ) -> Vec<Row> {
            p.0.iter()
                .map(|&(request, _)| Row {
                    solver: solver.into(),
                    request,
                })
                .collect()
        }
    }

    fn requests(n: u64) -> impl Iterator<Item = Result<Request, InputError>> {
        (0..n).map(|id| {
            Ok(Request {
                id,
                arrival_s: id as f64 * 0.3,
                prompt_tokens: 1 + id as u32,
                output_tokens: 1,
                prefix_blocks: Vec::new(),
            })
        })
    }

    fn run(toy: &Toy, threads: usize, in_flight: usize) -> (Vec<SolvedEpoch<Row>>, ReplayTotals) {
        let options = ReplayOptions {
            rule: EpochRule::Count { requests: 3 },
            solvers: vec!["sum".into(), "panic".into()],
            threads,
            in_flight,
            ..ReplayOptions::default()
        };
        let mut epochs = Vec::new();
        let totals = replay(toy, requests(100), &options, &mut epochs, &mut |_| {}).unwrap();
        (epochs, totals)
    }

    #[test]
    fn epochs_arrive_in_order_and_a_panicking_solver_is_an_error_row() {
        let (epochs, totals) = run(&Toy { fail_at: None }, 3, 5);
        assert_eq!((totals.epochs, totals.requests), (34, 100));
        assert!(totals.stopped_by.is_none());
        // Every epoch's `panic` run is counted, the first named.
        assert_eq!(totals.solver_errors.count, 34);
        let first = totals.solver_errors.first.as_deref().unwrap_or_default();
        assert!(first.starts_with("epoch 0, solver panic:"), "{first}");
        assert!(first.contains("toy panic"), "{first}");
        for (i, e) in epochs.iter().enumerate() {
            assert_eq!(e.epoch.index, i as u64);
            let sum: u32 = (0..e.epoch.requests as u32)
                .map(|k| 1 + 3 * i as u32 + k)
                .sum();
            assert_eq!(e.epochs[0].objective, Some(f64::from(sum)));
            assert_eq!(e.epochs[0].gap_to_exact, Some(0.0));
            assert_eq!(e.epochs[1].status, "error");
            assert!(e.epochs[1].reason.contains("toy panic"));
            assert_eq!(e.requests.len(), 2 * e.epoch.requests);
        }
        let (one, _) = run(&Toy { fail_at: None }, 1, 1);
        let strip = |e: &[SolvedEpoch<Row>]| -> Vec<_> {
            e.iter()
                .map(|s| (s.epochs.clone(), s.requests.clone()))
                .collect()
        };
        assert_eq!(strip(&one), strip(&epochs));
    }

    #[test]
    fn an_epoch_that_cannot_be_built_stops_the_run_after_the_ones_before() {
        // Request 30 opens epoch 10.
        let (epochs, totals) = run(&Toy { fail_at: Some(30) }, 2, 8);
        assert_eq!(epochs.len(), 10);
        assert_eq!(totals.epochs, 10);
        assert!(
            totals
                .stopped_by
                .unwrap()
                .to_string()
                .contains("cannot build")
        );
    }
}
