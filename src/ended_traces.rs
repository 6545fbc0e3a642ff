//! The trace ids of spans that have ended, for calls and spans recorded afterwards that name
//! them as parent (a binding often records a call after its span has ended).
//!
//! Ending a span appends its ids to a log, in order: no hashing on the caller's thread. The
//! hash index over the log is built only when someone looks a span up, from where it stopped
//! the last time, so a program whose children never outlive their parents never builds it.

use crate::ids::{SpanId, SpanIdMap, TraceId};

#[derive(Default)]
pub(crate) struct EndedTraces {
    log: Vec<(SpanId, TraceId)>,
    index: SpanIdMap<TraceId>,
    /// How much of `log` is in `index`.
    indexed: usize,
}

impl EndedTraces {
    pub fn push(&mut self, span: SpanId, trace: TraceId) {
        self.log.push((span, trace));
    }

    pub fn get(&mut self, span: SpanId) -> Option<TraceId> {
        if self.indexed < self.log.len() {
            self.index.extend(self.log[self.indexed..].iter().copied());
            self.indexed = self.log.len();
        }
        self.index.get(&span).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_ended_before_and_after_a_lookup() {
        let mut ended = EndedTraces::default();
        ended.push(SpanId(1), TraceId(10));
        assert_eq!(ended.get(SpanId(1)), Some(TraceId(10)));
        assert_eq!(ended.get(SpanId(2)), None);
        ended.push(SpanId(2), TraceId(20));
        ended.push(SpanId(3), TraceId(30));
        assert_eq!(ended.get(SpanId(3)), Some(TraceId(30)));
        assert_eq!(ended.get(SpanId(2)), Some(TraceId(20)));
        assert_eq!(ended.get(SpanId(1)), Some(TraceId(10)));
    }
}
