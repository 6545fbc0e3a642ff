//! Reassembles a chat completion from its SSE chunks: text per choice, tool calls grouped by
//! (choice, tool index) with their argument fragments concatenated (id, type and name arrive
//! once), the last non-null finish reason, and the usage chunk that
//! `stream_options.include_usage` adds before `[DONE]`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::super::choice::{self, Choice, ToolCall};
use super::super::chunks::ChunkLog;
use super::super::dispatch::Reply;
use super::super::json::{Object, items, non_null, str_at, u64_at};
use super::super::sse;
use super::super::{error, usage};
use super::chat::METADATA;

pub(super) fn response(bytes: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(bytes);
    let mut stream = Stream::default();
    for (position, event) in sse::events(&text).iter().enumerate() {
        stream.feed(event, position + 1);
    }
    stream.finish()
}

#[derive(Default)]
struct Stream {
    metadata: Object,
    choices: BTreeMap<u64, PartialChoice>,
    usage: Value,
    done: bool,
    error: Option<String>,
    chunks: ChunkLog,
}

#[derive(Default)]
struct PartialChoice {
    choice: Choice,
    tools: BTreeMap<u64, PartialTool>,
}

#[derive(Default)]
struct PartialTool {
    call: ToolCall,
    arguments: Option<String>,
}

impl Stream {
    fn feed(&mut self, event: &sse::Event<'_>, position: usize) {
        if event.data.trim() == "[DONE]" {
            self.done = true;
            return;
        }
        let Some(chunk) = sse::parse_data(event, position, &mut self.chunks) else {
            return;
        };
        let stream_error = error::in_body(&chunk).or_else(|| {
            (event.name == Some("error"))
                .then(|| error::describe(&chunk))
                .flatten()
        });
        if let Some(message) = stream_error {
            self.error.get_or_insert(message);
            return;
        }
        for key in METADATA {
            if let Some(value) = chunk.get(key).and_then(non_null) {
                self.metadata.insert(key.to_owned(), value.clone());
            }
        }
        if let Some(usage) = chunk.get("usage").and_then(non_null) {
            self.usage = usage.clone();
        }
        for (position, value) in items(&chunk, "choices").iter().enumerate() {
            let index = u64_at(value, "index").unwrap_or(position as u64);
            let partial = self.choices.entry(index).or_insert_with(|| PartialChoice {
                choice: Choice::new(index),
                tools: BTreeMap::new(),
            });
            partial.add(value);
        }
    }

    fn finish(self) -> Reply {
        let mut response = Object::new();
        for key in METADATA {
            let value = self.metadata.get(key).cloned().unwrap_or(Value::Null);
            response.insert(key.to_owned(), value);
        }
        let choices = self
            .choices
            .into_values()
            .map(PartialChoice::finish)
            .collect();
        choice::write(&mut response, choices);
        response.insert("tokens".to_owned(), usage::openai(&self.usage));
        response.insert("usage".to_owned(), self.usage);
        response.insert("stream_complete".to_owned(), Value::from(self.done));
        if let Some(note) = self.chunks.note() {
            response.insert("capture_error".to_owned(), Value::from(note));
        }
        Reply {
            body: response,
            error: self.error,
        }
    }
}

impl PartialChoice {
    fn add(&mut self, value: &Value) {
        if let Some(reason) = value.get("finish_reason").and_then(non_null) {
            self.choice.finish_reason = reason.clone();
        }
        let Some(delta) = value.get("delta") else {
            return;
        };
        if let Some(text) = str_at(delta, "content") {
            self.choice.push_text(text);
        }
        if let Some(text) = str_at(delta, "reasoning_content") {
            self.choice.push_reasoning(text);
        }
        for (position, fragment) in items(delta, "tool_calls").iter().enumerate() {
            let index = u64_at(fragment, "index").unwrap_or(position as u64);
            self.tools.entry(index).or_default().add(fragment);
        }
    }

    fn finish(mut self) -> Choice {
        self.choice.tool_calls = self.tools.into_values().map(PartialTool::finish).collect();
        self.choice
    }
}

impl PartialTool {
    fn add(&mut self, fragment: &Value) {
        let function = fragment.get("function").unwrap_or(&Value::Null);
        let fields = [
            (&mut self.call.id, fragment.get("id")),
            (&mut self.call.kind, fragment.get("type")),
            (&mut self.call.name, function.get("name")),
        ];
        for (field, value) in fields {
            if let Some(value) = value.and_then(non_null) {
                *field = value.clone();
            }
        }
        if let Some(arguments) = str_at(function, "arguments") {
            self.arguments
                .get_or_insert_with(String::new)
                .push_str(arguments);
        }
    }

    fn finish(mut self) -> ToolCall {
        self.call.arguments = Value::from(self.arguments);
        self.call
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_error_events_and_fragments_without_index() {
        let body = concat!(
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"c1\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\":1}\"}}]}}]}\n\n",
            "event: error\ndata: {\"message\":\"overloaded\",\"type\":\"server_error\"}\n\n",
        );
        let reply = response(body.as_bytes());
        assert_eq!(reply.error.as_deref(), Some("server_error: overloaded"));
        let call = &reply.body["choices"][0]["tool_calls"][0];
        assert_eq!(call["id"], "c1");
        assert_eq!(call["arguments"], "{\"a\":1}");
        assert_eq!(reply.body["stream_complete"], false);
    }

    #[test]
    fn an_empty_stream_says_so() {
        let reply = response(b": keep-alive\n\n");
        assert_eq!(reply.body["capture_error"], "the stream has no chunks");
        assert_eq!(reply.body["choices"], serde_json::json!([]));
    }
}
