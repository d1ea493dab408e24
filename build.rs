//! Lists the files bundled into the crate (the scenarios and the data they read) for
//! `src/system/bundle.rs`: every file under `scenarios/` and `datasets/`, embedded with
//! `include_bytes!` so that the library, the CLI and the Python wheel work from any folder.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The folders whose files are bundled, relative to the crate root.
const BUNDLED: [&str; 2] = ["scenarios", "datasets"];

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut files = Vec::new();
    for folder in BUNDLED {
        println!("cargo:rerun-if-changed={folder}");
        collect(&root, &root.join(folder), &mut files);
    }
    files.sort();
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("bundle.rs");
    let mut text = String::from("&[\n");
    for relative in &files {
        let absolute = root.join(relative);
        text.push_str(&format!(
            "    ({:?}, include_bytes!({:?})),\n",
            relative,
            absolute.display().to_string()
        ));
    }
    text.push_str("]\n");
    let mut file = fs::File::create(&out).expect("OUT_DIR is writable");
    file.write_all(text.as_bytes())
        .expect("OUT_DIR is writable");
}

/// Every regular file under `dir` (not README files), as `/`-separated paths relative to `root`.
fn collect(root: &Path, dir: &Path, files: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(root, &path, files);
        } else if path.file_name().is_some_and(|n| n != "README.md") {
            let relative = path.strip_prefix(root).expect("under the root");
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            files.push(parts.join("/"));
        }
    }
}
