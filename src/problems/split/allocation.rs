//! The optimal bandwidth and compute shares once every request's choice is fixed.
//!
//! Without deadlines each cell's uplink and each edge GPU is allocated on its own by the
//! closed form of [`crate::solve::waterfill`]: minimising `Σ a_k / β_k` over `Σ β_k ≤ 1` gives
//! `β_k ∝ √a_k` and the value `(Σ √a_k)²`. A cell with a deadline-bound request couples its
//! uplink and its GPU through `fixed + u_k / β_k + v_k / f_k ≤ D_k`; that convex program is
//! solved exactly with Clarabel as a second-order cone program (`y ≥ 1/β` ⇔
//! `‖(2, y − β)‖ ≤ y + β`).

use super::choice::Tier;
use super::decision::{Assignment, SplitDecision};
use super::instance::{OptionCost, SplitInstance};
use super::terms::Terms;
use crate::solve::waterfill;
use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, NonnegativeConeT, SecondOrderConeT,
    SolverStatus, SupportedConeT,
};

/// Optimal shares for given choices.
#[derive(Debug, Clone, PartialEq)]
pub struct Allocated {
    /// The decision (choices with their shares).
    pub decision: SplitDecision,
    /// Its objective.
    pub objective: f64,
}

/// The optimal shares of `options` (one per request, in request order), or why no shares meet
/// the deadlines.
pub fn allocate(instance: &SplitInstance, options: &[&OptionCost]) -> Result<Allocated, String> {
    let mut assignments: Vec<Assignment> = options
        .iter()
        .map(|o| Assignment {
            choice: o.choice,
            bandwidth_share: 0.0,
            compute_share: 0.0,
        })
        .collect();
    for e in 0..instance.edge_count() {
        let cell: Vec<usize> = (0..options.len())
            .filter(|&k| options[k].choice.uses_cell(e))
            .collect();
        if cell.is_empty() {
            continue;
        }
        let deadlines = cell.iter().any(|&k| {
            let r = &instance.requests[k];
            r.ttft_deadline_s.is_some() || r.e2e_deadline_s.is_some()
        });
        if deadlines {
            allocate_with_deadlines(instance, options, &cell, e, &mut assignments)?;
        } else {
            closed_form(options, &cell, &mut assignments)?;
        }
    }
    let objective = options
        .iter()
        .zip(&assignments)
        .map(|(o, a)| o.cost.at(a.bandwidth_share, a.compute_share))
        .sum();
    Ok(Allocated {
        decision: SplitDecision { assignments },
        objective,
    })
}

/// Objective weights of one resource for `users`, or the end-to-end latency parts when the
/// objective does not price the resource at all (energy objective and edge compute), so that
/// the shares stay useful.
fn weights(options: &[&OptionCost], users: &[usize], part: impl Fn(&Terms) -> f64) -> Vec<f64> {
    let priced: Vec<f64> = users.iter().map(|&k| part(&options[k].cost)).collect();
    if priced.iter().any(|&w| w > 0.0) {
        priced
    } else {
        users.iter().map(|&k| part(&options[k].e2e_s)).collect()
    }
}

fn closed_form(
    options: &[&OptionCost],
    cell: &[usize],
    assignments: &mut [Assignment],
) -> Result<(), String> {
    let a = weights(options, cell, |t| t.upload);
    let bandwidth = waterfill::allocate(&a, 1.0).map_err(|e| e.to_string())?;
    for (i, &k) in cell.iter().enumerate() {
        assignments[k].bandwidth_share = bandwidth.shares[i];
    }
    let edge: Vec<usize> = cell
        .iter()
        .copied()
        .filter(|&k| options[k].choice.tier == Tier::Edge)
        .collect();
    if !edge.is_empty() {
        let g = weights(options, &edge, |t| t.edge);
        let compute = waterfill::allocate(&g, 1.0).map_err(|e| e.to_string())?;
        for (i, &k) in edge.iter().enumerate() {
            assignments[k].compute_share = compute.shares[i];
        }
    }
    Ok(())
}

/// Variables, per request of the cell: β (bandwidth share), y ≥ 1/β, and for requests served at
/// the edge f (compute share), z ≥ 1/f.
fn allocate_with_deadlines(
    instance: &SplitInstance,
    options: &[&OptionCost],
    cell: &[usize],
    e: usize,
    assignments: &mut [Assignment],
) -> Result<(), String> {
    let edge: Vec<usize> = cell
        .iter()
        .copied()
        .filter(|&k| options[k].choice.tier == Tier::Edge)
        .collect();
    let nb = cell.len();
    let nf = edge.len();
    // Column layout: β_i, y_i for i < nb, then f_j, z_j for j < nf.
    let beta = |i: usize| 2 * i;
    let y = |i: usize| 2 * i + 1;
    let f = |j: usize| 2 * nb + 2 * j;
    let z = |j: usize| 2 * nb + 2 * j + 1;
    let columns = 2 * nb + 2 * nf;
    let a = weights(options, cell, |t| t.upload);
    let g = if nf > 0 {
        weights(options, &edge, |t| t.edge)
    } else {
        Vec::new()
    };
    let mut q = vec![0.0; columns];
    for i in 0..nb {
        q[y(i)] = a[i];
    }
    for j in 0..nf {
        q[z(j)] = g[j];
    }
    let mut m = Triplets::default();
    // Non-negative rows: Σβ ≤ 1, Σf ≤ 1, deadlines.
    for i in 0..nb {
        m.entry(beta(i), 1.0);
    }
    m.end_row(1.0);
    if nf > 0 {
        for j in 0..nf {
            m.entry(f(j), 1.0);
        }
        m.end_row(1.0);
    }
    for (i, &k) in cell.iter().enumerate() {
        let r = &instance.requests[k];
        let j = edge.iter().position(|&x| x == k);
        let limits = [
            (&options[k].ttft_s, r.ttft_deadline_s),
            (&options[k].e2e_s, r.e2e_deadline_s),
        ];
        for (terms, deadline) in limits {
            let Some(d) = deadline else { continue };
            let slack = d - terms.fixed;
            if slack <= 0.0 {
                return Err(format!(
                    "request {k}: the deadline of {d} s is below the {:.4} s that no share can shorten",
                    terms.fixed
                ));
            }
            m.entry(y(i), terms.upload);
            if let Some(j) = j {
                m.entry(z(j), terms.edge);
            }
            m.end_row(slack);
        }
    }
    let mut cones: Vec<SupportedConeT<f64>> = vec![NonnegativeConeT(m.b.len())];
    // Rotated cones y·β ≥ 1 and z·f ≥ 1 as ‖(2, y − β)‖ ≤ y + β.
    for (share, inverse) in (0..nb)
        .map(|i| (beta(i), y(i)))
        .chain((0..nf).map(|j| (f(j), z(j))))
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
    let rows = m.b.len();
    let matrix = CscMatrix::new_from_triplets(rows, columns, m.rows, m.cols, m.vals);
    let b = m.b;
    let p = CscMatrix::zeros((columns, columns));
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .tol_gap_abs(1e-10)
        .tol_gap_rel(1e-10)
        .tol_feas(1e-10)
        .build()
        .map_err(|e| format!("Clarabel settings: {e:?}"))?;
    let mut solver = DefaultSolver::new(&p, &q, &matrix, &b, &cones, settings)
        .map_err(|e| format!("Clarabel: {e:?}"))?;
    solver.solve();
    let name = &instance.scenario.edge_servers[e].name;
    match solver.solution.status {
        SolverStatus::Solved | SolverStatus::AlmostSolved => {}
        SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => {
            return Err(format!(
                "the deadlines of the {nb} requests in the cell of `{name}` cannot all be met by any sharing of its uplink and GPU"
            ));
        }
        other => {
            return Err(format!(
                "Clarabel could not allocate the cell of `{name}`: {other:?}"
            ));
        }
    }
    let x = &solver.solution.x;
    let total_beta: f64 = (0..nb).map(|i| x[beta(i)].max(0.0)).sum::<f64>().max(1.0);
    for (i, &k) in cell.iter().enumerate() {
        assignments[k].bandwidth_share = x[beta(i)].max(0.0) / total_beta;
    }
    let total_f: f64 = (0..nf).map(|j| x[f(j)].max(0.0)).sum::<f64>().max(1.0);
    for (j, &k) in edge.iter().enumerate() {
        assignments[k].compute_share = x[f(j)].max(0.0) / total_f;
    }
    Ok(())
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
