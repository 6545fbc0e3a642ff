//! One or many export files merged into a single view: sessions merged by id, provider
//! calls and traced functions concatenated as spans, payload facts (model, tokens) read
//! once, and the trace forest rebuilt across files.

use std::collections::{HashMap, HashSet};

use crate::model::{Event, ExportFile, Session, SpanKind, Text};
use crate::payload::{self, CallFacts};
use crate::trace::{self, Forest};

pub struct Span<'a> {
    pub event: Event<'a>,
    pub kind: SpanKind,
    /// Model and tokens; empty for functions.
    pub facts: CallFacts,
}

impl Span<'_> {
    /// The model as the caller named it, else as the provider reported it.
    pub fn model(&self) -> Option<&str> {
        self.facts
            .request_model
            .as_deref()
            .or(self.facts.response_model.as_deref())
    }

    /// Models to look up in the price table, most specific first.
    pub fn models_for_pricing(&self) -> [Option<&str>; 2] {
        [
            self.facts.response_model.as_deref(),
            self.facts.request_model.as_deref(),
        ]
    }

    /// A short name: `research` for a function, `openai chat.completions.create` for a call.
    pub fn title(&self) -> String {
        match self.kind {
            SpanKind::Function => self
                .event
                .name
                .as_deref()
                .unwrap_or(&self.event.api)
                .to_string(),
            SpanKind::Provider => format!("{} {}", self.event.provider, self.event.api),
        }
    }
}

pub struct Dataset<'a> {
    pub sessions: Vec<Session<'a>>,
    /// Provider calls and functions, file by file, calls before functions within a file.
    pub spans: Vec<Span<'a>>,
    /// `enh_prompt_traces` of all files, in order, without repeats.
    pub enh_prompt_traces: Vec<Text<'a>>,
    pub forest: Forest,
    session_index: HashMap<String, usize>,
}

impl<'a> Dataset<'a> {
    pub fn merge(files: Vec<ExportFile<'a>>) -> Dataset<'a> {
        let mut sessions: Vec<Session<'a>> = Vec::new();
        let mut session_index = HashMap::new();
        let mut spans = Vec::with_capacity(
            files
                .iter()
                .map(|f| f.events.len() + f.function_events.len())
                .sum(),
        );
        let mut enh_prompt_traces: Vec<Text<'a>> = Vec::new();
        let mut enh_prompt_seen: HashSet<Text<'a>> = HashSet::new();
        for file in files {
            for session in file.sessions {
                match session_index.get(session.id.as_ref()) {
                    Some(&i) => merge_session(&mut sessions[i], session),
                    None => {
                        session_index.insert(session.id.to_string(), sessions.len());
                        sessions.push(session);
                    }
                }
            }
            spans.extend(file.events.into_iter().map(|event| {
                let facts = payload::probe_call(event.request, event.response);
                Span {
                    event,
                    kind: SpanKind::Provider,
                    facts,
                }
            }));
            spans.extend(file.function_events.into_iter().map(|event| Span {
                event,
                kind: SpanKind::Function,
                facts: CallFacts::default(),
            }));
            for id in file.enh_prompt_traces.into_iter().flatten() {
                if enh_prompt_seen.insert(id.clone()) {
                    enh_prompt_traces.push(id);
                }
            }
        }
        let nodes: Vec<trace::Node> = spans
            .iter()
            .map(|span| trace::Node {
                id: span.event.span_id.as_deref(),
                parent: span.event.parent_span_id.as_deref(),
                started_at: span.event.started_at,
            })
            .collect();
        let forest = trace::build(&nodes);
        Dataset {
            sessions,
            spans,
            enh_prompt_traces,
            forest,
            session_index,
        }
    }

    pub fn session_of(&self, span: &Span<'_>) -> Option<&Session<'a>> {
        self.session_index
            .get(span.event.session_id.as_ref())
            .map(|&i| &self.sessions[i])
    }

    pub fn session_position(&self, session_id: &str) -> Option<usize> {
        self.session_index.get(session_id).copied()
    }

    pub fn provider_calls(&self) -> impl Iterator<Item = &Span<'a>> {
        self.spans
            .iter()
            .filter(|span| span.kind == SpanKind::Provider)
    }
}

/// The same session in two files (e.g. flushed twice): keep the widest time range, the
/// end time once known, and every label (the first file's value wins on a conflict).
fn merge_session<'a>(kept: &mut Session<'a>, other: Session<'a>) {
    kept.started_at = kept.started_at.min(other.started_at);
    kept.ended_at = match (kept.ended_at, other.ended_at) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    if let Some(labels) = other.labels {
        let kept_labels = kept.labels.get_or_insert_with(Default::default);
        for (key, value) in labels {
            kept_labels.entry(key).or_insert(value);
        }
    }
}
