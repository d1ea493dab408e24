//! A thin layer over good_lp and HiGHS that reports what happened honestly.
//!
//! good_lp builds the model; this layer hands it to HiGHS itself so that it can read what
//! good_lp does not expose: the proven dual bound, the relative gap, the node count and whether
//! the time limit stopped the search. The [`Budget`]'s time limit, gap, thread count and
//! verbosity are passed on. A time limit is kept to within a tenth of a second: a run with a
//! limit goes on a thread of its own, and one that has not returned by the deadline (HiGHS's
//! presolve is never interrupted) is left behind as "stopped at the limit, nothing found".
//!
//! ```
//! use good_lp::{variable, Expression};
//! use mei4llm::solve::{milp::{MilpModel, MilpStatus}, Budget};
//!
//! // max 3x + 2y  s.t.  x + y ≤ 4,  x + 3y ≤ 6,  x ≤ 3,  x, y integer ≥ 0  → x = 3, y = 1.
//! let mut m = MilpModel::default();
//! let x = m.add(variable().integer().min(0).max(3));
//! let y = m.add(variable().integer().min(0));
//! m.constrain((x + y).leq(4));
//! m.constrain((x + 3 * y).leq(6));
//! let s = m.maximise(3 * x + 2 * y, &Budget::default(), &[]).unwrap();
//! assert_eq!(s.status, MilpStatus::Optimal);
//! assert_eq!((s.value(x), s.value(y)), (3.0, 1.0));
//! assert_eq!(s.objective, 11.0);
//! assert!(s.bound >= 11.0 - 1e-9);
//! ```

use super::{Budget, SolveError};
use crate::output::{Staged, WriteError};
use good_lp::solvers::highs::highs;
use good_lp::{
    Constraint, Expression, IntoAffineExpression, ProblemVariables, SolverModel, Variable,
    VariableDefinition,
};
use highs::HighsModelStatus;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How HiGHS ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MilpStatus {
    /// Optimal within HiGHS's gap tolerance (set from the budget's gap).
    Optimal,
    /// Stopped by the time (or another) limit; an incumbent may exist.
    Limit,
    /// Proven infeasible.
    Infeasible,
    /// Proven unbounded.
    Unbounded,
}

/// A model under construction: good_lp variables and constraints, with the column of every
/// variable remembered so that values can be read back.
#[derive(Default)]
pub struct MilpModel {
    variables: ProblemVariables,
    columns: HashMap<Variable, usize>,
    constraints: Vec<Constraint>,
    absolute_gap: f64,
    feasibility_tolerance: Option<f64>,
    has_integers: bool,
}

/// What HiGHS returned.
#[derive(Debug, Clone)]
pub struct MilpSolution {
    /// How the solve ended.
    pub status: MilpStatus,
    /// Objective of the incumbent (NaN when there is none).
    pub objective: f64,
    /// Proven bound on the optimum (the MIP dual bound; the LP optimum for a pure LP).
    pub bound: f64,
    /// Branch-and-bound nodes.
    pub nodes: u64,
    /// Wall-clock time of the HiGHS run.
    pub time_s: f64,
    /// Whether a primal solution is available.
    pub has_solution: bool,
    values: Vec<f64>,
    columns: HashMap<Variable, usize>,
}

impl MilpSolution {
    /// A solve stopped at its time limit before HiGHS ran: no incumbent, no bound. A model
    /// whose time is up while it is still being built returns this instead of a solve.
    pub fn not_run(maximise: bool) -> MilpSolution {
        MilpSolution {
            status: MilpStatus::Limit,
            objective: f64::NAN,
            bound: if maximise {
                f64::INFINITY
            } else {
                f64::NEG_INFINITY
            },
            nodes: 0,
            time_s: 0.0,
            has_solution: false,
            values: Vec::new(),
            columns: HashMap::new(),
        }
    }

    /// Value of a variable in the incumbent (NaN when there is none).
    pub fn value(&self, variable: Variable) -> f64 {
        match self.columns.get(&variable) {
            Some(&column) if self.has_solution => self.values[column],
            _ => f64::NAN,
        }
    }
}

impl MilpModel {
    /// Adds a variable.
    pub fn add(&mut self, definition: VariableDefinition) -> Variable {
        self.has_integers |= definition.is_integer();
        let variable = self.variables.add(definition);
        self.columns.insert(variable, self.columns.len());
        variable
    }

    /// Adds a constraint.
    pub fn constrain(&mut self, constraint: Constraint) {
        self.constraints.push(constraint);
    }

    /// Lets HiGHS stop once incumbent and bound are within `gap` in objective units, besides
    /// the budget's relative gap (useful when presolve moves a large constant out of the
    /// objective, which makes its relative gap stricter than the caller's).
    pub fn set_absolute_gap(&mut self, gap: f64) {
        self.absolute_gap = gap.max(0.0);
    }

    /// Tightens HiGHS's primal and MIP feasibility tolerances (by default 1e-7 and 1e-6,
    /// absolute) for models whose rows are outer approximations: a row violated by the
    /// tolerance lets the dual bound sit that far below the optimum.
    pub fn set_feasibility_tolerance(&mut self, tolerance: f64) {
        self.feasibility_tolerance = Some(tolerance);
    }

    /// Number of variables.
    pub fn num_variables(&self) -> usize {
        self.columns.len()
    }

    /// Number of constraints.
    pub fn num_constraints(&self) -> usize {
        self.constraints.len()
    }

    /// Minimises `objective`, starting from `initial` (a known feasible point, may be empty).
    pub fn minimise(
        self,
        objective: impl Into<Expression>,
        budget: &Budget,
        initial: &[(Variable, f64)],
    ) -> Result<MilpSolution, SolveError> {
        self.run(objective.into(), false, budget, initial)
    }

    /// Maximises `objective`, starting from `initial` (may be empty).
    pub fn maximise(
        self,
        objective: impl Into<Expression>,
        budget: &Budget,
        initial: &[(Variable, f64)],
    ) -> Result<MilpSolution, SolveError> {
        self.run(objective.into(), true, budget, initial)
    }

    fn run(
        mut self,
        objective: Expression,
        maximise: bool,
        budget: &Budget,
        initial: &[(Variable, f64)],
    ) -> Result<MilpSolution, SolveError> {
        budget.validate()?;
        if budget.time_limit.is_some_and(|limit| limit.is_zero()) {
            return Ok(MilpSolution::not_run(maximise));
        }
        // Handing the model to HiGHS counts against the time limit too.
        let handed = Instant::now();
        let deadline = budget.time_limit.map(|limit| handed + limit);
        note_if_recording(&self, &objective, maximise);
        self.check_values(&objective)?;
        let offset = IntoAffineExpression::constant(&objective);
        let is_mip = self.has_integers;
        let mut model = self.hand_over(objective, maximise, initial)?;
        let threads = budget.threads.min(i32::MAX as usize) as i32;
        set_run_options(&mut model, budget, threads)?;
        let started = Instant::now();
        let ran = match deadline {
            None => run_highs(model, threads, None)?,
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                // On a large model HiGHS's presolve alone takes several times as long as
                // handing the model over did (2.6 s against 0.3 s on split's master of 3.2
                // million nonzeros): with less than eight times that left, a run could only be
                // abandoned at the deadline.
                if left < 8 * handed.elapsed() {
                    None
                } else {
                    set_option(&mut model, "time_limit", left.as_secs_f64())?;
                    run_highs_until(model, threads, deadline)?
                }
            }
        };
        let Some(ran) = ran else {
            return Ok(MilpSolution::not_run(maximise));
        };
        let time_s = started.elapsed().as_secs_f64();
        let objective = ran.objective.map_or(f64::NAN, |value| value + offset);
        let bound = if is_mip && ran.dual_bound.is_finite() {
            ran.dual_bound + offset
        } else if ran.status == MilpStatus::Optimal {
            // A pure LP solved to optimality: its optimum is its bound.
            objective
        } else if maximise {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        };
        Ok(MilpSolution {
            status: ran.status,
            objective,
            bound,
            nodes: if is_mip { ran.nodes } else { 0 },
            time_s,
            has_solution: ran.objective.is_some(),
            values: ran.values,
            columns: self.columns,
        })
    }

    /// Hands the model's variables and constraints with `objective` to HiGHS (they move;
    /// the columns stay to read the solution), with `initial` as its starting point.
    fn hand_over(
        &mut self,
        objective: Expression,
        maximise: bool,
        initial: &[(Variable, f64)],
    ) -> Result<highs::Model, SolveError> {
        let sense = if maximise {
            super::Sense::Maximise
        } else {
            super::Sense::Minimise
        };
        let variables = std::mem::take(&mut self.variables);
        let constraints = std::mem::take(&mut self.constraints);
        let mut model = to_highs(variables, constraints, objective, sense)?;
        if !initial.is_empty() {
            // Unlisted variables start at zero; HiGHS checks the point and keeps it as the
            // first incumbent when it is feasible.
            let mut point = vec![0.0; self.columns.len()];
            for (variable, value) in initial {
                if let Some(&column) = self.columns.get(variable) {
                    point[column] = *value;
                }
            }
            model
                .try_set_solution(Some(&point), None, None, None)
                .map_err(|e| SolveError::Backend(format!("initial solution: {e:?}")))?;
        }
        if let Some(tolerance) = self.feasibility_tolerance {
            set_option(&mut model, "primal_feasibility_tolerance", tolerance)?;
            set_option(&mut model, "mip_feasibility_tolerance", tolerance)?;
        }
        set_option(&mut model, "mip_abs_gap", self.absolute_gap)?;
        // With a known feasible start, HiGHS's feasibility-jump heuristic only repeats what the
        // caller already has, at up to a third of the solve time.
        set_option(
            &mut model,
            "mip_heuristic_run_feasibility_jump",
            initial.is_empty(),
        )?;
        Ok(model)
    }
}

/// Sets the budget's verbosity, gap, seed and thread count on a HiGHS model.
fn set_run_options(
    model: &mut highs::Model,
    budget: &Budget,
    threads: i32,
) -> Result<(), SolveError> {
    let quiet = !budget.verbose;
    set_option(model, "output_flag", !quiet)?;
    set_option(model, "log_to_console", !quiet)?;
    set_option(model, "mip_rel_gap", budget.gap)?;
    set_option(model, "random_seed", (budget.seed % i32::MAX as u64) as i32)?;
    set_option(model, "threads", threads)
}

/// Branch-and-bound nodes of the last MIP solve (an `int64` info, which the `highs` crate
/// does not read).
fn node_count(solved: &mut highs::SolvedModel) -> u64 {
    let mut count: i64 = 0;
    // SAFETY: the pointer is a live HiGHS instance owned by `solved`, the name is a valid C
    // string, and `count` outlives the call.
    let status = unsafe {
        highs_sys::Highs_getInt64InfoValue(
            solved.as_mut_ptr(),
            c"mip_node_count".as_ptr(),
            &mut count,
        )
    };
    if status == 0 { count.max(0) as u64 } else { 0 }
}

/// What one HiGHS run left, read off it on the thread that ran it.
struct Ran {
    status: MilpStatus,
    /// HiGHS's objective of the incumbent, without the expression's constant.
    objective: Option<f64>,
    values: Vec<f64>,
    /// HiGHS's MIP dual bound, without the constant (NaN when it reports none).
    dual_bound: f64,
    nodes: u64,
}

/// Runs HiGHS on `model` with `threads` on the calling thread, interrupted at `deadline`;
/// `None` when the deadline passed before HiGHS could start (waiting for the scheduler).
fn run_highs(
    mut model: highs::Model,
    threads: i32,
    deadline: Option<Instant>,
) -> Result<Option<Ran>, SolveError> {
    if let Some(deadline) = &deadline {
        // SAFETY: the model is live, and `deadline` outlives its run below.
        unsafe { super::interrupt::arm(model.as_mut_ptr(), deadline) };
    }
    let solved = super::scheduler::with_threads(threads, || {
        let started_late = deadline.is_some_and(|d| Instant::now() >= d);
        (!started_late).then(|| model.try_solve())
    });
    let Some(solved) = solved else {
        return Ok(None);
    };
    let mut solved = solved.map_err(|e| SolveError::Backend(format!("run failed: {e:?}")))?;
    let status = match solved.status() {
        HighsModelStatus::Optimal => MilpStatus::Optimal,
        HighsModelStatus::Infeasible => MilpStatus::Infeasible,
        HighsModelStatus::Unbounded | HighsModelStatus::UnboundedOrInfeasible => {
            MilpStatus::Unbounded
        }
        HighsModelStatus::ReachedTimeLimit
        | HighsModelStatus::ReachedIterationLimit
        | HighsModelStatus::ReachedSolutionLimit
        | HighsModelStatus::ReachedInterrupt
        | HighsModelStatus::ReachedMemoryLimit
        | HighsModelStatus::ObjectiveBound
        | HighsModelStatus::ObjectiveTarget => MilpStatus::Limit,
        other => return Err(SolveError::Backend(format!("model status {other:?}"))),
    };
    let has_solution = solved.primal_solution_status() == highs::HighsSolutionStatus::Feasible;
    let (objective, values) = match has_solution {
        true => (
            Some(solved.objective_value()),
            solved.get_solution().columns().to_vec(),
        ),
        false => (None, Vec::new()),
    };
    let dual_bound = solved
        .double_info_value(c"mip_dual_bound")
        .unwrap_or(f64::NAN);
    let nodes = node_count(&mut solved);
    Ok(Some(Ran {
        status,
        objective,
        values,
        dual_bound,
        nodes,
    }))
}

/// How long after its deadline a run is still waited for: HiGHS stops at its next interrupt
/// point after the deadline, which on a large root LP is a few milliseconds later.
const DEADLINE_GRACE: Duration = Duration::from_millis(100);

/// A HiGHS instance moved to the thread that runs it.
struct Moved(highs::Model);

// SAFETY: a HiGHS instance is plain heap memory that no other thread refers to; it is used by
// one thread at a time (built here, then run and dropped on the worker).
unsafe impl Send for Moved {}

impl Moved {
    /// The instance, on the thread that now has it (a method, so that a closure moves the
    /// whole wrapper rather than its field).
    fn into_inner(self) -> highs::Model {
        self.0
    }
}

/// Runs HiGHS on a worker thread and waits for it until `deadline` (and a grace of
/// [`DEADLINE_GRACE`]); `None` when it has not returned by then.
///
/// HiGHS's presolve and some of its root-node work never reach an interrupt point, and on a
/// large model they run for seconds past any deadline. A run still going at the deadline is
/// left to stop at its next interrupt point on its own thread, and its result is dropped, so
/// the caller returns on time with what it had before.
fn run_highs_until(
    model: highs::Model,
    threads: i32,
    deadline: Instant,
) -> Result<Option<Ran>, SolveError> {
    let moved = Moved(model);
    let ran = wait_until(deadline + DEADLINE_GRACE, move || {
        run_highs(moved.into_inner(), threads, Some(deadline))
    })?;
    Ok(ran.transpose()?.flatten())
}

/// Runs `work` on a thread of its own and waits for its result until `deadline`; `None` when
/// it is still running then (it goes on, and its result is dropped).
fn wait_until<T: Send + 'static>(
    deadline: Instant,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<Option<T>, SolveError> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("highs".into())
        .stack_size(8 << 20)
        .spawn(move || {
            // The receiver is gone when the caller stopped waiting.
            let _ = sender.send(work());
        })
        .map_err(|e| SolveError::Backend(format!("cannot start a thread for HiGHS: {e}")))?;
    match receiver.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(result) => Ok(Some(result)),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Ok(None),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(SolveError::Backend(
            "HiGHS's run ended without a result".into(),
        )),
    }
}

fn set_option(
    model: &mut highs::Model,
    key: &str,
    value: impl highs::HighsOptionValue,
) -> Result<(), SolveError> {
    model
        .try_set_option(key, value)
        .map_err(|_| SolveError::Backend(format!("cannot set option {key}")))
}

/// File formats in which [`MilpModel::write`] saves a model, as HiGHS's `writeModel` writes
/// them: free MPS and CPLEX LP, both read by every MILP solver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelFormat {
    /// Free-format MPS (`.mps`).
    Mps,
    /// CPLEX LP (`.lp`).
    Lp,
}

impl ModelFormat {
    /// The file extension HiGHS recognises the format by, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ModelFormat::Mps => "mps",
            ModelFormat::Lp => "lp",
        }
    }
}

impl Clone for MilpModel {
    fn clone(&self) -> Self {
        MilpModel {
            variables: self.variables.clone(),
            columns: self.columns.clone(),
            constraints: self.constraints.clone(),
            absolute_gap: self.absolute_gap,
            feasibility_tolerance: self.feasibility_tolerance,
            has_integers: self.has_integers,
        }
    }
}

impl MilpModel {
    /// The feasibility tolerance set by [`set_feasibility_tolerance`](Self::set_feasibility_tolerance),
    /// which a solver reading the model from a file needs to find the same optimum.
    pub fn feasibility_tolerance(&self) -> Option<f64> {
        self.feasibility_tolerance
    }

    /// Writes the model with `objective` (minimised or maximised by `sense`) to `path` in
    /// `format` through HiGHS's `writeModel`, so that other solvers can cross-check it. The
    /// objective's constant is kept as HiGHS's objective offset. The file is written whole or
    /// not at all ([`crate::output`]): under a temporary name, checked to end as its format
    /// ends, then renamed over `path` (or copied into it when `path` is a device or a pipe).
    pub fn write(
        &self,
        objective: &Expression,
        sense: super::Sense,
        path: &std::path::Path,
        format: ModelFormat,
    ) -> Result<(), SolveError> {
        let staged = Staged::new(path, format.extension())?;
        let fail = |e: std::io::Error| SolveError::Write(WriteError::new(path, e));
        // Creating the file first names what stops it (a missing or read-only folder).
        staged.write(|_| Ok(()))?;
        self.check_values(objective)?;
        let mut model = self.highs_model(objective, sense)?;
        let name = staged
            .path()
            .to_str()
            .ok_or_else(|| fail(std::io::Error::other("not a UTF-8 path")))?;
        let name = std::ffi::CString::new(name)
            .map_err(|_| fail(std::io::Error::other("a path with a NUL byte")))?;
        let offset = IntoAffineExpression::constant(objective);
        // SAFETY: the pointer is a live HiGHS instance owned by `model`, and `name` is a valid
        // C string that outlives the calls.
        let status = unsafe {
            highs_sys::Highs_changeObjectiveOffset(model.as_mut_ptr(), offset);
            highs_sys::Highs_writeModel(model.as_mut_ptr(), name.as_ptr())
        };
        // HiGHS warns (status 1) when it makes up row and column names; only an error stops.
        if status == highs_sys::STATUS_ERROR {
            return Err(fail(std::io::Error::other(format!(
                "HiGHS could not write the model (status {status})"
            ))));
        }
        check_complete(staged.path(), format).map_err(fail)?;
        Ok(staged.commit()?)
    }

    /// Checks that every coefficient and constant is one HiGHS takes (finite, below
    /// [`LARGEST_VALUE`] in magnitude), naming the first that is not: HiGHS itself only says
    /// that building the model failed.
    fn check_values(&self, objective: &Expression) -> Result<(), SolveError> {
        let column = |v: &Variable| self.columns.get(v).copied().unwrap_or(usize::MAX);
        let bad = |value: f64| !value.is_finite() || value.abs() >= LARGEST_VALUE;
        let say = |place: String, value: f64| {
            Err(SolveError::Backend(format!(
                "cannot build the model: {place} is {value:e}; HiGHS takes finite values below \
                 {LARGEST_VALUE:e} in magnitude, so an input value is out of range"
            )))
        };
        let constant = IntoAffineExpression::constant(objective);
        if bad(constant) {
            return say("the objective's constant".into(), constant);
        }
        for (v, value) in objective.linear_coefficients() {
            if bad(value) {
                return say(
                    format!("the objective's coefficient of column {}", column(&v)),
                    value,
                );
            }
        }
        for (row, constraint) in self.constraints.iter().enumerate() {
            let expression = constraint.expression();
            let constant = IntoAffineExpression::constant(expression);
            if bad(constant) {
                return say(format!("the right-hand side of row {row}"), constant);
            }
            for (v, value) in expression.linear_coefficients() {
                if bad(value) {
                    return say(
                        format!("the coefficient of column {} in row {row}", column(&v)),
                        value,
                    );
                }
            }
        }
        Ok(())
    }

    /// The model handed to HiGHS with `objective` and `sense`, quiet; the model is kept.
    fn highs_model(
        &self,
        objective: &Expression,
        sense: super::Sense,
    ) -> Result<highs::Model, SolveError> {
        to_highs(
            self.variables.clone(),
            self.constraints.iter().cloned(),
            objective.clone(),
            sense,
        )
    }
}

/// `variables` and `constraints` with `objective` (minimised or maximised by `sense`) handed
/// to HiGHS, quiet.
fn to_highs(
    variables: ProblemVariables,
    constraints: impl IntoIterator<Item = Constraint>,
    objective: Expression,
    sense: super::Sense,
) -> Result<highs::Model, SolveError> {
    let unsolved = match sense {
        super::Sense::Minimise => variables.minimise(objective),
        super::Sense::Maximise => variables.maximise(objective),
    };
    let mut problem = highs(unsolved);
    for constraint in constraints {
        problem.add_constraint(constraint);
    }
    let mut model = problem
        .try_into_inner()
        .map_err(|e| SolveError::Backend(e.to_string()))?;
    set_option(&mut model, "output_flag", false)?;
    set_option(&mut model, "log_to_console", false)?;
    Ok(model)
}

/// Checks that the model file HiGHS wrote at `path` ends with its format's last line: HiGHS
/// does not report a write that fails (a full disk) and leaves the file cut short.
fn check_complete(path: &std::path::Path, format: ModelFormat) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let end = match format {
        ModelFormat::Mps => "ENDATA",
        ModelFormat::Lp => "end",
    };
    let mut file = std::fs::File::open(path)?;
    let len = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(len.saturating_sub(64)))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail)?;
    let tail = String::from_utf8_lossy(&tail);
    if tail.trim_end().lines().last().map(str::trim) == Some(end) {
        return Ok(());
    }
    Err(std::io::Error::other(format!(
        "the model was cut short after {len} bytes (its last line is not `{end}`): is the disk full?"
    )))
}

/// The magnitude from which HiGHS refuses a coefficient or right-hand side
/// (its `large_matrix_value`).
pub const LARGEST_VALUE: f64 = 1e15;

/// A model as it was handed to HiGHS inside [`record`]: its variables and constraints, its
/// objective and its sense.
#[derive(Clone)]
pub struct RecordedModel {
    /// The variables and constraints.
    pub model: MilpModel,
    /// The objective.
    pub objective: Expression,
    /// Minimised or maximised.
    pub sense: super::Sense,
}

impl RecordedModel {
    /// Writes the model to `path` (see [`MilpModel::write`]).
    pub fn write(&self, path: &std::path::Path, format: ModelFormat) -> Result<(), SolveError> {
        self.model.write(&self.objective, self.sense, path, format)
    }

    /// Solves the model again, as it was recorded, within `budget`.
    pub fn solve(self, budget: &Budget) -> Result<MilpSolution, SolveError> {
        match self.sense {
            super::Sense::Minimise => self.model.minimise(self.objective, budget, &[]),
            super::Sense::Maximise => self.model.maximise(self.objective, budget, &[]),
        }
    }
}

thread_local! {
    /// The models solved on this thread inside [`record`], when one is running.
    static RECORDING: std::cell::RefCell<Option<Vec<RecordedModel>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` and returns, besides its result, every model that `f` solved through
/// [`MilpModel::minimise`] or [`MilpModel::maximise`] on this thread, in order. This is how a
/// solver's internal MILP (an exact solver's master problem) is exported without the solver
/// exposing it; nothing is kept outside the call, and calls may nest (the inner one takes the
/// models solved inside it).
///
/// ```
/// use good_lp::variable;
/// use mei4llm::solve::{milp::{record, MilpModel}, Budget};
///
/// let ((), models) = record(|| {
///     let mut m = MilpModel::default();
///     let x = m.add(variable().integer().min(0).max(3));
///     m.minimise(x, &Budget::default(), &[]).unwrap();
/// });
/// assert_eq!(models.len(), 1);
/// assert_eq!(models[0].model.num_variables(), 1);
/// ```
pub fn record<R>(f: impl FnOnce() -> R) -> (R, Vec<RecordedModel>) {
    /// Restores the recording that was running before, also when `f` unwinds.
    struct Restore(Option<Vec<RecordedModel>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0.take();
            RECORDING.with(|r| *r.borrow_mut() = outer);
        }
    }
    let outer = RECORDING.with(|r| r.borrow_mut().replace(Vec::new()));
    let restore = Restore(outer);
    let result = f();
    let models = RECORDING
        .with(|r| r.borrow_mut().take())
        .unwrap_or_default();
    drop(restore);
    (result, models)
}

/// Keeps a copy of a model about to be solved when [`record`] is running on this thread.
fn note_if_recording(model: &MilpModel, objective: &Expression, maximise: bool) {
    RECORDING.with(|r| {
        if let Some(models) = r.borrow_mut().as_mut() {
            models.push(RecordedModel {
                model: model.clone(),
                objective: objective.clone(),
                sense: if maximise {
                    super::Sense::Maximise
                } else {
                    super::Sense::Minimise
                },
            });
        }
    });
}

/// Reads a model file written by [`MilpModel::write`] (or any MPS / LP file) into a fresh HiGHS
/// instance and solves it to `relative_gap`, to cross-check an export: HiGHS's model status
/// (`highs_sys::MODEL_STATUS_*`) and the objective, on one thread.
pub fn solve_model_file(
    path: &std::path::Path,
    relative_gap: f64,
) -> Result<(highs_sys::HighsInt, f64), SolveError> {
    let text = path
        .to_str()
        .ok_or_else(|| SolveError::Backend(format!("{}: not a UTF-8 path", path.display())))?;
    let name = std::ffi::CString::new(text)
        .map_err(|_| SolveError::Backend(format!("{text}: a path with a NUL byte")))?;
    // SAFETY: a fresh instance, valid C strings, destroyed before returning on every path.
    unsafe {
        let h = highs_sys::Highs_create();
        highs_sys::Highs_setBoolOptionValue(h, c"output_flag".as_ptr(), 0);
        highs_sys::Highs_setIntOptionValue(h, c"threads".as_ptr(), 1);
        highs_sys::Highs_setDoubleOptionValue(h, c"mip_rel_gap".as_ptr(), relative_gap);
        if highs_sys::Highs_readModel(h, name.as_ptr()) != highs_sys::STATUS_OK {
            highs_sys::Highs_destroy(h);
            return Err(SolveError::Backend(format!("HiGHS cannot read {text}")));
        }
        super::scheduler::with_threads(1, || highs_sys::Highs_run(h));
        let status = highs_sys::Highs_getModelStatus(h);
        let objective = highs_sys::Highs_getObjectiveValue(h);
        highs_sys::Highs_destroy(h);
        Ok((status, objective))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use good_lp::variable;

    /// Values 10, 13, 7, 8; weights 5, 7, 4, 3; capacity 10 → items 0 and 2 or 1 and 3:
    /// 0+2 = 17 (w 9), 1+3 = 21 (w 10), 0+3 = 18 (w 8), 2+3 = 15 → optimum 21 with items 1, 3.
    fn knapsack() -> (MilpModel, Vec<Variable>, Expression) {
        let values = [10.0, 13.0, 7.0, 8.0];
        let weights = [5.0, 7.0, 4.0, 3.0];
        let mut m = MilpModel::default();
        let x: Vec<_> = (0..4).map(|_| m.add(variable().binary())).collect();
        let load: Expression = x.iter().zip(weights).map(|(&v, w)| w * v).sum();
        m.constrain(load.leq(10.0));
        let value: Expression = x.iter().zip(values).map(|(&v, w)| w * v).sum();
        (m, x, value)
    }

    #[test]
    fn knapsack_is_solved_with_a_matching_bound() {
        let (m, x, value) = knapsack();
        let s = m.maximise(value, &Budget::default(), &[]).unwrap();
        assert_eq!(s.status, MilpStatus::Optimal);
        assert!((s.objective - 21.0).abs() < 1e-9);
        assert!(s.bound >= 21.0 - 1e-9 && s.bound <= 21.0 * (1.0 + 1e-6));
        assert_eq!(
            x.iter().map(|&v| s.value(v).round()).collect::<Vec<_>>(),
            [0.0, 1.0, 0.0, 1.0]
        );
    }

    #[test]
    fn infeasibility_is_a_status() {
        let mut m = MilpModel::default();
        let x = m.add(variable().binary());
        m.constrain((1.0 * x).geq(2.0));
        let s = m.minimise(x, &Budget::default(), &[]).unwrap();
        assert_eq!(s.status, MilpStatus::Infeasible);
        assert!(!s.has_solution);
        assert!(s.value(x).is_nan());
    }

    #[test]
    fn constant_offsets_are_kept() {
        let mut m = MilpModel::default();
        let x = m.add(variable().min(1.0).max(2.0));
        let s = m.minimise(x + 5.0, &Budget::default(), &[]).unwrap();
        assert_eq!(s.status, MilpStatus::Optimal);
        assert!((s.objective - 6.0).abs() < 1e-9);
        assert!((s.bound - 6.0).abs() < 1e-9);
    }

    #[test]
    fn an_invalid_budget_is_an_error() {
        let m = MilpModel::default();
        let budget = Budget::default().with_gap(f64::NAN);
        assert!(matches!(
            m.minimise(Expression::from(0.0), &budget, &[]),
            Err(SolveError::InvalidBudget(_))
        ));
    }

    #[test]
    fn written_models_read_back_to_the_same_optimum() {
        // The knapsack (optimum 21) plus a constant 4 in the objective.
        let (m, _, value) = knapsack();
        let value = value + 4.0;
        let dir = tempfile::tempdir().unwrap();
        for format in [ModelFormat::Mps, ModelFormat::Lp] {
            // A name without the format's extension: the writer must not depend on it.
            let path = dir
                .path()
                .join(format!("knapsack-{}.txt", format.extension()));
            m.write(&value, crate::solve::Sense::Maximise, &path, format)
                .unwrap();
            // HiGHS reads by extension too.
            let named = dir.path().join(format!("knapsack.{}", format.extension()));
            std::fs::copy(&path, &named).unwrap();
            let (status, objective) = solve_model_file(&named, 1e-6).unwrap();
            assert_eq!(status, highs_sys::MODEL_STATUS_OPTIMAL, "{format:?}");
            assert!((objective - 25.0).abs() < 1e-9, "{format:?}: {objective}");
        }
        let direct = m.maximise(value, &Budget::default(), &[]).unwrap();
        assert!((direct.objective - 25.0).abs() < 1e-9);
    }

    #[test]
    fn a_value_highs_refuses_is_named_before_highs_sees_it() {
        for bad in [f64::INFINITY, f64::NAN, 1e300] {
            let mut m = MilpModel::default();
            let x = m.add(variable().min(0).max(1));
            let y = m.add(variable().min(0).max(1));
            m.constrain((x + y).leq(1));
            m.constrain((2 * x + bad * y).leq(3));
            let err = m
                .clone()
                .minimise(x + y, &Budget::default(), &[])
                .unwrap_err()
                .to_string();
            assert!(err.contains("column 1 in row 1"), "{bad}: {err}");
            let mut m = MilpModel::default();
            let x = m.add(variable().min(0).max(1));
            let err = m.minimise(bad * x, &Budget::default(), &[]).unwrap_err();
            assert!(err.to_string().contains("objective"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_model_written_to_a_device_leaves_the_device_in_place() {
        use std::os::unix::fs::FileTypeExt;
        let null = std::path::Path::new("/dev/null");
        if !std::fs::metadata(null).is_ok_and(|m| m.file_type().is_char_device()) {
            eprintln!("skipped: /dev/null is not a character device on this machine");
            return;
        }
        let (m, _, value) = knapsack();
        m.write(
            &value,
            crate::solve::Sense::Maximise,
            null,
            ModelFormat::Mps,
        )
        .unwrap();
        let meta = std::fs::metadata(null).unwrap();
        assert!(meta.file_type().is_char_device(), "{meta:?}");
    }

    #[test]
    fn a_model_written_into_a_missing_folder_names_the_file() {
        let (m, _, value) = knapsack();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent").join("model.lp");
        let err = m
            .write(
                &value,
                crate::solve::Sense::Maximise,
                &path,
                ModelFormat::Lp,
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("model.lp: cannot write"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn record_keeps_the_models_solved_inside_it_only() {
        let solve = || {
            let mut m = MilpModel::default();
            let x = m.add(variable().min(1.0).max(2.0));
            m.minimise(x, &Budget::default(), &[]).unwrap().objective
        };
        solve();
        let ((objective, inner), outer) = record(|| {
            solve();
            record(solve)
        });
        assert_eq!(objective, 1.0);
        assert_eq!(inner.len(), 1);
        assert_eq!(outer.len(), 1);
        solve();
        let (_, none) = record(|| ());
        assert!(none.is_empty());
        let again = outer
            .into_iter()
            .next()
            .unwrap()
            .solve(&Budget::default())
            .unwrap();
        assert_eq!(again.objective, 1.0);
    }

    #[test]
    fn a_solve_with_a_time_limit_runs_to_the_same_optimum() {
        let (m, x, value) = knapsack();
        let budget = Budget {
            time_limit: Some(Duration::from_secs(60)),
            ..Budget::default()
        };
        let s = m.maximise(value, &budget, &[]).unwrap();
        assert_eq!(s.status, MilpStatus::Optimal);
        assert!((s.objective - 21.0).abs() < 1e-9);
        assert_eq!(s.value(x[1]).round(), 1.0);
    }

    #[test]
    fn work_still_running_at_its_deadline_is_left_behind() {
        let (release, held) = std::sync::mpsc::channel::<()>();
        let deadline = Instant::now() + Duration::from_millis(50);
        let left = wait_until(deadline, move || held.recv().is_ok()).unwrap();
        assert_eq!(left, None);
        release.send(()).unwrap();
    }

    #[test]
    fn work_done_before_its_deadline_gives_its_result() {
        let deadline = Instant::now() + Duration::from_secs(60);
        assert_eq!(wait_until(deadline, || 7).unwrap(), Some(7));
    }
}
