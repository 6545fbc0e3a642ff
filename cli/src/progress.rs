//! Progress messages on stderr for inputs large enough to make a person wait.
//!
//! Shown when the input is large (more than 50 MB of files or 100,000 events) and stderr
//! is a terminal, or always with `--progress`; never mixed into stdout, so piped output
//! stays clean.

use std::cell::Cell;
use std::fmt::Display;
use std::io::IsTerminal;

const LARGE_INPUT_BYTES: u64 = 50 * 1_000_000;
const LARGE_EVENT_COUNT: usize = 100_000;

pub struct Progress {
    forced: bool,
    terminal: bool,
    large: Cell<bool>,
}

impl Progress {
    pub fn new(forced: bool) -> Progress {
        Progress {
            forced,
            terminal: std::io::stderr().is_terminal(),
            large: Cell::new(false),
        }
    }

    pub fn note_input_bytes(&self, bytes: u64) {
        if bytes > LARGE_INPUT_BYTES {
            self.large.set(true);
        }
    }

    pub fn note_event_count(&self, events: usize) {
        if events > LARGE_EVENT_COUNT {
            self.large.set(true);
        }
    }

    pub fn enabled(&self) -> bool {
        self.forced || (self.terminal && self.large.get())
    }

    pub fn step(&self, message: impl Display) {
        if self.enabled() {
            eprintln!("aiobs: {message}");
        }
    }
}
