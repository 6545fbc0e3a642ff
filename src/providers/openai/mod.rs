//! OpenAI and OpenAI-compatible APIs (Azure OpenAI, local servers, routers): one file per
//! endpoint, plus the chat stream reassembly.

pub(crate) mod chat;
mod chat_stream;
pub(crate) mod embeddings;
pub(crate) mod images;
pub(crate) mod responses;
mod responses_stream;

use serde_json::Value;

use super::choice::ToolCall;
use super::json::{cloned, str_at};

/// A chat tool call `{id, type, function: {name, arguments}}`, flattened.
fn tool_call(call: &Value) -> ToolCall {
    let function = call.get("function").unwrap_or(&Value::Null);
    ToolCall {
        id: cloned(call, "id"),
        kind: cloned(call, "type"),
        name: cloned(function, "name"),
        arguments: cloned(function, "arguments"),
    }
}

/// The number of messages or inputs: an array's length, one for a single string or object.
fn count(value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        Value::Array(items) => Value::from(items.len()),
        _ => Value::from(1),
    }
}

/// The text of a chat message `content`: a string, or the text parts of a content array
/// (some compatible servers answer with parts).
fn content_text(content: &Value) -> Option<String> {
    match content {
        Value::String(text) => Some(text.clone()),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|part| str_at(part, "text"))
                .collect();
            (!texts.is_empty()).then(|| texts.concat())
        }
        _ => None,
    }
}
