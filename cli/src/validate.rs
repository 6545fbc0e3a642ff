//! `aiobs validate`: checks a parsed export against the version-1 schema and names each
//! problem with its JSON path, e.g. `$.events[3].duration_ms: expected number, got string`.
//!
//! Beyond types it checks what a reader relies on: times that agree with `duration_ms`,
//! span ids that are unique and parents that do not loop, sessions that exist, and an
//! `enh_prompt_traces` list that matches the function events.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::trace::{self, Anomaly};

pub struct Problem {
    pub path: String,
    pub message: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Ty {
    Str,
    Num,
    Int,
    Bool,
    Arr,
    Obj,
    Any,
}

struct Field {
    key: &'static str,
    ty: Ty,
    nullable: bool,
    required: bool,
}

const fn required(key: &'static str, ty: Ty) -> Field {
    Field {
        key,
        ty,
        nullable: false,
        required: true,
    }
}

const fn nullable(key: &'static str, ty: Ty) -> Field {
    Field {
        key,
        ty,
        nullable: true,
        required: true,
    }
}

/// `trace_id` is absent from exports written before OpenTelemetry ids were added.
const fn optional(key: &'static str, ty: Ty) -> Field {
    Field {
        key,
        ty,
        nullable: true,
        required: false,
    }
}

const TOP_LEVEL: &[Field] = &[
    required("sessions", Ty::Arr),
    required("events", Ty::Arr),
    required("function_events", Ty::Arr),
    nullable("trace_tree", Ty::Arr),
    nullable("enh_prompt_traces", Ty::Arr),
    required("generated_at", Ty::Num),
    required("version", Ty::Int),
    // Events the core dropped and spans it closed as abandoned; absent from older exports.
    optional("drops", Ty::Obj),
];

const SESSION: &[Field] = &[
    required("id", Ty::Str),
    required("name", Ty::Str),
    required("started_at", Ty::Num),
    nullable("ended_at", Ty::Num),
    required("meta", Ty::Obj),
    nullable("labels", Ty::Obj),
];

const SESSION_META: &[Field] = &[required("pid", Ty::Int), required("cwd", Ty::Str)];

const CALLSITE: &[Field] = &[
    nullable("file", Ty::Str),
    nullable("line", Ty::Int),
    nullable("function", Ty::Str),
];

/// Fields of both provider calls and function events.
const SPAN: &[Field] = &[
    required("provider", Ty::Str),
    required("api", Ty::Str),
    nullable("error", Ty::Str),
    required("started_at", Ty::Num),
    required("ended_at", Ty::Num),
    required("duration_ms", Ty::Num),
    nullable("callsite", Ty::Obj),
    nullable("span_id", Ty::Str),
    nullable("parent_span_id", Ty::Str),
    optional("trace_id", Ty::Str),
    required("session_id", Ty::Str),
];

const PROVIDER_CALL: &[Field] = &[nullable("request", Ty::Any), nullable("response", Ty::Any)];

const FUNCTION_CALL: &[Field] = &[
    required("name", Ty::Str),
    nullable("module", Ty::Str),
    nullable("args", Ty::Arr),
    nullable("kwargs", Ty::Obj),
    nullable("result", Ty::Any),
    required("enh_prompt", Ty::Bool),
    nullable("enh_prompt_id", Ty::Str),
    nullable("auto_enhance_after", Ty::Int),
];

const TREE_NODE: &[Field] = &[
    required("event_type", Ty::Str),
    required("children", Ty::Arr),
];

const LABEL_VALUE_MAX_CHARS: usize = 256;
/// `duration_ms` is rounded to 3 decimals from float seconds; allow that and clock noise.
const DURATION_TOLERANCE_MS: f64 = 1.0;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Provider,
    Function,
}

/// A span seen in `events` or `function_events`, for the cross-checks.
struct SpanRef<'v> {
    path: String,
    id: Option<&'v str>,
    parent: Option<&'v str>,
    started_at: f64,
}

#[derive(Default)]
struct Checker<'v> {
    problems: Vec<Problem>,
    spans: Vec<SpanRef<'v>>,
    session_ids: HashSet<&'v str>,
    enh_prompt_ids: Vec<(&'v str, String)>,
}

pub fn validate(document: &Value) -> Vec<Problem> {
    let mut checker = Checker::default();
    checker.document(document);
    checker.problems
}

impl<'v> Checker<'v> {
    fn problem(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.to_string(),
            message: message.into(),
        });
    }

    fn document(&mut self, document: &'v Value) {
        let Some(top) = self.object("$", document) else {
            return;
        };
        self.fields("$", top, TOP_LEVEL);
        for key in top.keys() {
            if !TOP_LEVEL.iter().any(|field| field.key == key) {
                self.problem(
                    &child("$", key),
                    "unexpected key (an export has only the documented keys)",
                );
            }
        }
        if let Some(version) = top.get("version").and_then(Value::as_i64)
            && version != 1
        {
            self.problem("$.version", format!("expected 1, got {version}"));
        }
        for (path, session) in items("$.sessions", top.get("sessions")) {
            self.session(&path, session);
        }
        let mut session_refs = Vec::new();
        for (key, kind) in [
            ("events", Kind::Provider),
            ("function_events", Kind::Function),
        ] {
            for (path, span) in items(&child("$", key), top.get(key)) {
                if let Some(session_id) = self.span(&path, span, kind) {
                    session_refs.push((path, session_id));
                }
            }
        }
        if top.get("sessions").is_some_and(Value::is_array) {
            for (path, session_id) in session_refs {
                if !self.session_ids.contains(session_id) {
                    self.problem(
                        &child(&path, "session_id"),
                        format!("no session with id {session_id:?}"),
                    );
                }
            }
        }
        self.span_links();
        let known_ids: HashSet<&str> = self.spans.iter().filter_map(|span| span.id).collect();
        for (path, node) in items("$.trace_tree", top.get("trace_tree")) {
            self.tree_node(&path, node, &known_ids);
        }
        self.enh_prompt_traces(top);
    }

    /// Checks the listed fields of an object: presence, then type.
    fn fields(&mut self, path: &str, object: &Map<String, Value>, fields: &[Field]) {
        for field in fields {
            match object.get(field.key) {
                None if field.required => {
                    self.problem(path, format!("missing key {:?}", field.key))
                }
                None => {}
                Some(Value::Null) if field.nullable => {}
                Some(value) if !matches(field.ty, value) => {
                    let expected =
                        type_name(field.ty) + if field.nullable { " or null" } else { "" };
                    self.problem(
                        &child(path, field.key),
                        format!("expected {expected}, got {}", value_type(value)),
                    );
                }
                Some(_) => {}
            }
        }
    }

    fn object(&mut self, path: &str, value: &'v Value) -> Option<&'v Map<String, Value>> {
        let object = value.as_object();
        if object.is_none() {
            self.problem(path, format!("expected object, got {}", value_type(value)));
        }
        object
    }

    fn session(&mut self, path: &str, session: &'v Value) {
        let Some(object) = self.object(path, session) else {
            return;
        };
        self.fields(path, object, SESSION);
        if let Some(id) = object.get("id").and_then(Value::as_str) {
            self.session_ids.insert(id);
        }
        if let Some(meta) = object.get("meta").and_then(Value::as_object) {
            self.fields(&child(path, "meta"), meta, SESSION_META);
        }
        if let Some(labels) = object.get("labels").and_then(Value::as_object) {
            let labels_path = child(path, "labels");
            for (key, value) in labels {
                let label_path = child(&labels_path, key);
                if !is_label_key(key) {
                    self.problem(&label_path, "label key must match ^[a-z][a-z0-9_]{0,62}$");
                }
                match value.as_str() {
                    None => self.problem(
                        &label_path,
                        format!("expected string, got {}", value_type(value)),
                    ),
                    Some(text) if text.chars().count() > LABEL_VALUE_MAX_CHARS => self.problem(
                        &label_path,
                        format!("label value longer than {LABEL_VALUE_MAX_CHARS} characters"),
                    ),
                    Some(_) => {}
                }
            }
        }
    }

    /// Checks one call or function event; returns its session id for the later cross-check.
    fn span(&mut self, path: &str, span: &'v Value, kind: Kind) -> Option<&'v str> {
        let object = self.object(path, span)?;
        self.span_fields(path, object, kind);
        let text = |key: &str| object.get(key).and_then(Value::as_str);
        if let Some(id) = text("enh_prompt_id") {
            self.enh_prompt_ids.push((id, path.to_string()));
        }
        self.spans.push(SpanRef {
            path: path.to_string(),
            id: text("span_id"),
            parent: text("parent_span_id"),
            started_at: object
                .get("started_at")
                .and_then(Value::as_f64)
                .unwrap_or(0.0),
        });
        text("session_id")
    }

    fn span_fields(&mut self, path: &str, object: &Map<String, Value>, kind: Kind) {
        self.fields(path, object, SPAN);
        let provider = object.get("provider").and_then(Value::as_str);
        match kind {
            Kind::Provider => {
                self.fields(path, object, PROVIDER_CALL);
                if provider == Some("function") {
                    self.problem(
                        &child(path, "provider"),
                        "a provider call cannot have provider \"function\"",
                    );
                }
            }
            Kind::Function => {
                self.fields(path, object, FUNCTION_CALL);
                if provider.is_some_and(|p| p != "function") {
                    self.problem(
                        &child(path, "provider"),
                        "expected \"function\" for a function event",
                    );
                }
                let enh_prompt = object.get("enh_prompt").and_then(Value::as_bool) == Some(true);
                if enh_prompt && object.get("enh_prompt_id").is_some_and(Value::is_null) {
                    self.problem(
                        &child(path, "enh_prompt_id"),
                        "null although enh_prompt is true",
                    );
                }
                if object
                    .get("auto_enhance_after")
                    .and_then(Value::as_i64)
                    .is_some_and(|n| n < 0)
                {
                    self.problem(&child(path, "auto_enhance_after"), "must not be negative");
                }
            }
        }
        self.timing(path, object);
        if let Some(callsite) = object.get("callsite").and_then(Value::as_object) {
            self.fields(&child(path, "callsite"), callsite, CALLSITE);
        }
        if let Some(trace_id) = object.get("trace_id").and_then(Value::as_str)
            && !(trace_id.len() == 32 && trace_id.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            self.problem(&child(path, "trace_id"), "expected 32 hex digits");
        }
    }

    fn timing(&mut self, path: &str, object: &Map<String, Value>) {
        let number = |key: &str| object.get(key).and_then(Value::as_f64);
        let (Some(start), Some(end)) = (number("started_at"), number("ended_at")) else {
            return;
        };
        if end < start {
            self.problem(&child(path, "ended_at"), "earlier than started_at");
        } else if let Some(duration) = number("duration_ms") {
            let measured = (end - start) * 1000.0;
            if (duration - measured).abs() > DURATION_TOLERANCE_MS {
                self.problem(
                    &child(path, "duration_ms"),
                    format!("{duration} does not match ended_at - started_at ({measured:.3} ms)"),
                );
            }
        }
    }

    /// Duplicate span ids, self-parents and parent cycles across all events.
    fn span_links(&mut self) {
        let nodes: Vec<trace::Node> = self
            .spans
            .iter()
            .map(|span| trace::Node {
                id: span.id,
                parent: span.parent,
                started_at: span.started_at,
            })
            .collect();
        let forest = trace::build(&nodes);
        let mut first_path: HashMap<&str, &str> = HashMap::new();
        let mut found = Vec::new();
        for (span, anomaly) in self.spans.iter().zip(&forest.anomaly) {
            if let Some(id) = span.id {
                let first = *first_path.entry(id).or_insert(&span.path);
                if anomaly == &Some(Anomaly::DuplicateSpanId) {
                    found.push((
                        child(&span.path, "span_id"),
                        format!("duplicate of {first}.span_id"),
                    ));
                }
            }
            if span.id.is_some() && span.id == span.parent {
                found.push((
                    child(&span.path, "parent_span_id"),
                    "equals the span's own span_id".to_string(),
                ));
            }
            if anomaly == &Some(Anomaly::ParentCycle) {
                found.push((
                    child(&span.path, "parent_span_id"),
                    "parent chain loops back to this span".to_string(),
                ));
            }
        }
        for (path, message) in found {
            self.problem(&path, message);
        }
    }

    fn tree_node(&mut self, path: &str, node: &'v Value, known_ids: &HashSet<&str>) {
        let Some(object) = self.object(path, node) else {
            return;
        };
        self.fields(path, object, TREE_NODE);
        match object.get("event_type").and_then(Value::as_str) {
            Some("provider") => self.span_fields(path, object, Kind::Provider),
            Some("function") => self.span_fields(path, object, Kind::Function),
            Some(other) => self.problem(
                &child(path, "event_type"),
                format!("expected \"provider\" or \"function\", got {other:?}"),
            ),
            None => {}
        }
        if let Some(id) = object.get("span_id").and_then(Value::as_str)
            && !known_ids.contains(id)
        {
            self.problem(
                &child(path, "span_id"),
                "not the span_id of any event or function event",
            );
        }
        for (child_path, node) in items(&child(path, "children"), object.get("children")) {
            self.tree_node(&child_path, node, known_ids);
        }
    }

    /// The list must name exactly the function events' `enh_prompt_id`s, and is null
    /// rather than empty (or null anyway when the trace tree was not written).
    fn enh_prompt_traces(&mut self, top: &'v Map<String, Value>) {
        let Some(listed) = top.get("enh_prompt_traces").and_then(Value::as_array) else {
            let tree_written = top.get("trace_tree").is_some_and(|tree| !tree.is_null());
            if let Some((_, path)) = self.enh_prompt_ids.first()
                && tree_written
                && top.get("enh_prompt_traces").is_some_and(Value::is_null)
            {
                let message = format!("null, but {path} has an enh_prompt_id");
                self.problem("$.enh_prompt_traces", message);
            }
            return;
        };
        if listed.is_empty() {
            self.problem(
                "$.enh_prompt_traces",
                "empty list (an export writes null instead)",
            );
        }
        let function_ids: HashSet<&str> = self.enh_prompt_ids.iter().map(|(id, _)| *id).collect();
        let mut listed_ids = HashSet::new();
        for (path, id) in items("$.enh_prompt_traces", Some(&top["enh_prompt_traces"])) {
            match id.as_str() {
                None => self.problem(&path, format!("expected string, got {}", value_type(id))),
                Some(id) => {
                    listed_ids.insert(id);
                    if !function_ids.contains(id) {
                        self.problem(&path, "not the enh_prompt_id of any function event");
                    }
                }
            }
        }
        let unlisted: Vec<String> = self
            .enh_prompt_ids
            .iter()
            .filter(|(id, _)| !listed_ids.contains(id))
            .map(|(_, path)| format!("does not list the enh_prompt_id of {path}"))
            .collect();
        for message in unlisted {
            self.problem("$.enh_prompt_traces", message);
        }
    }
}

/// The elements of an array with their paths; nothing for a missing or non-array value
/// (its type problem is reported by `fields`).
fn items<'v>(path: &str, value: Option<&'v Value>) -> impl Iterator<Item = (String, &'v Value)> {
    let path = path.to_string();
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .map(move |(i, item)| (format!("{path}[{i}]"), item))
}

/// `$.a.b`, or `$.a["odd key"]` when the key is not a plain identifier.
fn child(path: &str, key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!("{path}.{key}")
    } else {
        format!("{path}[{}]", Value::String(key.to_string()))
    }
}

fn matches(ty: Ty, value: &Value) -> bool {
    match ty {
        Ty::Str => value.is_string(),
        Ty::Num => value.is_number(),
        Ty::Int => value.is_i64() || value.is_u64(),
        Ty::Bool => value.is_boolean(),
        Ty::Arr => value.is_array(),
        Ty::Obj => value.is_object(),
        Ty::Any => true,
    }
}

fn type_name(ty: Ty) -> String {
    match ty {
        Ty::Str => "string",
        Ty::Num => "number",
        Ty::Int => "integer",
        Ty::Bool => "boolean",
        Ty::Arr => "array",
        Ty::Obj => "object",
        Ty::Any => "any value",
    }
    .to_string()
}

fn value_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number (not an integer)",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_label_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(json: &str) -> Vec<String> {
        let value: Value = serde_json::from_str(json).unwrap();
        validate(&value)
            .into_iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect()
    }

    const EMPTY: &str = r#"{"sessions":[],"events":[],"function_events":[],"trace_tree":[],
        "enh_prompt_traces":null,"generated_at":1.5,"version":1}"#;

    #[test]
    fn empty_export_is_valid() {
        assert!(problems(EMPTY).is_empty());
    }

    #[test]
    fn top_level_shape() {
        assert_eq!(problems("[]"), vec!["$: expected object, got array"]);
        assert_eq!(
            problems(
                r#"{"sessions":[],"events":[],"function_events":[],"trace_tree":null,"enh_prompt_traces":null,"generated_at":1,"version":2,"extra":0}"#
            ),
            vec![
                "$.extra: unexpected key (an export has only the documented keys)",
                "$.version: expected 1, got 2"
            ]
        );
        assert_eq!(
            problems(
                r#"{"events":[],"function_events":[],"trace_tree":null,"enh_prompt_traces":null,"generated_at":"x","version":1.0}"#
            ),
            vec![
                "$: missing key \"sessions\"",
                "$.generated_at: expected number, got string",
                "$.version: expected integer, got number (not an integer)"
            ]
        );
    }

    fn with_span(span: &str) -> String {
        format!(
            r#"{{"sessions":[{{"id":"s","name":"n","started_at":1,"ended_at":null,"meta":{{"pid":1,"cwd":"/"}},"labels":{{"Bad-Key":"v"}}}}],
               "events":[{span}],"function_events":[],"trace_tree":null,"enh_prompt_traces":null,"generated_at":1,"version":1}}"#
        )
    }

    #[test]
    fn span_types_timing_and_references() {
        let found = problems(&with_span(
            r#"{"provider":"openai","api":"x","request":{},"response":null,"error":null,"started_at":10,
                "ended_at":9,"duration_ms":"5","callsite":{"file":null,"line":1.5,"function":null},
                "span_id":"a","parent_span_id":"a","trace_id":"xyz","session_id":"other"}"#,
        ));
        assert_eq!(
            found,
            vec![
                "$.sessions[0].labels[\"Bad-Key\"]: label key must match ^[a-z][a-z0-9_]{0,62}$",
                "$.events[0].duration_ms: expected number, got string",
                "$.events[0].ended_at: earlier than started_at",
                "$.events[0].callsite.line: expected integer or null, got number (not an integer)",
                "$.events[0].trace_id: expected 32 hex digits",
                "$.events[0].session_id: no session with id \"other\"",
                "$.events[0].parent_span_id: equals the span's own span_id",
            ]
        );
    }

    #[test]
    fn duration_must_match_times() {
        let found = problems(&with_span(
            r#"{"provider":"openai","api":"x","request":{},"response":null,"error":null,"started_at":10,
                "ended_at":10.5,"duration_ms":400.0,"callsite":null,"span_id":null,"parent_span_id":null,"session_id":"s"}"#,
        ));
        assert_eq!(
            found[1],
            "$.events[0].duration_ms: 400 does not match ended_at - started_at (500.000 ms)"
        );
    }

    #[test]
    fn child_paths_quote_odd_keys() {
        assert_eq!(child("$", "events"), "$.events");
        assert_eq!(child("$.labels", "my key"), "$.labels[\"my key\"]");
        assert_eq!(child("$.labels", "9lives"), "$.labels[\"9lives\"]");
    }
}
