//! Speed of the batching solvers on the edge scenario (`scenarios/batching-edge.toml`: 4 edge
//! servers × 200 waiting requests, seed 1): the exact MILP to a certified optimum on 2
//! threads, and each heuristic and baseline.
//!
//! `cargo bench --bench batching -- --warm-up-time 1 --measurement-time 20`

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use mei4llm::problems::batching::{BatchingInstance, Exact, SOLVERS, solver};
use mei4llm::problems::formulation::default_solvers;
use mei4llm::solve::{Budget, Solver};
use mei4llm::system::Scenario;
use std::path::Path;

fn edge() -> BatchingInstance {
    let scenario =
        Scenario::from_path(Path::new("scenarios/batching-edge.toml")).expect("edge scenario");
    BatchingInstance::from_scenario(&scenario).expect("instance")
}

fn solvers(c: &mut Criterion) {
    let instance = edge();
    let mut group = c.benchmark_group("batching/edge-4x200");
    group.sample_size(10);
    let two_threads = Budget::default().with_threads(2);
    group.bench_function("exact", |b| {
        b.iter(|| {
            let o = Exact.solve(black_box(&instance), &two_threads).unwrap();
            assert!(o.is_optimal());
        })
    });
    let budget = Budget::default();
    for name in default_solvers(SOLVERS)
        .into_iter()
        .filter(|&n| n != "exact")
    {
        let heuristic = solver(name).expect("a listed solver");
        group.bench_function(name, |b| {
            b.iter(|| heuristic.solve(black_box(&instance), &budget).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, solvers);
criterion_main!(benches);
