//! Prompts and completions in the GenAI message schema (`{role, parts: [...]}`), written as
//! JSON text on `gen_ai.input.messages`, `gen_ai.output.messages` and
//! `gen_ai.system_instructions`, as the conventions allow on spans. Only called when content
//! capture is on.

use serde_json::{Value, json};

use crate::otlp::mapping::{Attributes, CallView};

pub fn add(attributes: &mut Attributes, call: &CallView) {
    let input = input_messages(call.request);
    if !input.is_empty() {
        attributes.text("gen_ai.input.messages", &Value::Array(input).to_string());
    }
    if let Some(system) = system_instructions(call.request) {
        attributes.text("gen_ai.system_instructions", &system.to_string());
    }
    let output = output_messages(call.response);
    if !output.is_empty() {
        attributes.text("gen_ai.output.messages", &Value::Array(output).to_string());
    }
}

/// OpenAI `messages`, Gemini `contents` or a Responses `input`, as GenAI messages.
pub fn input_messages(request: &Value) -> Vec<Value> {
    if let Some(messages) = request.get("messages").and_then(Value::as_array) {
        return messages.iter().map(openai_message).collect();
    }
    if let Some(contents) = request.get("contents").and_then(Value::as_array) {
        return contents.iter().map(gemini_content).collect();
    }
    match request.get("input") {
        Some(Value::String(text)) => vec![message("user", vec![text_part(text)])],
        Some(Value::Array(items)) => items.iter().map(openai_message).collect(),
        _ => Vec::new(),
    }
}

fn system_instructions(request: &Value) -> Option<Value> {
    match request
        .get("system_instruction")
        .or_else(|| request.get("instructions"))?
    {
        Value::String(text) => Some(json!([text_part(text)])),
        content @ Value::Object(_) => Some(Value::Array(gemini_parts(content))),
        _ => None,
    }
}

/// One assistant message per choice, else one from the response's text.
pub fn output_messages(response: &Value) -> Vec<Value> {
    if let Some(choices) = response.get("choices").and_then(Value::as_array) {
        return choices
            .iter()
            .map(|choice| {
                let mut parts = Vec::new();
                if let Some(text) = choice.get("text").and_then(Value::as_str) {
                    parts.push(text_part(text));
                }
                parts.extend(tool_calls(choice.get("tool_calls")));
                let mut out = message("assistant", parts);
                if let Some(reason) = choice.get("finish_reason").filter(|r| r.is_string()) {
                    out["finish_reason"] = reason.clone();
                }
                out
            })
            .collect();
    }
    match response.get("text").and_then(Value::as_str) {
        Some(text) => {
            let mut out = message("assistant", vec![text_part(text)]);
            if let Some(reason) = response.get("finish_reason").filter(|r| r.is_string()) {
                out["finish_reason"] = reason.clone();
            }
            vec![out]
        }
        None => Vec::new(),
    }
}

fn message(role: &str, parts: Vec<Value>) -> Value {
    json!({"role": role, "parts": parts})
}

fn text_part(text: &str) -> Value {
    json!({"type": "text", "content": text})
}

fn openai_message(item: &Value) -> Value {
    let role = item.get("role").and_then(Value::as_str).unwrap_or("user");
    let mut parts = Vec::new();
    match item.get("content") {
        Some(Value::String(text)) if role == "tool" => parts.push(json!({
            "type": "tool_call_response",
            "id": item.get("tool_call_id"),
            "response": text,
        })),
        Some(Value::String(text)) => parts.push(text_part(text)),
        Some(Value::Array(pieces)) => {
            for piece in pieces {
                match piece.get("text").and_then(Value::as_str) {
                    Some(text) => parts.push(text_part(text)),
                    None => parts.push(json!({"type": "generic", "content": piece})),
                }
            }
        }
        _ => {}
    }
    parts.extend(tool_calls(item.get("tool_calls")));
    message(role, parts)
}

fn tool_calls(calls: Option<&Value>) -> Vec<Value> {
    calls
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|call| {
            let function = call.get("function").unwrap_or(call);
            json!({
                "type": "tool_call",
                "id": call.get("id"),
                "name": function.get("name"),
                "arguments": function.get("arguments"),
            })
        })
        .collect()
}

fn gemini_content(content: &Value) -> Value {
    let role = match content.get("role").and_then(Value::as_str) {
        Some("model") => "assistant",
        Some(role) => role,
        None => "user",
    };
    message(role, gemini_parts(content))
}

fn gemini_parts(content: &Value) -> Vec<Value> {
    content
        .get("parts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|part| match part.get("text").and_then(Value::as_str) {
            Some(text) => text_part(text),
            None => match part.get("functionCall") {
                Some(call) => json!({
                    "type": "tool_call",
                    "name": call.get("name"),
                    "arguments": call.get("args"),
                }),
                None => json!({"type": "generic", "content": part}),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_and_gemini_messages_share_one_schema() {
        let openai = json!({"messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"}
        ]});
        assert_eq!(
            input_messages(&openai)[1],
            json!({"role": "user", "parts": [{"type": "text", "content": "Hi"}]})
        );
        let gemini = json!({"contents": [{"role": "model", "parts": [{"text": "Yes"}]}]});
        assert_eq!(input_messages(&gemini)[0]["role"], "assistant");
        let response = json!({"choices": [{"text": "Rome", "finish_reason": "stop"}]});
        assert_eq!(
            output_messages(&response),
            vec![
                json!({"role": "assistant", "parts": [{"type": "text", "content": "Rome"}], "finish_reason": "stop"})
            ]
        );
    }
}
