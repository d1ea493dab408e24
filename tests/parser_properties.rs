//! Property tests of the scenario and trace readers: the bundled files' text, mutated at
//! random (a line deleted, duplicated or replaced, a byte flipped, the file cut short, a number
//! made extreme), is either read or refused with an error; an error about a line names a line
//! of the file (1-based, never 0, never past its end) and is short. Nothing panics.

use mei4llm::problems::registry;
use mei4llm::system::trace::TraceReader;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};
use std::io::Cursor;
use std::path::Path;

/// The crate root.
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Generated files per reader: enough to meet every kind of mutation many times, few enough
/// to run in seconds in a debug build.
const CASES: u32 = 512;

/// The longest message an error may have.
const MAX_MESSAGE_BYTES: usize = 4096;

/// Numbers a mutation writes in place of one of the file's numbers.
const EXTREMES: &[&str] = &[
    "0",
    "-1",
    "-0",
    "1e400",
    "-1e400",
    "1e-400",
    "nan",
    "inf",
    "-inf",
    "4294967296",
    "18446744073709551616",
    "99999999999999999999999",
    "0.0000001",
    "1e308",
];

/// Lines a mutation writes in place of one of the file's lines.
const LINES: &[&str] = &[
    "",
    "[",
    "[[device_groups]]",
    "[caching]",
    "x = 1",
    "name = \"s24\"",
    "count = 1000000",
    "}",
    "{",
    "\"",
    ",,,",
    "2023-11-16 18:15:46.6805900,1,1",
    "{\"timestamp\": 1}",
    "\u{feff}",
];

/// A place in a sequence of any length, as a fraction of it (`u64::MAX`: the last item).
#[derive(Debug, Clone, Copy)]
struct At(u64);

impl At {
    const FIRST: At = At(0);
    const LAST: At = At(u64::MAX);

    /// The index it stands for in a sequence of `size` items (`size` > 0).
    fn of(self, size: usize) -> usize {
        ((size as u128 * self.0 as u128) >> 64) as usize
    }
}

fn at() -> impl Strategy<Value = At> {
    any::<u64>().prop_map(At)
}

/// One change to a file's bytes.
#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(At),
    DuplicateLine(At),
    ReplaceLine(At, &'static str),
    FlipBit(At, u8),
    Truncate(At),
    ExtremeNumber(At, &'static str),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        at().prop_map(Mutation::DeleteLine),
        at().prop_map(Mutation::DuplicateLine),
        (at(), select(LINES)).prop_map(|(i, l)| Mutation::ReplaceLine(i, l)),
        (at(), 0..8u8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        at().prop_map(Mutation::Truncate),
        (at(), select(EXTREMES)).prop_map(|(i, n)| Mutation::ExtremeNumber(i, n)),
        (at(), select(EXTREMES)).prop_map(|(i, n)| Mutation::ExtremeNumber(i, n)),
    ]
}

/// The byte ranges of the lines of `bytes` (line breaks included).
fn lines(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            ranges.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < bytes.len() {
        ranges.push(start..bytes.len());
    }
    ranges
}

/// The byte ranges of the runs of digits of `bytes`.
fn numbers(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = None;
    for (i, b) in bytes.iter().chain([&b' ']).enumerate() {
        match (b.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                ranges.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    ranges
}

fn splice(bytes: &mut Vec<u8>, range: std::ops::Range<usize>, with: &[u8]) {
    bytes.splice(range, with.iter().copied());
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let lines = lines(bytes);
    let line = |i: &At| lines.get(i.of(lines.len().max(1))).cloned();
    match mutation {
        Mutation::DeleteLine(i) => {
            if let Some(r) = line(i) {
                splice(bytes, r, b"");
            }
        }
        Mutation::DuplicateLine(i) => {
            if let Some(r) = line(i) {
                let copy = bytes[r.clone()].to_vec();
                splice(bytes, r.start..r.start, &copy);
            }
        }
        Mutation::ReplaceLine(i, with) => {
            if let Some(r) = line(i) {
                splice(bytes, r, format!("{with}\n").as_bytes());
            }
        }
        Mutation::FlipBit(i, bit) if !bytes.is_empty() => {
            let at = i.of(bytes.len());
            bytes[at] ^= 1 << bit;
        }
        Mutation::Truncate(i) => bytes.truncate(i.of(bytes.len() + 1)),
        Mutation::ExtremeNumber(i, with) => {
            let found = numbers(bytes);
            if !found.is_empty() {
                let r = found[i.of(found.len())].clone();
                splice(bytes, r, with.as_bytes());
            }
        }
        Mutation::FlipBit(..) => {}
    }
}

/// Checks an error message of the file `file` of `lines` lines: short, and, when it names a
/// line (`file:N: …`), a line from 1 to one past the last.
fn check_message(file: &str, lines: usize, message: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        message.len() <= MAX_MESSAGE_BYTES,
        "{} bytes",
        message.len()
    );
    let rest = message.strip_prefix(file).and_then(|r| r.strip_prefix(':'));
    prop_assert!(
        rest.is_some(),
        "the message does not start with the file: {message}"
    );
    let rest = rest.unwrap_or_default();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if !digits.is_empty() {
        let line: usize = digits.parse().unwrap_or(0);
        prop_assert!(
            (1..=lines + 1).contains(&line),
            "line {line} of a file of {lines} lines: {message}"
        );
    }
    Ok(())
}

fn bundled(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(ROOT).join(path)).unwrap()
}

/// The first `lines` lines of a bundled trace or fixture.
fn head(path: &str, lines: usize) -> Vec<u8> {
    let text = String::from_utf8(bundled(path)).unwrap();
    text.lines()
        .take(lines)
        .flat_map(|l| format!("{l}\n").into_bytes())
        .collect()
}

/// The bundled scenarios the mutations start from, as (extension, text): TOML, and the small
/// one also as JSON; paths to bundled data made absolute so they resolve from anywhere.
fn scenario_bases() -> Vec<(&'static str, Vec<u8>)> {
    let absolute = format!("\"{ROOT}/datasets/");
    let text = |name: &str| {
        String::from_utf8(bundled(&format!("scenarios/{name}.toml")))
            .unwrap()
            .replace("\"../datasets/", &absolute)
    };
    let mut bases: Vec<(&'static str, Vec<u8>)> =
        ["small", "city", "caching-small", "batching-small"]
            .iter()
            .map(|name| ("toml", text(name).into_bytes()))
            .collect();
    let small: serde_json::Value = toml::from_str(&text("small")).unwrap();
    bases.push(("json", serde_json::to_vec_pretty(&small).unwrap()));
    bases
}

#[test]
fn mutated_scenarios_are_read_or_refused_with_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let strategy = (
        select(scenario_bases()),
        prop::collection::vec(mutation(), 1..4),
    );
    let mut runner = TestRunner::new(Config::with_cases(CASES));
    let outcome = runner.run(&strategy, |((ext, mut bytes), mutations)| {
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let file = dir
            .path()
            .join(format!("mutated.{ext}"))
            .display()
            .to_string();
        std::fs::write(&file, &bytes).unwrap();
        if let Err(e) = registry::open_scenario(&file) {
            check_message(&file, lines(&bytes).len(), &e.to_string())?;
        }
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

#[test]
fn mutated_traces_are_read_or_refused_with_a_line() {
    let bases = vec![
        (
            "azure.csv",
            head("datasets/traces/azure_llm_2023_conv.csv", 40),
        ),
        (
            "mooncake.jsonl",
            head("datasets/traces/mooncake_conversation_trace.jsonl", 20),
        ),
        ("burstgpt.csv", bundled("tests/data/burstgpt_sample.csv")),
        ("vidur.csv", bundled("tests/data/vidur_sample.csv")),
    ];
    let strategy = (select(bases), prop::collection::vec(mutation(), 1..4));
    let mut runner = TestRunner::new(Config::with_cases(CASES));
    let outcome = runner.run(&strategy, |((name, mut bytes), mutations)| {
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let count = lines(&bytes).len();
        let errors: Vec<String> = match TraceReader::from_reader(name, Cursor::new(bytes)) {
            Err(e) => vec![e.to_string()],
            Ok(reader) => reader
                .skip_bad_rows(false)
                .filter_map(Result::err)
                .map(|e| e.to_string())
                .collect(),
        };
        for message in &errors {
            check_message(name, count, message)?;
        }
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

#[test]
fn the_mutations_change_what_they_say() {
    let mut text = b"a = 1\nb = 22\n".to_vec();
    apply(&mut text, &Mutation::ExtremeNumber(At::LAST, "nan"));
    assert_eq!(text, b"a = 1\nb = nan\n");
    apply(&mut text, &Mutation::DuplicateLine(At::FIRST));
    assert_eq!(text, b"a = 1\na = 1\nb = nan\n");
    apply(&mut text, &Mutation::DeleteLine(At::LAST));
    assert_eq!(text, b"a = 1\na = 1\n");
    apply(&mut text, &Mutation::ReplaceLine(At::LAST, "["));
    assert_eq!(text, b"a = 1\n[\n");
    apply(&mut text, &Mutation::FlipBit(At::FIRST, 0));
    assert_eq!(text, b"` = 1\n[\n");
    apply(&mut text, &Mutation::Truncate(At::FIRST));
    assert!(text.is_empty());
}
