//! Failures a command can end with, and the exit code each maps to.

use std::fmt;
use std::path::{Path, PathBuf};

/// Exit codes scripts can rely on; also listed in `aiobs --help` and cli/README.md.
pub mod exit {
    pub const OK: u8 = 0;
    /// `validate` found problems in an export.
    pub const PROBLEMS: u8 = 1;
    /// Bad arguments (clap uses the same code for its own usage errors).
    pub const USAGE: u8 = 2;
    /// An input file could not be read or is not a readable export.
    pub const INPUT: u8 = 3;
    /// Writing the output or sending the OTLP export failed.
    pub const EXPORT: u8 = 4;
}

#[derive(Debug)]
pub enum CliError {
    Usage(String),
    Input { path: PathBuf, message: String },
    Export(String),
}

impl CliError {
    pub fn input(path: &Path, message: impl Into<String>) -> CliError {
        CliError::Input {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => exit::USAGE,
            CliError::Input { .. } => exit::INPUT,
            CliError::Export(_) => exit::EXPORT,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(message) | CliError::Export(message) => f.write_str(message),
            CliError::Input { path, message } => write!(f, "{}: {message}", path.display()),
        }
    }
}
