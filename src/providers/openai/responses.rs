//! `POST …/responses` → `responses.create` (the Responses API): request, and the record built from
//! a Response object, whether it came whole or as the `response.completed` event of a stream.

use serde_json::Value;

use super::super::choice::{self, ToolCall};
use super::super::dispatch::{Reply, json_reply};
use super::super::json::{Object, cloned, copy_keys, items, lift_with_rest, str_at, take};
use super::super::{error, sse, usage};
use super::{count, responses_stream};

const PARAMETERS: [&str; 5] = [
    "temperature",
    "max_output_tokens",
    "top_p",
    "stream",
    "tools",
];

/// Response members copied as they are.
pub(super) const METADATA: [&str; 5] = [
    "id",
    "model",
    "status",
    "incomplete_details",
    "service_tier",
];

pub(crate) fn request(mut body: Object) -> Object {
    let mut request = Object::new();
    request.insert("model".to_owned(), take(&mut body, "model"));
    let input = take(&mut body, "input");
    request.insert("message_count".to_owned(), count(&input));
    request.insert("input".to_owned(), input);
    request.insert("instructions".to_owned(), take(&mut body, "instructions"));
    lift_with_rest(body, &mut request, &PARAMETERS);
    request
}

pub(crate) fn response(bytes: &[u8], content_type: Option<&str>) -> Reply {
    if sse::is_event_stream(content_type, bytes) {
        return responses_stream::response(bytes);
    }
    json_reply(bytes, |body| from_response(&Value::Object(body)))
}

/// The record of a Response object. A failed response's `error` becomes the call's error.
pub(super) fn from_response(body: &Value) -> Reply {
    let mut response = Object::new();
    copy_keys(body, &mut response, &METADATA);
    response.insert("text".to_owned(), Value::from(output_text(body)));
    let calls = items(body, "output").iter().filter_map(tool_call).collect();
    response.insert("tool_calls".to_owned(), choice::tool_calls(calls));
    let usage = cloned(body, "usage");
    response.insert("tokens".to_owned(), usage::openai(&usage));
    response.insert("usage".to_owned(), usage);
    Reply {
        body: response,
        error: body.get("error").and_then(error::describe),
    }
}

/// All `output_text` parts of all output messages, as the SDKs' `output_text` joins them.
fn output_text(body: &Value) -> Option<String> {
    let texts: Vec<&str> = items(body, "output")
        .iter()
        .flat_map(|item| items(item, "content"))
        .filter(|part| str_at(part, "type") == Some("output_text"))
        .filter_map(|part| str_at(part, "text"))
        .collect();
    (!texts.is_empty()).then(|| texts.concat())
}

/// An output item that is a tool call (`function_call`, `web_search_call`, `custom_tool_call`, …).
pub(super) fn tool_call(item: &Value) -> Option<ToolCall> {
    // `function_call` → `function`, as chat completions name it; `web_search_call` → `web_search`.
    let kind = str_at(item, "type")?.strip_suffix("_call")?;
    let id = item.get("call_id").or_else(|| item.get("id"));
    let arguments = item.get("arguments").or_else(|| item.get("input"));
    Some(ToolCall {
        id: id.cloned().unwrap_or(Value::Null),
        kind: Value::from(kind),
        name: cloned(item, "name"),
        arguments: arguments.cloned().unwrap_or(Value::Null),
    })
}
