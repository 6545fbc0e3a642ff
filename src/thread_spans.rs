//! The spans open on the calling thread, innermost last: the implicit parent of whatever the
//! thread records next. Kept per thread (not per store lock) so that nesting costs no lookup.

use std::cell::RefCell;

use crate::ids::{SpanId, TraceId};

thread_local! {
    static OPEN: RefCell<Vec<(SpanId, TraceId)>> = const { RefCell::new(Vec::new()) };
}

pub fn push(span: SpanId, trace: TraceId) {
    OPEN.with(|open| open.borrow_mut().push((span, trace)));
}

/// Removes `span` wherever it is on this thread's stack: spans may end out of order.
pub fn remove(span: SpanId) {
    OPEN.with(|open| {
        let mut open = open.borrow_mut();
        if let Some(at) = open.iter().rposition(|(s, _)| *s == span) {
            open.remove(at);
        }
    });
}

/// The innermost span on this thread for which `still_open` holds; entries that fail it (spans
/// ended on another thread, or left open across a reset) are dropped on the way.
pub fn innermost(still_open: impl Fn(SpanId) -> bool) -> Option<(SpanId, TraceId)> {
    OPEN.with(|open| {
        let mut open = open.borrow_mut();
        while let Some(&(span, trace)) = open.last() {
            if still_open(span) {
                return Some((span, trace));
            }
            open.pop();
        }
        None
    })
}
