//! `aiobs export --otlp URL`: replays saved spans into a tracing backend as OTLP/HTTP JSON
//! (`POST {URL}/v1/traces`), one resource per session, GenAI semantic-convention attributes
//! on provider calls.
//!
//! OTLP JSON rules followed here: lowerCamelCase fields, hex trace/span ids, 64-bit integers
//! (times, token counts) as decimal strings, enums as integers.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::dataset::{Dataset, Span};
use crate::error::CliError;
use crate::http::{self, Endpoint};
use crate::model::SpanKind;
use crate::progress::Progress;
use crate::trace::Anomaly;

/// Spans per request; keeps bodies around a megabyte, far below the 64 MiB receivers accept.
const SPANS_PER_REQUEST: usize = 1000;
const MAX_ATTEMPTS: u32 = 4;
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);
const SPAN_KIND_INTERNAL: u8 = 1;
const SPAN_KIND_CLIENT: u8 = 3;
const STATUS_ERROR: u8 = 2;

pub struct Target {
    pub endpoint: Endpoint,
    pub headers: Vec<(String, String)>,
    pub service_name: String,
    pub timeout: Duration,
}

impl Target {
    /// `URL` is a base URL to which `/v1/traces` is appended, unless it already ends so.
    pub fn endpoint_for(url: &str) -> Result<Endpoint, CliError> {
        let trimmed = url.trim_end_matches('/');
        let full = if trimmed.ends_with("/v1/traces") {
            trimmed.to_string()
        } else {
            format!("{trimmed}/v1/traces")
        };
        Endpoint::parse(&full).map_err(CliError::Usage)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportRequest {
    resource_spans: Vec<ResourceSpans>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans {
    resource: Resource,
    scope_spans: Vec<ScopeSpans>,
}

#[derive(Serialize)]
struct Resource {
    attributes: Vec<KeyValue>,
}

#[derive(Serialize)]
struct ScopeSpans {
    scope: Scope,
    spans: Vec<OtlpSpan>,
}

#[derive(Serialize)]
struct Scope {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OtlpSpan {
    trace_id: String,
    span_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_span_id: Option<String>,
    name: String,
    kind: u8,
    start_time_unix_nano: String,
    end_time_unix_nano: String,
    attributes: Vec<KeyValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
}

#[derive(Serialize)]
struct Status {
    code: u8,
    message: String,
}

#[derive(Serialize)]
struct KeyValue {
    key: String,
    value: AnyValue,
}

#[derive(Serialize)]
enum AnyValue {
    #[serde(rename = "stringValue")]
    String(String),
    /// OTLP JSON writes 64-bit integers as strings.
    #[serde(rename = "intValue")]
    Int(String),
}

fn text(key: &str, value: impl Into<String>) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: AnyValue::String(value.into()),
    }
}

fn int(key: &str, value: u64) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: AnyValue::Int(value.to_string()),
    }
}

/// Builds the request bodies: spans grouped by session into resources, at most
/// `SPANS_PER_REQUEST` spans per request.
pub fn build_requests(dataset: &Dataset<'_>, service_name: &str) -> Vec<ExportRequest> {
    let ids = SpanIds::assign(dataset);
    let mut requests = Vec::new();
    let order: Vec<usize> = (0..dataset.spans.len()).collect();
    for chunk in order.chunks(SPANS_PER_REQUEST) {
        let mut by_session: BTreeMap<(usize, &str), Vec<OtlpSpan>> = BTreeMap::new();
        for &i in chunk {
            let span = &dataset.spans[i];
            let session = &span.event.session_id;
            let position = dataset.session_position(session).unwrap_or(usize::MAX);
            by_session
                .entry((position, session))
                .or_default()
                .push(otlp_span(dataset, &ids, i));
        }
        let resource_spans = by_session
            .into_iter()
            .map(|((_, session_id), spans)| ResourceSpans {
                resource: Resource {
                    attributes: resource_attributes(dataset, session_id, service_name),
                },
                scope_spans: vec![ScopeSpans {
                    scope: Scope {
                        name: "aiobs-cli",
                        version: env!("CARGO_PKG_VERSION"),
                    },
                    spans,
                }],
            })
            .collect();
        requests.push(ExportRequest { resource_spans });
    }
    requests
}

fn resource_attributes(
    dataset: &Dataset<'_>,
    session_id: &str,
    service_name: &str,
) -> Vec<KeyValue> {
    let mut attributes = vec![
        text("service.name", service_name),
        text("aiobs.session.id", session_id),
    ];
    if let Some(session) = dataset
        .session_position(session_id)
        .map(|i| &dataset.sessions[i])
    {
        attributes.push(text("aiobs.session.name", session.name.as_ref()));
        for (key, value) in session.labels.iter().flatten() {
            attributes.push(text(&format!("aiobs.label.{key}"), value.as_ref()));
        }
    }
    attributes
}

fn otlp_span(dataset: &Dataset<'_>, ids: &SpanIds, i: usize) -> OtlpSpan {
    let span = &dataset.spans[i];
    let event = &span.event;
    let mut attributes = Vec::new();
    let (name, kind) = match span.kind {
        SpanKind::Provider => {
            let operation = operation_name(&event.api);
            attributes.push(text("gen_ai.system", gen_ai_system(&event.provider)));
            attributes.push(text("gen_ai.operation.name", operation));
            if let Some(model) = &span.facts.request_model {
                attributes.push(text("gen_ai.request.model", model.as_str()));
            }
            if let Some(model) = &span.facts.response_model {
                attributes.push(text("gen_ai.response.model", model.as_str()));
            }
            if let Some(input) = span.facts.tokens.input {
                attributes.push(int("gen_ai.usage.input_tokens", input));
            }
            if let Some(output) = span.facts.tokens.output {
                attributes.push(int("gen_ai.usage.output_tokens", output));
            }
            attributes.push(text("aiobs.api", event.api.as_ref()));
            let name = match span.model() {
                Some(model) => format!("{operation} {model}"),
                None => operation.to_string(),
            };
            (name, SPAN_KIND_CLIENT)
        }
        SpanKind::Function => {
            attributes.push(text("code.function.name", event.api.as_ref()));
            if let Some(id) = &event.enh_prompt_id {
                attributes.push(text("aiobs.enh_prompt_id", id.as_ref()));
            }
            if let Some(after) = event.auto_enhance_after {
                attributes.push(int("aiobs.auto_enhance_after", after));
            }
            (span.title(), SPAN_KIND_INTERNAL)
        }
    };
    if let Some(callsite) = &event.callsite {
        if let Some(file) = &callsite.file {
            attributes.push(text("code.file.path", file.as_ref()));
        }
        if let Some(line) = callsite.line {
            attributes.push(int("code.line.number", line));
        }
    }
    let status = event.error.as_ref().map(|error| {
        let error_type = error
            .split_once(':')
            .map_or(error.as_ref(), |(kind, _)| kind);
        attributes.push(text("error.type", error_type));
        Status {
            code: STATUS_ERROR,
            message: error.to_string(),
        }
    });
    OtlpSpan {
        trace_id: ids.trace[ids.root_of[i]].clone(),
        span_id: ids.span[i].clone(),
        parent_span_id: dataset.forest.parent[i].map(|p| ids.span[p].clone()),
        name,
        kind,
        start_time_unix_nano: unix_nanos(event.started_at),
        end_time_unix_nano: unix_nanos(event.ended_at),
        attributes,
        status,
    }
}

/// The GenAI semantic-convention name of the provider.
fn gen_ai_system(provider: &str) -> &str {
    match provider {
        "gemini" => "gcp.gemini",
        other => other,
    }
}

/// The GenAI semantic-convention operation of an aiobs `api`; unknown ones pass through.
fn operation_name(api: &str) -> &str {
    match api {
        "chat.completions.create" | "responses.create" => "chat",
        "completions.create" => "text_completion",
        "embeddings.create" | "models.embed_content" => "embeddings",
        "models.generate_content" | "models.generate_content_stream" => "generate_content",
        other => other,
    }
}

/// Float Unix seconds to integer nanoseconds, rounded to the microsecond: a float time of
/// today's magnitude holds no finer precision, and rounding avoids `…199999744`-style noise.
fn unix_nanos(seconds: f64) -> String {
    let whole = seconds.floor();
    let micros = ((seconds - whole) * 1e6).round() as u64;
    (whole as u64 * 1_000_000_000 + micros * 1000).to_string()
}

/// OTLP ids for every span. Exports already carry 16-hex span ids and 32-hex trace ids
/// (OpenTelemetry-based SDKs); older ones use uuids, which are hashed into stable ids so a
/// replay of the same file yields the same trace. Every span of a tree gets its root's
/// trace id, so a tree is one trace even when the file had no trace ids.
struct SpanIds {
    span: Vec<String>,
    trace: Vec<String>,
    root_of: Vec<usize>,
}

impl SpanIds {
    fn assign(dataset: &Dataset<'_>) -> SpanIds {
        let span = dataset
            .spans
            .iter()
            .enumerate()
            .map(|(i, s)| span_id(s, i, dataset.forest.anomaly[i]))
            .collect();
        let trace = dataset
            .spans
            .iter()
            .enumerate()
            .map(|(i, s)| trace_id(s, i))
            .collect();
        SpanIds {
            span,
            trace,
            root_of: dataset.forest.trace_roots(),
        }
    }
}

fn span_id(span: &Span<'_>, index: usize, anomaly: Option<Anomaly>) -> String {
    match span.event.span_id.as_deref() {
        Some(id) if is_hex(id, 16) && anomaly != Some(Anomaly::DuplicateSpanId) => {
            id.to_ascii_lowercase()
        }
        Some(id) if anomaly != Some(Anomaly::DuplicateSpanId) => {
            format!("{:016x}", fnv1a(id.as_bytes(), 0))
        }
        _ => format!(
            "{:016x}",
            fnv1a(format!("{}#{index}", span.event.session_id).as_bytes(), 0)
        ),
    }
}

fn trace_id(span: &Span<'_>, index: usize) -> String {
    if let Some(id) = span.event.trace_id.as_deref().filter(|id| is_hex(id, 32)) {
        return id.to_ascii_lowercase();
    }
    let key = span.event.span_id.as_deref().map_or_else(
        || format!("{}#{index}", span.event.session_id),
        str::to_string,
    );
    let uuid_hex: String = key.chars().filter(|c| *c != '-').collect();
    if is_hex(&uuid_hex, 32) {
        return uuid_hex.to_ascii_lowercase();
    }
    format!(
        "{:016x}{:016x}",
        fnv1a(key.as_bytes(), 0),
        fnv1a(key.as_bytes(), 1)
    )
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text.bytes().all(|b| b.is_ascii_hexdigit())
        && text.bytes().any(|b| b != b'0')
}

/// FNV-1a, 64-bit, with a salt to draw two independent halves of a trace id. Never zero,
/// since OTLP treats all-zero ids as invalid.
fn fnv1a(bytes: &[u8], salt: u8) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in std::iter::once(&salt).chain(bytes) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash.max(1)
}

/// Sends every request; stops at the first that fails for good.
pub fn export(
    dataset: &Dataset<'_>,
    target: &Target,
    progress: &Progress,
) -> Result<String, CliError> {
    let requests = build_requests(dataset, &target.service_name);
    let total = requests.len();
    for (n, request) in requests.iter().enumerate() {
        let body = serde_json::to_vec(request)
            .map_err(|e| CliError::Export(format!("encoding OTLP JSON: {e}")))?;
        progress.step(format_args!(
            "sending request {}/{total} ({} bytes)",
            n + 1,
            body.len()
        ));
        send_with_retry(target, &body).map_err(|reason| {
            CliError::Export(format!(
                "export to {} failed on request {}/{total}: {reason}",
                target.endpoint.url(),
                n + 1
            ))
        })?;
    }
    Ok(format!(
        "exported {} spans ({} provider calls, {} functions) in {total} request{} to {}\n",
        dataset.spans.len(),
        dataset.provider_calls().count(),
        dataset.spans.len() - dataset.provider_calls().count(),
        if total == 1 { "" } else { "s" },
        target.endpoint.url()
    ))
}

/// Retries what OTLP says may be retried (429, 502, 503, 504 and connection failures),
/// honouring `Retry-After`, otherwise backing off exponentially with jitter.
fn send_with_retry(target: &Target, body: &[u8]) -> Result<(), String> {
    let mut attempt = 1;
    loop {
        let (reason, retry_after) =
            match http::post_json(&target.endpoint, &target.headers, body, target.timeout) {
                Ok(response) if (200..300).contains(&response.status) => return Ok(()),
                Ok(response) => {
                    let reason = format!(
                        "HTTP {}: {}",
                        response.status,
                        crate::format::one_line(&response.body, 200)
                    );
                    if !matches!(response.status, 429 | 502 | 503 | 504) {
                        return Err(reason);
                    }
                    (reason, response.retry_after.map(Duration::from_secs))
                }
                Err(error) => (error.to_string(), None),
            };
        if attempt == MAX_ATTEMPTS {
            return Err(format!("{reason} (after {MAX_ATTEMPTS} attempts)"));
        }
        std::thread::sleep(
            retry_after
                .unwrap_or_else(|| backoff(attempt))
                .min(MAX_RETRY_DELAY),
        );
        attempt += 1;
    }
}

fn backoff(attempt: u32) -> Duration {
    let jitter_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |now| u64::from(now.subsec_nanos()) % 100);
    Duration::from_millis(200 * (1 << (attempt - 1)) + jitter_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanoseconds_are_exact_to_the_microsecond() {
        assert_eq!(unix_nanos(1_767_400_000.2), "1767400000200000000");
        assert_eq!(unix_nanos(1.000_001), "1000001000");
        assert_eq!(unix_nanos(0.0), "0");
    }

    #[test]
    fn endpoint_gets_the_traces_path_once() {
        assert_eq!(
            Target::endpoint_for("http://h:4318").unwrap().path,
            "/v1/traces"
        );
        assert_eq!(
            Target::endpoint_for("http://h:4318/").unwrap().path,
            "/v1/traces"
        );
        assert_eq!(
            Target::endpoint_for("http://h/otel/v1/traces")
                .unwrap()
                .path,
            "/otel/v1/traces"
        );
        assert!(matches!(
            Target::endpoint_for("https://h"),
            Err(CliError::Usage(_))
        ));
    }

    #[test]
    fn ids_are_hex_of_the_right_length() {
        assert!(is_hex("00f067aa0ba902b7", 16));
        assert!(!is_hex("0000000000000000", 16));
        assert!(!is_hex("00f067aa0ba902b", 16));
        assert_ne!(fnv1a(b"a", 0), fnv1a(b"a", 1));
    }

    #[test]
    fn operation_names_follow_gen_ai_conventions() {
        assert_eq!(operation_name("chat.completions.create"), "chat");
        assert_eq!(
            operation_name("models.generate_content_stream"),
            "generate_content"
        );
        assert_eq!(operation_name("models.embed_content"), "embeddings");
        assert_eq!(
            operation_name("models.generate_videos"),
            "models.generate_videos"
        );
        assert_eq!(gen_ai_system("gemini"), "gcp.gemini");
    }
}
