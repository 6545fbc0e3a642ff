//! `capture_content == false`: one pass over a finished record that nulls every prompt and every
//! output, whatever the API, and keeps the rest (model, parameters, ids, counts, finish reasons,
//! tool names, usage, URIs of generated media, errors). Nulling rather than removing keeps the
//! record's shape the same in both modes.

use serde_json::Value;

use super::CapturedCall;

/// Request members that hold prompts: chat messages, Gemini contents, embedding and Responses
/// inputs, image and video prompts, system instructions, Responses `instructions`, and, under
/// `other`, Responses prompt-template variables (`prompt`) and predicted outputs (`prediction`).
const REQUEST_KEYS: [&str; 7] = [
    "messages",
    "contents",
    "input",
    "prompt",
    "system_instruction",
    "instructions",
    "prediction",
];

/// Members of each element of response `choices` that hold generated text.
const CHOICE_KEYS: [&str; 2] = ["text", "reasoning"];

pub(crate) fn drop_content(call: &mut CapturedCall) {
    if let Some(request) = call.request.as_object_mut() {
        null_keys(request, &REQUEST_KEYS);
        if let Some(other) = request.get_mut("other").and_then(Value::as_object_mut) {
            null_keys(other, &REQUEST_KEYS);
        }
    }
    let Some(response) = call.response.as_object_mut() else {
        return;
    };
    null_keys(response, &["text"]);
    for choice in each_mut(response.get_mut("choices")) {
        null_keys(choice, &CHOICE_KEYS);
        null_arguments(choice.get_mut("tool_calls"));
    }
    null_arguments(response.get_mut("tool_calls"));
    for item in each_mut(response.get_mut("data")) {
        // Embedding vectors, and the rewritten prompt of an image.
        null_keys(item, &["embedding", "revised_prompt"]);
    }
    for candidate in each_mut(response.get_mut("candidates")) {
        null_keys(candidate, &["content"]);
    }
}

fn null_arguments(tool_calls: Option<&mut Value>) {
    for call in each_mut(tool_calls) {
        null_keys(call, &["arguments"]);
    }
}

fn null_keys(object: &mut serde_json::Map<String, Value>, keys: &[&str]) {
    for key in keys {
        if let Some(value) = object.get_mut(*key) {
            *value = Value::Null;
        }
    }
}

/// The objects of an array member, if it is one.
fn each_mut(
    value: Option<&mut Value>,
) -> impl Iterator<Item = &mut serde_json::Map<String, Value>> {
    value
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nulls_prompts_and_outputs_and_keeps_metadata() {
        let mut call = CapturedCall {
            provider: "openai",
            api: "chat.completions.create",
            request: json!({"model": "m", "messages": [{"role": "user", "content": "secret prompt"}],
                            "message_count": 1, "tools": [{"type": "function"}], "other": {"prediction": {"content": "x"}, "seed": 1}}),
            response: json!({"id": "c", "text": "out", "finish_reason": "tool_calls",
                             "choices": [{"index": 0, "text": "out", "reasoning": "r", "finish_reason": "tool_calls",
                                          "tool_calls": [{"id": "t", "type": "function", "name": "f", "arguments": "{\"a\":1}"}]}],
                             "data": [{"index": 0, "embedding": [0.5], "object": "embedding"}],
                             "candidates": [{"content": {"parts": [{"text": "out"}]}, "finishReason": "STOP"}],
                             "usage": {"total_tokens": 3}}),
            error: None,
            operation: None,
        };
        drop_content(&mut call);
        assert_eq!(
            call.request,
            json!({"model": "m", "messages": null, "message_count": 1, "tools": [{"type": "function"}],
                   "other": {"prediction": null, "seed": 1}})
        );
        assert_eq!(
            call.response,
            json!({"id": "c", "text": null, "finish_reason": "tool_calls",
                   "choices": [{"index": 0, "text": null, "reasoning": null, "finish_reason": "tool_calls",
                                "tool_calls": [{"id": "t", "type": "function", "name": "f", "arguments": null}]}],
                   "data": [{"index": 0, "embedding": null, "object": "embedding"}],
                   "candidates": [{"content": null, "finishReason": "STOP"}],
                   "usage": {"total_tokens": 3}})
        );
    }

    #[test]
    fn tolerates_null_records() {
        let mut call = CapturedCall {
            provider: "gemini",
            api: "models.generate_content",
            request: Value::Null,
            response: Value::Null,
            error: Some("x".into()),
            operation: None,
        };
        drop_content(&mut call);
        assert_eq!(call.response, Value::Null);
    }
}
