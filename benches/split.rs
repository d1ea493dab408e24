//! Speed of the split solvers on the city-scale scenario (`scenarios/city.toml`: 600 devices,
//! 12 edge servers, Llama-3.1-8B with 32 blocks and Llama-3.2-3B), on the first epoch of 200
//! requests of the Azure conversation trace, and of the closed-form allocation of a plan of
//! 10,000 requests.
//!
//! `cargo bench --bench split -- --warm-up-time 1 --measurement-time 10`

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use mei4llm::problems::split::{
    CoordinateDescent, Exact, Greedy, Objective, OptionCost, SplitInstance, allocate,
};
use mei4llm::solve::{Budget, Solver};
use mei4llm::system::Scenario;
use mei4llm::system::trace::{EpochRule, Epochs, TraceReader};
use std::path::Path;
use std::sync::Arc;

fn city() -> Arc<Scenario> {
    Arc::new(Scenario::from_path(Path::new("scenarios/city.toml")).expect("city scenario"))
}

fn epoch(scenario: &Arc<Scenario>, requests: usize) -> SplitInstance {
    let trace = &scenario.workload.as_ref().expect("workload").trace;
    let reader = TraceReader::open(trace).expect("trace");
    let first = Epochs::new(reader, EpochRule::Count { requests })
        .expect("epochs")
        .next()
        .expect("one epoch")
        .expect("readable");
    SplitInstance::from_trace(scenario.clone(), &first.requests, Objective::Latency, 1)
        .expect("instance")
}

fn solvers(c: &mut Criterion) {
    let scenario = city();
    let instance = epoch(&scenario, 200);
    // HiGHS on both cores of the reference machine.
    let budget = Budget::default().with_threads(2);
    let mut group = c.benchmark_group("split/city-200");
    group.sample_size(10);
    group.bench_function("exact", |b| {
        b.iter(|| {
            let o = Exact::default()
                .solve(black_box(&instance), &budget)
                .unwrap();
            assert!(o.is_optimal());
        })
    });
    group.bench_function("descent", |b| {
        b.iter(|| {
            CoordinateDescent::default()
                .solve(black_box(&instance), &budget)
                .unwrap()
        })
    });
    group.bench_function("greedy", |b| {
        b.iter(|| Greedy.solve(black_box(&instance), &budget).unwrap())
    });
    group.finish();
}

fn allocation(c: &mut Criterion) {
    let scenario = city();
    let instance = epoch(&scenario, 10_000);
    // Each request takes its first candidate: a plan spread over every cell and GPU.
    let plan: Vec<&OptionCost> = (0..instance.requests.len())
        .map(|k| &instance.candidates(k)[0])
        .collect();
    c.bench_function("split/allocate-10000", |b| {
        b.iter(|| allocate(black_box(&instance), black_box(&plan)).unwrap())
    });
}

criterion_group!(benches, solvers, allocation);
criterion_main!(benches);
