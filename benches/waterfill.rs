//! Speed of the budget allocation over `Σ a_k / x_k` at n = 10,000 items.
//!
//! Weights are log-uniform over 1e-6..1e3 from a seeded `StdRng`, the budget is 1, floors are
//! 1e-6 and caps 0.5·B, as a cell's bandwidth shared by ten thousand requests would be (the
//! floors bind for about a third of the items). A second instance has floors and caps that bind
//! for about half of the items each, which takes the Newton iteration more passes. Both are
//! also solved by sorting the 2n breakpoints and sweeping them, the textbook alternative, which
//! `allocate_bounded` is measured against.
//!
//! `cargo bench --bench waterfill -- --warm-up-time 1 --measurement-time 3`

use criterion::{BenchmarkId, Criterion, black_box, criterion_group, criterion_main};
use mei4llm::solve::waterfill::{
    Allocation, Workspace, allocate, allocate_bounded, allocate_bounded_into, objective,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ITEMS: usize = 10_000;
const BUDGET: f64 = 1.0;

fn weights(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| 10f64.powf(rng.gen_range(-6.0..3.0)))
        .collect()
}

/// The bounded problem solved by sorting the breakpoints `l_k/√a_k` (slope `+√a_k`) and
/// `u_k/√a_k` (slope `−√a_k`) and sweeping them until `Σ x_k` reaches the budget. Assumes
/// positive weights and a binding budget, as in the instances here. Returns the objective.
fn sorted_breakpoints(weights: &[f64], floors: &[f64], caps: &[f64], budget: f64) -> f64 {
    let mut events = Vec::with_capacity(2 * weights.len());
    let mut fixed: f64 = floors.iter().sum();
    for ((&a, &l), &u) in weights.iter().zip(floors).zip(caps) {
        let root = a.sqrt();
        events.push((l / root, root, -l));
        if u.is_finite() {
            events.push((u / root, -root, u));
        }
    }
    events.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let (mut slope, mut level) = (0.0, f64::NAN);
    for &(at, d_slope, d_fixed) in &events {
        if slope > 0.0 && fixed + slope * at >= budget {
            level = (budget - fixed) / slope;
            break;
        }
        slope += d_slope;
        fixed += d_fixed;
    }
    let shares: Vec<f64> = (0..weights.len())
        .map(|k| (level * weights[k].sqrt()).clamp(floors[k], caps[k]))
        .collect();
    objective(weights, &shares)
}

fn bench(c: &mut Criterion) {
    let weights = weights(ITEMS, 42);
    let floors = vec![1e-6; ITEMS];
    let caps = vec![0.5 * BUDGET; ITEMS];
    let binding_floors: Vec<f64> = weights.iter().map(|a| 1e-5 * a.powf(0.25)).collect();
    let binding_caps: Vec<f64> = weights.iter().map(|a| 2e-4 * a.powf(0.1)).collect();

    let mut group = c.benchmark_group("waterfill");
    group.bench_function(BenchmarkId::new("allocate", ITEMS), |b| {
        b.iter(|| allocate(black_box(&weights), black_box(BUDGET)).unwrap())
    });
    for (name, floors, caps) in [
        ("", &floors, &caps),
        ("_binding", &binding_floors, &binding_caps),
    ] {
        let newton = allocate_bounded(&weights, floors, caps, BUDGET).unwrap();
        let sorted = sorted_breakpoints(&weights, floors, caps, BUDGET);
        assert!((newton.objective - sorted).abs() <= 1e-9 * sorted);

        group.bench_function(
            BenchmarkId::new(format!("allocate_bounded{name}"), ITEMS),
            |b| {
                b.iter(|| {
                    allocate_bounded(
                        black_box(&weights),
                        black_box(floors),
                        black_box(caps),
                        black_box(BUDGET),
                    )
                    .unwrap()
                })
            },
        );
        let (mut out, mut workspace) = (Allocation::default(), Workspace::default());
        let id = BenchmarkId::new(format!("allocate_bounded_into{name}"), ITEMS);
        group.bench_function(id, |b| {
            b.iter(|| {
                allocate_bounded_into(
                    black_box(&weights),
                    black_box(floors),
                    black_box(caps),
                    black_box(BUDGET),
                    &mut out,
                    &mut workspace,
                )
                .unwrap()
            })
        });
        let id = BenchmarkId::new(format!("sorted_breakpoints{name}"), ITEMS);
        group.bench_function(id, |b| {
            b.iter(|| {
                sorted_breakpoints(
                    black_box(&weights),
                    black_box(floors),
                    black_box(caps),
                    black_box(BUDGET),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
