//! Typed view of an aiobs export file (format version 1), as the viewer reads it.
//!
//! Only the fields the commands use are declared; serde skips the rest (including the
//! file's own `trace_tree`, which is rebuilt from span ids, see `trace`). Strings borrow from
//! the file buffer when they hold no escapes, and payloads (request, response, args, result)
//! stay raw JSON slices: the viewer looks inside them for a few fields only and the report
//! re-emits them verbatim. `validate` checks the full schema separately, on generic JSON.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

/// The only export format version this viewer understands.
pub const SUPPORTED_VERSION: u64 = 1;

pub type Text<'a> = Cow<'a, str>;
pub type Labels<'a> = BTreeMap<Text<'a>, Text<'a>>;

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

/// Labels the SDK adds to every session (`aiobs_sdk_version`, `aiobs_os`, …).
pub const SYSTEM_LABEL_PREFIX: &str = "aiobs_";

impl Session<'_> {
    /// The labels a user set, i.e. without the SDK's system labels, sorted by key.
    pub fn user_labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.labels
            .iter()
            .flatten()
            .filter(|(key, _)| !key.starts_with(SYSTEM_LABEL_PREFIX))
            .map(|(key, value)| (key.as_ref(), value.as_ref()))
    }
}

/// A provider call (`events`) or a traced function (`function_events`): one struct for both,
/// since they share every field the viewer needs; function-only fields are absent on calls.
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

#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanKind {
    Provider,
    Function,
}
