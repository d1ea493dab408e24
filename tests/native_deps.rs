//! `scripts/native-deps` finds libclang exactly where bindgen loads it from: a fake file tree
//! with only `libclang-cpp` (a different library) counts as missing.

use std::fs;
use std::path::Path;
use std::process::Command;

/// Whether `scripts/native-deps --has-libclang root` finds a usable libclang, with
/// `LIBCLANG_PATH` set to `libclang_path` (taken under `root`) or unset.
fn has_libclang(root: &Path, libclang_path: Option<&str>) -> bool {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/native-deps");
    let mut command = Command::new("bash");
    command.arg(script).arg("--has-libclang").arg(root);
    match libclang_path {
        Some(path) => command.env("LIBCLANG_PATH", path),
        None => command.env_remove("LIBCLANG_PATH"),
    };
    let status = command.status().expect("bash runs");
    status.success()
}

/// A tree under a fresh temporary folder holding empty files at `files`.
fn tree(files: &[&str]) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("temporary folder");
    for file in files {
        let path = root.path().join(file);
        fs::create_dir_all(path.parent().expect("a folder")).expect("folders");
        fs::write(&path, b"").expect("file");
    }
    root
}

#[test]
fn libclang_cpp_alone_is_missing() {
    let root = tree(&["usr/lib/llvm-14/lib/libclang-cpp.so.14"]);
    assert!(!has_libclang(root.path(), None));
}

#[test]
fn an_empty_tree_is_missing() {
    let root = tree(&["usr/lib/x86_64-linux-gnu/libLLVM-14.so.1"]);
    assert!(!has_libclang(root.path(), None));
}

#[test]
fn every_name_bindgen_loads_counts() {
    for file in [
        "usr/lib/llvm-14/lib/libclang.so",
        "usr/lib/llvm-14/lib/libclang-14.so",
        "usr/lib/x86_64-linux-gnu/libclang.so.1",
        "usr/lib/x86_64-linux-gnu/libclang-14.so.1",
        "usr/local/lib/libclang.so.17.0.6",
    ] {
        let root = tree(&["usr/lib/llvm-14/lib/libclang-cpp.so.14", file]);
        assert!(has_libclang(root.path(), None), "{file} is libclang");
    }
}

#[test]
fn libclang_path_is_searched_as_a_folder_or_a_file() {
    let root = tree(&["opt/llvm/libclang.so.1", "opt/cpp/libclang-cpp.so.14"]);
    assert!(!has_libclang(root.path(), None));
    assert!(has_libclang(root.path(), Some("/opt/llvm")));
    assert!(has_libclang(root.path(), Some("/opt/llvm/libclang.so.1")));
    assert!(!has_libclang(root.path(), Some("/opt/cpp")));
    assert!(!has_libclang(
        root.path(),
        Some("/opt/cpp/libclang-cpp.so.14")
    ));
}
