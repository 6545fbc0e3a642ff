//! The export format (version 1), read side: the fields of every object with their JSON types,
//! and a typed, borrowing model of a file for readers such as the `aiobs` viewer.
//!
//! `document.rs` writes these objects straight from the store, without an intermediate tree of
//! JSON values; the test at the end of this file flushes a real store and checks what was
//! written against the tables here (every key, in order, with its type), so the writer and
//! every reader agree on one definition.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// The format version written in `version`.
pub const VERSION: u64 = 1;

/// The deepest a payload (`request`, `response`, `args`, `kwargs`, `result`) may nest: the core
/// refuses deeper inputs, so every JSON parser can read the file.
pub const MAX_PAYLOAD_DEPTH: usize = 128;

/// Labels the SDK adds to every session (`aiobs_sdk_version`, `aiobs_os`, …).
pub const SYSTEM_LABEL_PREFIX: &str = "aiobs_";
pub const LABEL_VALUE_MAX_CHARS: usize = 256;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ty {
    Str,
    Num,
    Int,
    Bool,
    Arr,
    Obj,
    Any,
}

impl Ty {
    pub fn matches(self, value: &Value) -> bool {
        match self {
            Ty::Str => value.is_string(),
            Ty::Num => value.is_number(),
            Ty::Int => value.is_i64() || value.is_u64(),
            Ty::Bool => value.is_boolean(),
            Ty::Arr => value.is_array(),
            Ty::Obj => value.is_object(),
            Ty::Any => true,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Ty::Str => "string",
            Ty::Num => "number",
            Ty::Int => "integer",
            Ty::Bool => "boolean",
            Ty::Arr => "array",
            Ty::Obj => "object",
            Ty::Any => "any value",
        }
    }
}

#[derive(Debug)]
pub struct Field {
    pub key: &'static str,
    pub ty: Ty,
    /// `null` is allowed.
    pub nullable: bool,
    /// Always written. Optional fields are absent from older files (or, for `drops`,
    /// `attempt` and `headers`, from files of older cores).
    pub required: bool,
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

const fn optional(key: &'static str, ty: Ty) -> Field {
    Field {
        key,
        ty,
        nullable: false,
        required: false,
    }
}

const fn optional_nullable(key: &'static str, ty: Ty) -> Field {
    Field {
        key,
        ty,
        nullable: true,
        required: false,
    }
}

/// The document, in the order written.
pub const TOP_LEVEL: &[Field] = &[
    required("sessions", Ty::Arr),
    required("events", Ty::Arr),
    required("function_events", Ty::Arr),
    nullable("trace_tree", Ty::Arr),
    nullable("enh_prompt_traces", Ty::Arr),
    required("generated_at", Ty::Num),
    required("version", Ty::Int),
    optional("drops", Ty::Obj),
];

/// `drops`: what the core had to drop since the previous file, as counts.
pub const DROPS: &[Field] = &[
    required("events", Ty::Int),
    required("spans_abandoned", Ty::Int),
    optional("otlp_spans", Ty::Int),
];

pub const SESSION: &[Field] = &[
    required("id", Ty::Str),
    required("name", Ty::Str),
    required("started_at", Ty::Num),
    nullable("ended_at", Ty::Num),
    required("meta", Ty::Obj),
    nullable("labels", Ty::Obj),
];

pub const SESSION_META: &[Field] = &[required("pid", Ty::Int), required("cwd", Ty::Str)];

pub const CALLSITE: &[Field] = &[
    nullable("file", Ty::Str),
    nullable("line", Ty::Int),
    nullable("function", Ty::Str),
];

/// The fields every event has from `started_at` to `trace_id` (`write_timing_and_links`).
pub const TIMING_AND_LINKS: &[Field] = &[
    required("started_at", Ty::Num),
    required("ended_at", Ty::Num),
    required("duration_ms", Ty::Num),
    nullable("callsite", Ty::Obj),
    nullable("span_id", Ty::Str),
    nullable("parent_span_id", Ty::Str),
    // Absent from exports written before OpenTelemetry ids were added.
    optional_nullable("trace_id", Ty::Str),
];

const SESSION_REF: &[Field] = &[required("session_id", Ty::Str)];

/// A provider call in `events`, in the order written.
pub const PROVIDER_CALL: &[&[Field]] = &[
    &[
        required("provider", Ty::Str),
        required("api", Ty::Str),
        nullable("request", Ty::Any),
        nullable("response", Ty::Any),
        nullable("error", Ty::Str),
    ],
    TIMING_AND_LINKS,
    SESSION_REF,
];

/// A traced function in `function_events`, in the order written.
pub const FUNCTION_CALL: &[&[Field]] = &[
    &[
        required("provider", Ty::Str),
        required("api", Ty::Str),
        required("name", Ty::Str),
        nullable("module", Ty::Str),
        nullable("args", Ty::Arr),
        nullable("kwargs", Ty::Obj),
        nullable("result", Ty::Any),
        nullable("error", Ty::Str),
    ],
    TIMING_AND_LINKS,
    &[
        required("enh_prompt", Ty::Bool),
        nullable("enh_prompt_id", Ty::Str),
        nullable("auto_enhance_after", Ty::Int),
    ],
    SESSION_REF,
];

/// A `trace_tree` node adds these to the fields of its event.
pub const TREE_NODE: &[Field] = &[
    required("event_type", Ty::Str),
    required("children", Ty::Arr),
];

/// The `provider` of every function event.
pub const FUNCTION_PROVIDER: &str = "function";

/// Keys whose values are the caller's or the provider's JSON, kept as written.
pub const PAYLOAD_KEYS: &[&str] = &["request", "response", "args", "kwargs", "result"];

/// Fields the core adds inside `request` of a call captured from HTTP.
pub const CAPTURED_REQUEST: &[Field] = &[optional("attempt", Ty::Int)];
/// Fields the core adds inside `response` of a call captured from HTTP: the kept response
/// headers, lowercase names to strings.
pub const CAPTURED_RESPONSE: &[Field] = &[optional("headers", Ty::Obj)];

pub type Text<'a> = Cow<'a, str>;
pub type Labels<'a> = BTreeMap<Text<'a>, Text<'a>>;

/// A file as the viewer reads it: only the fields it uses (serde skips the rest, including
/// `trace_tree`, which readers rebuild from span ids with `tree::build`). Strings borrow from
/// the buffer when they hold no escapes; payloads stay raw JSON slices.
#[derive(Deserialize)]
pub struct ExportFile<'a> {
    #[serde(borrow)]
    pub sessions: Vec<Session<'a>>,
    #[serde(borrow)]
    pub events: Vec<Event<'a>>,
    #[serde(borrow, default)]
    pub function_events: Vec<Event<'a>>,
    #[serde(borrow, default)]
    pub enh_prompt_traces: Option<Vec<Text<'a>>>,
    pub version: u64,
    #[serde(default)]
    pub drops: Option<Drops>,
}

#[derive(Deserialize, Clone, Copy, Default, Debug, PartialEq, serde::Serialize)]
pub struct Drops {
    pub events: u64,
    pub spans_abandoned: u64,
    #[serde(default)]
    pub otlp_spans: u64,
}

#[derive(Deserialize, Clone)]
pub struct Session<'a> {
    #[serde(borrow)]
    pub id: Text<'a>,
    #[serde(borrow)]
    pub name: Text<'a>,
    pub started_at: f64,
    pub ended_at: Option<f64>,
    #[serde(borrow, default)]
    pub labels: Option<Labels<'a>>,
}

impl Session<'_> {
    /// Every label, system labels included, sorted by key.
    pub fn all_labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.labels
            .iter()
            .flatten()
            .map(|(key, value)| (key.as_ref(), value.as_ref()))
    }

    /// The labels a user set, i.e. without the SDK's system labels, sorted by key.
    pub fn user_labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.all_labels()
            .filter(|(key, _)| !key.starts_with(SYSTEM_LABEL_PREFIX))
    }
}

/// A provider call (`events`) or a traced function (`function_events`): one struct for both,
/// since they share most fields; function-only fields are absent on calls.
#[derive(Deserialize)]
pub struct Event<'a> {
    #[serde(borrow)]
    pub provider: Text<'a>,
    #[serde(borrow)]
    pub api: Text<'a>,
    #[serde(borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub module: Option<Text<'a>>,
    #[serde(borrow)]
    pub request: Option<&'a RawValue>,
    #[serde(borrow)]
    pub response: Option<&'a RawValue>,
    #[serde(borrow)]
    pub args: Option<&'a RawValue>,
    #[serde(borrow)]
    pub kwargs: Option<&'a RawValue>,
    #[serde(borrow)]
    pub result: Option<&'a RawValue>,
    #[serde(borrow)]
    pub error: Option<Text<'a>>,
    pub started_at: f64,
    pub ended_at: f64,
    pub duration_ms: f64,
    #[serde(borrow)]
    pub callsite: Option<Callsite<'a>>,
    #[serde(borrow)]
    pub span_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub parent_span_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub trace_id: Option<Text<'a>>,
    #[serde(default)]
    pub enh_prompt: bool,
    #[serde(borrow)]
    pub enh_prompt_id: Option<Text<'a>>,
    pub auto_enhance_after: Option<u64>,
    #[serde(borrow)]
    pub session_id: Text<'a>,
}

#[derive(Deserialize, serde::Serialize)]
pub struct Callsite<'a> {
    #[serde(borrow)]
    pub file: Option<Text<'a>>,
    pub line: Option<u64>,
    #[serde(borrow)]
    pub function: Option<Text<'a>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    /// An object's entries in the order written (`Value` sorts its keys).
    struct Entries(Vec<(String, Box<RawValue>)>);

    impl<'de> Deserialize<'de> for Entries {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct Visitor;
            impl<'de> serde::de::Visitor<'de> for Visitor {
                type Value = Entries;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Entries, A::Error> {
                    let mut entries = Vec::new();
                    while let Some(entry) = map.next_entry()? {
                        entries.push(entry);
                    }
                    Ok(Entries(entries))
                }
            }
            deserializer.deserialize_map(Visitor)
        }
    }

    /// Checks one written object against tables: the keys in the tables' order (optional ones
    /// may be missing), nothing else, and each value of its type. Returns the entries.
    fn check(path: &str, raw: &RawValue, fields: &[&[Field]]) -> Vec<(String, Box<RawValue>)> {
        let Entries(entries) = serde_json::from_str(raw.get()).unwrap();
        let table: Vec<&Field> = fields.iter().flat_map(|f| f.iter()).collect();
        let written: Vec<&str> = entries.iter().map(|(key, _)| key.as_str()).collect();
        let expected: Vec<&str> = table
            .iter()
            .filter(|f| f.required || written.contains(&f.key))
            .map(|f| f.key)
            .collect();
        assert_eq!(written, expected, "{path}: keys and their order");
        for (key, raw) in &entries {
            let field = table.iter().find(|f| f.key == key).unwrap();
            let value: Value = serde_json::from_str(raw.get()).unwrap();
            let ok = field.ty.matches(&value) || (field.nullable && value.is_null());
            assert!(ok, "{path}.{key}: {value} is not a {:?}", field.ty);
        }
        entries
    }

    fn get<'e>(entries: &'e [(String, Box<RawValue>)], key: &str) -> &'e RawValue {
        &entries.iter().find(|(k, _)| k == key).unwrap().1
    }

    fn items(raw: &RawValue) -> Vec<Box<RawValue>> {
        serde_json::from_str(raw.get()).unwrap()
    }

    fn written_export(name: &str) -> String {
        let store = Store::new();
        store
            .observe(Some("schema"), Some(r#"{"user_id":"u1"}"#))
            .unwrap();
        let outer = store
            .span_begin(r#"{"name":"outer","enh_prompt":true,"auto_enhance_after":2,"args":[1],"kwargs":{"k":1}}"#)
            .unwrap();
        store
            .record_call(r#"{"provider":"openai","api":"chat.completions.create","request":{"model":"m"},"response":{},"error":null}"#)
            .unwrap();
        store.span_end(&outer, Some("42"), None).unwrap();
        store.end();
        let dir = std::env::temp_dir().join(format!("aiobs-schema-{name}-{}", std::process::id()));
        let path = dir.join("export.json");
        store.flush(Some(path.to_str().unwrap())).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        text
    }

    #[test]
    fn what_the_writer_writes_is_what_the_schema_says() {
        let text = written_export("writer");
        let document: Box<RawValue> = serde_json::from_str(&text).unwrap();
        let top = check("$", &document, &[TOP_LEVEL]);
        for session in items(get(&top, "sessions")) {
            let session = check("$.sessions[]", &session, &[SESSION]);
            check("$.sessions[].meta", get(&session, "meta"), &[SESSION_META]);
        }
        let mut nodes = items(get(&top, "trace_tree"));
        assert_eq!(nodes.len(), 1);
        let mut seen = 0;
        while let Some(node) = nodes.pop() {
            let kind: Value = serde_json::from_str(node.get()).unwrap();
            let event = if kind["event_type"] == FUNCTION_PROVIDER {
                FUNCTION_CALL
            } else {
                PROVIDER_CALL
            };
            let node = check("$.trace_tree[]", &node, &[event, &[TREE_NODE]].concat());
            nodes.extend(items(get(&node, "children")));
            seen += 1;
        }
        assert_eq!(seen, 2);
        for (key, table) in [
            ("events", PROVIDER_CALL),
            ("function_events", FUNCTION_CALL),
        ] {
            let events = items(get(&top, key));
            assert_eq!(events.len(), 1);
            check(key, &events[0], table);
        }
        if let Some((_, drops)) = top.iter().find(|(key, _)| key == "drops") {
            check("$.drops", drops, &[DROPS]);
        }
    }

    #[test]
    fn the_reader_model_reads_what_the_writer_writes() {
        let text = written_export("reader");
        let file: ExportFile = serde_json::from_str(&text).unwrap();
        assert_eq!(file.version, VERSION);
        assert_eq!(
            file.sessions[0].user_labels().collect::<Vec<_>>(),
            [("user_id", "u1")]
        );
        assert_eq!(file.function_events[0].name.as_deref(), Some("outer"));
        assert_eq!(
            file.events[0].parent_span_id,
            file.function_events[0].span_id
        );
    }
}
