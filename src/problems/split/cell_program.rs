//! The second-order cone program of a cell whose deadlines couple its uplink to its edge GPU,
//! solved with Clarabel.
//!
//! Per request `i` of the cell: its bandwidth share `β_i` and `y_i ≥ 1/β_i`; per request `j`
//! whose GPU share the program decides: `f_j` and `z_j ≥ 1/f_j`. It minimises
//! `Σ a_i y_i + Σ g_j z_j` over `Σ β ≤ 1`, `Σ f ≤ 1 − reserve` and every deadline
//! `fixed + u/β + v/f ≤ D` (linear in `y` and `z`), with the rotated cones `y·β ≥ 1` written as
//! `‖(2, y − β)‖ ≤ y + β`.

use super::allocation::slack_s;
use super::instance::{OptionCost, SplitInstance};
use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, NonnegativeConeT, SecondOrderConeT,
    SolverStatus, SupportedConeT,
};

/// One cell's program: its requests, those whose GPU share it decides, and its server.
pub(super) struct CellProgram<'a> {
    pub(super) instance: &'a SplitInstance,
    pub(super) options: &'a [&'a OptionCost],
    /// The requests of the cell (indices into the instance).
    pub(super) cell: &'a [usize],
    /// The requests whose GPU share the program decides.
    pub(super) edge: &'a [usize],
    /// The edge server of the cell.
    pub(super) server: usize,
}

/// The program's shares, none negative and each kind summing to at most one: per request of
/// the cell, and per request whose GPU share it decides.
pub(super) struct CellShares {
    pub(super) bandwidth: Vec<f64>,
    pub(super) compute: Vec<f64>,
}

/// Column layout: `β_i, y_i` for the cell's requests, then `f_j, z_j`.
#[derive(Clone, Copy)]
struct Columns {
    /// Requests of the cell.
    nb: usize,
    /// Requests whose GPU share the program decides.
    nf: usize,
}

impl Columns {
    fn beta(self, i: usize) -> usize {
        2 * i
    }
    fn y(self, i: usize) -> usize {
        2 * i + 1
    }
    fn f(self, j: usize) -> usize {
        2 * self.nb + 2 * j
    }
    fn z(self, j: usize) -> usize {
        2 * self.nb + 2 * j + 1
    }
    fn count(self) -> usize {
        2 * self.nb + 2 * self.nf
    }
}

impl CellProgram<'_> {
    /// The optimal shares for upload weights `a` (per request of the cell) and GPU weights `g`
    /// (per request whose GPU share it decides), with `reserved` of the GPU kept for the
    /// others when the deadlines leave it; or why no sharing meets the deadlines.
    pub(super) fn solve(&self, a: &[f64], g: &[f64], reserved: f64) -> Result<CellShares, String> {
        let columns = Columns {
            nb: self.cell.len(),
            nf: self.edge.len(),
        };
        let q = objective(columns, a, g);
        let mut m = Triplets::default();
        self.linear_rows(&mut m, columns, reserved)?;
        let cones = cone_rows(&mut m, columns);
        let rows = m.b.len();
        let matrix = CscMatrix::new_from_triplets(rows, columns.count(), m.rows, m.cols, m.vals);
        let mut b = m.b;
        let p = CscMatrix::zeros((columns.count(), columns.count()));
        let solve = |b: &[f64]| run_clarabel(&p, &q, &matrix, b, &cones);
        let mut solver = solve(&b)?;
        let infeasible = |s: &DefaultSolver<f64>| {
            matches!(
                s.solution.status,
                SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible
            )
        };
        if reserved > 0.0 && infeasible(&solver) {
            // The deadlines need more than all but the reserve: the others get what is left.
            b[1] = 1.0;
            solver = solve(&b)?;
        }
        self.check(solver.solution.status)?;
        let x = &solver.solution.x;
        Ok(CellShares {
            bandwidth: within_one((0..columns.nb).map(|i| x[columns.beta(i)]).collect()),
            compute: within_one((0..columns.nf).map(|j| x[columns.f(j)]).collect()),
        })
    }

    /// The non-negative rows: `Σβ ≤ 1`, `Σf ≤ 1 − reserved`, and every deadline divided by its
    /// slack, so that a binding row has coefficients of order one.
    fn linear_rows(&self, m: &mut Triplets, c: Columns, reserved: f64) -> Result<(), String> {
        for i in 0..c.nb {
            m.entry(c.beta(i), 1.0);
        }
        m.end_row(1.0);
        if c.nf > 0 {
            for j in 0..c.nf {
                m.entry(c.f(j), 1.0);
            }
            m.end_row(1.0 - reserved);
        }
        for (i, &k) in self.cell.iter().enumerate() {
            let r = &self.instance.requests[k];
            let j = self.edge.iter().position(|&x| x == k);
            let limits = [
                (&self.options[k].ttft_s, r.ttft_deadline_s),
                (&self.options[k].e2e_s, r.e2e_deadline_s),
            ];
            for (terms, deadline) in limits {
                let Some(d) = deadline else { continue };
                let slack = slack_s(k, terms, d)?;
                m.entry(c.y(i), terms.upload / slack);
                if let Some(j) = j {
                    m.entry(c.z(j), terms.edge / slack);
                }
                m.end_row(1.0);
            }
        }
        Ok(())
    }

    /// Whether Clarabel solved the program; otherwise which requests cannot all meet their
    /// deadlines, or what Clarabel said.
    fn check(&self, status: SolverStatus) -> Result<(), String> {
        let name = &self.instance.scenario.edge_servers[self.server].name;
        match status {
            SolverStatus::Solved | SolverStatus::AlmostSolved => Ok(()),
            SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => {
                let names: Vec<String> = self
                    .cell
                    .iter()
                    .map(|&k| format!("request {k} (id {})", self.instance.requests[k].id))
                    .collect();
                Err(format!(
                    "deadlines: {} in the cell of `{name}` cannot all meet their deadlines by any sharing of its uplink and GPU",
                    names.join(", ")
                ))
            }
            other => Err(format!(
                "Clarabel could not allocate the cell of `{name}`: {other:?}"
            )),
        }
    }
}

/// Shares as the solver left them (within its tolerance) made non-negative and, when they sum
/// to more than one, scaled to sum to one.
fn within_one(mut shares: Vec<f64>) -> Vec<f64> {
    let total = shares.iter().map(|s| s.max(0.0)).sum::<f64>().max(1.0);
    for share in &mut shares {
        *share = share.max(0.0) / total;
    }
    shares
}

/// The objective `Σ a_i y_i + Σ g_j z_j`, scaled to order one: energies of split-0 uploads are
/// ~1e-5 J, and Clarabel stalls (`InsufficientProgress`) on such terms.
fn objective(c: Columns, a: &[f64], g: &[f64]) -> Vec<f64> {
    let scale = a.iter().chain(g).sum::<f64>();
    let scale = if scale > 0.0 { 1.0 / scale } else { 1.0 };
    let mut q = vec![0.0; c.count()];
    for i in 0..c.nb {
        q[c.y(i)] = a[i] * scale;
    }
    for j in 0..c.nf {
        q[c.z(j)] = g[j] * scale;
    }
    q
}

/// The rotated cones `y·β ≥ 1` and `z·f ≥ 1` as `‖(2, y − β)‖ ≤ y + β`, after the rows so far
/// (all non-negative); returns every cone of the program in row order.
fn cone_rows(m: &mut Triplets, c: Columns) -> Vec<SupportedConeT<f64>> {
    let mut cones: Vec<SupportedConeT<f64>> = vec![NonnegativeConeT(m.b.len())];
    for (share, inverse) in (0..c.nb)
        .map(|i| (c.beta(i), c.y(i)))
        .chain((0..c.nf).map(|j| (c.f(j), c.z(j))))
    {
        m.entry(inverse, -1.0);
        m.entry(share, -1.0);
        m.end_row(0.0);
        m.end_row(2.0);
        m.entry(inverse, -1.0);
        m.entry(share, 1.0);
        m.end_row(0.0);
        cones.push(SecondOrderConeT(3));
    }
    cones
}

/// Clarabel on `min qᵀx` over `b − Ax ∈ cones`, to a tolerance of 1e-10.
fn run_clarabel(
    p: &CscMatrix<f64>,
    q: &[f64],
    matrix: &CscMatrix<f64>,
    b: &[f64],
    cones: &[SupportedConeT<f64>],
) -> Result<DefaultSolver<f64>, String> {
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .tol_gap_abs(1e-10)
        .tol_gap_rel(1e-10)
        .tol_feas(1e-10)
        .build()
        .map_err(|e| format!("Clarabel settings: {e:?}"))?;
    let mut solver = DefaultSolver::new(p, q, matrix, b, cones, settings)
        .map_err(|e| format!("Clarabel: {e:?}"))?;
    solver.solve();
    Ok(solver)
}

/// A sparse constraint matrix built row by row, with its right-hand side.
#[derive(Default)]
struct Triplets {
    rows: Vec<usize>,
    cols: Vec<usize>,
    vals: Vec<f64>,
    b: Vec<f64>,
}

impl Triplets {
    /// Adds `value` at `column` of the current row.
    fn entry(&mut self, column: usize, value: f64) {
        self.rows.push(self.b.len());
        self.cols.push(column);
        self.vals.push(value);
    }

    /// Closes the current row with right-hand side `rhs`.
    fn end_row(&mut self, rhs: f64) {
        self.b.push(rhs);
    }
}
