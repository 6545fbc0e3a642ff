//! Failed calls and functions grouped by what went wrong: the error's type (`RateLimitError`,
//! `HTTP 429`) and its message with the parts that change from one occurrence to the next
//! (numbers, ids) replaced, so 377 rate-limit errors make one line with a count and a sample to
//! follow (its trace and span ids).

use std::collections::HashMap;

use serde::Serialize;

use crate::dataset::Dataset;
use crate::model::SpanKind;

#[derive(Serialize)]
pub struct ErrorGroup {
    /// `RateLimitError`, `HTTP 429`, … or `error` when the message names no type.
    pub error_type: String,
    /// The message after the type, numbers written `<n>` and ids `<id>`.
    pub message: String,
    pub count: usize,
    pub provider_calls: usize,
    pub functions: usize,
    /// Failed attempts that the client retried (the call may have succeeded later).
    pub retried: usize,
    pub first_seen: f64,
    pub last_seen: f64,
    /// The first occurrence.
    pub sample: ErrorSample,
}

#[derive(Serialize)]
pub struct ErrorSample {
    pub session: String,
    pub session_id: String,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub kind: SpanKind,
    pub span: String,
    pub model: Option<String>,
    pub error: String,
}

/// Every error group, most frequent first (then first seen first).
pub fn group(dataset: &Dataset<'_>) -> Vec<ErrorGroup> {
    let mut groups: Vec<ErrorGroup> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut order: Vec<usize> = (0..dataset.spans.len())
        .filter(|&i| dataset.spans[i].event.error.is_some())
        .collect();
    order.sort_by(|a, b| {
        let start = |i: &usize| dataset.spans[*i].event.started_at;
        start(a).total_cmp(&start(b))
    });
    for i in order {
        let span = &dataset.spans[i];
        let event = &span.event;
        let error = event.error.as_deref().unwrap_or_default();
        let (error_type, message) = split_type(error);
        let key = (error_type.to_string(), normalise(message));
        let position = *index.entry(key.clone()).or_insert_with(|| {
            groups.push(ErrorGroup {
                error_type: key.0,
                message: key.1,
                count: 0,
                provider_calls: 0,
                functions: 0,
                retried: 0,
                first_seen: event.started_at,
                last_seen: event.started_at,
                sample: ErrorSample {
                    session: dataset
                        .session_of(span)
                        .map_or_else(|| event.session_id.to_string(), |s| s.name.to_string()),
                    session_id: event.session_id.to_string(),
                    trace_id: event.trace_id.as_deref().map(str::to_string),
                    span_id: event.span_id.as_deref().map(str::to_string),
                    kind: span.kind,
                    span: span.title(),
                    model: span.model().map(str::to_string),
                    error: error.to_string(),
                },
            });
            groups.len() - 1
        });
        let group = &mut groups[position];
        group.count += 1;
        match span.kind {
            SpanKind::Provider => group.provider_calls += 1,
            SpanKind::Function => group.functions += 1,
        }
        group.retried += usize::from(!dataset.is_final_attempt(i));
        group.last_seen = group.last_seen.max(event.started_at);
    }
    groups.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.first_seen.total_cmp(&b.first_seen))
    });
    groups
}

/// `RateLimitError: Error code: 429 - …` → (`RateLimitError`, `Error code: 429 - …`); the
/// core's `HTTP 429: …` → (`HTTP 429`, `…`). A prefix that is not a name is not a type.
fn split_type(error: &str) -> (&str, &str) {
    let Some((prefix, rest)) = error.split_once(": ") else {
        return ("error", error.trim());
    };
    let is_name = |word: &str| {
        word.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    };
    let typed = match prefix.split_once(' ') {
        None => is_name(prefix),
        Some((name, status)) => {
            is_name(name) && status.len() == 3 && status.bytes().all(|b| b.is_ascii_digit())
        }
    };
    if typed && prefix.len() <= 64 {
        (prefix, rest.trim())
    } else {
        ("error", error.trim())
    }
}

/// Whitespace collapsed; words that are numbers become `<n>`, and words with a digit made only
/// of hex digits and dashes (ids, uuids, hashes) of at least 8 characters become `<id>`.
fn normalise(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        // A sentence's full stop is not part of its last word.
        let stops = word.len() - word.trim_end_matches('.').len();
        word.truncate(word.len() - stops);
        let has_digit = word.bytes().any(|b| b.is_ascii_digit());
        if has_digit && word.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            out.push_str("<n>");
        } else if has_digit
            && word.len() >= 8
            && word.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
        {
            out.push_str("<id>");
        } else {
            out.push_str(word);
        }
        out.push_str(&".".repeat(stops));
        word.clear();
    };
    let mut last_space = true;
    for c in message.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
            word.push(c);
            last_space = false;
            continue;
        }
        flush(&mut word, &mut out);
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    flush(&mut word, &mut out);
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_names_or_http_statuses() {
        assert_eq!(
            split_type("RateLimitError: Error code: 429 - slow down"),
            ("RateLimitError", "Error code: 429 - slow down")
        );
        assert_eq!(
            split_type("HTTP 503: overloaded"),
            ("HTTP 503", "overloaded")
        );
        assert_eq!(
            split_type("openai.APIError: boom"),
            ("openai.APIError", "boom")
        );
        assert_eq!(split_type("it broke: badly"), ("error", "it broke: badly"));
        assert_eq!(split_type("  no type "), ("error", "no type"));
    }

    #[test]
    fn numbers_and_ids_are_normalised() {
        assert_eq!(
            normalise("Limit 3, Used 3.  Retry in 1.5s for gpt-4o-mini"),
            "Limit <n>, Used <n>. Retry in 1.5s for gpt-4o-mini"
        );
        assert_eq!(
            normalise("request req_1 id 5f0c8a52-3b7e-4d8e-9a41-000000000001 (code 429)"),
            "request req_1 id <id> (code <n>)"
        );
        assert_eq!(normalise("deadbeef cafe 12345678"), "deadbeef cafe <n>");
    }
}
