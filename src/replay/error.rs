//! Errors of the replay layer.

use std::path::PathBuf;

/// What stopped a replay or a report. An infeasible epoch is not an error: it is recorded
/// with its status and reason and the run goes on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The trace or the scenario is wrong (names the file, line and field).
    #[error(transparent)]
    Input(#[from] crate::system::Error),
    /// An epoch's instance could not be built.
    #[error(transparent)]
    Problem(#[from] crate::problems::Error),
    /// A setting of the run is out of its domain (an unknown solver, zero threads, …).
    #[error("invalid {what}: {message}")]
    Config {
        /// The setting.
        what: String,
        /// What is wrong with it.
        message: String,
    },
    /// Code that should not panic did (a bug: please report it with the message).
    #[error("{what} panicked: {message}")]
    Panicked {
        /// What panicked.
        what: String,
        /// The panic's message.
        message: String,
    },
    /// An output file could not be written.
    #[error("{}: cannot write: {message}", file.display())]
    Write {
        /// The file.
        file: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A file of an earlier run could not be read back (report).
    #[error("{}{}: {message}", file.display(), line.map_or(String::new(), |l| format!(":{l}")))]
    Read {
        /// The file.
        file: PathBuf,
        /// The 1-based line, when known.
        line: Option<u64>,
        /// What is wrong.
        message: String,
    },
}

impl Error {
    /// Shorthand for [`Error::Config`].
    pub fn config(what: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            what: what.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::Write`].
    pub fn write(file: impl Into<PathBuf>, message: impl ToString) -> Self {
        Error::Write {
            file: file.into(),
            message: message.to_string(),
        }
    }
}
