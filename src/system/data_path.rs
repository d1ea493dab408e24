//! Where an input file lives: on disk, or in the crate's [`bundle`](super::bundle).
//!
//! A scenario names its trace, library and counts files by paths relative to itself; a file on
//! disk resolves them against its folder, a bundled scenario against the bundle, so a bundled
//! scenario reads bundled data from any working directory.

use super::bundle;
use super::error::{Error, Result};
use serde::{Serialize, Serializer};
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

/// The prefix that marks a bundled file when a path is written as text (`bundled:scenarios/small.toml`).
pub const BUNDLED_PREFIX: &str = "bundled:";

/// An input file on disk or in the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DataPath {
    /// A file on disk (absolute, or relative to the working directory).
    File(PathBuf),
    /// A bundled file, by its path in the bundle (`datasets/traces/azure_llm_2023_conv.csv`).
    Bundled(&'static str),
}

impl DataPath {
    /// A path as a user writes it: `bundled:<path>` for a bundled file; else the file on disk,
    /// or, when there is none and the path names a bundled file
    /// (`datasets/traces/azure_llm_2023_conv.csv` from any folder), the bundled file.
    pub fn parse(text: &str) -> Result<DataPath> {
        match text.strip_prefix(BUNDLED_PREFIX) {
            Some(rest) => bundle::path(rest)
                .map(DataPath::Bundled)
                .ok_or_else(|| Error::File {
                    file: text.into(),
                    message: "no such bundled file".into(),
                }),
            None => {
                let path = PathBuf::from(text);
                Ok(match bundle::path(text) {
                    Some(bundled) if !path.exists() => DataPath::Bundled(bundled),
                    _ => DataPath::File(path),
                })
            }
        }
    }

    /// The bundled file at `path`, if there is one.
    pub fn bundled(path: &str) -> Option<DataPath> {
        bundle::path(path).map(DataPath::Bundled)
    }

    /// `relative` resolved against the folder of this file: a path on disk is joined to the
    /// folder (an absolute one stays as it is); a path in a bundled file must name another
    /// bundled file.
    pub fn resolve(&self, relative: &Path) -> Result<DataPath> {
        match self {
            DataPath::File(path) => {
                let folder = path.parent().unwrap_or(Path::new(""));
                Ok(DataPath::File(folder.join(relative)))
            }
            DataPath::Bundled(path) => {
                let folder = path.rsplit_once('/').map_or("", |(folder, _)| folder);
                let joined = format!("{folder}/{}", relative.display());
                bundle::path(&joined)
                    .map(DataPath::Bundled)
                    .ok_or_else(|| Error::File {
                        file: self.to_string(),
                        message: format!(
                            "refers to `{}`, which is not bundled (bundled data: {})",
                            relative.display(),
                            bundled_data()
                        ),
                    })
            }
        }
    }

    /// Whether the file exists (a bundled one always does).
    pub fn exists(&self) -> bool {
        match self {
            DataPath::File(path) => path.is_file(),
            DataPath::Bundled(_) => true,
        }
    }

    /// The file's name without its folder (`azure_llm_2023_conv.csv`), if it has one.
    pub fn file_name(&self) -> Option<&str> {
        match self {
            DataPath::File(path) => path.file_name()?.to_str(),
            DataPath::Bundled(path) => path.rsplit('/').next(),
        }
    }

    /// The file's extension (`toml`, `csv`), if any.
    pub fn extension(&self) -> Option<&str> {
        let name = self.file_name()?;
        name.rsplit_once('.').map(|(_, extension)| extension)
    }

    /// The file's bytes, refusing anything but a regular file (a folder, a device, a pipe) and
    /// files larger than `max_bytes`, before reading them; at most `max_bytes + 1` bytes are
    /// ever read.
    pub fn read(&self, max_bytes: u64) -> Result<Vec<u8>> {
        let bytes = match self {
            DataPath::Bundled(path) => bundle::file(path).unwrap_or_default().to_vec(),
            DataPath::File(path) => {
                self.check_regular(path, max_bytes)?;
                let file = File::open(path).map_err(|source| self.io(source))?;
                let mut bytes = Vec::new();
                file.take(max_bytes.saturating_add(1))
                    .read_to_end(&mut bytes)
                    .map_err(|source| self.io(source))?;
                bytes
            }
        };
        if bytes.len() as u64 > max_bytes {
            return Err(self.too_large(max_bytes));
        }
        Ok(bytes)
    }

    /// Refuses the file at `path` unless it is a regular file of at most `max_bytes` bytes
    /// (checked before it is opened: opening a pipe would wait for a writer).
    fn check_regular(&self, path: &Path, max_bytes: u64) -> Result<()> {
        let metadata = path.metadata().map_err(|source| self.io(source))?;
        if metadata.is_dir() {
            return Err(self.not_a_file("is a folder, not a file"));
        }
        if !metadata.is_file() {
            return Err(self.not_a_file(
                "is not a regular file (a device, a pipe or a socket); this kind of file is read whole, so only a regular file is accepted",
            ));
        }
        if metadata.len() > max_bytes {
            return Err(self.too_large(max_bytes));
        }
        Ok(())
    }

    fn not_a_file(&self, message: &str) -> Error {
        Error::File {
            file: self.to_string(),
            message: message.into(),
        }
    }

    fn too_large(&self, max_bytes: u64) -> Error {
        Error::File {
            file: self.to_string(),
            message: format!(
                "is larger than {max_bytes} bytes, the most this kind of file may hold"
            ),
        }
    }

    /// The file as UTF-8 text (a leading byte-order mark dropped), refusing files larger than
    /// `max_bytes`; bytes that are not UTF-8 are an error naming their line and column.
    pub fn read_to_string(&self, max_bytes: u64) -> Result<String> {
        let bytes = self.read(max_bytes)?;
        let text =
            String::from_utf8(bytes).map_err(|e| self.not_utf8(e.as_bytes(), e.utf8_error()))?;
        Ok(match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_string(),
            None => text,
        })
    }

    /// The error for `bytes`, which stop being UTF-8 where `error` says.
    fn not_utf8(&self, bytes: &[u8], error: std::str::Utf8Error) -> Error {
        let valid = &bytes[..error.valid_up_to()];
        let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        Error::Line {
            file: self.to_string(),
            line: valid.iter().filter(|&&b| b == b'\n').count() as u64 + 1,
            message: format!(
                "is not UTF-8 text: byte 0x{:02x} at column {} (byte {} of the file)",
                bytes[valid.len()],
                valid.len() - line_start + 1,
                valid.len() + 1
            ),
        }
    }

    /// A buffered reader of the file, streamed whatever its size; a folder is refused.
    pub fn open(&self) -> Result<Box<dyn BufRead + Send>> {
        Ok(match self {
            DataPath::Bundled(path) => {
                Box::new(Cursor::new(bundle::file(path).unwrap_or_default()))
            }
            DataPath::File(path) => {
                if path.is_dir() {
                    return Err(self.not_a_file("is a folder, not a file"));
                }
                let file = File::open(path).map_err(|source| self.io(source))?;
                Box::new(BufReader::with_capacity(1 << 16, file))
            }
        })
    }

    /// The size of the file in bytes (0 when it cannot be read).
    pub fn len(&self) -> u64 {
        match self {
            DataPath::Bundled(path) => bundle::file(path).map_or(0, |b| b.len() as u64),
            DataPath::File(path) => path.metadata().map_or(0, |m| m.len()),
        }
    }

    /// Whether the file is empty or cannot be read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn io(&self, source: std::io::Error) -> Error {
        Error::Io {
            file: PathBuf::from(self.to_string()),
            source,
        }
    }
}

/// The bundled folders of data files, for error messages.
fn bundled_data() -> String {
    let mut folders: Vec<&str> = bundle::files()
        .filter_map(|(p, _)| p.rsplit_once('/').map(|(folder, _)| folder))
        .filter(|f| f.starts_with("datasets"))
        .collect();
    folders.dedup();
    folders.join(", ")
}

impl fmt::Display for DataPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataPath::File(path) => write!(f, "{}", path.display()),
            DataPath::Bundled(path) => write!(f, "{BUNDLED_PREFIX}{path}"),
        }
    }
}

impl From<PathBuf> for DataPath {
    fn from(path: PathBuf) -> DataPath {
        DataPath::File(path)
    }
}

impl From<&str> for DataPath {
    fn from(path: &str) -> DataPath {
        DataPath::File(PathBuf::from(path))
    }
}

impl From<&DataPath> for DataPath {
    fn from(path: &DataPath) -> DataPath {
        path.clone()
    }
}

impl From<&PathBuf> for DataPath {
    fn from(path: &PathBuf) -> DataPath {
        DataPath::File(path.clone())
    }
}

impl From<&Path> for DataPath {
    fn from(path: &Path) -> DataPath {
        DataPath::File(path.to_path_buf())
    }
}

impl Serialize for DataPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_paths_resolve_within_the_bundle() {
        let small = DataPath::bundled("scenarios/small.toml").unwrap();
        let trace = small
            .resolve(Path::new("../datasets/traces/azure_llm_2023_conv.csv"))
            .unwrap();
        assert_eq!(
            trace,
            DataPath::Bundled("datasets/traces/azure_llm_2023_conv.csv")
        );
        assert_eq!(trace.extension(), Some("csv"));
        assert!(trace.len() > 100_000);
        let e = small
            .resolve(Path::new("mine.csv"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("bundled:scenarios/small.toml") && e.contains("mine.csv"),
            "{e}"
        );
        assert_eq!(DataPath::parse(&small.to_string()).unwrap(), small);
    }

    #[test]
    fn a_path_not_on_disk_that_names_a_bundled_file_is_the_bundled_file() {
        let dir = tempfile::tempdir().unwrap();
        let on_disk = dir.path().join("datasets/traces/azure_llm_2023_conv.csv");
        let text = on_disk.display().to_string();
        assert_eq!(
            DataPath::parse(&text).unwrap(),
            DataPath::File(on_disk.clone())
        );
        let relative = "datasets/traces/azure_llm_2023_conv.csv";
        let expected = if Path::new(relative).exists() {
            DataPath::File(relative.into())
        } else {
            DataPath::Bundled(relative)
        };
        assert_eq!(DataPath::parse(relative).unwrap(), expected);
        assert_eq!(
            DataPath::parse("no/such.csv").unwrap(),
            DataPath::File("no/such.csv".into())
        );
        assert!(DataPath::parse("bundled:no/such.csv").is_err());
    }

    #[test]
    fn files_resolve_against_their_folder_and_are_read_within_a_limit() {
        let dir = tempfile::tempdir().unwrap();
        let scenario = DataPath::File(dir.path().join("s.toml"));
        assert_eq!(
            scenario.resolve(Path::new("t.csv")).unwrap(),
            DataPath::File(dir.path().join("t.csv"))
        );
        std::fs::write(dir.path().join("s.toml"), "\u{feff}name = 1").unwrap();
        assert_eq!(scenario.read_to_string(100).unwrap(), "name = 1");
        let e = scenario.read(4).unwrap_err().to_string();
        assert!(e.contains("larger than 4 bytes"), "{e}");
        std::fs::write(dir.path().join("s.toml"), b"a = 1\nb = \"\xff\"\n").unwrap();
        let e = scenario.read_to_string(100).unwrap_err().to_string();
        assert!(
            e.ends_with("s.toml:2: is not UTF-8 text: byte 0xff at column 6 (byte 12 of the file)"),
            "{e}"
        );
        let folder = DataPath::File(dir.path().to_path_buf());
        let e = folder.read(100).unwrap_err().to_string();
        assert!(e.ends_with("is a folder, not a file"), "{e}");
        assert!(folder.open().is_err());
        if Path::new("/dev/zero").exists() {
            let e = DataPath::from("/dev/zero")
                .read(100)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("/dev/zero: is not a regular file"), "{e}");
        }
        let missing = DataPath::File(dir.path().join("missing.toml"));
        assert!(!missing.exists());
        assert!(
            missing
                .read(10)
                .unwrap_err()
                .to_string()
                .contains("missing.toml")
        );
    }
}
