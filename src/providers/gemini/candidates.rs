//! Gathers GenerateContentResponse chunks into one record. A plain response is a stream of one
//! chunk, so both paths share this: text and thought text concatenated per candidate index,
//! function calls collected whole (Gemini sends them whole, with `args` as an object), the last
//! finish reason, and the *last* usage (Gemini's is cumulative: summing would overcount).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::super::choice::{self, Choice, ToolCall};
use super::super::dispatch::Reply;
use super::super::json::{Object, cloned, items, non_null, str_at, u64_at};
use super::super::{error, usage};

#[derive(Default)]
pub(super) struct Candidates {
    candidates: BTreeMap<u64, Candidate>,
    id: Value,
    model: Value,
    usage: Value,
    prompt_feedback: Value,
    /// A finish reason arrived: the model finished (the end marker of a Gemini stream).
    finished: bool,
    error: Option<String>,
}

#[derive(Default)]
struct Candidate {
    choice: Choice,
    role: Value,
    /// Parts as received, consecutive text parts joined, so a rebuilt candidate reads as one.
    parts: Vec<Value>,
    /// Every other candidate member (finishReason, safetyRatings, citationMetadata, …), last wins.
    other: Object,
}

impl Candidates {
    pub(super) fn feed(&mut self, chunk: &Value) {
        if let Some(message) = error::in_body(chunk) {
            self.error.get_or_insert(message);
            return;
        }
        let fields = [
            (&mut self.id, "responseId"),
            (&mut self.model, "modelVersion"),
            (&mut self.usage, "usageMetadata"),
            (&mut self.prompt_feedback, "promptFeedback"),
        ];
        for (field, key) in fields {
            if let Some(value) = chunk.get(key).and_then(non_null) {
                *field = value.clone();
            }
        }
        for (position, value) in items(chunk, "candidates").iter().enumerate() {
            let index = u64_at(value, "index").unwrap_or(position as u64);
            let candidate = self.candidates.entry(index).or_insert_with(|| Candidate {
                choice: Choice::new(index),
                ..Candidate::default()
            });
            candidate.add(value);
            self.finished |= candidate.choice.finish_reason.is_string();
        }
    }

    pub(super) fn finished(&self) -> bool {
        self.finished
    }

    /// The record; `candidates` is given as received for a plain response, or rebuilt when None.
    pub(super) fn finish(self, candidates: Option<Value>) -> Reply {
        let (choices, rebuilt): (Vec<Choice>, Vec<Value>) =
            self.candidates.into_values().map(Candidate::finish).unzip();
        let mut response = Object::new();
        response.insert("id".to_owned(), self.id);
        response.insert("model".to_owned(), self.model);
        choice::write(&mut response, choices);
        let candidates = candidates.unwrap_or(Value::Array(rebuilt));
        response.insert("candidates".to_owned(), candidates);
        response.insert("prompt_feedback".to_owned(), self.prompt_feedback);
        response.insert("tokens".to_owned(), usage::gemini(&self.usage));
        response.insert("usage".to_owned(), self.usage);
        Reply {
            body: response,
            error: self.error,
        }
    }
}

impl Candidate {
    fn add(&mut self, value: &Value) {
        let Some(members) = value.as_object() else {
            return;
        };
        for (key, member) in members {
            match key.as_str() {
                "content" => {
                    if let Some(role) = member.get("role").and_then(non_null) {
                        self.role = role.clone();
                    }
                    items(member, "parts")
                        .iter()
                        .for_each(|part| self.add_part(part));
                }
                "index" => {}
                _ => {
                    if !member.is_null() {
                        self.other.insert(key.clone(), member.clone());
                    }
                }
            }
        }
        if let Some(reason) = value.get("finishReason").and_then(non_null) {
            self.choice.finish_reason = reason.clone();
        }
    }

    fn add_part(&mut self, part: &Value) {
        let thought = part.get("thought").and_then(Value::as_bool) == Some(true);
        if let Some(text) = str_at(part, "text") {
            if thought {
                self.choice.push_reasoning(text);
            } else {
                self.choice.push_text(text);
            }
        }
        if let Some(call) = part.get("functionCall") {
            self.choice.tool_calls.push(ToolCall {
                id: cloned(call, "id"),
                kind: Value::from("function"),
                name: cloned(call, "name"),
                arguments: cloned(call, "args"),
            });
        }
        let joined = match (plain_text(part), self.parts.last_mut()) {
            (Some((text, thought)), Some(last))
                if plain_text(last).is_some_and(|(_, t)| t == thought) =>
            {
                match last.get_mut("text") {
                    Some(Value::String(previous)) => {
                        previous.push_str(text);
                        true
                    }
                    _ => false,
                }
            }
            _ => false,
        };
        if !joined {
            self.parts.push(part.clone());
        }
    }

    /// The choice, and the candidate as one response would have carried it.
    fn finish(self) -> (Choice, Value) {
        let mut candidate = Object::new();
        candidate.insert("index".to_owned(), Value::from(self.choice.index));
        candidate.insert(
            "content".to_owned(),
            json!({"role": self.role, "parts": self.parts}),
        );
        candidate.extend(self.other);
        (self.choice, Value::Object(candidate))
    }
}

/// A part that is only text (and the thought flag): its text and whether it is a thought.
fn plain_text(part: &Value) -> Option<(&str, bool)> {
    let members = part.as_object()?;
    let text = members.get("text")?.as_str()?;
    let thought = members.get("thought").and_then(Value::as_bool) == Some(true);
    let other_keys = members.keys().any(|key| key != "text" && key != "thought");
    (!other_keys).then_some((text, thought))
}
