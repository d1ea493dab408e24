//! The cones of the outer approximation: which share-dependent quantity each prices, and the
//! tangent ratios it has (the first grid, and the ones each round adds).

use super::HashMap;
use crate::problems::split::instance::{OptionCost, SplitInstance};
use crate::problems::split::terms::Terms;

/// Ratio between consecutive tangents of the first grid: the tangent of `V²/β` at ratio `r_t`
/// underestimates it at ratio `r` by `β(r − r_t)²`, at most `(1 − 1/1.25)² = 4%` between grid
/// points.
const GRID_FACTOR: f64 = 1.25;

/// Multiples of a server's ratio in the best plan so far where every request's cone gets a
/// tangent: a request joining or leaving a cell moves its ratio by a few per cent.
pub(super) const NEAR_TANGENTS: [f64; 7] = [0.97, 0.99, 0.997, 1.0, 1.003, 1.01, 1.03];

/// Adds ratio `r` to a cone unless it is (almost) there or not a usable number; returns how
/// many were added.
pub(super) fn add_ratio(ratios: &mut HashMap<ConeKey, Vec<f64>>, key: ConeKey, r: f64) -> usize {
    if !(r.is_finite() && r > 0.0 && r < 1e9) {
        return 0;
    }
    match ratios.get_mut(&key) {
        Some(list) if !list.iter().any(|&q| (q - r).abs() <= 1e-9 * r) => {
            list.push(r);
            1
        }
        _ => 0,
    }
}

/// Which share-dependent quantity a cone prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    /// Objective, at the bandwidth share.
    CostUpload,
    /// Objective, at the compute share.
    CostEdge,
    /// Time to first token, bandwidth part.
    TtftUpload,
    /// Time to first token, compute part.
    TtftEdge,
    /// End-to-end latency, bandwidth part.
    E2eUpload,
    /// End-to-end latency, compute part.
    E2eEdge,
}

impl Kind {
    pub(super) const ALL: [Kind; 6] = [
        Kind::CostUpload,
        Kind::CostEdge,
        Kind::TtftUpload,
        Kind::TtftEdge,
        Kind::E2eUpload,
        Kind::E2eEdge,
    ];

    pub(super) fn compute(self) -> bool {
        matches!(self, Kind::CostEdge | Kind::TtftEdge | Kind::E2eEdge)
    }

    /// The coefficient of an option: the part paid at share 1; objective parts are divided by
    /// `scale`, the master's unit of cost.
    pub(super) fn part(self, o: &OptionCost, scale: f64) -> f64 {
        let pick = |t: &Terms| if self.compute() { t.edge } else { t.upload };
        match self {
            Kind::CostUpload | Kind::CostEdge => pick(&o.cost) / scale,
            Kind::TtftUpload | Kind::TtftEdge => pick(&o.ttft_s),
            Kind::E2eUpload | Kind::E2eEdge => pick(&o.e2e_s),
        }
    }

    /// Whether an option's share-dependent part of this kind sits on server `e`.
    pub(super) fn on(self, o: &OptionCost, e: usize) -> bool {
        if self.compute() {
            o.choice.uses_edge_compute(e)
        } else {
            o.choice.uses_cell(e)
        }
    }
}

/// A (request, server, kind) cone and the tangent ratios it has.
pub(super) type ConeKey = (usize, usize, Kind);

/// The first tangents of a cone: a geometric grid of ratios `V/β` from the smallest a request
/// can have (`√part` of its cheapest option there, at its whole share... of one) up to the
/// largest a server can force (`Σ √part` of every candidate there, all requests at once).
pub(super) fn tangent_grid(
    instance: &SplitInstance,
    (k, e, kind): ConeKey,
    scale: f64,
    tops: &HashMap<(usize, Kind), f64>,
) -> Vec<f64> {
    let own = instance
        .candidates(k)
        .iter()
        .filter(|o| kind.on(o, e))
        .map(|o| kind.part(o, scale).sqrt())
        .filter(|&v| v > 0.0);
    let Some(low) = own.fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.min(v)))) else {
        return Vec::new();
    };
    let high = tops.get(&(e, kind)).copied().unwrap_or(0.0).max(low);
    let mut grid = vec![low];
    while *grid.last().unwrap_or(&high) < high {
        let next = grid[grid.len() - 1] * GRID_FACTOR;
        grid.push(next);
    }
    grid
}

/// Per server and kind of cone, the largest ratio a server can force: the sum over requests
/// of the largest `√part` among their candidates there (each request counted once).
pub(super) fn grid_tops(instance: &SplitInstance, scale: f64) -> HashMap<(usize, Kind), f64> {
    let mut tops: HashMap<(usize, Kind), f64> = HashMap::default();
    for k in 0..instance.requests.len() {
        for e in 0..instance.edge_count() {
            for kind in Kind::ALL {
                let largest = instance
                    .candidates(k)
                    .iter()
                    .filter(|o| kind.on(o, e))
                    .map(|o| kind.part(o, scale).sqrt())
                    .fold(0.0, f64::max);
                if largest > 0.0 {
                    *tops.entry((e, kind)).or_default() += largest;
                }
            }
        }
    }
    tops
}

/// Every cone the master needs: per request and server, the objective's parts, and the
/// deadline parts of requests with deadlines.
pub(super) fn cone_keys(instance: &SplitInstance) -> Vec<ConeKey> {
    let mut keys = Vec::new();
    for k in 0..instance.requests.len() {
        let r = &instance.requests[k];
        for e in 0..instance.edge_count() {
            for kind in Kind::ALL {
                let wanted = match kind {
                    Kind::CostUpload | Kind::CostEdge => true,
                    Kind::TtftUpload | Kind::TtftEdge => r.ttft_deadline_s.is_some(),
                    Kind::E2eUpload | Kind::E2eEdge => r.e2e_deadline_s.is_some(),
                };
                if wanted
                    && instance
                        .candidates(k)
                        .iter()
                        .any(|o| kind.on(o, e) && kind.part(o, 1.0) > 0.0)
                {
                    keys.push((k, e, kind));
                }
            }
        }
    }
    keys
}
