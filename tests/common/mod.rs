//! What the integration tests that run the `mei4llm` binary share: the crate root, the bundled
//! Azure trace, running the binary and reading its JSON files.

// Each test crate uses only some of these.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The crate root (scenario and trace paths are relative to it).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Azure LLM conversation trace (2023).
pub fn azure() -> PathBuf {
    root().join("datasets/traces/azure_llm_2023_conv.csv")
}

/// Runs the binary from the crate root.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mei4llm"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the mei4llm binary runs")
}

/// What the binary printed on stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs the binary and checks that it succeeded.
pub fn ok(args: &[&str]) -> Output {
    let o = run(args);
    assert!(o.status.success(), "{args:?} failed: {}", stderr(&o));
    o
}

/// Reads a JSON file.
pub fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}
