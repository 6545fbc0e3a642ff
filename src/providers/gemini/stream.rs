//! The two framings of `streamGenerateContent`: SSE (`alt=sse`; no end sentinel, the stream ends
//! when the connection closes) and, without `alt=sse`, one JSON array of chunks that arrives
//! piece by piece. Both are read chunk by chunk, so a body cut short keeps every whole chunk.

use serde_json::Value;

use super::super::chunks::ChunkLog;
use super::super::dispatch::Reply;
use super::super::{media, sse};
use super::candidates::Candidates;

pub(super) fn events(bytes: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(bytes);
    let mut candidates = Candidates::default();
    let mut log = ChunkLog::default();
    for (position, event) in sse::events(&text).iter().enumerate() {
        if let Some(mut chunk) = sse::parse_data(event, position + 1, &mut log) {
            media::strip(&mut chunk);
            candidates.feed(&chunk);
        }
    }
    finish(candidates, &log, true)
}

pub(super) fn array(bytes: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(bytes);
    let mut candidates = Candidates::default();
    let mut log = ChunkLog::default();
    let mut rest = text.trim_start().strip_prefix('[').unwrap_or_default();
    let mut closed = false;
    for position in 1.. {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if rest.starts_with(']') || rest.is_empty() {
            closed = rest.starts_with(']');
            break;
        }
        let mut values = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        match values.next() {
            Some(Ok(mut chunk)) => {
                log.read();
                media::strip(&mut chunk);
                candidates.feed(&chunk);
                rest = rest.get(values.byte_offset()..).unwrap_or_default();
            }
            Some(Err(reason)) => {
                // Past a malformed element there is no reliable way to find the next one.
                log.lost(position, reason.is_eof(), reason);
                break;
            }
            None => break,
        }
    }
    finish(candidates, &log, closed)
}

/// Complete when the model finished (a finish reason arrived) and the framing closed.
fn finish(candidates: Candidates, log: &ChunkLog, closed: bool) -> Reply {
    let complete = closed && candidates.finished();
    let mut reply = candidates.finish(None);
    reply
        .body
        .insert("stream_complete".to_owned(), Value::from(complete));
    if let Some(note) = log.note() {
        reply
            .body
            .insert("capture_error".to_owned(), Value::from(note));
    }
    reply
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text_chunk(text: &str, finish: Option<&str>) -> String {
        let mut candidate = json!({"content": {"role": "model", "parts": [{"text": text}]}});
        if let Some(finish) = finish {
            candidate["finishReason"] = json!(finish);
        }
        json!({"candidates": [candidate], "modelVersion": "gemini-2.0-flash"}).to_string()
    }

    #[test]
    fn array_cut_inside_an_element_keeps_the_whole_ones() {
        let body = format!(
            "[{},\n{}",
            text_chunk("Hello", None),
            text_chunk(" world", Some("STOP"))
        );
        let cut = &body.as_bytes()[..body.len() - 10];
        let reply = array(cut);
        assert_eq!(reply.body["text"], "Hello");
        assert_eq!(reply.body["stream_complete"], false);
        let note = reply.body["capture_error"].as_str().unwrap();
        assert!(
            note.starts_with("stream chunk 2 was cut off by the end of the body"),
            "{note}"
        );
    }

    #[test]
    fn array_needs_its_closing_bracket_to_be_complete() {
        let body = format!(
            "[{}\r\n,\r\n{}",
            text_chunk("a", None),
            text_chunk("b", Some("STOP"))
        );
        assert_eq!(array(body.as_bytes()).body["stream_complete"], false);
        let closed = format!("{body}]");
        let reply = array(closed.as_bytes());
        assert_eq!(reply.body["stream_complete"], true);
        assert_eq!(reply.body["text"], "ab");
        assert!(reply.body.get("capture_error").is_none());
    }

    #[test]
    fn an_error_chunk_mid_stream_becomes_the_error() {
        let body = format!(
            "data: {}\r\n\r\ndata: {}\r\n\r\n",
            text_chunk("Partial", None),
            json!({"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}})
        );
        let reply = events(body.as_bytes());
        assert_eq!(
            reply.error.as_deref(),
            Some("UNAVAILABLE: The model is overloaded.")
        );
        assert_eq!(reply.body["text"], "Partial");
        assert_eq!(reply.body["stream_complete"], false);
    }

    #[test]
    fn thoughts_and_function_calls_are_kept_apart_from_text() {
        let chunks = [
            json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Plan: ", "thought": true}]}}]}),
            json!({"candidates": [{"content": {"parts": [{"text": "call it", "thought": true}]}}]}),
            json!({"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": {"x": 1}}}]},
                                   "finishReason": "STOP"}]}),
        ];
        let body: String = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
        let reply = events(body.as_bytes());
        let choice = &reply.body["choices"][0];
        assert_eq!(choice["reasoning"], "Plan: call it");
        assert_eq!(choice["text"], Value::Null);
        assert_eq!(choice["tool_calls"][0]["arguments"], json!({"x": 1}));
        assert_eq!(
            reply.body["candidates"][0]["content"]["parts"],
            json!([{"text": "Plan: call it", "thought": true}, {"functionCall": {"name": "f", "args": {"x": 1}}}])
        );
    }
}
