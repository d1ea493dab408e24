//! Output written whole or not at all: `export`, `solve-trace` and `report` on a full disk
//! (a file size limit stands in for one), a device, a missing or read-only folder, a run that
//! fails before its first epoch, and CSV files cut in the middle of a line.

mod common;

use common::{ok, root, run, stderr};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary from the crate root with files limited to `bytes`: a write past the limit
/// fails with `EFBIG`, as one on a full disk fails with `ENOSPC`.
#[cfg(unix)]
fn run_with_file_limit(bytes: u64, args: &[&str]) -> Output {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(env!("CARGO_BIN_EXE_mei4llm"));
    command.args(args).current_dir(root());
    // SAFETY: between fork and exec the closure calls only `setrlimit` and `signal`, which are
    // async-signal-safe, and touches no memory shared with the parent.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes as libc::rlim_t,
                rlim_max: bytes as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // Ignored, the signal a write past the limit raises stays ignored across exec,
            // so the write fails instead of killing the process.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    command.output().expect("the mei4llm binary runs")
}

/// Every file of `dir` with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, fs::read(e.path()).unwrap())
        })
        .collect()
}

/// `solve-trace` of `epochs` one-second epochs of the small scenario into `out`, with two
/// fast solvers; `trace` replaces the scenario's.
fn solve_trace(out: &Path, epochs: &str, trace: Option<&Path>) -> Vec<String> {
    let mut args: Vec<String> = [
        "solve-trace",
        "--scenario",
        "scenarios/small.toml",
        "--epoch",
        "1s",
        "--max-epochs",
        epochs,
        "--solvers",
        "descent,device-only",
        "--threads",
        "1",
        "--quiet",
        "--out",
    ]
    .map(String::from)
    .into();
    args.push(out.display().to_string());
    if let Some(trace) = trace {
        args.push("--trace".into());
        args.push(trace.display().to_string());
    }
    args
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// `export` of the small scenario's split MILP to `out`.
fn export_args(out: &Path) -> Vec<String> {
    let out = out.display().to_string();
    [
        "export",
        "--problem",
        "split",
        "--scenario",
        "small",
        "--format",
        "mps",
        "--out",
        &out,
    ]
    .map(String::from)
    .into()
}

#[cfg(unix)]
#[test]
fn export_to_dev_full_fails_naming_it_and_leaves_the_device() {
    use std::os::unix::fs::FileTypeExt;
    let full = Path::new("/dev/full");
    if !fs::metadata(full).is_ok_and(|m| m.file_type().is_char_device()) {
        eprintln!("skipped: /dev/full is not a character device on this machine");
        return;
    }
    let o = run(&strs(&export_args(full)));
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("/dev/full: cannot write"), "{err}");
    assert!(err.contains("No space left"), "{err}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("wrote"));
    assert!(fs::metadata(full).unwrap().file_type().is_char_device());
}

#[test]
fn export_into_a_missing_folder_fails_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("missing").join("small.mps");
    let o = run(&strs(&export_args(&out)));
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{}: cannot write", out.display())),
        "{err}"
    );
    assert!(err.contains("No such file"), "{err}");
}

#[cfg(unix)]
#[test]
fn export_into_a_read_only_folder_fails_and_keeps_the_old_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("small.mps");
    fs::write(&out, "old").unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o555)).unwrap();
    if fs::write(dir.path().join("probe"), "").is_ok() {
        eprintln!("skipped: a read-only folder is writable here (running as root)");
        return;
    }
    let o = run(&strs(&export_args(&out)));
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{}: cannot write", out.display())),
        "{err}"
    );
    assert_eq!(fs::read(&out).unwrap(), b"old");
}

#[cfg(unix)]
#[test]
fn export_on_a_full_disk_is_an_error_and_keeps_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("small.mps");
    fs::write(&out, "old").unwrap();
    // The model is 427,529 bytes; HiGHS itself does not report the failed writes.
    let o = run_with_file_limit(100_000, &strs(&export_args(&out)));
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{}: cannot write", out.display())),
        "{err}"
    );
    assert!(err.contains("cut short after 100000 bytes"), "{err}");
    assert_eq!(
        files(dir.path()).into_keys().collect::<Vec<_>>(),
        ["small.mps"]
    );
    assert_eq!(fs::read(&out).unwrap(), b"old");
}

#[test]
fn export_replaces_a_file_with_the_whole_model_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("small.mps");
    fs::write(&out, "old").unwrap();
    let o = ok(&strs(&export_args(&out)));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("wrote "));
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("NAME"), "{}", &text[..40]);
    assert!(text.ends_with("ENDATA\n"));
    assert_eq!(files(dir.path()).len(), 1);
}

/// A trace whose line 2 (its first request) is malformed.
fn bad_second_line(dir: &Path) -> PathBuf {
    let trace = dir.join("bad.csv");
    fs::write(
        &trace,
        "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,many,44\n",
    )
    .unwrap();
    trace
}

#[test]
fn a_run_that_fails_at_trace_line_2_leaves_the_earlier_run_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    ok(&strs(&solve_trace(&out, "3", None)));
    let before = files(&out);
    assert!(before.contains_key("summary.json") && before.contains_key("requests.csv"));
    let trace = bad_second_line(dir.path());
    let o = run(&strs(&solve_trace(&out, "3", Some(&trace))));
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("bad.csv:2"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(files(&out), before);
}

#[test]
fn a_run_that_fails_at_trace_line_2_into_a_new_folder_writes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let trace = bad_second_line(dir.path());
    let o = run(&strs(&solve_trace(&out, "3", Some(&trace))));
    assert!(!o.status.success());
    assert!(files(&out).is_empty());
}

/// The bytes of `path` after its last newline.
fn after_last_newline(path: &Path) -> Vec<u8> {
    let bytes = fs::read(path).unwrap();
    let start = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    bytes[start..].to_vec()
}

#[cfg(unix)]
#[test]
fn a_write_error_mid_run_exits_non_zero_and_keeps_complete_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    // requests.csv passes 40,000 bytes after about 40 of the 60 epochs.
    let o = run_with_file_limit(40_000, &strs(&solve_trace(&out, "60", None)));
    assert!(!o.status.success());
    let err = stderr(&o);
    let requests = out.join("requests.csv");
    assert!(
        err.contains(&format!("{}: cannot write", requests.display())),
        "{err}"
    );
    assert!(err.contains("File too large"), "{err}");
    for csv in ["epochs.csv", "requests.csv", "timings.csv"] {
        assert!(after_last_newline(&out.join(csv)).is_empty(), "{csv}");
    }
    let run_json = common::json(&out.join("run.json"));
    assert_eq!(run_json["complete"], false);
    let o = ok(&["report", &out.display().to_string(), "--quiet"]);
    let rows = fs::read_to_string(&requests).unwrap().lines().count() - 1;
    let said = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(said.contains(&format!("{rows} request rows")), "{said}");
    assert!(rows > 100, "{rows}");
}

#[test]
fn a_folder_where_a_csv_file_goes_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    fs::create_dir_all(out.join("timings.csv")).unwrap();
    let o = run(&strs(&solve_trace(&out, "3", None)));
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("timings.csv: cannot write"), "{err}");
}

#[test]
fn report_leaves_out_an_incomplete_last_line_and_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    ok(&strs(&solve_trace(&out, "3", None)));
    let requests = out.join("requests.csv");
    let text = fs::read_to_string(&requests).unwrap();
    let lines = text.lines().count();
    // Cut the newline and the last character: the row still has every column, but its last
    // value is cut short.
    fs::write(&requests, &text[..text.len() - 2]).unwrap();
    let o = ok(&["report", &out.display().to_string(), "--quiet"]);
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{}:{lines}: left out", requests.display())),
        "{err}"
    );
    let said = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        said.contains(&format!("{} request rows", lines - 2)),
        "{said}"
    );
}

#[test]
fn report_on_complete_files_notes_nothing_and_rebuilds_the_same_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    ok(&strs(&solve_trace(&out, "3", None)));
    let summary = fs::read(out.join("summary.json")).unwrap();
    let o = ok(&["report", &out.display().to_string(), "--quiet"]);
    assert!(!stderr(&o).contains("note:"), "{}", stderr(&o));
    assert_eq!(fs::read(out.join("summary.json")).unwrap(), summary);
    assert!(files(&out).keys().all(|name| !name.starts_with('.')));
}
