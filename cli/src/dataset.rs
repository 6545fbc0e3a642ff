//! One or many export files merged into a single view: sessions merged by id, provider
//! calls and traced functions as spans (a span found in several files, by session and span
//! id, counted once), payload facts (model, tokens) read once, and the trace forest rebuilt
//! across files.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use crate::model::{Drops, Event, ExportFile, Session, SpanKind, Text};
use crate::payload::{self, CallFacts};
use crate::trace::{self, Forest};

pub struct Span<'a> {
    pub event: Event<'a>,
    pub kind: SpanKind,
    /// Model and tokens; empty for functions.
    pub facts: CallFacts,
}

impl<'a> Span<'a> {
    fn new(event: Event<'a>, kind: SpanKind) -> Span<'a> {
        let facts = match kind {
            SpanKind::Provider => payload::probe_call(event.request, event.response),
            SpanKind::Function => CallFacts::default(),
        };
        Span { event, kind, facts }
    }

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
    /// Provider calls and functions, file by file, calls before functions within a file; a
    /// span repeated in a later file stays at its first position (see `merge`).
    pub spans: Vec<Span<'a>>,
    /// `enh_prompt_traces` of all files, in order, without repeats.
    pub enh_prompt_traces: Vec<Text<'a>>,
    pub forest: Forest,
    /// What the core dropped, summed over the files (each file counts since the one before).
    pub drops: Drops,
    /// For each provider call retried by its client, the next attempt (see `link_attempts`).
    pub next_attempt: Vec<Option<usize>>,
    session_index: HashMap<String, usize>,
}

impl<'a> Dataset<'a> {
    pub fn merge(files: Vec<ExportFile<'a>>) -> Dataset<'a> {
        let mut sessions: Vec<Session<'a>> = Vec::new();
        let mut session_index = HashMap::new();
        let mut spans: Vec<Span<'a>> = Vec::with_capacity(
            files
                .iter()
                .map(|f| f.events.len() + f.function_events.len())
                .sum(),
        );
        // One file has nothing to match against: its repeated span ids are all kept anyway.
        let mut seen = (files.len() > 1).then(|| SeenSpans::with_capacity(spans.capacity()));
        let mut enh_prompt_traces: Vec<Text<'a>> = Vec::new();
        let mut enh_prompt_seen: HashSet<Text<'a>> = HashSet::new();
        let mut drops = Drops::default();
        for (file_number, file) in files.into_iter().enumerate() {
            if let Some(more) = file.drops {
                drops.events += more.events;
                drops.spans_abandoned += more.spans_abandoned;
                drops.otlp_spans += more.otlp_spans;
            }
            for session in file.sessions {
                match session_index.get(session.id.as_ref()) {
                    Some(&i) => merge_session(&mut sessions[i], session),
                    None => {
                        session_index.insert(session.id.to_string(), sessions.len());
                        sessions.push(session);
                    }
                }
            }
            let events = file.events.into_iter().map(|e| (e, SpanKind::Provider));
            let functions = file
                .function_events
                .into_iter()
                .map(|e| (e, SpanKind::Function));
            for (event, kind) in events.chain(functions) {
                let place = match &mut seen {
                    Some(seen) => seen.place(&event, file_number, spans.len()),
                    None => Place::New,
                };
                match place {
                    Place::New => spans.push(Span::new(event, kind)),
                    Place::Repeat(i) => {
                        // The same span written again by a later flush (e.g. a video
                        // operation first in progress, then done): the one that ended last
                        // wins, the later file on a tie. It keeps the first one's position.
                        if event.ended_at >= spans[i].event.ended_at {
                            spans[i] = Span::new(event, kind);
                        }
                    }
                }
            }
            for id in file.enh_prompt_traces.into_iter().flatten() {
                if enh_prompt_seen.insert(id.clone()) {
                    enh_prompt_traces.push(id);
                }
            }
        }
        let nodes: Vec<trace::NodeKey<&str>> = spans
            .iter()
            .map(|span| trace::NodeKey {
                span_id: span.event.span_id.as_deref(),
                parent_span_id: span.event.parent_span_id.as_deref(),
                started_at: span.event.started_at,
            })
            .collect();
        let forest = trace::build(&nodes);
        let next_attempt = link_attempts(&spans);
        Dataset {
            sessions,
            spans,
            enh_prompt_traces,
            forest,
            drops,
            next_attempt,
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

    /// Whether span `i` ends its call: a function, a call never retried, or a call's last
    /// attempt. A retried call counts once, by its last attempt.
    pub fn is_final_attempt(&self, i: usize) -> bool {
        self.next_attempt[i].is_none()
    }

    /// The time from a call's first attempt to this one's end; a call tried once is its
    /// `duration_ms`. `first` is the first attempt of the call `i` ends.
    pub fn call_duration_ms(&self, first: usize, i: usize) -> f64 {
        if first == i {
            self.spans[i].event.duration_ms
        } else {
            (self.spans[i].event.ended_at - self.spans[first].event.started_at) * 1000.0
        }
    }

    /// The first attempt of every span's call (the span itself unless it is a retry).
    pub fn first_attempts(&self) -> Vec<usize> {
        let mut first: Vec<usize> = (0..self.spans.len()).collect();
        let mut order: Vec<usize> = (0..self.spans.len()).collect();
        order.sort_by(|a, b| {
            let start = |i: &usize| self.spans[*i].event.started_at;
            start(a).total_cmp(&start(b))
        });
        for i in order {
            if let Some(next) = self.next_attempt[i] {
                first[next] = first[i];
            }
        }
        first
    }
}

/// Links each retry to the attempt before it. The core writes `request.attempt` on calls it
/// captured from HTTP (n for the (n-1)th retry, as the provider's client counts them); attempt
/// n follows the latest attempt n-1 with the same session, parent span, provider and API that
/// started before it.
fn link_attempts(spans: &[Span<'_>]) -> Vec<Option<usize>> {
    let mut next = vec![None; spans.len()];
    let mut order: Vec<usize> = (0..spans.len())
        .filter(|&i| spans[i].kind == SpanKind::Provider)
        .collect();
    order.sort_by(|a, b| {
        spans[*a]
            .event
            .started_at
            .total_cmp(&spans[*b].event.started_at)
    });
    let mut latest: HashMap<(&str, Option<&str>, &str, &str), usize> = HashMap::new();
    for i in order {
        let event = &spans[i].event;
        let key = (
            event.session_id.as_ref(),
            event.parent_span_id.as_deref(),
            event.provider.as_ref(),
            event.api.as_ref(),
        );
        let attempt = |span: usize| spans[span].facts.attempt.unwrap_or(1);
        if let Some(&previous) = latest.get(&key)
            && attempt(i) > 1
            && attempt(previous) + 1 == attempt(i)
            && next[previous].is_none()
        {
            next[previous] = Some(i);
        }
        latest.insert(key, i);
    }
    next
}

/// The same session in several files (flushed while running, then again once ended): each
/// file holds a snapshot of the whole session, so the later file's name and labels replace
/// the earlier ones (labels can be removed between flushes). The start is the earliest one
/// and the end the latest known one: an end time is never lost to a file that lacks it.
fn merge_session<'a>(kept: &mut Session<'a>, later: Session<'a>) {
    kept.started_at = kept.started_at.min(later.started_at);
    kept.ended_at = match (kept.ended_at, later.ended_at) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    kept.name = later.name;
    if later.labels.is_some() {
        kept.labels = later.labels;
    }
}

/// Spans already taken, by (session id, span id), to recognise the same span in another file.
///
/// Within one file a repeated span id is a defect of that file and both spans are kept (the
/// tree marks the second); so the n-th span with a given key in a file is matched with the
/// n-th one of earlier files, and the same file given twice adds nothing.
struct SeenSpans<'a> {
    by_key: HashMap<(Text<'a>, Text<'a>), Occurrences>,
}

struct Occurrences {
    /// The file that last had this key, and how many times it had it so far.
    file: usize,
    count_in_file: usize,
    /// Positions in `spans` of the 1st, 2nd, … span with this key.
    first: usize,
    more: Vec<usize>,
}

enum Place {
    New,
    Repeat(usize),
}

impl<'a> SeenSpans<'a> {
    fn with_capacity(spans: usize) -> SeenSpans<'a> {
        SeenSpans {
            by_key: HashMap::with_capacity(spans),
        }
    }

    /// Where `event` goes: a new span (to be pushed at `next`), or an earlier file's span.
    fn place(&mut self, event: &Event<'a>, file: usize, next: usize) -> Place {
        let Some(span_id) = &event.span_id else {
            return Place::New;
        };
        let key = (event.session_id.clone(), span_id.clone());
        let seen = match self.by_key.entry(key) {
            Entry::Vacant(entry) => {
                entry.insert(Occurrences {
                    file,
                    count_in_file: 1,
                    first: next,
                    more: Vec::new(),
                });
                return Place::New;
            }
            Entry::Occupied(entry) => entry.into_mut(),
        };
        if seen.file != file {
            seen.file = file;
            seen.count_in_file = 0;
        }
        let n = seen.count_in_file;
        seen.count_in_file += 1;
        match n {
            0 => Place::Repeat(seen.first),
            _ => match seen.more.get(n - 1) {
                Some(&i) => Place::Repeat(i),
                None => {
                    seen.more.push(next);
                    Place::New
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(json: &str) -> ExportFile<'_> {
        serde_json::from_str(json).unwrap()
    }

    fn call(session: &str, span: Option<&str>, ended_at: f64, api: &str) -> String {
        let span = span.map_or("null".to_string(), |s| format!("\"{s}\""));
        format!(
            r#"{{"provider":"openai","api":"{api}","started_at":0,"ended_at":{ended_at},"duration_ms":1,"span_id":{span},"session_id":"{session}"}}"#
        )
    }

    fn export(calls: &[String]) -> String {
        format!(
            r#"{{"sessions":[],"events":[{}],"version":1}}"#,
            calls.join(",")
        )
    }

    #[test]
    fn spans_match_by_session_span_id_and_rank_within_a_file() {
        let first = export(&[
            call("s", Some("x"), 5.0, "a"),
            call("s", Some("x"), 6.0, "a"),
            call("t", Some("x"), 1.0, "a"),
            call("s", None, 1.0, "a"),
        ]);
        let second = export(&[
            call("s", Some("x"), 4.0, "b"),
            call("s", Some("x"), 9.0, "b"),
            call("s", Some("x"), 2.0, "b"),
            call("t", Some("x"), 1.0, "b"),
            call("s", None, 1.0, "b"),
        ]);
        let dataset = Dataset::merge(vec![file(&first), file(&second)]);
        let kept: Vec<(&str, Option<&str>, f64, &str)> = dataset
            .spans
            .iter()
            .map(|s| {
                let e = &s.event;
                let session = e.session_id.as_ref();
                (session, e.span_id.as_deref(), e.ended_at, e.api.as_ref())
            })
            .collect();
        assert_eq!(
            kept,
            [
                ("s", Some("x"), 5.0, "a"), // kept: its copy ended earlier (4.0)
                ("s", Some("x"), 9.0, "b"), // replaced: its copy ended later
                ("t", Some("x"), 1.0, "b"), // another session; a tie goes to the later file
                ("s", None, 1.0, "a"),      // no span id: never merged
                ("s", Some("x"), 2.0, "b"), // a third in the second file, none in the first
                ("s", None, 1.0, "b"),
            ]
        );
    }

    fn attempt(parent: &str, attempt: u64, start: f64, error: &str) -> String {
        format!(
            r#"{{"provider":"openai","api":"chat","request":{{"attempt":{attempt}}},"started_at":{start},"ended_at":{},"duration_ms":500,"parent_span_id":"{parent}","error":{error},"session_id":"s"}}"#,
            start + 0.5
        )
    }

    #[test]
    fn retries_link_to_the_attempt_before_them() {
        let text = export(&[
            attempt("p", 1, 1.0, r#""RateLimitError: 429""#),
            attempt("q", 1, 1.2, "null"),
            attempt("p", 2, 2.0, r#""RateLimitError: 429""#),
            attempt("p", 3, 4.0, "null"),
            attempt("p", 1, 5.0, "null"),
            attempt("q", 3, 6.0, "null"),
        ]);
        let dataset = Dataset::merge(vec![file(&text)]);
        assert_eq!(
            dataset.next_attempt,
            [Some(2), None, Some(3), None, None, None],
            "attempt 3 of q has no attempt 2 to follow: it stands alone"
        );
        assert_eq!(dataset.first_attempts(), [0, 1, 0, 0, 4, 5]);
        assert_eq!(dataset.call_duration_ms(0, 3), 3500.0);
        assert_eq!(dataset.call_duration_ms(1, 1), 500.0);
        let finals: Vec<bool> = (0..6).map(|i| dataset.is_final_attempt(i)).collect();
        assert_eq!(finals, [false, true, false, true, true, true]);
    }

    #[test]
    fn sessions_keep_the_known_end_and_the_later_labels() {
        let session = |end: &str, labels: &str| {
            format!(
                r#"{{"sessions":[{{"id":"s","name":"n","started_at":1,"ended_at":{end},"labels":{labels}}}],"events":[],"version":1}}"#
            )
        };
        let running = session("null", r#"{"a":"1","b":"1"}"#);
        let ended = session("7", r#"{"b":"2"}"#);
        let unlabelled = session("null", "null");
        let dataset = Dataset::merge(vec![file(&running), file(&ended), file(&unlabelled)]);
        let merged = &dataset.sessions[0];
        assert_eq!(dataset.sessions.len(), 1);
        assert_eq!(merged.ended_at, Some(7.0));
        let labels: Vec<(&str, &str)> = merged.user_labels().collect();
        assert_eq!(labels, [("b", "2")]);
    }
}
