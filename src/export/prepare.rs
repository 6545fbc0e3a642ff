//! Turns the calls taken out of the store into what the export writes: recorded calls as they
//! are, HTTP exchanges parsed into provider calls. Gemini video polls fold into the event of the
//! operation they poll, so one event runs from the submit to the finished video; an operation
//! still running at flush is remembered, and a poll in a later flush writes the same event
//! again (same span id and session), brought up to date.

use std::collections::HashMap;

use serde_json::value::RawValue;

use crate::event::{CallEvent, CallPayload, Callsite, RecordedCall, SessionId, SpanLink, Timing};
use crate::providers::{self, CaptureOptions, CapturedCall};
use crate::session::Session;

pub enum Body<'a> {
    Recorded(&'a RecordedCall),
    Captured(Box<CapturedCall>),
    Written(Box<WrittenCall>),
}

/// A provider call held as the compact JSON text the export writes: a fraction of the memory of
/// its JSON values, which matters when a flush writes a batch of hundreds of MB. (Operations,
/// which later polls fold into, stay values.)
pub struct WrittenCall {
    pub provider: &'static str,
    pub api: &'static str,
    pub request: Option<Box<RawValue>>,
    pub response: Option<Box<RawValue>>,
    pub error: Option<String>,
}

impl WrittenCall {
    fn of(call: CapturedCall) -> WrittenCall {
        // Serialising a JSON value cannot fail (its keys are strings).
        let text = |value: &serde_json::Value| serde_json::value::to_raw_value(value).ok();
        WrittenCall {
            provider: call.provider,
            api: call.api,
            request: text(&call.request),
            response: text(&call.response),
            error: call.error,
        }
    }
}

pub struct PreparedCall<'a> {
    pub body: Body<'a>,
    /// The event's own timing, or from its submit to its last poll.
    pub timing: Timing,
    pub link: SpanLink,
    pub callsite: Option<Callsite>,
    pub session_id: &'a SessionId,
}

/// A video operation that was still running when its event was last written. Forgotten once
/// finished, or a day after it was last heard of.
#[derive(Clone, Debug)]
pub struct PendingOperation {
    pub call: CapturedCall,
    pub timing: Timing,
    pub link: SpanLink,
    pub callsite: Option<Callsite>,
    /// The submit's session, written again with the event when a later flush updates it.
    pub session: Session,
}

pub struct Prepared<'a> {
    pub calls: Vec<PreparedCall<'a>>,
    /// Sessions of operations from earlier flushes that this flush writes again.
    pub revived_sessions: Vec<&'a Session>,
    /// Operations still running after this flush, by name; finished ones are left out.
    pub pending: HashMap<String, PendingOperation>,
}

pub fn prepare<'a>(
    calls: Vec<&'a CallEvent>,
    sessions: &'a [Session],
    earlier: &'a HashMap<String, PendingOperation>,
) -> Prepared<'a> {
    let mut prepared: Vec<PreparedCall> = Vec::with_capacity(calls.len());
    let mut revived_sessions: Vec<&Session> = Vec::new();
    // Operation name -> the prepared event that carries the operation.
    let mut operations: HashMap<String, usize> = HashMap::new();
    for event in calls {
        let captured = match &event.payload {
            CallPayload::Recorded(recorded) => {
                prepared.push(PreparedCall {
                    body: Body::Recorded(recorded),
                    timing: event.timing,
                    link: event.link,
                    callsite: event.callsite(),
                    session_id: &event.session_id,
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
        let Some(link) = captured.operation.clone() else {
            let body = Body::Written(Box::new(WrittenCall::of(captured)));
            prepared.push(own_event(event, body));
            continue;
        };
        if link.is_poll {
            if let Some(&owner) = operations.get(&link.name) {
                fold_poll(&mut prepared[owner], &captured, event.timing.ended_at);
                continue;
            }
            if let Some(origin) = earlier.get(&link.name) {
                let mut revived = PreparedCall {
                    body: Body::Captured(Box::new(origin.call.clone())),
                    timing: origin.timing,
                    link: origin.link,
                    callsite: origin.callsite.clone(),
                    session_id: &origin.session.id,
                };
                fold_poll(&mut revived, &captured, event.timing.ended_at);
                if !sessions
                    .iter()
                    .chain(revived_sessions.iter().copied())
                    .any(|s| s.id == origin.session.id)
                {
                    revived_sessions.push(&origin.session);
                }
                operations.insert(link.name, prepared.len());
                prepared.push(revived);
                continue;
            }
        }
        operations.insert(link.name, prepared.len());
        prepared.push(own_event(event, Body::Captured(Box::new(captured))));
    }
    // Operations this flush did not hear of wait on; those it did are decided by their event.
    let mut pending: HashMap<String, PendingOperation> = earlier
        .iter()
        .filter(|(name, op)| !operations.contains_key(*name) && still_worth_waiting_for(op))
        .map(|(name, op)| (name.clone(), op.clone()))
        .collect();
    pending.extend(still_running(
        &prepared,
        &operations,
        sessions,
        &revived_sessions,
    ));
    Prepared {
        calls: prepared,
        revived_sessions,
        pending,
    }
}

/// Video generation takes minutes; an operation last heard of a day ago will not be polled
/// again, and forgetting it keeps the store bounded.
const OPERATION_WAIT_SECONDS: f64 = 24.0 * 3600.0;

fn still_worth_waiting_for(operation: &PendingOperation) -> bool {
    crate::event::now() - operation.timing.ended_at < OPERATION_WAIT_SECONDS
}

/// The event with its own timing and place.
fn own_event<'a>(event: &'a CallEvent, body: Body<'a>) -> PreparedCall<'a> {
    PreparedCall {
        body,
        timing: event.timing,
        link: event.link,
        callsite: event.callsite(),
        session_id: &event.session_id,
    }
}

fn fold_poll(target: &mut PreparedCall, poll: &CapturedCall, poll_ended_at: f64) {
    if let Body::Captured(submit) = &mut target.body {
        providers::apply_poll(submit, poll);
    }
    let ended_at = target.timing.ended_at.max(poll_ended_at);
    target.timing = Timing::between(target.timing.started_at, ended_at);
}

/// The operations whose event still says `done` is not true, to be continued by later polls.
fn still_running(
    prepared: &[PreparedCall],
    operations: &HashMap<String, usize>,
    sessions: &[Session],
    revived: &[&Session],
) -> HashMap<String, PendingOperation> {
    operations
        .iter()
        .filter_map(|(name, &index)| {
            let call = &prepared[index];
            let Body::Captured(captured) = &call.body else {
                return None;
            };
            if captured.response.get("done") == Some(&serde_json::Value::Bool(true)) {
                return None;
            }
            let session = sessions
                .iter()
                .chain(revived.iter().copied())
                .find(|s| s.id == *call.session_id)?
                .clone();
            let pending = PendingOperation {
                call: (**captured).clone(),
                timing: call.timing,
                link: call.link,
                callsite: call.callsite.clone(),
                session,
            };
            Some((name.clone(), pending))
        })
        .collect()
}
