//! The spans open on the calling thread, innermost last: the implicit parent of whatever the
//! thread records next. Kept per thread (not per store lock) so that nesting costs no lookup.
//!
//! A span may end on another thread, where it cannot be popped from this one's stack. So that a
//! thread that only begins spans never grows its stack without bound, a push that finds the
//! stack at its pruning mark first drops every entry no longer open; the mark then doubles the
//! entries left, so pruning costs O(1) per push amortised and the stack holds at most twice
//! this thread's open spans (plus a small floor).

use std::cell::RefCell;

use crate::ids::{SpanId, TraceId};

/// Below this many entries a stack is never pruned.
const PRUNE_FLOOR: usize = 64;

struct Stack {
    open: Vec<(SpanId, TraceId)>,
    prune_at: usize,
}

thread_local! {
    static OPEN: RefCell<Stack> = const {
        RefCell::new(Stack { open: Vec::new(), prune_at: PRUNE_FLOOR })
    };
}

/// Pushes a span; `still_open` tells which entries are spans still open (called under the store
/// lock, so the answer cannot change meanwhile).
pub fn push(span: SpanId, trace: TraceId, still_open: impl Fn(SpanId) -> bool) {
    OPEN.with(|stack| {
        let mut stack = stack.borrow_mut();
        if stack.open.len() >= stack.prune_at {
            stack.open.retain(|(s, _)| still_open(*s));
            stack.prune_at = (2 * stack.open.len()).max(PRUNE_FLOOR);
            let keep = stack.prune_at;
            stack.open.shrink_to(keep);
        }
        stack.open.push((span, trace));
    });
}

/// Removes `span` wherever it is on this thread's stack: spans may end out of order.
pub fn remove(span: SpanId) {
    OPEN.with(|stack| {
        let open = &mut stack.borrow_mut().open;
        if let Some(at) = open.iter().rposition(|(s, _)| *s == span) {
            open.remove(at);
        }
    });
}

/// Forgets every span of this thread (a forked child's store starts empty).
pub fn clear() {
    OPEN.with(|stack| {
        let mut stack = stack.borrow_mut();
        stack.open = Vec::new();
        stack.prune_at = PRUNE_FLOOR;
    });
}

/// The innermost span on this thread for which `still_open` holds; entries that fail it (spans
/// ended on another thread, or left open across a reset) are dropped on the way.
pub fn innermost(still_open: impl Fn(SpanId) -> bool) -> Option<(SpanId, TraceId)> {
    OPEN.with(|stack| {
        let open = &mut stack.borrow_mut().open;
        while let Some(&(span, trace)) = open.last() {
            if still_open(span) {
                return Some((span, trace));
            }
            open.pop();
        }
        None
    })
}
