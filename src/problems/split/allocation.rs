//! The optimal bandwidth and compute shares once every request's choice is fixed.
//!
//! Without deadlines each cell's uplink and each edge GPU is allocated on its own by the
//! closed form of [`crate::solve::waterfill`]: minimising `Σ a_k / β_k` over `Σ β_k ≤ 1` gives
//! `β_k ∝ √a_k` and the value `(Σ √a_k)²`. In a cell with deadlines, a deadline of a request
//! that does not use the GPU is a floor `β_k ≥ u_k / (D_k − fixed)` on its share, and the closed
//! form with floors still applies; a deadline-bound request at the edge couples the uplink and
//! the GPU through `fixed + u_k / β_k + v_k / f_k ≤ D_k`, and that convex program is solved with
//! Clarabel as a second-order cone program (`y ≥ 1/β` ⇔ `‖(2, y − β)‖ ≤ y + β`), scaled so
//! that its objective and binding rows are of order one. When the objective does not price the
//! GPU (energy), the program decides the uplink alone and the GPU is shared afterwards (see
//! [`allocate_with_deadlines`]).

use super::cell_program::CellProgram;
use super::choice::Tier;
use super::decision::{Assignment, SplitDecision};
use super::instance::{OptionCost, SplitInstance};
use super::terms::Terms;
use crate::solve::waterfill;

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
    // The requests of each cell, in one pass over the plan.
    let mut cells: Vec<Vec<usize>> = vec![Vec::new(); instance.edge_count()];
    for (k, o) in options.iter().enumerate() {
        if let Some(e) = o.choice.server.filter(|&e| o.choice.uses_cell(e)) {
            cells[e].push(k);
        }
    }
    for (e, cell) in cells.iter().enumerate() {
        if cell.is_empty() {
            continue;
        }
        let deadlines = cell.iter().any(|&k| {
            let r = &instance.requests[k];
            r.ttft_deadline_s.is_some() || r.e2e_deadline_s.is_some()
        });
        if deadlines {
            allocate_with_deadlines(instance, options, cell, e, &mut assignments)?;
        } else {
            closed_form(options, cell, &mut assignments)?;
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

/// What deadline `d` leaves for the share-dependent terms of request `k`, or why none is left.
pub(super) fn slack_s(k: usize, terms: &Terms, d: f64) -> Result<f64, String> {
    let slack = d - terms.fixed;
    if slack > 0.0 {
        Ok(slack)
    } else {
        Err(format!(
            "request {k}: the deadline of {d} s is below the {:.4} s that no share can shorten",
            terms.fixed
        ))
    }
}

/// GPU share kept, per request served at the edge without a deadline, for those requests when
/// the objective does not price the GPU and the deadlines of the others could use all of it
/// (the energy optimum would starve them). It costs objective only then, and keeps their
/// shares far from zero, where their latency and the exact solver's tangent cuts blow up.
const RESERVE: f64 = 1e-6;

/// The shares of a cell with deadlines.
///
/// When the objective does not price the GPU (energy), every sharing of it that meets the
/// deadlines is optimal, and weighting it by latency in the same program (as the closed form
/// does, where the GPU is allocated on its own) would trade objective for latency through the
/// deadlines, which couple the GPU to the uplink: up to 2.5× the optimal energy. The program
/// then decides only the uplink and the GPU shares of requests with deadlines (priced at
/// zero), and the GPU is shared afterwards by [`gpu_given_bandwidth`].
fn allocate_with_deadlines(
    instance: &SplitInstance,
    options: &[&OptionCost],
    cell: &[usize],
    e: usize,
    assignments: &mut [Assignment],
) -> Result<(), String> {
    let on_gpu: Vec<usize> = cell
        .iter()
        .copied()
        .filter(|&k| options[k].choice.tier == Tier::Edge)
        .collect();
    let has_deadline = |k: usize| {
        let r = &instance.requests[k];
        r.ttft_deadline_s.is_some() || r.e2e_deadline_s.is_some()
    };
    let priced = on_gpu.iter().any(|&k| options[k].cost.edge > 0.0);
    // The requests whose GPU share the program decides.
    let edge: Vec<usize> = on_gpu
        .iter()
        .copied()
        .filter(|&k| priced || has_deadline(k))
        .collect();
    let a = weights(options, cell, |t| t.upload);
    if !edge.iter().any(|&k| has_deadline(k)) {
        // No deadline couples the uplink to the GPU: each deadline is a floor on a bandwidth
        // share, and both resources have their closed forms.
        uplink_with_floors(instance, options, cell, e, &a, assignments)?;
        if priced {
            let g: Vec<f64> = edge.iter().map(|&k| options[k].cost.edge).collect();
            let gpu = waterfill::allocate(&g, 1.0).map_err(|e| e.to_string())?;
            for (j, &k) in edge.iter().enumerate() {
                assignments[k].compute_share = gpu.shares[j];
            }
        } else if !on_gpu.is_empty() {
            gpu_given_bandwidth(instance, options, &on_gpu, assignments)?;
        }
        return Ok(());
    }
    let g: Vec<f64> = if priced {
        edge.iter().map(|&k| options[k].cost.edge).collect()
    } else {
        vec![0.0; edge.len()]
    };
    let cell_program = CellProgram {
        instance,
        options,
        cell,
        edge: &edge,
        server: e,
    };
    let reserved = RESERVE * (on_gpu.len() - edge.len()) as f64;
    let shares = cell_program.solve(&a, &g, reserved)?;
    for (i, &k) in cell.iter().enumerate() {
        assignments[k].bandwidth_share = shares.bandwidth[i];
    }
    if priced {
        for (j, &k) in edge.iter().enumerate() {
            assignments[k].compute_share = shares.compute[j];
        }
    } else if !on_gpu.is_empty() {
        gpu_given_bandwidth(instance, options, &on_gpu, assignments)?;
    }
    Ok(())
}

/// The bandwidth shares of `cell` when no deadline involves the GPU: a deadline
/// `fixed + u/β ≤ D` is the floor `β ≥ u / (D − fixed)`, and the closed form with floors
/// ([`waterfill::allocate_bounded`]) minimises `Σ a/β` above them.
fn uplink_with_floors(
    instance: &SplitInstance,
    options: &[&OptionCost],
    cell: &[usize],
    e: usize,
    a: &[f64],
    assignments: &mut [Assignment],
) -> Result<(), String> {
    let mut floors = Vec::with_capacity(cell.len());
    for &k in cell {
        let r = &instance.requests[k];
        let mut floor: f64 = 0.0;
        for (terms, deadline) in [
            (&options[k].ttft_s, r.ttft_deadline_s),
            (&options[k].e2e_s, r.e2e_deadline_s),
        ] {
            let Some(d) = deadline else { continue };
            let slack = slack_s(k, terms, d)?;
            floor = floor.max(terms.upload / slack);
        }
        floors.push(floor);
    }
    let needed: f64 = floors.iter().sum();
    if needed > 1.0 {
        let name = &instance.scenario.edge_servers[e].name;
        return Err(format!(
            "the deadlines of the {} requests in the cell of `{name}` need {needed:.4} of its uplink",
            cell.len()
        ));
    }
    let caps = vec![f64::INFINITY; cell.len()];
    let uplink = waterfill::allocate_bounded(a, &floors, &caps, 1.0).map_err(|e| e.to_string())?;
    for (i, &k) in cell.iter().enumerate() {
        assignments[k].bandwidth_share = uplink.shares[i];
    }
    Ok(())
}

/// Shares the GPU among `on_gpu` when the objective does not price it and the bandwidth
/// shares are set: each request with a deadline gets at least the least share that meets it
/// at its bandwidth, and the rest goes by the closed form on the end-to-end parts (the
/// latency-optimal sharing among the objective-optimal ones).
fn gpu_given_bandwidth(
    instance: &SplitInstance,
    options: &[&OptionCost],
    on_gpu: &[usize],
    assignments: &mut [Assignment],
) -> Result<(), String> {
    let mut floors: Vec<f64> = on_gpu
        .iter()
        .map(|&k| {
            let r = &instance.requests[k];
            let b = assignments[k].bandwidth_share;
            [
                (&options[k].ttft_s, r.ttft_deadline_s),
                (&options[k].e2e_s, r.e2e_deadline_s),
            ]
            .into_iter()
            .filter_map(|(t, d)| d.map(|d| (t, d)))
            .map(|(t, d)| {
                let room = d - t.fixed - super::terms::ratio(t.upload, b);
                if t.edge == 0.0 {
                    0.0
                } else if room > 0.0 {
                    (t.edge / room).min(1.0)
                } else {
                    1.0
                }
            })
            .fold(0.0, f64::max)
        })
        .collect();
    // The cone program kept the floors within the GPU up to its tolerance.
    let total: f64 = floors.iter().sum();
    if total > 1.0 {
        floors.iter_mut().for_each(|l| *l /= total);
    }
    let latency: Vec<f64> = on_gpu.iter().map(|&k| options[k].e2e_s.edge).collect();
    let caps = vec![f64::INFINITY; on_gpu.len()];
    let gpu =
        waterfill::allocate_bounded(&latency, &floors, &caps, 1.0).map_err(|e| e.to_string())?;
    for (i, &k) in on_gpu.iter().enumerate() {
        assignments[k].compute_share = gpu.shares[i];
    }
    Ok(())
}
