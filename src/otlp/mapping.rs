//! One recorded span (a provider call or a traced function) to one OTLP span: names, kinds,
//! ids, parent links, times, status, session attributes. The GenAI and OpenInference
//! attributes are added by [`genai`] and [`openinference`]. The core's exporter and the CLI's
//! `export --otlp` both describe their spans as [`SpanView`]s and go through here.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, any_value,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    ResourceSpans, ScopeSpans, Span, Status, span, status,
};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::otlp::{genai, openinference};

/// What the mapping needs to know of a session.
pub struct SessionView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub labels: Vec<(&'a str, &'a str)>,
}

/// A provider call, with its request and response in the export's normalised form.
pub struct CallView<'a> {
    pub provider: &'a str,
    pub api: &'a str,
    pub request: &'a Value,
    pub response: &'a Value,
}

/// A traced function.
pub struct FunctionView<'a> {
    pub name: &'a str,
    /// `<module>.<name>`, or the name alone.
    pub api: &'a str,
    pub args: Option<&'a RawValue>,
    pub kwargs: Option<&'a RawValue>,
    pub result: Option<&'a RawValue>,
}

pub enum SpanSource<'a> {
    Call(CallView<'a>),
    Function(FunctionView<'a>),
}

pub struct CallsiteView<'a> {
    pub file: Option<&'a str>,
    pub line: Option<u64>,
    pub function: Option<&'a str>,
}

pub struct SpanView<'a> {
    pub trace_id: u128,
    pub span_id: u64,
    pub parent_span_id: Option<u64>,
    /// Unix seconds.
    pub started_at: f64,
    pub ended_at: f64,
    pub error: Option<&'a str>,
    pub callsite: Option<CallsiteView<'a>>,
    pub session: &'a SessionView<'a>,
    pub source: SpanSource<'a>,
}

/// How spans are mapped: content and OpenInference are opt-in.
#[derive(Clone, Copy, Debug, Default)]
pub struct MappingOptions {
    pub capture_message_content: bool,
    pub openinference: bool,
}

pub const SCOPE_NAME: &str = "aiobs";

/// One request: one resource, one scope, the spans in the order given.
pub fn export_request(resource: Vec<KeyValue>, spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: resource,
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: SCOPE_NAME.to_owned(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    ..Default::default()
                }),
                spans,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

pub fn span(view: &SpanView, options: MappingOptions) -> Span {
    let mut attributes = Attributes::default();
    let (name, kind) = match &view.source {
        SpanSource::Call(call) => {
            let name = genai::add_call(&mut attributes, call, view.error, options);
            (name, span::SpanKind::Client)
        }
        SpanSource::Function(function) => {
            attributes.text("code.function.name", function.api);
            if options.capture_message_content {
                attributes.raw_json("aiobs.function.args", function.args);
                attributes.raw_json("aiobs.function.kwargs", function.kwargs);
                attributes.raw_json("aiobs.function.result", function.result);
            }
            (function.name.to_owned(), span::SpanKind::Internal)
        }
    };
    if options.openinference {
        openinference::add(&mut attributes, view, options);
    }
    add_session(&mut attributes, view.session);
    if let Some(callsite) = &view.callsite {
        attributes.opt_text("code.file.path", callsite.file);
        if let Some(line) = callsite.line {
            attributes.int("code.line.number", line as i64);
        }
        if matches!(view.source, SpanSource::Call(_)) {
            attributes.opt_text("code.function.name", callsite.function);
        }
    }
    let status = view.error.map(|error| {
        if !attributes.has("error.type") {
            attributes.text("error.type", error_type(error));
        }
        Status {
            code: status::StatusCode::Error as i32,
            message: error.to_owned(),
        }
    });
    Span {
        trace_id: view.trace_id.to_be_bytes().to_vec(),
        span_id: view.span_id.to_be_bytes().to_vec(),
        parent_span_id: view
            .parent_span_id
            .map(|p| p.to_be_bytes().to_vec())
            .unwrap_or_default(),
        name,
        kind: kind as i32,
        start_time_unix_nano: unix_nanos(view.started_at),
        end_time_unix_nano: unix_nanos(view.ended_at.max(view.started_at)),
        attributes: attributes.0,
        status,
        ..Default::default()
    }
}

/// `session.id` (the name OpenInference, Langfuse and Phoenix group by) on every span, with
/// the session's name and labels.
fn add_session(attributes: &mut Attributes, session: &SessionView) {
    attributes.text("session.id", session.id);
    attributes.text("aiobs.session.name", session.name);
    for (key, value) in &session.labels {
        attributes.text(&format!("aiobs.label.{key}"), value);
    }
}

/// A low-cardinality error class: the part before the first `:` of `KIND: message` errors,
/// `_OTHER` for anything longer (a message, not a class).
fn error_type(error: &str) -> &str {
    let head = error.split_once(':').map_or(error, |(kind, _)| kind).trim();
    if head.is_empty() || head.len() > 64 || head.contains(char::is_whitespace) {
        "_OTHER"
    } else {
        head
    }
}

/// Float Unix seconds to integer nanoseconds, rounded to the microsecond: a float time of
/// today's magnitude holds no finer precision, and rounding avoids `…199999744`-style noise.
pub fn unix_nanos(seconds: f64) -> u64 {
    if !seconds.is_finite() || seconds <= 0.0 {
        return 0;
    }
    let whole = seconds.floor();
    let micros = ((seconds - whole) * 1e6).round() as u64;
    (whole as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(micros * 1000)
}

/// A span's attributes under construction.
#[derive(Default)]
pub struct Attributes(pub Vec<KeyValue>);

impl Attributes {
    fn push(&mut self, key: &str, value: any_value::Value) {
        self.0.push(KeyValue {
            key: key.to_owned(),
            value: Some(AnyValue { value: Some(value) }),
            ..Default::default()
        });
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.iter().any(|kv| kv.key == key)
    }

    pub fn text(&mut self, key: &str, value: &str) {
        self.push(key, any_value::Value::StringValue(value.to_owned()));
    }

    pub fn opt_text(&mut self, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.text(key, value);
        }
    }

    pub fn int(&mut self, key: &str, value: i64) {
        self.push(key, any_value::Value::IntValue(value));
    }

    pub fn double(&mut self, key: &str, value: f64) {
        self.push(key, any_value::Value::DoubleValue(value));
    }

    pub fn bool(&mut self, key: &str, value: bool) {
        self.push(key, any_value::Value::BoolValue(value));
    }

    pub fn texts(&mut self, key: &str, values: Vec<String>) {
        let values = values
            .into_iter()
            .map(|v| AnyValue {
                value: Some(any_value::Value::StringValue(v)),
            })
            .collect();
        self.push(key, any_value::Value::ArrayValue(ArrayValue { values }));
    }

    /// A JSON value as an attribute of the matching type: strings, integers, doubles and
    /// booleans as themselves, arrays of strings as string arrays, anything else as JSON text.
    pub fn json(&mut self, key: &str, value: &Value) {
        match value {
            Value::Null => {}
            Value::String(s) => self.text(key, s),
            Value::Bool(b) => self.bool(key, *b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => self.int(key, i),
                None => self.double(key, n.as_f64().unwrap_or_default()),
            },
            Value::Array(items) if items.iter().all(Value::is_string) => self.texts(
                key,
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            ),
            other => self.text(key, &other.to_string()),
        }
    }

    /// Raw JSON kept as JSON text; nothing for none or `null`.
    pub fn raw_json(&mut self, key: &str, value: Option<&RawValue>) {
        if let Some(raw) = value.filter(|raw| raw.get() != "null") {
            self.text(key, raw.get());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanoseconds_are_exact_to_the_microsecond() {
        assert_eq!(unix_nanos(1_767_400_000.2), 1_767_400_000_200_000_000);
        assert_eq!(unix_nanos(1.000_001), 1_000_001_000);
        assert_eq!(unix_nanos(f64::NAN), 0);
    }

    #[test]
    fn error_types_stay_low_cardinality() {
        assert_eq!(
            error_type("RESOURCE_EXHAUSTED: quota"),
            "RESOURCE_EXHAUSTED"
        );
        assert_eq!(error_type("the request failed badly"), "_OTHER");
        assert_eq!(error_type("timeout"), "timeout");
    }
}
