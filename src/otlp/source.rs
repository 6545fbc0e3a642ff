//! The recorded items the store hands over, turned into spans on the exporter's thread: HTTP
//! exchanges are parsed here (the same `prepare` step the JSON export runs), recorded calls'
//! JSON is read here, never on the caller's thread.

use std::collections::HashMap;
use std::sync::Arc;

use opentelemetry_proto::tonic::trace::v1::Span;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::event::{CallEvent, Callsite, FunctionEvent, SessionId};
use crate::export::prepare::{self, Body};
use crate::otlp::mapping::{
    self, CallView, CallsiteView, FunctionView, MappingOptions, SessionView, SpanSource, SpanView,
};
use crate::session::Session;

/// A finished call or span, as recorded.
#[derive(Clone, Debug)]
pub enum Item {
    Call(CallEvent),
    Function(FunctionEvent),
}

/// What the exporter knows of a session: its name and labels when last seen.
#[derive(Debug, PartialEq)]
pub struct SessionInfo {
    pub name: String,
    pub labels: Vec<(String, String)>,
}

impl SessionInfo {
    pub fn of(session: &Session) -> SessionInfo {
        SessionInfo {
            name: session.name.clone(),
            labels: session
                .labels
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }
}

pub type SessionBook = HashMap<SessionId, Arc<SessionInfo>>;

pub fn spans(items: &[Item], sessions: &SessionBook, options: MappingOptions) -> Vec<Span> {
    let views: HashMap<&SessionId, SessionView> = items
        .iter()
        .map(|item| match item {
            Item::Call(call) => &call.session_id,
            Item::Function(function) => &function.span.session_id,
        })
        .map(|id| (id, session_view(id, sessions.get(id).map(|s| &**s))))
        .collect();
    let calls: Vec<&CallEvent> = items
        .iter()
        .filter_map(|item| match item {
            Item::Call(call) => Some(call),
            Item::Function(_) => None,
        })
        .collect();
    let no_operations = HashMap::new();
    let prepared = prepare::prepare(calls, &[], &no_operations);
    let mut spans = Vec::with_capacity(items.len());
    for call in &prepared.calls {
        let parsed;
        let (provider, api, request, response, error) = match &call.body {
            Body::Recorded(recorded) => {
                parsed = values([recorded.request(), recorded.response()]);
                (
                    recorded.provider(),
                    recorded.api(),
                    &parsed[0],
                    &parsed[1],
                    recorded.error(),
                )
            }
            Body::Captured(captured) => (
                captured.provider,
                captured.api,
                &captured.request,
                &captured.response,
                captured.error.as_deref(),
            ),
            Body::Written(written) => {
                parsed = values(
                    [&written.request, &written.response]
                        .map(|raw| raw.as_deref().map(RawValue::get)),
                );
                (
                    written.provider,
                    written.api,
                    &parsed[0],
                    &parsed[1],
                    written.error.as_deref(),
                )
            }
        };
        let view = SpanView {
            trace_id: call.link.trace_id.0,
            span_id: call.link.span_id.0,
            parent_span_id: call.link.parent_span_id.map(|p| p.0),
            started_at: call.timing.started_at,
            ended_at: call.timing.ended_at,
            error,
            callsite: call.callsite.as_ref().map(callsite_view),
            session: &views[call.session_id],
            source: SpanSource::Call(CallView {
                provider,
                api,
                request,
                response,
            }),
        };
        spans.push(mapping::span(&view, options));
    }
    for item in items {
        let Item::Function(function) = item else {
            continue;
        };
        let span = &function.span;
        let api = function.api();
        let name = span.fields.name();
        let callsite = span.fields.callsite();
        let view = SpanView {
            trace_id: span.link.trace_id.0,
            span_id: span.link.span_id.0,
            parent_span_id: span.link.parent_span_id.map(|p| p.0),
            started_at: function.span.started_at,
            ended_at: function.ended_at,
            error: function.error.as_deref(),
            callsite: callsite.as_ref().map(callsite_view),
            session: &views[&span.session_id],
            source: SpanSource::Function(FunctionView {
                name: &name,
                api: &api,
                args: span.fields.args(),
                kwargs: span.fields.kwargs(),
                result: function.result(),
            }),
        };
        spans.push(mapping::span(&view, options));
    }
    spans
}

/// JSON texts read back as values (null when absent).
fn values(texts: [Option<&str>; 2]) -> [Value; 2] {
    texts.map(|text| {
        text.and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or(Value::Null)
    })
}

fn session_view<'a>(id: &'a SessionId, info: Option<&'a SessionInfo>) -> SessionView<'a> {
    SessionView {
        id,
        name: info.map_or(&**id, |i| &i.name),
        labels: info
            .map(|i| i.labels.iter().map(|(k, v)| (&**k, &**v)).collect())
            .unwrap_or_default(),
    }
}

fn callsite_view(callsite: &Callsite) -> CallsiteView<'_> {
    CallsiteView {
        file: callsite.file.as_deref(),
        line: callsite.line.map(u64::from),
        function: callsite.function.as_deref(),
    }
}
