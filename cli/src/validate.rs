//! `aiobs validate`: checks an export against the version-1 schema (`aiobs::export::schema`)
//! and names each problem with its JSON path, e.g.
//! `$.events[3].duration_ms: expected number, got string`.
//!
//! The file is streamed, never held: each event is reduced as it is read to its small fields
//! (payloads are walked, checked for depth and replaced by an empty value of their type), checked,
//! and dropped. What stays in memory is what the cross-checks need, a few strings per span, so
//! a file of any size is read in memory proportional to its number of spans, not its bytes.
//!
//! Beyond types it checks what a reader relies on: payloads nested at most 128 levels (the
//! core's input limit), trace trees at most 256 levels deep, times that agree with
//! `duration_ms`, span ids that are unique and parents that do not loop, sessions that exist,
//! and an `enh_prompt_traces` list that matches the function events.

use std::collections::HashSet;
use std::fmt;
use std::io::BufRead;

use aiobs::export::schema::{
    self, CALLSITE, CAPTURED_REQUEST, CAPTURED_RESPONSE, DROPS, FUNCTION_CALL, FUNCTION_PROVIDER,
    Field, LABEL_VALUE_MAX_CHARS, MAX_PAYLOAD_DEPTH, PROVIDER_CALL, SESSION, SESSION_META,
    TOP_LEVEL, TREE_NODE,
};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::trace::{self, Anomaly, MAX_DEPTH};

pub struct Problem {
    pub path: String,
    pub message: String,
}

/// `duration_ms` is rounded to 3 decimals from float seconds; allow that and clock noise.
const DURATION_TOLERANCE_MS: f64 = 1.0;
/// Small values (labels, callsite, …) are held while checked; nesting this deep is refused.
const MAX_PLAIN_DEPTH: usize = MAX_PAYLOAD_DEPTH;

/// Streams one file through the checks. A JSON syntax error (or a string or number no strict
/// parser accepts) ends the reading with an error naming its line and column.
pub fn validate_reader(reader: impl BufRead) -> Result<Vec<Problem>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    // Depth is bounded by the walk below: tree levels up to MAX_DEPTH, payloads and plain
    // values up to 128, beyond which values are skipped without recursion.
    deserializer.disable_recursion_limit();
    let mut checker = Checker::default();
    let document = Walk {
        checker: &mut checker,
        path: "$".to_string(),
        role: Role::Document,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    if !document.is_object() {
        checker.problems.clear();
        let message = format!("expected object, got {}", value_type(&document));
        checker.problem("$", message);
        return Ok(checker.problems);
    }
    checker.finish();
    Ok(checker.problems)
}

#[cfg(test)]
fn validate_str(text: &str) -> Result<Vec<Problem>, serde_json::Error> {
    validate_reader(text.as_bytes())
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Provider,
    Function,
}

/// What a value is, which decides how it is walked and what is kept of it.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Role {
    Document,
    /// `sessions`, `events`, `function_events`: arrays checked element by element.
    Sessions,
    Events(Kind),
    /// `trace_tree` (depth 1) or a node's `children` (depth of the children).
    TreeLevel(usize),
    Session,
    Event(Kind),
    /// A trace-tree node at this depth (a root is at 1).
    TreeNode(usize),
    /// `request` or `response` itself: the core's own fields in it are kept.
    Request,
    Response,
    /// Inside a payload, at this nesting depth: walked, never kept.
    Payload(usize),
    /// A small value kept whole (labels, callsite, `drops`, a scalar), at this depth.
    Plain(usize),
}

/// Reduces one JSON value according to its role, streaming and checking arrays of events,
/// and returns what is kept of it: payloads become an empty value of the same JSON type.
struct Walk<'c> {
    checker: &'c mut Checker,
    path: String,
    role: Role,
}

impl Walk<'_> {
    fn nested(&mut self, path: String, role: Role) -> Walk<'_> {
        Walk {
            checker: self.checker,
            path,
            role,
        }
    }

    /// The role of an object's member, by key.
    fn member_role(&self, key: &str) -> Option<Role> {
        Some(match (self.role, key) {
            (Role::Document, "sessions") => Role::Sessions,
            (Role::Document, "events") => Role::Events(Kind::Provider),
            (Role::Document, "function_events") => Role::Events(Kind::Function),
            (Role::Document, "trace_tree") => Role::TreeLevel(1),
            (Role::Document, key) if TOP_LEVEL.iter().any(|f| f.key == key) => Role::Plain(1),
            // Unexpected top-level keys are reported, and skipped unread.
            (Role::Document, _) => return None,
            (Role::TreeNode(depth), "children") => Role::TreeLevel(depth + 1),
            (Role::Event(_) | Role::TreeNode(_), "request") => Role::Request,
            (Role::Event(_) | Role::TreeNode(_), "response") => Role::Response,
            (Role::Event(_) | Role::TreeNode(_), key) if schema::PAYLOAD_KEYS.contains(&key) => {
                Role::Payload(1)
            }
            (Role::Request | Role::Response, _) => Role::Payload(2),
            (Role::Payload(depth), _) => Role::Payload(depth + 1),
            (Role::Plain(depth), _) => Role::Plain(depth + 1),
            (_, _) => Role::Plain(1),
        })
    }

    /// Whether a member of a request or response is one the core writes and is kept.
    fn keeps(&self, key: &str) -> bool {
        match self.role {
            Role::Request => CAPTURED_REQUEST.iter().any(|f| f.key == key),
            Role::Response => CAPTURED_RESPONSE.iter().any(|f| f.key == key),
            _ => true,
        }
    }

    /// The role of an array's elements.
    fn element_role(&self) -> Role {
        match self.role {
            Role::Sessions => Role::Session,
            Role::Events(kind) => Role::Event(kind),
            Role::TreeLevel(depth) => Role::TreeNode(depth),
            Role::Request | Role::Response => Role::Payload(2),
            Role::Payload(depth) => Role::Payload(depth + 1),
            Role::Plain(depth) => Role::Plain(depth + 1),
            _ => Role::Plain(1),
        }
    }

    /// Past the nesting limits a value is reported and skipped without recursion: a payload
    /// array or object at depth 129, a tree node at depth 257.
    fn too_deep(&mut self) -> bool {
        let message = match self.role {
            Role::Payload(depth) if depth > MAX_PAYLOAD_DEPTH => {
                format!("payload nested deeper than {MAX_PAYLOAD_DEPTH} levels")
            }
            Role::Plain(depth) if depth > MAX_PLAIN_DEPTH => {
                format!("nested deeper than {MAX_PLAIN_DEPTH} levels")
            }
            Role::TreeNode(depth) if depth > MAX_DEPTH => {
                format!("trace tree deeper than {MAX_DEPTH} levels")
            }
            _ => return false,
        };
        self.checker.problem(&self.path, message);
        true
    }

    /// Whether what is read is thrown away rather than kept.
    fn discards(&self) -> bool {
        matches!(self.role, Role::Payload(_) | Role::Request | Role::Response)
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(if self.discards() {
            String::new()
        } else {
            v.to_string()
        }))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Value, A::Error> {
        if self.role == Role::Document || self.too_deep() {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(Value::Array(Vec::new()));
        }
        let role = self.element_role();
        let mut kept = Vec::new();
        let mut index = 0;
        loop {
            let path = format!("{}[{index}]", self.path);
            let Some(element) = seq.next_element_seed(self.nested(path.clone(), role))? else {
                break;
            };
            match role {
                Role::Session => self.checker.session(&path, &element),
                Role::Event(kind) => self.checker.event(&path, &element, kind),
                // A node past the depth limit was reported and skipped.
                Role::TreeNode(depth) if depth <= MAX_DEPTH => {
                    self.checker.tree_node(&path, &element)
                }
                Role::Plain(_) => kept.push(element),
                _ => {}
            }
            index += 1;
        }
        match self.role {
            Role::Sessions => self.checker.sessions_seen = true,
            Role::Events(Kind::Provider) => self.checker.seen_events.0 = true,
            Role::Events(Kind::Function) => self.checker.seen_events.1 = true,
            _ => {}
        }
        Ok(Value::Array(kept))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Value, A::Error> {
        if self.too_deep() {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(Value::Object(Map::new()));
        }
        let mut kept = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = child(&self.path, &key);
            let Some(role) = self.member_role(&key) else {
                map.next_value::<IgnoredAny>()?;
                self.checker
                    .problem(&path, "unexpected key (not part of the export format)");
                continue;
            };
            let keep = self.keeps(&key);
            let value = map.next_value_seed(self.nested(path.clone(), role))?;
            if self.role == Role::Document {
                self.checker.top_level_member(&path, &key, &value);
            }
            if keep {
                kept.insert(key, value);
            }
        }
        match self.role {
            Role::Document => self.checker.top_level_complete(&kept),
            Role::Request => self.checker.captured(&self.path, &kept, CAPTURED_REQUEST),
            Role::Response => self.checker.captured(&self.path, &kept, CAPTURED_RESPONSE),
            _ => {}
        }
        Ok(Value::Object(kept))
    }
}

/// A span seen in `events` or `function_events`, for the cross-checks at the end.
struct SpanRef {
    kind: Kind,
    index: usize,
    id: Option<Box<str>>,
    parent: Option<Box<str>>,
    started_at: f64,
}

impl SpanRef {
    fn path(&self) -> String {
        let list = match self.kind {
            Kind::Provider => "events",
            Kind::Function => "function_events",
        };
        format!("$.{list}[{}]", self.index)
    }
}

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
    spans: Vec<SpanRef>,
    counts: (usize, usize),
    session_ids: HashSet<Box<str>>,
    sessions_seen: bool,
    seen_events: (bool, bool),
    span_ids: HashSet<Box<str>>,
    /// References checked at the end because their targets came later in the file.
    session_refs: Vec<(String, String)>,
    tree_refs: Vec<(String, String)>,
    enh_prompt_ids: Vec<(Box<str>, String)>,
    trace_tree_written: bool,
    enh_prompt_traces: Option<Vec<Value>>,
    enh_prompt_traces_null: bool,
}

impl Checker {
    fn problem(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.to_string(),
            message: message.into(),
        });
    }

    fn top_level_member(&mut self, path: &str, key: &str, value: &Value) {
        let Some(field) = TOP_LEVEL.iter().find(|f| f.key == key) else {
            return;
        };
        self.field_type(path, field, value);
        match key {
            "version" => {
                if let Some(version) = value.as_i64()
                    && version != schema::VERSION as i64
                {
                    self.problem(path, format!("expected {}, got {version}", schema::VERSION));
                }
            }
            "drops" => {
                if let Some(drops) = value.as_object() {
                    self.fields(path, drops, DROPS);
                    self.only(path, drops, &[DROPS]);
                    for (key, count) in drops {
                        if count.as_i64().is_some_and(|n| n < 0) {
                            self.problem(&child(path, key), "must not be negative");
                        }
                    }
                }
            }
            "trace_tree" => self.trace_tree_written = !value.is_null(),
            "enh_prompt_traces" => match value {
                Value::Array(ids) => self.enh_prompt_traces = Some(ids.clone()),
                Value::Null => self.enh_prompt_traces_null = true,
                _ => {}
            },
            _ => {}
        }
    }

    fn top_level_complete(&mut self, top: &Map<String, Value>) {
        if !top.contains_key("sessions") && !top.contains_key("events") {
            // Not an export with a key missing, but some other JSON: say so once.
            self.problems.clear();
            self.problem(
                "$",
                "not an aiobs export (no \"sessions\" or \"events\" key)",
            );
            return;
        }
        for field in TOP_LEVEL.iter().filter(|f| f.required) {
            if !top.contains_key(field.key) {
                self.problem("$", format!("missing key {:?}", field.key));
            }
        }
    }

    /// Presence, then type, of the listed fields of an object.
    fn fields<'f>(
        &mut self,
        path: &str,
        object: &Map<String, Value>,
        fields: impl IntoIterator<Item = &'f Field>,
    ) {
        for field in fields {
            match object.get(field.key) {
                None if field.required => {
                    self.problem(path, format!("missing key {:?}", field.key))
                }
                None => {}
                Some(value) => self.field_type(&child(path, field.key), field, value),
            }
        }
    }

    fn field_type(&mut self, path: &str, field: &Field, value: &Value) {
        if field.ty.matches(value) || (field.nullable && value.is_null()) {
            return;
        }
        let or_null = if field.nullable { " or null" } else { "" };
        self.problem(
            path,
            format!(
                "expected {}{or_null}, got {}",
                field.ty.name(),
                value_type(value)
            ),
        );
    }

    /// Keys outside the tables are reported.
    fn only(&mut self, path: &str, object: &Map<String, Value>, tables: &[&[Field]]) {
        for key in object.keys() {
            if !tables.iter().any(|t| t.iter().any(|f| f.key == key)) {
                self.problem(
                    &child(path, key),
                    "unexpected key (not part of the export format)",
                );
            }
        }
    }

    fn session(&mut self, path: &str, session: &Value) {
        let Some(object) = self.object(path, session) else {
            return;
        };
        self.fields(path, object, SESSION);
        if let Some(id) = object.get("id").and_then(Value::as_str) {
            self.session_ids.insert(id.into());
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

    fn object<'v>(&mut self, path: &str, value: &'v Value) -> Option<&'v Map<String, Value>> {
        let object = value.as_object();
        if object.is_none() {
            self.problem(path, format!("expected object, got {}", value_type(value)));
        }
        object
    }

    /// One call or function event, reduced: its fields, and what the cross-checks need.
    fn event(&mut self, path: &str, event: &Value, kind: Kind) {
        let index = match kind {
            Kind::Provider => &mut self.counts.0,
            Kind::Function => &mut self.counts.1,
        };
        let span_ref = SpanRef {
            kind,
            index: *index,
            id: None,
            parent: None,
            started_at: 0.0,
        };
        *index += 1;
        let Some(object) = self.object(path, event) else {
            self.spans.push(span_ref);
            return;
        };
        self.span_fields(path, object, kind);
        let text = |key: &str| object.get(key).and_then(Value::as_str);
        if let Some(id) = text("enh_prompt_id") {
            self.enh_prompt_ids.push((id.into(), path.to_string()));
        }
        if let Some(id) = text("span_id") {
            self.span_ids.insert(id.into());
        }
        if let Some(session_id) = text("session_id") {
            if !self.sessions_seen {
                self.session_refs
                    .push((child(path, "session_id"), session_id.to_string()));
            } else if !self.session_ids.contains(session_id) {
                let message = format!("no session with id {session_id:?}");
                self.problem(&child(path, "session_id"), message);
            }
        }
        self.spans.push(SpanRef {
            id: text("span_id").map(Into::into),
            parent: text("parent_span_id").map(Into::into),
            started_at: object
                .get("started_at")
                .and_then(Value::as_f64)
                .unwrap_or(0.0),
            ..span_ref
        });
    }

    fn span_fields(&mut self, path: &str, object: &Map<String, Value>, kind: Kind) {
        let provider = object.get("provider").and_then(Value::as_str);
        match kind {
            Kind::Provider => {
                self.fields(path, object, PROVIDER_CALL.iter().copied().flatten());
                if provider == Some(FUNCTION_PROVIDER) {
                    self.problem(
                        &child(path, "provider"),
                        "a provider call cannot have provider \"function\"",
                    );
                }
            }
            Kind::Function => {
                self.fields(path, object, FUNCTION_CALL.iter().copied().flatten());
                if provider.is_some_and(|p| p != FUNCTION_PROVIDER) {
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

    /// `request.attempt` (a whole number from 1) and `response.headers` (names to strings).
    fn captured(&mut self, path: &str, kept: &Map<String, Value>, fields: &[Field]) {
        self.fields(path, kept, fields);
        if let Some(attempt) = kept.get("attempt").and_then(Value::as_i64)
            && attempt < 1
        {
            self.problem(&child(path, "attempt"), "must be 1 or more");
        }
        if let Some(headers) = kept.get("headers").and_then(Value::as_object) {
            let headers_path = child(path, "headers");
            for (name, value) in headers {
                if !value.is_string() {
                    let message = format!("expected string, got {}", value_type(value));
                    self.problem(&child(&headers_path, name), message);
                }
            }
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

    fn tree_node(&mut self, path: &str, node: &Value) {
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
        if let Some(id) = object.get("span_id").and_then(Value::as_str) {
            if self.seen_events != (true, true) {
                self.tree_refs
                    .push((child(path, "span_id"), id.to_string()));
            } else if !self.span_ids.contains(id) {
                self.unknown_tree_span(&child(path, "span_id"));
            }
        }
    }

    fn unknown_tree_span(&mut self, path: &str) {
        self.problem(path, "not the span_id of any event or function event");
    }

    /// The checks that need the whole file.
    fn finish(&mut self) {
        for (path, session_id) in std::mem::take(&mut self.session_refs) {
            if self.sessions_seen && !self.session_ids.contains(session_id.as_str()) {
                self.problem(&path, format!("no session with id {session_id:?}"));
            }
        }
        for (path, id) in std::mem::take(&mut self.tree_refs) {
            if !self.span_ids.contains(id.as_str()) {
                self.unknown_tree_span(&path);
            }
        }
        self.span_links();
        self.enh_prompt_traces();
    }

    /// Duplicate span ids, self-parents and parent cycles across all events.
    fn span_links(&mut self) {
        let keys: Vec<trace::NodeKey<&str>> = self
            .spans
            .iter()
            .map(|span| trace::NodeKey {
                span_id: span.id.as_deref(),
                parent_span_id: span.parent.as_deref(),
                started_at: span.started_at,
            })
            .collect();
        let forest = trace::build(&keys);
        let mut first_holder: std::collections::HashMap<&str, usize> = Default::default();
        let mut found = Vec::new();
        for (i, (span, anomaly)) in self.spans.iter().zip(&forest.anomaly).enumerate() {
            if let Some(id) = span.id.as_deref() {
                let first = *first_holder.entry(id).or_insert(i);
                if anomaly == &Some(Anomaly::DuplicateSpanId) {
                    found.push((
                        child(&span.path(), "span_id"),
                        format!("duplicate of {}.span_id", self.spans[first].path()),
                    ));
                }
            }
            if span.id.is_some() && span.id == span.parent {
                found.push((
                    child(&span.path(), "parent_span_id"),
                    "equals the span's own span_id".to_string(),
                ));
            }
            if anomaly == &Some(Anomaly::ParentCycle) {
                found.push((
                    child(&span.path(), "parent_span_id"),
                    "parent chain loops back to this span".to_string(),
                ));
            }
        }
        for (path, message) in found {
            self.problem(&path, message);
        }
    }

    /// The list must name exactly the function events' `enh_prompt_id`s, and is null
    /// rather than empty (or null anyway when the trace tree was not written).
    fn enh_prompt_traces(&mut self) {
        let Some(listed) = self.enh_prompt_traces.take() else {
            if let Some((_, path)) = self.enh_prompt_ids.first()
                && self.trace_tree_written
                && self.enh_prompt_traces_null
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
        let function_ids: HashSet<&str> = self.enh_prompt_ids.iter().map(|(id, _)| &**id).collect();
        let mut listed_ids = HashSet::new();
        let mut found = Vec::new();
        for (i, id) in listed.iter().enumerate() {
            let path = format!("$.enh_prompt_traces[{i}]");
            match id.as_str() {
                None => found.push((path, format!("expected string, got {}", value_type(id)))),
                Some(id) => {
                    listed_ids.insert(id);
                    if !function_ids.contains(id) {
                        found.push((path, "not the enh_prompt_id of any function event".into()));
                    }
                }
            }
        }
        for (id, path) in &self.enh_prompt_ids {
            if !listed_ids.contains(&**id) {
                let message = format!("does not list the enh_prompt_id of {path}");
                found.push(("$.enh_prompt_traces".to_string(), message));
            }
        }
        for (path, message) in found {
            self.problem(&path, message);
        }
    }
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
        validate_str(json)
            .unwrap()
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
        assert_eq!(problems("[1, 2]"), vec!["$: expected object, got array"]);
        assert_eq!(
            problems(
                r#"{"sessions":[],"events":[],"function_events":[],"trace_tree":null,"enh_prompt_traces":null,"generated_at":1,"version":2,"extra":[[0]]}"#
            ),
            vec![
                "$.version: expected 1, got 2",
                "$.extra: unexpected key (not part of the export format)",
            ]
        );
        assert_eq!(
            problems(
                r#"{"events":[],"function_events":[],"trace_tree":null,"enh_prompt_traces":null,"generated_at":"x","version":1.0}"#
            ),
            vec![
                "$.generated_at: expected number, got string",
                "$.version: expected integer, got number (not an integer)",
                "$: missing key \"sessions\"",
            ]
        );
    }

    const BAD_LABEL: &str =
        "$.sessions[0].labels[\"Bad-Key\"]: label key must match ^[a-z][a-z0-9_]{0,62}$";

    fn with_span(span: &str) -> String {
        format!(
            r#"{{"sessions":[{{"id":"s","name":"n","started_at":1,"ended_at":null,"meta":{{"pid":1,"cwd":"/"}},"labels":{{"Bad-Key":"v"}}}}],
               "events":[{span}],"function_events":[],"trace_tree":null,"enh_prompt_traces":null,"generated_at":1,"version":1}}"#
        )
    }

    fn call(request: &str, response: &str) -> String {
        format!(
            r#"{{"provider":"openai","api":"x","request":{request},"response":{response},"error":null,"started_at":1,
                "ended_at":1,"duration_ms":0,"callsite":null,"span_id":null,"parent_span_id":null,"session_id":"s"}}"#
        )
    }

    #[test]
    fn other_json_is_not_an_export() {
        assert_eq!(
            problems(r#"{"name":"x","version":"1.0.0","dependencies":{}}"#),
            vec!["$: not an aiobs export (no \"sessions\" or \"events\" key)"]
        );
    }

    #[test]
    fn drops_and_the_captured_fields_are_checked() {
        let with = |drops: &str, request: &str, response: &str| {
            let text = with_span(&call(request, response));
            problems(&text.replace(
                r#""version":1}"#,
                &format!(r#""version":1,"drops":{drops}}}"#),
            ))
        };
        let fine = with(
            r#"{"events":0,"spans_abandoned":2,"otlp_spans":1}"#,
            r#"{"model":"m","attempt":2}"#,
            r#"{"headers":{"x-request-id":"r1"},"model":"m"}"#,
        );
        assert_eq!(fine, vec![BAD_LABEL]);
        let bad = with(
            r#"{"events":-1,"other":1}"#,
            r#"{"attempt":0}"#,
            r#"{"headers":{"retry-after":5}}"#,
        );
        assert_eq!(
            bad,
            vec![
                BAD_LABEL,
                "$.events[0].request.attempt: must be 1 or more",
                "$.events[0].response.headers[\"retry-after\"]: expected string, got number",
                "$.drops: missing key \"spans_abandoned\"",
                "$.drops.other: unexpected key (not part of the export format)",
                "$.drops.events: must not be negative",
            ]
        );
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
                BAD_LABEL,
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

    fn nested(depth: usize) -> String {
        "[".repeat(depth) + &"]".repeat(depth)
    }

    #[test]
    fn payloads_may_nest_128_levels_and_no_more() {
        let inside = |payload: &str| call(&format!(r#"{{"a":{payload}}}"#), payload);
        assert_eq!(problems(&with_span(&inside(&nested(127)))), vec![BAD_LABEL]);
        assert_eq!(
            problems(&with_span(&call(&nested(128), "null"))),
            vec![BAD_LABEL]
        );
        let request_path = format!("$.events[0].request.a{}", "[0]".repeat(127));
        let response_path = format!("$.events[0].response{}", "[0]".repeat(128));
        assert_eq!(
            problems(&with_span(&inside(&nested(10_000)))),
            vec![
                BAD_LABEL.to_string(),
                format!("{request_path}: payload nested deeper than 128 levels"),
                format!("{response_path}: payload nested deeper than 128 levels"),
            ]
        );
    }

    #[test]
    fn trace_trees_may_be_256_levels_deep_and_no_more() {
        let tree = |levels: usize| {
            let node = call("null", "null");
            let node = node.trim_end().strip_suffix('}').unwrap().to_string();
            let mut tree = String::from("[]");
            for _ in 0..levels {
                tree = format!(r#"[{node},"event_type":"provider","children":{tree}}}]"#);
            }
            with_span(&call("null", "null"))
                .replace(r#""trace_tree":null"#, &format!(r#""trace_tree":{tree}"#))
        };
        assert_eq!(problems(&tree(256)), vec![BAD_LABEL]);
        let path = format!("$.trace_tree[0]{}", ".children[0]".repeat(256));
        assert_eq!(
            problems(&tree(400)),
            vec![
                BAD_LABEL.to_string(),
                format!("{path}: trace tree deeper than 256 levels")
            ]
        );
    }

    #[test]
    fn strict_parsers_refuse_what_validate_refuses() {
        for bad in [r#"{"a":"\ud800"}"#, r#"{"a":1e400}"#] {
            let text = with_span(&call(bad, "null"));
            assert!(validate_str(&text).is_err(), "{bad}");
        }
    }

    #[test]
    fn child_paths_quote_odd_keys() {
        assert_eq!(child("$", "events"), "$.events");
        assert_eq!(child("$.labels", "my key"), "$.labels[\"my key\"]");
        assert_eq!(child("$.labels", "9lives"), "$.labels[\"9lives\"]");
    }

    /// A valid export of `calls` calls, each with a response of `payload_bytes` and a
    /// nested request, and the trace tree that repeats them as the core writes it.
    fn write_large_export(path: &std::path::Path, calls: usize, payload_bytes: usize) {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        let text = "x".repeat(payload_bytes);
        let event = |i: usize| {
            format!(
                r#"{{"provider":"openai","api":"chat.completions.create","request":{{"model":"m","attempt":1,"messages":{}}},"response":{{"text":"{text}","headers":{{}}}},"error":null,"started_at":1,"ended_at":1,"duration_ms":0,"callsite":null,"span_id":"{i:016x}","parent_span_id":null,"trace_id":"{i:032x}","session_id":"s""#,
                nested(100)
            )
        };
        write!(out, r#"{{"sessions":[{{"id":"s","name":"n","started_at":1,"ended_at":2,"meta":{{"pid":1,"cwd":"/"}},"labels":null}}],"events":["#).unwrap();
        for i in 0..calls {
            let comma = if i == 0 { "" } else { "," };
            write!(out, "{comma}{}}}", event(i)).unwrap();
        }
        write!(out, r#"],"function_events":[],"trace_tree":["#).unwrap();
        for i in 0..calls {
            let comma = if i == 0 { "" } else { "," };
            write!(
                out,
                r#"{comma}{},"event_type":"provider","children":[]}}"#,
                event(i)
            )
            .unwrap();
        }
        write!(out, r#"],"enh_prompt_traces":null,"generated_at":3,"version":1,"drops":{{"events":0,"spans_abandoned":0}}}}"#).unwrap();
        out.flush().unwrap();
    }

    fn peak_rss_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    const CHILD_FILE: &str = "AIOBS_VALIDATE_MEMORY_FILE";

    /// The check runs in a child process (this test binary, running only this test), so the
    /// peak RSS it reports from /proc/self/status is the check's and not the other tests'.
    #[test]
    fn validation_memory_does_not_grow_with_the_file() {
        if let Some(path) = std::env::var_os(CHILD_FILE) {
            let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
            let problems = validate_reader(file).unwrap();
            let problems: Vec<String> = problems
                .into_iter()
                .map(|p| p.path + ": " + &p.message)
                .collect();
            assert!(problems.is_empty(), "{problems:?}");
            println!("peak_rss_kib={}", peak_rss_kib());
            return;
        }
        let dir =
            std::env::temp_dir().join(format!("aiobs-validate-memory-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("large.json");
        write_large_export(&path, 250, 48 << 10);
        let file_kib = std::fs::metadata(&path).unwrap().len() / 1024;
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "validate::tests::validation_memory_does_not_grow_with_the_file",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_FILE, &path)
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let peak_kib: u64 = stdout
            .split("peak_rss_kib=")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no peak in {stdout}"));
        eprintln!("validated {file_kib} KiB with a peak RSS of {peak_kib} KiB");
        assert!(file_kib > 20 << 10, "the file is large: {file_kib} KiB");
        assert!(
            peak_kib < 16 << 10,
            "validating {file_kib} KiB peaked at {peak_kib} KiB"
        );
    }
}
