//! Errors of the environments: bad options and calls out of order. An action outside the mask
//! is not an error (see [`super::Step::invalid_action`]).

/// An environment could not be built or could not take the call.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// The scenario, trace or throughput series is wrong.
    #[error(transparent)]
    Input(#[from] crate::system::Error),
    /// An instance could not be built from the scenario.
    #[error(transparent)]
    Instance(#[from] crate::problems::Error),
    /// An option is out of its domain; the message names the option and the value.
    #[error("invalid option `{option}`: {message}")]
    Option {
        /// The option.
        option: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The keyword arguments of an environment are wrong; the message names the one.
    #[error("mei4llm/{env}: {message}")]
    Arguments {
        /// The environment's id without the `mei4llm/` prefix.
        env: &'static str,
        /// What is wrong, with the argument's name.
        message: String,
    },
    /// The action is not in the action space at all (`action ≥ n`).
    #[error("action {action} is outside the action space Discrete({n})")]
    ActionOutOfRange {
        /// The action.
        action: usize,
        /// Size of the space.
        n: usize,
    },
    /// `step` was called before `reset` or after the episode ended.
    #[error("the episode has ended or not begun: call reset first")]
    NeedsReset,
    /// The buffers handed to a vector environment have the wrong length.
    #[error("buffer `{buffer}` has {len} entries, expected {expected}")]
    Buffer {
        /// The buffer.
        buffer: &'static str,
        /// Its length.
        len: usize,
        /// The length it needs.
        expected: usize,
    },
}

impl EnvError {
    /// An [`EnvError::Option`].
    pub(crate) fn option(option: &'static str, message: impl Into<String>) -> EnvError {
        EnvError::Option {
            option,
            message: message.into(),
        }
    }
}
