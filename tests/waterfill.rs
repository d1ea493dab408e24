//! Properties of the budget allocation over `Σ a_k / x_k` on random instances: feasibility,
//! the KKT conditions, agreement with a general conic solver (Clarabel) and agreement of the
//! bounded version with the closed form.

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT,
};
use mei4llm::solve::waterfill::{Allocation, allocate, allocate_bounded, objective};
use proptest::prelude::*;

/// One random instance: weights, floors, caps (`+∞` allowed) and a budget.
#[derive(Debug, Clone)]
struct Instance {
    weights: Vec<f64>,
    floors: Vec<f64>,
    caps: Vec<f64>,
    budget: f64,
}

/// Per item: weight exponent (weight 10^e, 1e-6..1e3), zero weight?, floor fraction, cap
/// fraction, unbounded cap?
type Item = (f64, bool, f64, f64, bool);

fn item() -> impl Strategy<Value = Item> {
    (
        -6.0..=3.0f64,
        prop::bool::weighted(0.15),
        prop_oneof![2 => Just(0.0), 3 => 0.0..1.0f64],
        0.01..1.0f64,
        prop::bool::weighted(0.3),
    )
}

/// Instances with up to 50 items whose floors use a share `floor_load ∈ [0, 0.9]` of the
/// budget and whose finite caps add up to `cap_load ∈ [0.3, 3]` budgets above the floors, so
/// that floors, caps, both or neither bind, and sometimes every item is capped.
fn instance() -> impl Strategy<Value = Instance> {
    (
        prop::collection::vec(item(), 1..=50),
        -2.0..=3.0f64,
        0.0..=0.9f64,
        0.3..=3.0f64,
    )
        .prop_map(|(items, budget_exp, floor_load, cap_load)| {
            let budget = 10f64.powf(budget_exp);
            let floor_total: f64 = items.iter().map(|i| i.2).sum();
            let cap_total: f64 = items.iter().map(|i| i.3).sum();
            let mut instance = Instance {
                weights: Vec::new(),
                floors: Vec::new(),
                caps: Vec::new(),
                budget,
            };
            for &(exp, zero, floor, cap, unbounded) in &items {
                let weight = if zero { 0.0 } else { 10f64.powf(exp) };
                let floor = if floor_total > 0.0 {
                    floor / floor_total * floor_load * budget
                } else {
                    0.0
                };
                let cap = if unbounded {
                    f64::INFINITY
                } else {
                    floor + cap / cap_total * cap_load * budget
                };
                instance.weights.push(weight);
                instance.floors.push(floor);
                instance.caps.push(cap);
            }
            instance
        })
}

fn solve(i: &Instance) -> Allocation {
    allocate_bounded(&i.weights, &i.floors, &i.caps, i.budget)
        .unwrap_or_else(|e| panic!("feasible instance rejected: {e}"))
}

fn relative_difference(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / a.abs().max(b.abs())
    }
}

/// The same instance as a conic program for Clarabel. The textbook form minimises `Σ t_k`
/// subject to `Σ x ≤ B`, `l ≤ x ≤ u` and `t_k·x_k ≥ a_k` as the rotated cone
/// `‖(2√a_k, t_k − x_k)‖ ≤ t_k + x_k`. Shares span many orders of magnitude (caps of 1e-5·B
/// next to free shares near B), which an interior-point method's absolute tolerances cannot
/// resolve (it returned "solved" 20–40 % off on such instances), so every item is rescaled:
/// `x_k = σ_k·y_k` and `t_k = (a_k/σ_k)·τ_k`. The program solved is
///
/// ```text
/// minimise Σ_k (a_k/σ_k)·τ_k   s.t.  Σ_k (σ_k/B)·y_k ≤ 1,  l_k/σ_k ≤ y_k ≤ u_k/σ_k,
///          ‖(2, τ_k − y_k)‖ ≤ τ_k + y_k   (i.e. τ_k·y_k ≥ 1)   for every a_k > 0,
/// ```
///
/// the same problem with the same optimum; the scaling only conditions it. `σ_k` is the
/// closed-form share `B·√a_k/Σ√a` clamped into `[l_k, u_k]` (or `min(u_k, B)` for a zero
/// weight). The objective is divided by the unbounded optimum `(Σ√a)²/B`, a lower bound, so
/// that Clarabel's absolute gap tolerance acts as a relative one.
fn clarabel_objective(i: &Instance) -> (f64, SolverStatus) {
    let root_sum: f64 = i.weights.iter().map(|a| a.sqrt()).sum();
    let guess: Vec<f64> = (0..i.weights.len())
        .map(|k| {
            let (a, l, u) = (i.weights[k], i.floors[k], i.caps[k]);
            if a > 0.0 {
                (i.budget * a.sqrt() / root_sum).clamp(l, u)
            } else {
                u.min(i.budget)
            }
        })
        .collect();
    let (objective, status, _) = clarabel_solve(i, &guess);
    (objective, status)
}

/// One Clarabel solve of the program above with the scale `σ` taken from `guess` (clamped
/// into the bounds; `B` where that is 0). Returns objective, status and shares `x`.
fn clarabel_solve(i: &Instance, guess: &[f64]) -> (f64, SolverStatus, Vec<f64>) {
    let n = i.weights.len();
    let root_sum: f64 = i.weights.iter().map(|a| a.sqrt()).sum();
    let scale: Vec<f64> = (0..n)
        .map(|k| {
            let sigma = guess[k].clamp(i.floors[k], i.caps[k]);
            if sigma > 0.0 { sigma } else { i.budget }
        })
        .collect();
    let positive: Vec<usize> = (0..n).filter(|&k| i.weights[k] > 0.0).collect();
    let variables = n + positive.len();
    let reference = if root_sum > 0.0 {
        root_sum * root_sum / i.budget
    } else {
        1.0
    };
    let (mut rows, mut cols, mut vals, mut b) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut row = 0;
    // Linear rows, A z + s = b with s ≥ 0.
    for (k, &sigma) in scale.iter().enumerate() {
        rows.push(row);
        cols.push(k);
        vals.push(sigma / i.budget);
    }
    b.push(1.0);
    row += 1;
    for (k, &sigma) in scale.iter().enumerate() {
        rows.push(row);
        cols.push(k);
        vals.push(-1.0);
        b.push(-i.floors[k] / sigma);
        row += 1;
        if i.caps[k].is_finite() {
            rows.push(row);
            cols.push(k);
            vals.push(1.0);
            b.push(i.caps[k] / sigma);
            row += 1;
        }
    }
    let mut cones = vec![SupportedConeT::NonnegativeConeT(row)];
    // One cone per positive weight: s = (τ + y, 2, τ − y).
    let mut q = vec![0.0; variables];
    for (j, &k) in positive.iter().enumerate() {
        let tau = n + j;
        q[tau] = i.weights[k] / scale[k] / reference;
        rows.extend([row, row, row + 2, row + 2]);
        cols.extend([tau, k, tau, k]);
        vals.extend([-1.0, -1.0, -1.0, 1.0]);
        b.extend([0.0, 2.0, 0.0]);
        row += 3;
        cones.push(SupportedConeT::SecondOrderConeT(3));
    }
    let a = CscMatrix::new_from_triplets(row, variables, rows, cols, vals);
    let p = CscMatrix::zeros((variables, variables));
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .tol_gap_abs(1e-10)
        .tol_gap_rel(1e-10)
        .tol_feas(1e-10)
        .build()
        .unwrap();
    let mut solver = DefaultSolver::new(&p, &q, &a, &b, &cones, settings).unwrap();
    solver.solve();
    let shares = (0..n).map(|k| solver.solution.x[k] * scale[k]).collect();
    (
        solver.solution.obj_val * reference,
        solver.solution.status,
        shares,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// (1) Σx ≤ B(1 + 1e-9), every share within its floor and cap, the unused budget is what
    /// is left and is only left when every item of positive weight is capped.
    #[test]
    fn feasible(i in instance()) {
        let a = solve(&i);
        prop_assert_eq!(a.shares.len(), i.weights.len());
        let used: f64 = a.shares.iter().sum();
        prop_assert!(used <= i.budget * (1.0 + 1e-9), "Σx = {} > B = {}", used, i.budget);
        for k in 0..i.weights.len() {
            let x = a.shares[k];
            prop_assert!(x >= i.floors[k] && x <= i.caps[k],
                "x[{}] = {} outside [{}, {}]", k, x, i.floors[k], i.caps[k]);
        }
        prop_assert!(a.unused >= 0.0);
        prop_assert!((used + a.unused - i.budget).abs() <= 1e-9 * i.budget,
            "Σx + unused = {} ≠ B = {}", used + a.unused, i.budget);
        if a.unused > 1e-9 * i.budget {
            for k in 0..i.weights.len() {
                if i.weights[k] > 0.0 {
                    prop_assert_eq!(a.shares[k], i.caps[k], "budget left over but item {} uncapped", k);
                }
            }
        }
        prop_assert_eq!(a.objective, objective(&i.weights, &a.shares));
    }

    /// (2) KKT: free items share a/x² = 1/ν², items at their floor have a/x² ≤ 1/ν², items at
    /// their cap a/x² ≥ 1/ν²; zero weights sit at their floor.
    #[test]
    fn kkt_optimal(i in instance()) {
        let a = solve(&i);
        let nu = a.multiplier;
        prop_assert!(nu >= 0.0);
        let lambda = 1.0 / (nu * nu);
        let tol = 1e-9;
        let mut free = 0;
        for k in 0..i.weights.len() {
            let (w, x, l, u) = (i.weights[k], a.shares[k], i.floors[k], i.caps[k]);
            if w == 0.0 {
                prop_assert_eq!(x, l, "zero weight {} not at its floor", k);
                continue;
            }
            let marginal = w / (x * x);
            if x == l && x == u {
                continue;
            } else if x == l {
                prop_assert!(marginal <= lambda * (1.0 + tol),
                    "floor item {}: a/x² = {} > 1/ν² = {}", k, marginal, lambda);
            } else if x == u {
                prop_assert!(marginal >= lambda * (1.0 - tol),
                    "cap item {}: a/x² = {} < 1/ν² = {}", k, marginal, lambda);
            } else {
                free += 1;
                prop_assert!((marginal - lambda).abs() <= tol * lambda,
                    "free item {}: a/x² = {} ≠ 1/ν² = {}", k, marginal, lambda);
                prop_assert!(x > l && x < u);
            }
        }
        if a.unused > 0.0 {
            prop_assert_eq!(nu, f64::INFINITY);
            prop_assert_eq!(free, 0);
        }
    }

    /// (4) With floors 0 and caps +∞ the bounded version is the closed form.
    #[test]
    fn unbounded_is_closed_form(i in instance()) {
        let n = i.weights.len();
        let closed = allocate(&i.weights, i.budget).unwrap();
        let bounded = allocate_bounded(&i.weights, &vec![0.0; n], &vec![f64::INFINITY; n], i.budget)
            .unwrap();
        for k in 0..n {
            prop_assert!(relative_difference(closed.shares[k], bounded.shares[k]) <= 1e-12,
                "x[{}]: {} vs {}", k, closed.shares[k], bounded.shares[k]);
        }
        prop_assert!(relative_difference(closed.objective, bounded.objective) <= 1e-12);
        prop_assert!(relative_difference(closed.multiplier, bounded.multiplier) <= 1e-12);
        prop_assert_eq!(closed.unused, bounded.unused);
        let root_sum: f64 = i.weights.iter().map(|a| a.sqrt()).sum();
        prop_assert!(relative_difference(closed.objective, root_sum * root_sum / i.budget) <= 1e-12);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// (3) The optimum agrees with Clarabel's on the conic formulation to 1e-6 relative.
    #[test]
    fn agrees_with_clarabel(i in instance()) {
        let ours = solve(&i);
        let (mut theirs, mut status) = clarabel_objective(&i);
        if relative_difference(ours.objective, theirs) > 1e-6 {
            // About 1 in 20,000 instances stays too poorly conditioned for 1e-6; solve it again
            // scaled by our shares. That changes only the conditioning: were our shares not
            // optimal, Clarabel would still find the lower optimum and the check would fail.
            (theirs, status, _) = clarabel_solve(&i, &ours.shares);
        }
        prop_assert!(matches!(status, SolverStatus::Solved | SolverStatus::AlmostSolved),
            "Clarabel: {:?}", status);
        let gap = relative_difference(ours.objective, theirs);
        prop_assert!(gap <= 1e-6, "ours {} vs Clarabel {} ({:?}, relative {:.2e})",
            ours.objective, theirs, status, gap);
    }
}

/// The cone formulation itself is right: Clarabel reproduces the hand example
/// a = [1, 4], B = 3 → (1 + 2)²/3 = 3.
#[test]
fn clarabel_hand_example() {
    let i = Instance {
        weights: vec![1.0, 4.0],
        floors: vec![0.0, 0.0],
        caps: vec![f64::INFINITY; 2],
        budget: 3.0,
    };
    let (theirs, status) = clarabel_objective(&i);
    assert_eq!(status, SolverStatus::Solved);
    assert!((theirs - 3.0).abs() <= 1e-7, "{theirs}");
}
