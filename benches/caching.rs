//! Speed of the caching solvers on the city scenario (`scenarios/caching-city.toml`: 10 edge
//! servers × 100 models × 500 users, seed 1): the exact MILP to a certified optimum, the lazy
//! greedy, and TrimCaching.
//!
//! `cargo bench --bench caching -- --warm-up-time 1 --measurement-time 20`

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use mei4llm::problems::caching::{CachingInstance, Exact, Greedy, TrimCaching};
use mei4llm::solve::{Budget, Solver};
use mei4llm::system::Scenario;
use std::path::Path;

fn city() -> CachingInstance {
    let scenario =
        Scenario::from_path(Path::new("scenarios/caching-city.toml")).expect("city scenario");
    CachingInstance::from_scenario(&scenario).expect("instance")
}

fn solvers(c: &mut Criterion) {
    let instance = city();
    let mut group = c.benchmark_group("caching/city-10x100x500");
    group.sample_size(10);
    let two_threads = Budget::default().with_threads(2);
    group.bench_function("exact", |b| {
        b.iter(|| {
            let o = Exact.solve(black_box(&instance), &two_threads).unwrap();
            assert!(o.is_optimal());
        })
    });
    let budget = Budget::default();
    group.bench_function("greedy", |b| {
        b.iter(|| Greedy.solve(black_box(&instance), &budget).unwrap())
    });
    group.bench_function("trimcaching", |b| {
        b.iter(|| {
            TrimCaching::default()
                .solve(black_box(&instance), &budget)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, solvers);
criterion_main!(benches);
