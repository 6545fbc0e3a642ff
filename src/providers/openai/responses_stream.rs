//! A Responses API stream: typed events (`response.created`, `response.output_text.delta`, …,
//! then `response.completed`, `response.incomplete` or `response.failed`). The terminal event
//! carries the whole final response and its usage, so it is used when it arrived; a stream cut
//! short is rebuilt from the deltas instead.

use std::collections::BTreeMap;

use serde_json::Value;

use super::super::choice::{self, ToolCall};
use super::super::chunks::ChunkLog;
use super::super::dispatch::Reply;
use super::super::json::{Object, copy_keys, str_at, u64_at};
use super::super::sse;
use super::super::{error, usage};
use super::responses::{METADATA, from_response, tool_call};

pub(super) fn response(bytes: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(bytes);
    let mut stream = Stream::default();
    for (position, event) in sse::events(&text).iter().enumerate() {
        if let Some(data) = sse::parse_data(event, position + 1, &mut stream.chunks) {
            stream.feed(event.name, data);
        }
    }
    stream.finish()
}

#[derive(Default)]
struct Stream {
    /// The response as `response.created` / `response.in_progress` described it.
    started: Value,
    /// The response of the terminal event.
    finished: Option<Value>,
    text: Option<String>,
    /// Tool calls by output index.
    tools: BTreeMap<u64, PartialTool>,
    error: Option<String>,
    chunks: ChunkLog,
}

#[derive(Default)]
struct PartialTool {
    call: ToolCall,
    arguments: String,
}

impl Stream {
    fn feed(&mut self, name: Option<&str>, mut data: Value) {
        let kind = str_at(&data, "type").or(name).unwrap_or_default();
        match kind {
            "response.created" | "response.in_progress" => {
                self.started = data
                    .get_mut("response")
                    .map(Value::take)
                    .unwrap_or_default();
            }
            "response.completed" | "response.incomplete" | "response.failed" => {
                self.finished = data.get_mut("response").map(Value::take);
            }
            "response.output_text.delta" => {
                if let Some(delta) = str_at(&data, "delta") {
                    self.text.get_or_insert_with(String::new).push_str(delta);
                }
            }
            "response.output_item.added" | "response.output_item.done" => {
                let item = data.get("item").and_then(tool_call);
                if let (Some(index), Some(mut call)) = (u64_at(&data, "output_index"), item) {
                    let arguments = call.arguments.take();
                    let tool = self.tools.entry(index).or_default();
                    tool.call = call;
                    // `added` has the arguments so far (usually none), `done` all of them.
                    tool.arguments = arguments.as_str().unwrap_or_default().to_owned();
                }
            }
            "response.function_call_arguments.delta" => {
                if let (Some(index), Some(delta)) =
                    (u64_at(&data, "output_index"), str_at(&data, "delta"))
                {
                    self.tools
                        .entry(index)
                        .or_default()
                        .arguments
                        .push_str(delta);
                }
            }
            "error" => {
                // Here `type` names the event, not the error: the error is `code` and `message`.
                if let Some(members) = data.as_object_mut() {
                    members.remove("type");
                }
                let message = error::in_body(&data).or_else(|| error::describe(&data));
                self.error = self.error.take().or(message);
            }
            _ => {}
        }
    }

    fn finish(self) -> Reply {
        let complete = self.finished.is_some();
        let mut reply = match &self.finished {
            Some(finished) => from_response(finished),
            None => self.rebuild(),
        };
        reply
            .body
            .insert("stream_complete".to_owned(), Value::from(complete));
        if let Some(note) = self.chunks.note() {
            reply
                .body
                .insert("capture_error".to_owned(), Value::from(note));
        }
        reply.error = reply.error.or(self.error);
        reply
    }

    /// The record of a stream without a terminal event: what the deltas said.
    fn rebuild(&self) -> Reply {
        let mut response = Object::new();
        copy_keys(&self.started, &mut response, &METADATA);
        response.insert("text".to_owned(), Value::from(self.text.clone()));
        let calls = self
            .tools
            .values()
            .map(|tool| ToolCall {
                arguments: Value::from(tool.arguments.clone()),
                ..tool.call.clone()
            })
            .collect();
        response.insert("tool_calls".to_owned(), choice::tool_calls(calls));
        response.insert("tokens".to_owned(), usage::openai(&Value::Null));
        response.insert("usage".to_owned(), Value::Null);
        Reply::ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stream(events: &[Value]) -> Vec<u8> {
        events
            .iter()
            .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap()))
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn a_failed_response_gives_its_error() {
        let failed = json!({"id": "resp_1", "model": "gpt-4.1", "status": "failed",
                            "error": {"code": "server_error", "message": "The model failed."}, "output": [], "usage": null});
        let reply = response(&stream(&[
            json!({"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}}),
            json!({"type": "response.failed", "response": failed}),
        ]));
        assert_eq!(
            reply.error.as_deref(),
            Some("server_error: The model failed.")
        );
        assert_eq!(reply.body["stream_complete"], true);
        assert_eq!(reply.body["status"], "failed");
    }

    #[test]
    fn an_error_event_without_a_terminal_event() {
        let reply = response(&stream(&[
            json!({"type": "response.created", "response": {"id": "resp_2", "model": "gpt-4.1", "status": "in_progress"}}),
            json!({"type": "response.output_text.delta", "output_index": 0, "delta": "Hi"}),
            json!({"type": "error", "code": "rate_limit_exceeded", "message": "Slow down.", "param": null}),
        ]));
        assert_eq!(
            reply.error.as_deref(),
            Some("rate_limit_exceeded: Slow down.")
        );
        assert_eq!(reply.body["text"], "Hi");
        assert_eq!(reply.body["id"], "resp_2");
        assert_eq!(reply.body["stream_complete"], false);
    }
}
