//! The files bundled into the crate: every scenario of `scenarios/` and every data file of
//! `datasets/` (traces, profiles, network tables), embedded at build time (`build.rs`), so that
//! a scenario can be named (`small`) instead of a path wherever a scenario is taken, from any
//! folder, in the library, the CLI and the Python wheel.
//!
//! ```
//! use mei4llm::system::bundle;
//!
//! assert!(bundle::scenarios().contains(&"small"));
//! let text = bundle::file("scenarios/small.toml").unwrap();
//! assert!(std::str::from_utf8(text).unwrap().contains("[workload]"));
//! assert_eq!(bundle::scenario_file("small"), Some("scenarios/small.toml"));
//! ```

/// `(path, bytes)` of every bundled file, sorted by path; paths are `/`-separated and relative
/// to the crate root (`scenarios/small.toml`, `datasets/traces/azure_llm_2023_conv.csv`).
static FILES: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/bundle.rs"));

/// The folder of the bundled scenarios.
const SCENARIOS: &str = "scenarios/";

/// Every bundled file: `(path, bytes)`, sorted by path.
pub fn files() -> impl Iterator<Item = (&'static str, &'static [u8])> {
    FILES.iter().copied()
}

/// The bytes of the bundled file at `path` (`/`-separated, relative to the crate root; `.`
/// and `..` components are resolved), if it is bundled.
pub fn file(path: &str) -> Option<&'static [u8]> {
    let path = normalise(path)?;
    FILES
        .binary_search_by(|(p, _)| p.cmp(&path.as_str()))
        .ok()
        .map(|i| FILES[i].1)
}

/// The stored path of the bundled file at `path` (see [`file`]).
pub fn path(path: &str) -> Option<&'static str> {
    let path = normalise(path)?;
    FILES
        .binary_search_by(|(p, _)| p.cmp(&path.as_str()))
        .ok()
        .map(|i| FILES[i].0)
}

/// The names of the bundled scenarios (`small`, `city`, …): their file names without the
/// extension, sorted.
pub fn scenarios() -> Vec<&'static str> {
    FILES
        .iter()
        .filter_map(|(p, _)| p.strip_prefix(SCENARIOS))
        .filter_map(|name| {
            name.strip_suffix(".toml")
                .or_else(|| name.strip_suffix(".json"))
        })
        .collect()
}

/// The bundled file of the scenario called `name`: `small`, `small.toml` or
/// `scenarios/small.toml` all name `scenarios/small.toml`.
pub fn scenario_file(name: &str) -> Option<&'static str> {
    let name = name.trim();
    let name = name.strip_prefix(SCENARIOS).unwrap_or(name);
    if name.contains('/') {
        return None;
    }
    let candidates = if name.ends_with(".toml") || name.ends_with(".json") {
        vec![format!("{SCENARIOS}{name}")]
    } else {
        vec![
            format!("{SCENARIOS}{name}.toml"),
            format!("{SCENARIOS}{name}.json"),
        ]
    };
    candidates.iter().find_map(|c| path(c))
}

/// `path` with `.` and `..` resolved and separators made `/`; `None` when it climbs above the
/// root or is absolute.
pub(crate) fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    if path.starts_with('/') {
        return None;
    }
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_and_the_data_it_reads_are_bundled() {
        for name in ["small", "city", "caching-small", "batching-edge"] {
            assert!(scenarios().contains(&name), "{name}");
        }
        assert!(file("datasets/traces/azure_llm_2023_conv.csv").is_some());
        assert!(file("scenarios/../datasets/traces/mooncake_conversation_trace.jsonl").is_some());
        assert!(file("datasets/README.md").is_none());
    }

    #[test]
    fn names_and_paths() {
        assert_eq!(scenario_file("city.toml"), Some("scenarios/city.toml"));
        assert_eq!(scenario_file("scenarios/city"), Some("scenarios/city.toml"));
        assert_eq!(scenario_file("nowhere"), None);
        assert_eq!(scenario_file("../datasets/x"), None);
        assert_eq!(normalise("a/./b/../c"), Some("a/c".into()));
        assert_eq!(normalise("../a"), None);
        assert_eq!(normalise("/etc/passwd"), None);
    }
}
