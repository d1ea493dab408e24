//! Errors of the system layer: every one names the file, and where it can the line and field.

use std::path::PathBuf;

/// What went wrong while reading or checking input of the system layer (data files, scenarios,
/// traces). The message always names the file, and where known the line (1-based, as an editor
/// shows it) and the field.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// A field of one row or line is missing or holds a wrong value.
    #[error("{file}:{line}: field `{field}`: {message}")]
    Field {
        /// The file (or the name of a bundled data file).
        file: String,
        /// The 1-based line.
        line: u64,
        /// The field (column or key path).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A whole line is malformed (not parseable at all).
    #[error("{file}:{line}: {message}")]
    Line {
        /// The file.
        file: String,
        /// The 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The file as a whole is wrong (unknown format, empty, missing header).
    #[error("{file}: {message}")]
    File {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A name refers to nothing known.
    #[error("unknown {kind} `{name}`; known: {known}")]
    UnknownName {
        /// What kind of thing was looked up ("model", "device profile", ...).
        kind: &'static str,
        /// The name given.
        name: String,
        /// The names that exist, comma separated.
        known: String,
    },
    /// A value passed through the Rust API is out of its domain.
    #[error("invalid {what}: {message}")]
    Invalid {
        /// The argument or quantity.
        what: String,
        /// What is wrong with it.
        message: String,
    },
}

impl Error {
    /// Shorthand for [`Error::Field`].
    pub fn field(
        file: impl Into<String>,
        line: u64,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Field {
            file: file.into(),
            line,
            field: field.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(what: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            what: what.into(),
            message: message.into(),
        }
    }
}

/// Result of the system layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;
