//! A trace replayed in shards (as Ray tasks run it) is the whole run: the shards' records,
//! merged, equal the records, summary and files of one run over the Azure conversation trace.

use mei4llm::problems::formulation::Formulation;
use mei4llm::problems::split::Objective;
use mei4llm::problems::split::Split;
use mei4llm::problems::split::replay::{Slo, SplitRecord, SplitStats};
use mei4llm::replay::{
    OutputDir, ReplayOptions, RunInfo, RunInputs, RunRecords, Shard, SolvedEpoch, replay,
};
use mei4llm::system::Scenario;
use mei4llm::system::trace::TraceReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn azure() -> PathBuf {
    root().join("datasets/traces/azure_llm_2023_conv.csv")
}

fn problem() -> Split {
    let scenario = Arc::new(Scenario::from_path(&root().join("scenarios/small.toml")).unwrap());
    Split::with(scenario, Objective::Latency, Slo::default()).unwrap()
}

fn options(shard: Option<Shard>, threads: usize) -> ReplayOptions {
    ReplayOptions {
        rule: "1s".parse().unwrap(),
        solvers: vec![
            "exact".into(),
            "descent".into(),
            "device-only".into(),
            "random".into(),
        ],
        threads,
        seed: 5,
        max_epochs: Some(16),
        shard,
        ..ReplayOptions::default()
    }
}

fn info(problem: &Split, options: &ReplayOptions) -> RunInfo {
    let inputs = RunInputs {
        scenario_file: "scenarios/small.toml".into(),
        trace: azure().display().to_string(),
        trace_format: "azure".into(),
        epoch_rule: "1s".into(),
    };
    RunInfo::new(problem, problem.settings(), "small", inputs, options)
}

/// One run of `shard` (the whole trace without one), kept in memory.
fn run(problem: &Split, shard: Option<Shard>) -> RunRecords<SplitRecord> {
    let options = options(shard, 2);
    let mut epochs: Vec<SolvedEpoch<SplitRecord>> = Vec::new();
    let trace = TraceReader::open(azure()).unwrap();
    let totals = replay(problem, trace, &options, &mut epochs, &mut |_| {}).unwrap();
    RunRecords::new(info(problem, &options), &totals, epochs)
}

/// The epochs without their measured solve times.
fn stripped(run: &RunRecords<SplitRecord>) -> Vec<(u64, Vec<String>)> {
    run.epochs
        .iter()
        .map(|e| {
            let timed = e.timings.iter().map(|t| t.solver.clone()).collect();
            (e.epoch.index, timed)
        })
        .collect()
}

#[test]
fn shards_merged_are_the_whole_run() {
    let problem = problem();
    let whole = run(&problem, None);
    assert_eq!(whole.epochs.len(), 16);
    assert!(whole.run.complete);
    let parts: Vec<_> = (0..3)
        .map(|index| run(&problem, Some(Shard { index, count: 3 })))
        .collect();
    // Epochs are dealt out in turn: shard i has the epochs at positions i, i + 3, …
    for (i, part) in parts.iter().enumerate() {
        let expected: Vec<u64> = whole
            .epochs
            .iter()
            .skip(i)
            .step_by(3)
            .map(|e| e.epoch.index)
            .collect();
        let got: Vec<u64> = part.epochs.iter().map(|e| e.epoch.index).collect();
        assert_eq!(got, expected, "shard {i}");
        // Every shard reads the same rows as the whole run.
        assert_eq!(part.run.rows, whole.run.rows);
    }
    let merged = RunRecords::merge(parts).unwrap();
    assert_eq!(merged.run, whole.run);
    assert_eq!(merged.failed_epoch, None);
    assert_eq!(stripped(&merged), stripped(&whole));
    let rows = |r: &RunRecords<SplitRecord>| {
        (
            r.epoch_rows().cloned().collect::<Vec<_>>(),
            r.request_rows().cloned().collect::<Vec<_>>(),
        )
    };
    assert_eq!(rows(&merged), rows(&whole));
    let summary = |r: &RunRecords<SplitRecord>| {
        serde_json::to_value(r.summary::<SplitStats>().unwrap()).unwrap()
    };
    assert_eq!(summary(&merged), summary(&whole));
    // The exact solver planned every epoch, so the summary is not vacuous.
    assert_eq!(
        summary(&whole)["solvers"][0]["epochs"]["by_status"]["optimal"],
        16
    );
}

#[test]
fn a_merged_run_writes_the_files_of_a_run_written_epoch_by_epoch() {
    let problem = problem();
    let dir = tempfile::tempdir().unwrap();
    // The whole run, kept in memory and written epoch by epoch at once.
    let options = options(None, 2);
    let mut info = info(&problem, &options);
    let direct = dir.path().join("direct");
    let out: OutputDir<SplitRecord, SplitStats> = OutputDir::create(&direct, &info).unwrap();
    let mut sinks = (Vec::<SolvedEpoch<SplitRecord>>::new(), out);
    let trace = TraceReader::open(azure()).unwrap();
    let totals = replay(&problem, trace, &options, &mut sinks, &mut |_| {}).unwrap();
    info.record(&totals);
    let (epochs, out) = sinks;
    out.finish(&info, Some(2), Some(totals.wall_time_s))
        .unwrap();
    let whole = RunRecords::new(info, &totals, epochs);
    // Two shards, sent as bytes, merged and written.
    let parts = (0..2)
        .map(|index| {
            let part = run(&problem, Some(Shard { index, count: 2 }));
            let bytes = part.to_bytes().unwrap();
            let back = RunRecords::<SplitRecord>::from_bytes(&bytes).unwrap();
            assert_eq!(back, part, "bytes read back to the same run");
            back
        })
        .collect();
    let merged = RunRecords::merge(parts).unwrap();
    let written = dir.path().join("merged");
    merged.write::<SplitStats>(&written, None, None).unwrap();
    for name in [
        "run.json",
        "epochs.csv",
        "requests.csv",
        "summary.json",
        "latency_cdf.svg",
        "choices.svg",
    ] {
        let a = std::fs::read(direct.join(name)).unwrap();
        assert!(!a.is_empty(), "{name}");
        assert!(a == std::fs::read(written.join(name)).unwrap(), "{name}");
    }
    assert_eq!(stripped(&merged), stripped(&whole));
}

#[test]
fn shards_must_be_within_their_count_and_of_one_run() {
    let problem = problem();
    let bad = options(Some(Shard { index: 3, count: 3 }), 1);
    let error = bad.validate(&problem).unwrap_err().to_string();
    assert!(
        error.contains("shard") && error.contains("3 of 3"),
        "{error}"
    );
    let zero = options(Some(Shard { index: 0, count: 0 }), 1);
    assert!(zero.validate(&problem).is_err());
    let a = run(&problem, Some(Shard { index: 0, count: 8 }));
    let mut b = run(&problem, Some(Shard { index: 1, count: 8 }));
    b.run.seed += 1;
    let error = RunRecords::merge(vec![a, b]).unwrap_err().to_string();
    assert!(error.contains("different runs"), "{error}");
    let none: Vec<RunRecords<SplitRecord>> = Vec::new();
    assert!(RunRecords::merge(none).is_err());
}
