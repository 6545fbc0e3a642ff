//! `aiobs export --otlp URL`: replays saved spans into a tracing backend over OTLP/HTTP
//! (`POST {URL}/v1/traces`). The mapping (GenAI semantic conventions, session attributes),
//! the encodings and the transport with its retries are the core's, the same the core's
//! background exporter uses; this module only turns the files' spans into the core's views
//! and gives older exports (uuid span ids) stable OTLP ids.

use std::collections::HashMap;
use std::time::Duration;

use aiobs::otlp::encoding;
use aiobs::otlp::mapping::{
    self, CallView, CallsiteView, FunctionView, MappingOptions, SessionView, SpanSource, SpanView,
};
use aiobs::otlp::settings::{Protocol, traces_url};
use aiobs::otlp::transport::{Delivery, Transport};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use serde_json::Value;

use crate::dataset::{Dataset, Span};
use crate::error::CliError;
use crate::model::SpanKind;
use crate::progress::Progress;
use crate::trace::Anomaly;

/// Spans per request; keeps bodies around a megabyte, far below the 64 MiB receivers accept.
const SPANS_PER_REQUEST: usize = 1000;

pub struct Target {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub service_name: String,
    pub timeout: Duration,
    pub protocol: Protocol,
    pub options: MappingOptions,
}

impl Target {
    /// `URL` is a base URL to which `/v1/traces` is appended, unless it already ends so.
    pub fn endpoint_for(url: &str) -> Result<String, CliError> {
        let trimmed = url.trim().trim_end_matches('/');
        if !(trimmed.starts_with("http://") || trimmed.starts_with("https://")) {
            return Err(CliError::Usage(format!(
                "--otlp {url:?}: expected an http:// or https:// URL"
            )));
        }
        Ok(if trimmed.ends_with("/v1/traces") {
            trimmed.to_string()
        } else {
            traces_url(trimmed)
        })
    }
}

pub fn parse_protocol(text: &str) -> Result<Protocol, String> {
    match text {
        "http/protobuf" => Ok(Protocol::Protobuf),
        "http/json" => Ok(Protocol::Json),
        other => Err(format!(
            "expected http/protobuf or http/json, got {other:?}"
        )),
    }
}

/// Sends every span, `SPANS_PER_REQUEST` per request; stops at the first request that fails
/// for good.
pub fn export(
    dataset: &Dataset<'_>,
    target: &Target,
    progress: &Progress,
) -> Result<String, CliError> {
    let transport = Transport::new(&target.url, target.headers.clone(), target.timeout);
    let ids = SpanIds::assign(dataset);
    let sessions = sessions(dataset);
    let unknown_sessions: HashMap<&str, SessionView> = dataset
        .spans
        .iter()
        .map(|s| s.event.session_id.as_ref())
        .filter(|id| !sessions.contains_key(id))
        .map(|id| {
            (
                id,
                SessionView {
                    id,
                    name: id,
                    labels: Vec::new(),
                },
            )
        })
        .collect();
    let order: Vec<usize> = (0..dataset.spans.len()).collect();
    let total = order.len().div_ceil(SPANS_PER_REQUEST);
    for (n, chunk) in order.chunks(SPANS_PER_REQUEST).enumerate() {
        let spans = chunk
            .iter()
            .map(|&i| {
                let session_id = dataset.spans[i].event.session_id.as_ref();
                let session = sessions
                    .get(session_id)
                    .or_else(|| unknown_sessions.get(session_id))
                    .expect("every session id has a view");
                otlp_span(dataset, &ids, i, session, target.options)
            })
            .collect();
        let request = mapping::export_request(resource(&target.service_name), spans);
        let encoded = encoding::encode(&request, target.protocol, false)
            .map_err(|e| CliError::Export(e.message))?;
        progress.step(format_args!(
            "sending request {}/{total} ({} bytes)",
            n + 1,
            encoded.body.len()
        ));
        if let Delivery::Failed(reason) = transport.deliver(&encoded, None) {
            return Err(CliError::Export(format!(
                "export to {} failed on request {}/{total}: {reason}",
                target.url,
                n + 1
            )));
        }
    }
    let calls = dataset.provider_calls().count();
    Ok(format!(
        "exported {} spans ({calls} provider calls, {} functions) in {total} request{} to {}\n",
        dataset.spans.len(),
        dataset.spans.len() - calls,
        if total == 1 { "" } else { "s" },
        target.url
    ))
}

/// A replay has no process of its own to describe: the resource is the service name.
fn resource(service_name: &str) -> Vec<KeyValue> {
    vec![KeyValue {
        key: "service.name".to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(service_name.to_owned())),
        }),
        ..Default::default()
    }]
}

fn sessions<'d>(dataset: &'d Dataset<'_>) -> HashMap<&'d str, SessionView<'d>> {
    dataset
        .sessions
        .iter()
        .map(|session| {
            let view = SessionView {
                id: &session.id,
                name: &session.name,
                labels: session.all_labels().collect(),
            };
            (session.id.as_ref(), view)
        })
        .collect()
}

fn otlp_span(
    dataset: &Dataset<'_>,
    ids: &SpanIds,
    i: usize,
    session: &SessionView,
    options: MappingOptions,
) -> opentelemetry_proto::tonic::trace::v1::Span {
    let span = &dataset.spans[i];
    let event = &span.event;
    let parse = |raw: Option<&serde_json::value::RawValue>| {
        raw.and_then(|r| serde_json::from_str::<Value>(r.get()).ok())
            .unwrap_or(Value::Null)
    };
    let (request, response) = match span.kind {
        SpanKind::Provider => (parse(event.request), parse(event.response)),
        SpanKind::Function => (Value::Null, Value::Null),
    };
    let title = span.title();
    let source = match span.kind {
        SpanKind::Provider => SpanSource::Call(CallView {
            provider: &event.provider,
            api: &event.api,
            request: &request,
            response: &response,
        }),
        SpanKind::Function => SpanSource::Function(FunctionView {
            name: &title,
            api: &event.api,
            args: event.args,
            kwargs: event.kwargs,
            result: event.result,
        }),
    };
    let view = SpanView {
        trace_id: ids.trace[ids.root_of[i]],
        span_id: ids.span[i],
        parent_span_id: dataset.forest.parent[i].map(|p| ids.span[p]),
        started_at: event.started_at,
        ended_at: event.ended_at,
        error: event.error.as_deref(),
        callsite: event.callsite.as_ref().map(|c| CallsiteView {
            file: c.file.as_deref(),
            line: c.line,
            function: c.function.as_deref(),
        }),
        session,
        source,
    };
    mapping::span(&view, options)
}

/// OTLP ids for every span. Exports already carry 16-hex span ids and 32-hex trace ids
/// (the core, OpenTelemetry-based SDKs); older ones use uuids, which are hashed into stable
/// ids so a replay of the same file yields the same trace. Every span of a tree gets its
/// root's trace id, so a tree is one trace even when the file had no trace ids.
struct SpanIds {
    span: Vec<u64>,
    trace: Vec<u128>,
    root_of: Vec<usize>,
}

impl SpanIds {
    fn assign(dataset: &Dataset<'_>) -> SpanIds {
        SpanIds {
            span: dataset
                .spans
                .iter()
                .enumerate()
                .map(|(i, s)| span_id(s, i, dataset.forest.anomaly[i]))
                .collect(),
            trace: dataset
                .spans
                .iter()
                .enumerate()
                .map(|(i, s)| trace_id(s, i))
                .collect(),
            root_of: dataset.forest.trace_roots(),
        }
    }
}

fn span_id(span: &Span<'_>, index: usize, anomaly: Option<Anomaly>) -> u64 {
    let duplicate = anomaly == Some(Anomaly::DuplicateSpanId);
    match span.event.span_id.as_deref() {
        Some(id) if !duplicate => hex(id, 16).map_or_else(|| fnv1a(id.as_bytes(), 0), |v| v as u64),
        _ => fnv1a(format!("{}#{index}", span.event.session_id).as_bytes(), 0),
    }
}

fn trace_id(span: &Span<'_>, index: usize) -> u128 {
    if let Some(id) = span.event.trace_id.as_deref().and_then(|id| hex(id, 32)) {
        return id;
    }
    let key = span.event.span_id.as_deref().map_or_else(
        || format!("{}#{index}", span.event.session_id),
        str::to_string,
    );
    let uuid_hex: String = key.chars().filter(|c| *c != '-').collect();
    hex(&uuid_hex, 32).unwrap_or_else(|| {
        (u128::from(fnv1a(key.as_bytes(), 0)) << 64) | u128::from(fnv1a(key.as_bytes(), 1))
    })
}

/// The value of `len` hex digits, not all zero (OTLP treats all-zero ids as invalid).
fn hex(text: &str, len: usize) -> Option<u128> {
    (text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| u128::from_str_radix(text, 16).ok())
        .flatten()
        .filter(|v| *v != 0)
}

/// FNV-1a, 64-bit, with a salt to draw two independent halves of a trace id. Never zero.
fn fnv1a(bytes: &[u8], salt: u8) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in std::iter::once(&salt).chain(bytes) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_gets_the_traces_path_once() {
        assert_eq!(
            Target::endpoint_for("http://h:4318").unwrap(),
            "http://h:4318/v1/traces"
        );
        assert_eq!(
            Target::endpoint_for("http://h:4318/").unwrap(),
            "http://h:4318/v1/traces"
        );
        assert_eq!(
            Target::endpoint_for("https://h/otel/v1/traces").unwrap(),
            "https://h/otel/v1/traces"
        );
        assert!(matches!(
            Target::endpoint_for("h:4318"),
            Err(CliError::Usage(_))
        ));
    }

    #[test]
    fn ids_are_hex_of_the_right_length() {
        assert_eq!(hex("00f067aa0ba902b7", 16), Some(0x00f0_67aa_0ba9_02b7));
        assert_eq!(hex("0000000000000000", 16), None);
        assert_eq!(hex("00f067aa0ba902b", 16), None);
        assert_ne!(fnv1a(b"a", 0), fnv1a(b"a", 1));
    }
}
