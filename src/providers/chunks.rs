//! Bookkeeping of the chunks of a streamed response: how many were read, which could not be, for
//! the record's `capture_error` note. A stream cut short keeps what arrived; this says what did not.

use std::fmt::Display;

#[derive(Default)]
pub(crate) struct ChunkLog {
    read: usize,
    lost: usize,
    first_lost: Option<String>,
}

impl ChunkLog {
    pub(crate) fn read(&mut self) {
        self.read += 1;
    }

    /// Logs a chunk that could not be parsed; `position` counts from 1, `cut` says the body ended
    /// inside it.
    pub(crate) fn lost(&mut self, position: usize, cut: bool, reason: impl Display) {
        self.lost += 1;
        if self.first_lost.is_none() {
            let cut = if cut {
                " (cut off at the end of the body)"
            } else {
                ""
            };
            self.first_lost = Some(format!("chunk {position}{cut}: {reason}"));
        }
    }

    /// The note for the record: lost chunks, or a stream with no chunk at all.
    pub(crate) fn note(&self) -> Option<String> {
        match (&self.first_lost, self.lost) {
            (Some(first), 1) => Some(format!("could not read stream {first}")),
            (Some(first), n) => Some(format!(
                "could not read {n} stream chunks; the first: {first}"
            )),
            (None, _) if self.read == 0 => Some("the stream has no chunks".to_owned()),
            (None, _) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes() {
        let mut log = ChunkLog::default();
        assert_eq!(log.note().as_deref(), Some("the stream has no chunks"));
        log.read();
        assert_eq!(log.note(), None);
        log.lost(4, true, "EOF while parsing a string");
        assert_eq!(
            log.note().as_deref(),
            Some(
                "could not read stream chunk 4 (cut off at the end of the body): EOF while parsing a string"
            )
        );
        log.lost(5, false, "x");
        assert!(
            log.note()
                .unwrap()
                .starts_with("could not read 2 stream chunks; the first: chunk 4 ")
        );
    }
}
