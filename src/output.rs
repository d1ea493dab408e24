//! Output files written whole or not at all.
//!
//! A file is written under a temporary name in its own folder and renamed over its
//! destination once every write and the close have succeeded, so a reader finds the old file
//! or the new one, never part of one. A destination that is not a regular file (a device such
//! as `/dev/full` or `/dev/stdout`, a named pipe) cannot be renamed over: its bytes are staged
//! in the system's temporary folder and then copied into it with checked writes, so a failed
//! write is still reported. On any error the temporary file is removed and the error names the
//! destination.
//!
//! ```
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("summary.json");
//! mei4llm::output::write_whole(&path, b"{}\n")?;
//! assert_eq!(std::fs::read(&path)?, b"{}\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// An output file that could not be written whole.
#[derive(Debug, thiserror::Error)]
#[error("{}: cannot write: {source}", path.display())]
pub struct WriteError {
    /// The destination.
    pub path: PathBuf,
    /// What failed.
    #[source]
    pub source: io::Error,
}

impl WriteError {
    /// A failure writing `path`.
    pub fn new(path: &Path, source: io::Error) -> WriteError {
        WriteError {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Writes `bytes` to `path` whole or not at all.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let staged = Staged::new(path, "")?;
    staged.write(|file| file.write_all(bytes))?;
    staged.commit()
}

/// A file being written under a temporary name until [`commit`](Self::commit) puts it at its
/// destination; dropped uncommitted, it removes the temporary file.
#[derive(Debug)]
pub struct Staged {
    /// The destination as given, which errors name.
    shown: PathBuf,
    /// Where the file goes (a symbolic link resolved to its target).
    dest: PathBuf,
    /// The temporary file.
    temp: PathBuf,
    /// Whether `dest` is not a regular file, so the bytes are copied into it.
    copy: bool,
}

/// Distinguishes the temporary files of one process.
static NEXT: AtomicU64 = AtomicU64::new(0);

impl Staged {
    /// Stages a file for `dest`. The temporary file's name ends in `.<extension>` when
    /// `extension` is not empty (for writers that pick the format from the name).
    pub fn new(dest: &Path, extension: &str) -> Result<Staged, WriteError> {
        let fail = |e| WriteError::new(dest, e);
        let (target, copy) = match fs::metadata(dest) {
            Ok(meta) if meta.is_file() => (resolve_link(dest).map_err(fail)?, false),
            Ok(meta) if meta.is_dir() => {
                return Err(fail(io::Error::other("is a directory")));
            }
            Ok(_) => (dest.to_path_buf(), true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => (dest.to_path_buf(), false),
            Err(e) => return Err(fail(e)),
        };
        let folder = if copy {
            std::env::temp_dir()
        } else {
            match target.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            }
        };
        let temp = folder.join(temp_name(&target, extension));
        Ok(Staged {
            shown: dest.to_path_buf(),
            dest: target,
            temp,
            copy,
        })
    }

    /// The temporary file, for a writer that creates it itself.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// Creates the temporary file and fills it with `fill`, checking every write and the close.
    pub fn write(&self, fill: impl FnOnce(&mut File) -> io::Result<()>) -> Result<(), WriteError> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&self.temp)
            .map_err(|e| self.error(e))?;
        fill(&mut file)
            .and_then(|()| file.flush())
            .and_then(|()| close(file))
            .map_err(|e| self.error(e))
    }

    /// Puts the finished temporary file at the destination: renamed over it, or copied into it
    /// when it is not a regular file.
    pub fn commit(self) -> Result<(), WriteError> {
        if self.copy {
            return self.copy_into();
        }
        if let Ok(meta) = fs::metadata(&self.dest) {
            // The new file keeps the permissions of the one it replaces.
            fs::set_permissions(&self.temp, meta.permissions()).map_err(|e| self.error(e))?;
        }
        fs::rename(&self.temp, &self.dest).map_err(|e| self.error(e))
    }

    /// Copies the temporary file's bytes into the destination with checked writes.
    fn copy_into(&self) -> Result<(), WriteError> {
        let mut from = File::open(&self.temp).map_err(|e| self.error(e))?;
        let mut to = OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&self.dest)
            .map_err(|e| self.error(e))?;
        io::copy(&mut from, &mut to)
            .and_then(|_| to.flush())
            .and_then(|()| close(to))
            .map_err(|e| self.error(e))
    }

    /// An error naming the destination.
    fn error(&self, source: io::Error) -> WriteError {
        WriteError::new(&self.shown, source)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Gone already once renamed; any other failure leaves nothing better to do.
        let _ = fs::remove_file(&self.temp);
    }
}

/// The file a symbolic link points to (so the link stays), else `path` itself.
fn resolve_link(path: &Path) -> io::Result<PathBuf> {
    if fs::symlink_metadata(path)?.is_symlink() {
        fs::canonicalize(path)
    } else {
        Ok(path.to_path_buf())
    }
}

/// `.<name>.<pid>-<n>.part[.<extension>]`: hidden, and unique within the folder while this
/// process runs.
fn temp_name(dest: &Path, extension: &str) -> String {
    let name = dest
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy());
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut temp = format!(".{name}.{}-{n}.part", std::process::id());
    if !extension.is_empty() {
        temp.push('.');
        temp.push_str(extension);
    }
    temp
}

/// Closes `file`, reporting the error a file system may defer to the close.
#[cfg(unix)]
fn close(file: File) -> io::Result<()> {
    use std::os::fd::IntoRawFd;
    let fd = file.into_raw_fd();
    // SAFETY: `fd` was just released by `file`, so it is open and owned here, and it is
    // closed exactly once.
    if unsafe { libc::close(fd) } == 0 {
        return Ok(());
    }
    let error = io::Error::last_os_error();
    // On Linux the descriptor is closed even when the close is interrupted.
    if error.kind() == io::ErrorKind::Interrupted {
        return Ok(());
    }
    Err(error)
}

/// Closes `file` after syncing it, which reports what a close would.
#[cfg(not(unix))]
fn close(file: File) -> io::Result<()> {
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_write_replaces_the_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        fs::write(&path, "old, and longer than the new text").unwrap();
        write_whole(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(names(dir.path()), ["a.json"]);
    }

    #[test]
    fn a_failed_fill_keeps_the_old_file_and_removes_the_temporary_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        fs::write(&path, "old").unwrap();
        let staged = Staged::new(&path, "").unwrap();
        let error = staged
            .write(|file| {
                file.write_all(b"half a ro")?;
                Err(io::Error::other("disk full"))
            })
            .unwrap_err();
        assert_eq!(error.path, path);
        assert!(error.to_string().contains("disk full"), "{error}");
        drop(staged);
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(names(dir.path()), ["a.csv"]);
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("a.svg");
        let error = write_whole(&path, b"<svg/>").unwrap_err();
        assert_eq!(error.path, path);
        assert_eq!(error.source.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn a_folder_as_destination_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = write_whole(dir.path(), b"x").unwrap_err();
        assert!(error.to_string().contains("is a directory"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_stays_and_its_target_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.txt");
        let link = dir.path().join("link.txt");
        fs::write(&target, "old").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_whole(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn a_device_is_written_into_not_replaced() {
        let null = Path::new("/dev/null");
        if !fs::metadata(null).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            eprintln!("skipped: /dev/null is not a device here");
            return;
        }
        write_whole(null, b"bytes").unwrap();
        assert!(!fs::metadata(null).unwrap().is_file());
    }

    #[test]
    fn a_temporary_name_keeps_the_extension_asked_for() {
        let staged = Staged::new(Path::new("out/model.mps"), "mps").unwrap();
        let name = staged.path().file_name().unwrap().to_string_lossy();
        assert!(name.starts_with(".model.mps.") && name.ends_with(".part.mps"));
        assert_eq!(staged.path().parent(), Some(Path::new("out")));
    }
}
