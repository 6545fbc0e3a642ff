//! `…/models/{model}:generateContent` and `:streamGenerateContent` → `models.generate_content`
//! and `models.generate_content_stream`.

use serde_json::Value;

use super::super::dispatch::{Reply, json_reply};
use super::super::json::{Object, cloned, take, take_any};
use super::super::sse;
use super::candidates::Candidates;
use super::stream;

pub(crate) fn request(mut body: Object, model: Option<&str>) -> Object {
    let mut request = Object::new();
    request.insert("model".to_owned(), Value::from(model));
    let contents = take(&mut body, "contents");
    let count = contents.as_array().map(Vec::len);
    request.insert("message_count".to_owned(), Value::from(count));
    request.insert("contents".to_owned(), contents);
    // The REST API accepts both spellings of its fields; the SDKs send camelCase.
    let system = take_any(&mut body, &["systemInstruction", "system_instruction"]);
    request.insert("system_instruction".to_owned(), system);
    request.insert("tools".to_owned(), take(&mut body, "tools"));
    let config = take_any(&mut body, &["generationConfig", "generation_config"]);
    request.insert("config".to_owned(), config);
    request.insert("other".to_owned(), Value::Object(body));
    request
}

/// One GenerateContentResponse, an SSE stream of them (`alt=sse`), or a JSON array of them
/// (`streamGenerateContent` without `alt=sse`), recognised by the body itself.
pub(crate) fn response(bytes: &[u8], content_type: Option<&str>) -> Reply {
    if sse::is_event_stream(content_type, bytes) {
        return stream::events(bytes);
    }
    if bytes.trim_ascii_start().starts_with(b"[") {
        return stream::array(bytes);
    }
    json_reply(bytes, |body| {
        let body = Value::Object(body);
        let mut candidates = Candidates::default();
        candidates.feed(&body);
        candidates.finish(Some(cloned(&body, "candidates")))
    })
}
