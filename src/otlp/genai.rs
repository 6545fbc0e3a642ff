//! The OpenTelemetry GenAI semantic conventions for a provider call: operation, provider,
//! request parameters, response id/model/finish reasons, token usage, server address, and the
//! messages when content capture is on. Read from the export's normalised request and response,
//! so every provider the core parses is covered once.

use serde_json::Value;

use crate::otlp::mapping::{Attributes, CallView, MappingOptions};
use crate::otlp::messages;
use crate::otlp::usage::TokenCounts;

/// The GenAI operation of an aiobs `api`; unknown ones pass through.
pub fn operation_name(api: &str) -> &str {
    match api {
        "chat.completions.create" | "responses.create" => "chat",
        "completions.create" => "text_completion",
        "embeddings.create" | "models.embed_content" => "embeddings",
        "models.generate_content" | "models.generate_content_stream" => "generate_content",
        other => other,
    }
}

/// `gen_ai.provider.name`: the well-known names, told apart by the host called.
pub fn provider_name(provider: &str, url: Option<&str>) -> String {
    let host = url.and_then(|u| split_url(u).map(|(host, _)| host));
    match (provider, host) {
        ("openai", Some(host)) if host.ends_with(".openai.azure.com") => "azure.ai.openai".into(),
        ("gemini", Some(host)) if host.ends_with("aiplatform.googleapis.com") => {
            "gcp.vertex_ai".into()
        }
        ("gemini", _) => "gcp.gemini".into(),
        (other, _) => other.into(),
    }
}

/// The model as the caller named it, else as the provider reported it.
pub fn model<'a>(call: &CallView<'a>) -> Option<&'a str> {
    call.request
        .get("model")
        .and_then(Value::as_str)
        .or_else(|| call.response.get("model").and_then(Value::as_str))
}

/// Adds the call's attributes and returns the span name, `{operation} {model}`.
pub fn add_call(
    attributes: &mut Attributes,
    call: &CallView,
    error: Option<&str>,
    options: MappingOptions,
) -> String {
    let operation = operation_name(call.api);
    let url = call.request.get("url").and_then(Value::as_str);
    let model = model(call);
    attributes.text("gen_ai.operation.name", operation);
    attributes.text("gen_ai.provider.name", &provider_name(call.provider, url));
    attributes.opt_text("gen_ai.request.model", model);
    if let Some((host, port)) = url.and_then(split_url) {
        attributes.text("server.address", host);
        attributes.int("server.port", i64::from(port));
    }
    add_request(attributes, call);
    add_response(attributes, call.response);
    if error.is_some() {
        add_error_type(attributes, call.response);
    }
    if options.capture_message_content {
        messages::add(attributes, call);
    }
    attributes.text("aiobs.api", call.api);
    match model {
        Some(model) => format!("{operation} {model}"),
        None => operation.to_owned(),
    }
}

fn add_request(attributes: &mut Attributes, call: &CallView) {
    let request = call.request;
    // Gemini keeps its parameters in `config`, OpenAI at the top or under `other`.
    let config = request.get("config").filter(|c| c.is_object());
    let other = request.get("other").filter(|c| c.is_object());
    let param = |names: &[&str]| -> Option<&Value> {
        names.iter().find_map(|name| {
            [Some(request), config, other]
                .into_iter()
                .flatten()
                .find_map(|place| place.get(*name).filter(|v| !v.is_null()))
        })
    };
    let numbers: [(&str, &[&str]); 8] = [
        ("gen_ai.request.temperature", &["temperature"]),
        ("gen_ai.request.top_p", &["top_p", "topP"]),
        ("gen_ai.request.top_k", &["top_k", "topK"]),
        (
            "gen_ai.request.max_tokens",
            &[
                "max_tokens",
                "max_completion_tokens",
                "max_output_tokens",
                "maxOutputTokens",
            ],
        ),
        (
            "gen_ai.request.presence_penalty",
            &["presence_penalty", "presencePenalty"],
        ),
        (
            "gen_ai.request.frequency_penalty",
            &["frequency_penalty", "frequencyPenalty"],
        ),
        ("gen_ai.request.seed", &["seed"]),
        ("gen_ai.request.choice.count", &["n", "candidateCount"]),
    ];
    for (key, names) in numbers {
        if let Some(value) = param(names).filter(|v| v.is_number()) {
            attributes.json(key, value);
        }
    }
    match param(&["stop", "stopSequences", "stop_sequences"]) {
        Some(Value::String(stop)) => {
            attributes.texts("gen_ai.request.stop_sequences", vec![stop.clone()])
        }
        Some(stops @ Value::Array(_)) => attributes.json("gen_ai.request.stop_sequences", stops),
        _ => {}
    }
    let streaming =
        request.get("stream") == Some(&Value::Bool(true)) || call.api.ends_with("_stream");
    if streaming {
        attributes.bool("gen_ai.request.stream", true);
    }
    if let Some(format) = request.get("encoding_format").and_then(Value::as_str) {
        attributes.texts("gen_ai.request.encoding_formats", vec![format.to_owned()]);
    }
    if let Some(tier) = param(&["service_tier"]).and_then(Value::as_str) {
        attributes.text("openai.request.service_tier", tier);
    }
}

fn add_response(attributes: &mut Attributes, response: &Value) {
    attributes.opt_text(
        "gen_ai.response.id",
        response.get("id").and_then(Value::as_str),
    );
    attributes.opt_text(
        "gen_ai.response.model",
        response.get("model").and_then(Value::as_str),
    );
    let finish_reasons = finish_reasons(response);
    if !finish_reasons.is_empty() {
        attributes.texts("gen_ai.response.finish_reasons", finish_reasons);
    }
    let tokens = TokenCounts::of(response);
    for (key, count) in [
        ("gen_ai.usage.input_tokens", tokens.input),
        ("gen_ai.usage.output_tokens", tokens.output),
        ("gen_ai.usage.cache_read.input_tokens", tokens.cached),
        ("gen_ai.usage.reasoning.output_tokens", tokens.reasoning),
    ] {
        if let Some(n) = count {
            attributes.int(key, n);
        }
    }
    if let Some(dimensions) = response.get("embedding_dimensions").and_then(Value::as_i64) {
        attributes.int("gen_ai.embeddings.dimension.count", dimensions);
    }
    for (key, name) in [
        ("openai.response.service_tier", "service_tier"),
        ("openai.response.system_fingerprint", "system_fingerprint"),
    ] {
        attributes.opt_text(key, response.get(name).and_then(Value::as_str));
    }
}

/// Per choice when the response has choices, else the one `finish_reason`.
pub fn finish_reasons(response: &Value) -> Vec<String> {
    let from_choices: Vec<String> = response
        .get("choices")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("finish_reason").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    if !from_choices.is_empty() {
        return from_choices;
    }
    response
        .get("finish_reason")
        .and_then(Value::as_str)
        .map(|r| vec![r.to_owned()])
        .unwrap_or_default()
}

/// The provider's error class (`RESOURCE_EXHAUSTED`, `invalid_request_error`), else the HTTP
/// status; the mapping falls back to the error text's class when neither is known.
fn add_error_type(attributes: &mut Attributes, response: &Value) {
    let error = response.get("error");
    let class = error
        .and_then(|e| e.get("status").or_else(|| e.get("type")))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            response
                .get("http_status")
                .and_then(Value::as_i64)
                .map(|s| s.to_string())
        });
    if let Some(class) = class {
        attributes.text("error.type", &class);
    }
    if let Some(status) = response.get("http_status").and_then(Value::as_i64) {
        attributes.int("http.response.status_code", status);
    }
}

/// Host and port of an http(s) URL; the port defaults by scheme.
pub fn split_url(url: &str) -> Option<(&str, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let default_port = if scheme.eq_ignore_ascii_case("http") {
        80
    } else {
        443
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, port.parse().ok()?),
        _ => (authority, default_port),
    };
    (!host.is_empty()).then_some((host.trim_matches(['[', ']']), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_conventions() {
        assert_eq!(operation_name("chat.completions.create"), "chat");
        assert_eq!(
            operation_name("models.generate_content_stream"),
            "generate_content"
        );
        assert_eq!(operation_name("models.embed_content"), "embeddings");
        assert_eq!(
            operation_name("models.generate_videos"),
            "models.generate_videos"
        );
        assert_eq!(provider_name("gemini", None), "gcp.gemini");
        assert_eq!(
            provider_name(
                "gemini",
                Some("https://us-central1-aiplatform.googleapis.com/v1/x")
            ),
            "gcp.vertex_ai"
        );
        assert_eq!(
            provider_name("openai", Some("https://contoso.openai.azure.com/openai")),
            "azure.ai.openai"
        );
    }

    #[test]
    fn urls_give_host_and_port() {
        assert_eq!(
            split_url("https://api.openai.com/v1/chat"),
            Some(("api.openai.com", 443))
        );
        assert_eq!(
            split_url("http://127.0.0.1:8080/v1"),
            Some(("127.0.0.1", 8080))
        );
        assert_eq!(split_url("http://[::1]:9/x"), Some(("::1", 9)));
        assert_eq!(split_url("not a url"), None);
    }
}
