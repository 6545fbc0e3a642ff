//! Bookkeeping of the chunks of a streamed response: how many were read, which could not be, for
//! the record's `capture_error` note. A stream cut short keeps what arrived; this says what did not.

use std::fmt::Display;

#[derive(Default)]
pub(crate) struct ChunkLog {
    read: usize,
    lost: usize,
    first_lost: Option<Lost>,
}

struct Lost {
    position: usize,
    /// The body ended inside the chunk: the stream was cut, the chunk is not malformed.
    cut: bool,
    reason: String,
}

impl ChunkLog {
    pub(crate) fn read(&mut self) {
        self.read += 1;
    }

    /// Logs a chunk that could not be parsed; `position` counts from 1, `cut` says the body ended
    /// inside it.
    pub(crate) fn lost(&mut self, position: usize, cut: bool, reason: impl Display) {
        self.lost += 1;
        self.first_lost.get_or_insert_with(|| Lost {
            position,
            cut,
            reason: reason.to_string(),
        });
    }

    /// The note for the record: lost chunks, or a stream with no chunk at all. A chunk the end of
    /// the body cut in two is said to be cut, not unreadable: the stream stopped early, nothing
    /// failed to parse it.
    pub(crate) fn note(&self) -> Option<String> {
        let Some(first) = &self.first_lost else {
            return (self.read == 0).then(|| "the stream has no chunks".to_owned());
        };
        let described = if first.cut {
            format!(
                "chunk {} was cut off by the end of the body",
                first.position
            )
        } else {
            format!(
                "chunk {} could not be read: {}",
                first.position, first.reason
            )
        };
        Some(match self.lost {
            1 => format!("stream {described}; it is left out"),
            n => format!("{n} stream chunks are left out; the first: {described}"),
        })
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
            Some("stream chunk 4 was cut off by the end of the body; it is left out")
        );
        log.lost(5, false, "x");
        assert_eq!(
            log.note().as_deref(),
            Some(
                "2 stream chunks are left out; the first: chunk 4 was cut off by the end of the body"
            )
        );
        let mut log = ChunkLog::default();
        log.lost(2, false, "expected value at line 1 column 1");
        assert_eq!(
            log.note().as_deref(),
            Some(
                "stream chunk 2 could not be read: expected value at line 1 column 1; it is left out"
            )
        );
    }
}
