//! Server-sent-events framing (the WHATWG rules the providers follow): `data:` lines joined with
//! `\n`, `event:` names, `:` comment and keep-alive lines ignored, LF, CRLF or CR line endings,
//! an event dispatched at a blank line. An event still open when the body ends (a stream cut
//! short) is returned too, marked unterminated, so the caller can keep what arrived.

use std::borrow::Cow;

use serde_json::Value;

use super::chunks::ChunkLog;

/// One event of a stream.
pub(crate) struct Event<'a> {
    /// The `event:` field, if any (the Responses API names its events; chat streams do not).
    pub name: Option<&'a str>,
    /// The `data:` lines, joined with `\n`.
    pub data: Cow<'a, str>,
    /// False for an event the body ended in, before its blank line.
    pub terminated: bool,
}

/// True when a response body should be read as an event stream: by its content type, or by its
/// first bytes when the content type is missing or wrong (proxies often drop it).
pub(crate) fn is_event_stream(content_type: Option<&str>, body: &[u8]) -> bool {
    if content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("text/event-stream")) {
        return true;
    }
    let start = body.trim_ascii_start();
    [&b"data:"[..], b"event:", b":", b"id:", b"retry:"]
        .iter()
        .any(|prefix| start.starts_with(prefix))
}

/// Splits a stream into its events.
pub(crate) fn events(text: &str) -> Vec<Event<'_>> {
    let mut events = Vec::new();
    let mut name = None;
    let mut data: Option<Cow<'_, str>> = None;
    for line in lines(text) {
        if line.is_empty() {
            if let Some(data) = data.take() {
                events.push(Event {
                    name: name.take(),
                    data,
                    terminated: true,
                });
            }
            name = None;
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "data" => {
                data = Some(match data.take() {
                    None => Cow::Borrowed(value),
                    Some(previous) => {
                        let mut joined = previous.into_owned();
                        joined.push('\n');
                        joined.push_str(value);
                        Cow::Owned(joined)
                    }
                });
            }
            "event" => name = Some(value),
            _ => {}
        }
    }
    if let Some(data) = data {
        events.push(Event {
            name,
            data,
            terminated: false,
        });
    }
    events
}

/// Parses an event's data as JSON, or logs why it could not be (`position` counts from 1).
pub(crate) fn parse_data(event: &Event<'_>, position: usize, log: &mut ChunkLog) -> Option<Value> {
    match serde_json::from_str(&event.data) {
        Ok(value) => {
            log.read();
            Some(value)
        }
        Err(reason) => {
            log.lost(position, !event.terminated, reason);
            None
        }
    }
}

/// Lines ended by LF, CRLF or a lone CR. A last line without an ending is still a line.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest.find(['\r', '\n']).unwrap_or(rest.len());
        let line = &rest[..end];
        let after = &rest[end..];
        rest = after
            .strip_prefix("\r\n")
            .or_else(|| after.get(1..))
            .unwrap_or_default();
        Some(line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datas(text: &str) -> Vec<(Option<&str>, String, bool)> {
        events(text)
            .into_iter()
            .map(|e| (e.name, e.data.into_owned(), e.terminated))
            .collect()
    }

    #[test]
    fn splits_events_and_skips_comments() {
        let stream = ": keep-alive\n\ndata: {\"a\":1}\n\ndata:{\"b\":2}\n\ndata: [DONE]\n\n";
        assert_eq!(
            datas(stream),
            vec![
                (None, "{\"a\":1}".into(), true),
                (None, "{\"b\":2}".into(), true),
                (None, "[DONE]".into(), true)
            ]
        );
    }

    #[test]
    fn joins_multi_line_data_and_handles_crlf_and_cr() {
        let stream = "event: x\r\ndata: line1\r\ndata: line2\r\n\r\ndata: y\r\rdata: z";
        assert_eq!(
            datas(stream),
            vec![
                (Some("x"), "line1\nline2".into(), true),
                (None, "y".into(), true),
                (None, "z".into(), false)
            ]
        );
    }

    #[test]
    fn event_names_do_not_leak_into_the_next_event() {
        let stream = "event: a\n\ndata: 1\n\n";
        assert_eq!(datas(stream), vec![(None, "1".into(), true)]);
    }

    #[test]
    fn parse_data_logs_bad_events() {
        let text = "data: {\"a\":1}\n\ndata: {oops\n\ndata: {\"b\"";
        let mut log = ChunkLog::default();
        let parsed: Vec<_> = events(text)
            .iter()
            .enumerate()
            .filter_map(|(i, e)| parse_data(e, i + 1, &mut log))
            .collect();
        assert_eq!(parsed.len(), 1);
        let note = log.note().unwrap();
        assert!(
            note.starts_with(
                "2 stream chunks are left out; the first: chunk 2 could not be read: key must be a string"
            ),
            "{note}"
        );
    }

    #[test]
    fn detects_streams_by_type_or_content() {
        assert!(is_event_stream(
            Some("text/event-stream; charset=utf-8"),
            b"{}"
        ));
        assert!(is_event_stream(None, b"\n data: {}"));
        assert!(is_event_stream(Some("application/json"), b": ping\n\n"));
        assert!(!is_event_stream(Some("application/json"), b"{\"data\": 1}"));
        assert!(!is_event_stream(None, b""));
    }
}
