//! The one error type of the core: a kind that maps onto a C status code, and a message for people.

use std::fmt;

/// What went wrong, in the terms a caller can act on. The C ABI maps each kind onto one
/// `aiobs_status` code, so a kind is only ever added, never renumbered or removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A required value was missing, not UTF-8, of the wrong JSON type, or out of range.
    InvalidArgument,
    /// A JSON input did not parse, or holds what strict readers refuse (see `json_check`).
    InvalidJson,
    /// A label key or value broke the label rules.
    InvalidLabel,
    /// A session would hold more labels than allowed.
    LabelLimit,
    /// The call needs an active session and there is none.
    NoSession,
    /// A span id names no span that is open.
    UnknownSpan,
    /// An input is larger than the configured limit.
    TooLarge,
    /// The export could not be written.
    Io,
    /// The URL is no LLM endpoint aiobs knows; nothing was recorded.
    NotLlmEndpoint,
    /// The store holds `max_memory_bytes` already; the event was dropped and counted.
    MemoryLimit,
    /// The work did not finish within the time given.
    Timeout,
}

/// An error with the message the caller sees through `error_out`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    pub fn no_session() -> Self {
        Error::new(
            ErrorKind::NoSession,
            "no active session: call aiobs_observe first",
        )
    }

    /// Maps a serde_json failure on `what` onto InvalidJson (syntax) or InvalidArgument (shape).
    pub fn from_json(what: &str, err: &serde_json::Error) -> Self {
        let kind = match err.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                ErrorKind::InvalidJson
            }
            _ => ErrorKind::InvalidArgument,
        };
        Error::new(kind, format!("{what}: {err}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
