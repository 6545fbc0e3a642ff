//! The provider-neutral output shape: one `Choice` per OpenAI choice or Gemini candidate, each
//! with its text, reasoning text, finish reason and tool calls. Parsers of whole responses and of
//! streams both fill these, so a streamed call records the same shape as a plain one.

use serde_json::{Map, Value, json};

/// One tool call requested by the model. `arguments` is what the provider sent: a JSON string
/// for OpenAI (kept verbatim, it may be invalid JSON), an object for Gemini.
#[derive(Clone, Default)]
pub(crate) struct ToolCall {
    pub id: Value,
    pub kind: Value,
    pub name: Value,
    pub arguments: Value,
}

impl ToolCall {
    fn into_value(self) -> Value {
        json!({"id": self.id, "type": self.kind, "name": self.name, "arguments": self.arguments})
    }
}

/// One alternative of the output.
#[derive(Default)]
pub(crate) struct Choice {
    pub index: u64,
    /// None when the model sent no text at all (e.g. only tool calls), as OpenAI's `null` content.
    pub text: Option<String>,
    /// Reasoning text, where the provider returns it (Gemini thought parts, `reasoning_content`
    /// of OpenAI-compatible servers).
    pub reasoning: Option<String>,
    pub finish_reason: Value,
    pub tool_calls: Vec<ToolCall>,
}

impl Choice {
    pub(crate) fn new(index: u64) -> Self {
        Self {
            index,
            ..Self::default()
        }
    }

    /// Appends a text fragment (streams deliver text in pieces).
    pub(crate) fn push_text(&mut self, fragment: &str) {
        self.text.get_or_insert_with(String::new).push_str(fragment);
    }

    pub(crate) fn push_reasoning(&mut self, fragment: &str) {
        self.reasoning
            .get_or_insert_with(String::new)
            .push_str(fragment);
    }

    fn into_value(self) -> Value {
        json!({
            "index": self.index,
            "text": self.text,
            "reasoning": self.reasoning,
            "finish_reason": self.finish_reason,
            "tool_calls": tool_calls(self.tool_calls),
        })
    }
}

/// Tool calls as a JSON array, or null when there are none (the providers omit them then).
pub(crate) fn tool_calls(calls: Vec<ToolCall>) -> Value {
    if calls.is_empty() {
        return Value::Null;
    }
    Value::Array(calls.into_iter().map(ToolCall::into_value).collect())
}

/// Writes `text` and `finish_reason` (of the first choice, as the SDKs' convenience accessors
/// give them) and `choices` (all of them, in index order) into a response record.
pub(crate) fn write(response: &mut Map<String, Value>, mut choices: Vec<Choice>) {
    choices.sort_by_key(|choice| choice.index);
    let first = choices.first();
    let text = first.and_then(|choice| choice.text.clone());
    let finish_reason = first.map_or(Value::Null, |choice| choice.finish_reason.clone());
    response.insert("text".to_owned(), Value::from(text));
    response.insert("finish_reason".to_owned(), finish_reason);
    response.insert(
        "choices".to_owned(),
        Value::Array(choices.into_iter().map(Choice::into_value).collect()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_orders_choices_and_exposes_the_first() {
        let mut second = Choice::new(1);
        second.push_text("b");
        let mut first = Choice::new(0);
        first.push_text("a");
        first.push_text("!");
        first.finish_reason = json!("stop");
        first.tool_calls.push(ToolCall {
            name: json!("f"),
            ..ToolCall::default()
        });
        let mut response = Map::new();
        write(&mut response, vec![second, first]);
        assert_eq!(
            Value::Object(response),
            json!({
                "text": "a!", "finish_reason": "stop",
                "choices": [
                    {"index": 0, "text": "a!", "reasoning": null, "finish_reason": "stop",
                     "tool_calls": [{"id": null, "type": null, "name": "f", "arguments": null}]},
                    {"index": 1, "text": "b", "reasoning": null, "finish_reason": null, "tool_calls": null}
                ]
            })
        );
    }

    #[test]
    fn no_choices_gives_nulls() {
        let mut response = Map::new();
        write(&mut response, Vec::new());
        assert_eq!(
            Value::Object(response),
            json!({"text": null, "finish_reason": null, "choices": []})
        );
    }
}
