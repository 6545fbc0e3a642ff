//! What each stored event holds in memory, in bytes: its struct and the text it owns.
//!
//! The store adds these up to report `bytes_held` and to enforce `max_memory_bytes`. The figure
//! counts what the caller handed over plus the event's own struct, not the allocator's overhead,
//! so it is close to (slightly under) the heap really used.

use std::mem::size_of;

use crate::event::{CallEvent, CallPayload, CheckedJson, FunctionEvent, OpenSpan};
use crate::providers::SharedText;
use crate::session::Session;

fn text(value: Option<&str>) -> usize {
    value.map_or(0, str::len)
}

fn checked(value: Option<&CheckedJson>) -> usize {
    value.map_or(0, |v| v.text().len())
}

pub fn of_call(call: &CallEvent) -> usize {
    let payload = match &call.payload {
        CallPayload::Recorded(r) => size_of_val(&**r) + r.text_bytes(),
        CallPayload::Http(h) => {
            let e = &h.exchange;
            size_of_val(&**h)
                + e.method.len()
                + e.url.len()
                + e.request_body.len()
                + e.response_body.len()
                + e.content_type.as_ref().map_or(0, SharedText::len)
                + e.transport_error.as_ref().map_or(0, SharedText::len)
                + e.response_headers.heap_bytes()
        }
    };
    size_of::<CallEvent>() + payload + checked(call.callsite.as_ref())
}

pub fn of_open_span(span: &OpenSpan) -> usize {
    size_of::<OpenSpan>() + span.fields.text_len()
}

pub fn of_function(function: &FunctionEvent) -> usize {
    size_of::<FunctionEvent>() - size_of::<OpenSpan>()
        + of_open_span(&function.span)
        + checked(function.result.as_ref())
        + text(function.error.as_deref())
        + text(function.enh_prompt_id.as_deref())
}

/// A name and its value, stored side by side (labels, kept response headers).
fn pair((name, value): (&str, &str)) -> usize {
    size_of::<(String, String)>() + name.len() + value.len()
}

/// A session and its labels: a program that observes without flushing holds every one.
pub fn of_session(session: &Session) -> usize {
    size_of::<Session>()
        + session.id.len()
        + session.name.len()
        + session.cwd.len()
        + session.labels.iter().map(pair).sum::<usize>()
}
