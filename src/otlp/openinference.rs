//! The OpenInference attributes (Arize Phoenix): span kind, model, token counts, flattened
//! messages and input/output values. Added beside the GenAI ones when the switch is on;
//! messages and values only when content capture is on too.

use serde_json::Value;

use crate::otlp::genai;
use crate::otlp::mapping::{Attributes, MappingOptions, SpanSource, SpanView};
use crate::otlp::messages;
use crate::otlp::usage::TokenCounts;

pub fn add(attributes: &mut Attributes, view: &SpanView, options: MappingOptions) {
    match &view.source {
        SpanSource::Function(function) => {
            attributes.text("openinference.span.kind", "CHAIN");
            if options.capture_message_content {
                if let Some(args) = function.args.or(function.kwargs) {
                    attributes.text("input.value", args.get());
                    attributes.text("input.mime_type", "application/json");
                }
                if let Some(result) = function.result {
                    attributes.text("output.value", result.get());
                    attributes.text("output.mime_type", "application/json");
                }
            }
        }
        SpanSource::Call(call) => {
            let embedding = genai::operation_name(call.api) == "embeddings";
            attributes.text(
                "openinference.span.kind",
                if embedding { "EMBEDDING" } else { "LLM" },
            );
            let url = call.request.get("url").and_then(Value::as_str);
            attributes.text("llm.provider", provider(call.provider, url));
            attributes.text("llm.system", call.provider);
            if let Some(model) = genai::model(call) {
                let key = if embedding {
                    "embedding.model_name"
                } else {
                    "llm.model_name"
                };
                attributes.text(key, model);
            }
            let tokens = TokenCounts::of(call.response);
            for (key, count) in [
                ("llm.token_count.prompt", tokens.input),
                ("llm.token_count.completion", tokens.output),
                ("llm.token_count.total", tokens.total),
                ("llm.token_count.prompt_details.cache_read", tokens.cached),
                (
                    "llm.token_count.completion_details.reasoning",
                    tokens.reasoning,
                ),
            ] {
                if let Some(n) = count {
                    attributes.int(key, n);
                }
            }
            if options.capture_message_content {
                flatten(
                    "llm.input_messages",
                    &messages::input_messages(call.request),
                    attributes,
                );
                flatten(
                    "llm.output_messages",
                    &messages::output_messages(call.response),
                    attributes,
                );
                attributes.text("input.value", &call.request.to_string());
                attributes.text("input.mime_type", "application/json");
                if !call.response.is_null() {
                    attributes.text("output.value", &call.response.to_string());
                    attributes.text("output.mime_type", "application/json");
                }
            }
        }
    }
}

/// OpenInference's provider names differ from GenAI's.
fn provider(provider: &str, url: Option<&str>) -> &'static str {
    match genai::provider_name(provider, url).as_str() {
        "azure.ai.openai" => "azure",
        "gcp.vertex_ai" | "gcp.gemini" => "google",
        "openai" => "openai",
        _ => "unknown",
    }
}

/// `prefix.{i}.message.role` and `prefix.{i}.message.content` (text parts joined).
fn flatten(prefix: &str, messages: &[Value], attributes: &mut Attributes) {
    for (i, message) in messages.iter().enumerate() {
        if let Some(role) = message.get("role").and_then(Value::as_str) {
            attributes.text(&format!("{prefix}.{i}.message.role"), role);
        }
        let text: Vec<&str> = message
            .get("parts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|p| p.get("content").and_then(Value::as_str))
            .collect();
        if !text.is_empty() {
            attributes.text(&format!("{prefix}.{i}.message.content"), &text.join("\n"));
        }
    }
}
