//! Turns the calls taken out of the store into what the export writes: recorded calls as they
//! are, HTTP exchanges parsed into provider calls. Gemini video polls fold into the event of the
//! operation they poll, so one event runs from the submit to the finished video.

use std::collections::HashMap;

use crate::event::{CallEvent, CallPayload, RecordedCall, Timing};
use crate::providers::{self, CaptureOptions, CapturedCall};

pub enum Body<'a> {
    Recorded(&'a RecordedCall),
    Captured(Box<CapturedCall>),
}

pub struct PreparedCall<'a> {
    pub event: &'a CallEvent,
    pub body: Body<'a>,
    /// The event's own timing, or from its submit to its last poll.
    pub timing: Timing,
}

pub fn prepare(calls: Vec<&CallEvent>) -> Vec<PreparedCall<'_>> {
    let mut prepared: Vec<PreparedCall> = Vec::with_capacity(calls.len());
    // Operation name -> the prepared event that carries the operation.
    let mut operations: HashMap<String, usize> = HashMap::new();
    for event in calls {
        let captured = match &event.payload {
            CallPayload::Recorded(recorded) => {
                prepared.push(PreparedCall {
                    event,
                    body: Body::Recorded(recorded),
                    timing: event.timing,
                });
                continue;
            }
            CallPayload::Http(http) => {
                let options = CaptureOptions {
                    capture_content: http.capture_content,
                };
                providers::capture(&http.exchange, &options)
            }
        };
        if let Some(link) = &captured.operation {
            if link.is_poll
                && let Some(&owner) = operations.get(&link.name)
            {
                let target = &mut prepared[owner];
                if let Body::Captured(submit) = &mut target.body {
                    providers::apply_poll(submit, &captured);
                }
                let ended_at = target.timing.ended_at.max(event.timing.ended_at);
                target.timing = Timing::between(target.timing.started_at, ended_at);
                continue;
            }
            operations.insert(link.name.clone(), prepared.len());
        }
        prepared.push(PreparedCall {
            event,
            body: Body::Captured(Box::new(captured)),
            timing: event.timing,
        });
    }
    prepared
}
