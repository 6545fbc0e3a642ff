//! `POST …/chat/completions` → `chat.completions.create`: request, and a plain JSON response
//! (streams go to `chat_stream`).

use serde_json::Value;

use super::super::choice::{self, Choice};
use super::super::dispatch::{Reply, json_reply};
use super::super::json::{Object, cloned, copy_keys, items, lift_with_rest, str_at, take, u64_at};
use super::super::{error, sse, usage};
use super::{chat_stream, content_text, count, tool_call};

/// Core parameters lifted out of `other`, after the Python SDK's `temperature` and `max_tokens`.
const PARAMETERS: [&str; 7] = [
    "temperature",
    "max_tokens",
    "max_completion_tokens",
    "top_p",
    "stream",
    "response_format",
    "tools",
];

/// Response members copied as they are.
pub(super) const METADATA: [&str; 4] = ["id", "model", "system_fingerprint", "service_tier"];

pub(crate) fn request(mut body: Object) -> Object {
    let mut request = Object::new();
    request.insert("model".to_owned(), take(&mut body, "model"));
    let messages = take(&mut body, "messages");
    request.insert("message_count".to_owned(), count(&messages));
    request.insert("messages".to_owned(), messages);
    lift_with_rest(body, &mut request, &PARAMETERS);
    request
}

pub(crate) fn response(bytes: &[u8], content_type: Option<&str>) -> Reply {
    if sse::is_event_stream(content_type, bytes) {
        return chat_stream::response(bytes);
    }
    json_reply(bytes, build)
}

fn build(body: Object) -> Reply {
    let body = Value::Object(body);
    let mut response = Object::new();
    copy_keys(&body, &mut response, &METADATA);
    let choices = items(&body, "choices")
        .iter()
        .enumerate()
        .map(|(position, value)| parse_choice(position, value))
        .collect();
    choice::write(&mut response, choices);
    let usage = cloned(&body, "usage");
    response.insert("usage".to_owned(), usage.clone());
    response.insert("tokens".to_owned(), usage::openai(&usage));
    Reply {
        body: response,
        // Some compatible servers answer 200 with an error object.
        error: error::in_body(&body),
    }
}

fn parse_choice(position: usize, value: &Value) -> Choice {
    let index = u64_at(value, "index").unwrap_or(position as u64);
    let mut choice = Choice::new(index);
    let message = value.get("message").unwrap_or(&Value::Null);
    choice.text = message.get("content").and_then(content_text);
    choice.reasoning = str_at(message, "reasoning_content").map(str::to_owned);
    choice.finish_reason = cloned(value, "finish_reason");
    choice.tool_calls = items(message, "tool_calls").iter().map(tool_call).collect();
    choice
}
