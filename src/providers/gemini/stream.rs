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
