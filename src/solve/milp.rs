//! A thin layer over good_lp and HiGHS that reports what happened honestly.
//!
//! good_lp builds the model; this layer hands it to HiGHS itself so that it can read what
//! good_lp does not expose: the proven dual bound, the relative gap, the node count and whether
//! the time limit stopped the search. The [`Budget`]'s time limit, gap, thread count and
//! verbosity are passed on.
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
use good_lp::solvers::highs::highs;
use good_lp::{
    Constraint, Expression, IntoAffineExpression, ProblemVariables, SolverModel, Variable,
    VariableDefinition,
};
use highs::HighsModelStatus;
use std::collections::HashMap;
use std::time::Instant;

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
        self,
        objective: Expression,
        maximise: bool,
        budget: &Budget,
        initial: &[(Variable, f64)],
    ) -> Result<MilpSolution, SolveError> {
        budget.validate()?;
        let offset = IntoAffineExpression::constant(&objective);
        let absolute_gap = self.absolute_gap;
        let feasibility_tolerance = self.feasibility_tolerance;
        let is_mip = self.has_integers;
        let unsolved = if maximise {
            self.variables.maximise(objective)
        } else {
            self.variables.minimise(objective)
        };
        let mut problem = highs(unsolved);
        for constraint in self.constraints {
            problem.add_constraint(constraint);
        }
        let mut model = problem
            .try_into_inner()
            .map_err(|e| SolveError::Backend(e.to_string()))?;
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
        let quiet = !budget.verbose;
        set_option(&mut model, "output_flag", !quiet)?;
        set_option(&mut model, "log_to_console", !quiet)?;
        set_option(&mut model, "mip_rel_gap", budget.gap)?;
        set_option(&mut model, "mip_abs_gap", absolute_gap)?;
        if let Some(tolerance) = feasibility_tolerance {
            set_option(&mut model, "primal_feasibility_tolerance", tolerance)?;
            set_option(&mut model, "mip_feasibility_tolerance", tolerance)?;
        }
        set_option(
            &mut model,
            "random_seed",
            (budget.seed % i32::MAX as u64) as i32,
        )?;
        set_option(
            &mut model,
            "threads",
            budget.threads.min(i32::MAX as usize) as i32,
        )?;
        if let Some(limit) = budget.time_limit {
            set_option(&mut model, "time_limit", limit.as_secs_f64())?;
        }
        let started = Instant::now();
        let mut solved = model
            .try_solve()
            .map_err(|e| SolveError::Backend(format!("run failed: {e:?}")))?;
        let time_s = started.elapsed().as_secs_f64();
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
        let values = if has_solution {
            solved.get_solution().columns().to_vec()
        } else {
            Vec::new()
        };
        let objective = if has_solution {
            solved.objective_value() + offset
        } else {
            f64::NAN
        };
        let dual_bound = solved
            .double_info_value(c"mip_dual_bound")
            .unwrap_or(f64::NAN);
        let bound = if is_mip && dual_bound.is_finite() {
            dual_bound + offset
        } else if status == MilpStatus::Optimal {
            // A pure LP solved to optimality: its optimum is its bound.
            objective
        } else if maximise {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        };
        let nodes = if is_mip { node_count(&mut solved) } else { 0 };
        Ok(MilpSolution {
            status,
            objective,
            bound,
            nodes,
            time_s,
            has_solution,
            values,
            columns: self.columns,
        })
    }
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

fn set_option(
    model: &mut highs::Model,
    key: &str,
    value: impl highs::HighsOptionValue,
) -> Result<(), SolveError> {
    model
        .try_set_option(key, value)
        .map_err(|_| SolveError::Backend(format!("cannot set option {key}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use good_lp::variable;

    #[test]
    fn knapsack_is_solved_with_a_matching_bound() {
        // Values 10, 13, 7, 8; weights 5, 7, 4, 3; capacity 10 → items 0 and 2 or 1 and 3:
        // 0+2 = 17 (w 9), 1+3 = 21 (w 10), 0+3 = 18 (w 8), 2+3 = 15 → optimum 21.
        let values = [10.0, 13.0, 7.0, 8.0];
        let weights = [5.0, 7.0, 4.0, 3.0];
        let mut m = MilpModel::default();
        let x: Vec<_> = (0..4).map(|_| m.add(variable().binary())).collect();
        let load: Expression = x.iter().zip(weights).map(|(&v, w)| w * v).sum();
        m.constrain(load.leq(10.0));
        let value: Expression = x.iter().zip(values).map(|(&v, w)| w * v).sum();
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
}
