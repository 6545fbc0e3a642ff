//! Looks inside raw request/response payloads for the few facts the viewer needs:
//! the model name and the token usage. Payloads are "any JSON", so nothing here may fail:
//! a payload of an unexpected shape simply yields no model and no tokens.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// Token counts of one call. `None` means the payload did not say.
///
/// Conventions, whatever the provider: `cached` is the part of `input` served from a
/// prompt cache, and `reasoning` is the part of `output` spent on thinking (Gemini reports
/// thoughts apart from candidates, so they are added to `output` here, as they are billed).
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq, Serialize)]
pub struct TokenUsage {
    pub input: Option<u64>,
    pub output: Option<u64>,
    pub total: Option<u64>,
    pub cached: Option<u64>,
    pub reasoning: Option<u64>,
}

impl TokenUsage {
    pub fn is_known(&self) -> bool {
        self.input.is_some() || self.output.is_some() || self.total.is_some()
    }
}

/// The facts read from one provider call's payloads.
#[derive(Default)]
pub struct CallFacts {
    pub request_model: Option<String>,
    pub response_model: Option<String>,
    pub tokens: TokenUsage,
    /// `request.attempt`: 1 for a first try, 2 for the first retry, …; `None` when unsaid.
    pub attempt: Option<u64>,
}

pub fn probe_call(request: Option<&RawValue>, response: Option<&RawValue>) -> CallFacts {
    let request: RequestProbe = parse_or_default(request);
    let mut response: ResponseProbe = parse_or_default(response);
    CallFacts {
        request_model: string(request.model),
        response_model: string(response.model.take()),
        tokens: extract_tokens(&response),
        attempt: request.attempt.as_ref().and_then(as_count),
    }
}

/// Parses only the named keys; serde skips the rest of the payload without building it.
#[derive(Deserialize, Default)]
struct RequestProbe {
    model: Option<Value>,
    attempt: Option<Value>,
}

#[derive(Deserialize, Default)]
pub struct ResponseProbe {
    model: Option<Value>,
    usage: Option<Value>,
    tokens: Option<Value>,
    usage_normalized: Option<Value>,
    #[serde(alias = "usageMetadata")]
    usage_metadata: Option<Value>,
}

fn parse_or_default<T: for<'de> Deserialize<'de> + Default>(raw: Option<&RawValue>) -> T {
    raw.and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or_default()
}

fn string(value: Option<Value>) -> Option<String> {
    match value {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    }
}

/// Token usage from a response, whichever shape it uses.
///
/// The core's normalised block (`input_tokens`, `output_tokens`, `total_tokens`,
/// `cached_tokens`, `reasoning_tokens`) wins, wherever it sits: `response.tokens`,
/// `response.usage_normalized` or `response.usage` itself. Provider field names fill
/// whatever is still missing: OpenAI chat (`prompt_tokens`, `completion_tokens`, `*_details`),
/// OpenAI responses (`input_tokens_details`, `output_tokens_details`) and Gemini
/// (`promptTokenCount` … in camelCase or snake_case).
pub fn extract_tokens(response: &ResponseProbe) -> TokenUsage {
    let mut tokens = TokenUsage::default();
    let normalised = [
        &response.tokens,
        &response.usage_normalized,
        &response.usage,
    ];
    for block in normalised.into_iter().flatten() {
        fill_normalised(&mut tokens, block);
    }
    for block in [&response.usage, &response.usage_metadata]
        .into_iter()
        .flatten()
    {
        fill_openai(&mut tokens, block);
        fill_gemini(&mut tokens, block);
    }
    if tokens.total.is_none() && (tokens.input.is_some() || tokens.output.is_some()) {
        tokens.total = Some(tokens.input.unwrap_or(0) + tokens.output.unwrap_or(0));
    }
    tokens
}

fn fill_normalised(tokens: &mut TokenUsage, block: &Value) {
    fill(&mut tokens.input, count(block, &["input_tokens"]));
    fill(&mut tokens.output, count(block, &["output_tokens"]));
    fill(&mut tokens.total, count(block, &["total_tokens"]));
    fill(&mut tokens.cached, count(block, &["cached_tokens"]));
    fill(&mut tokens.reasoning, count(block, &["reasoning_tokens"]));
}

fn fill_openai(tokens: &mut TokenUsage, block: &Value) {
    fill(&mut tokens.input, count(block, &["prompt_tokens"]));
    fill(&mut tokens.output, count(block, &["completion_tokens"]));
    fill(&mut tokens.total, count(block, &["total_tokens"]));
    for details in ["prompt_tokens_details", "input_tokens_details"] {
        fill(
            &mut tokens.cached,
            nested_count(block, details, "cached_tokens"),
        );
    }
    for details in ["completion_tokens_details", "output_tokens_details"] {
        fill(
            &mut tokens.reasoning,
            nested_count(block, details, "reasoning_tokens"),
        );
    }
}

fn fill_gemini(tokens: &mut TokenUsage, block: &Value) {
    let candidates = count(block, &["candidatesTokenCount", "candidates_token_count"]);
    let thoughts = count(block, &["thoughtsTokenCount", "thoughts_token_count"]);
    let output = match (candidates, thoughts) {
        (None, None) => None,
        (c, t) => Some(c.unwrap_or(0) + t.unwrap_or(0)),
    };
    fill(
        &mut tokens.input,
        count(block, &["promptTokenCount", "prompt_token_count"]),
    );
    fill(&mut tokens.output, output);
    fill(
        &mut tokens.total,
        count(block, &["totalTokenCount", "total_token_count"]),
    );
    fill(
        &mut tokens.cached,
        count(
            block,
            &["cachedContentTokenCount", "cached_content_token_count"],
        ),
    );
    fill(&mut tokens.reasoning, thoughts);
}

fn fill(slot: &mut Option<u64>, value: Option<u64>) {
    if slot.is_none() {
        *slot = value;
    }
}

/// The first of `keys` holding a non-negative whole number (`12` or `12.0`).
fn count(block: &Value, keys: &[&str]) -> Option<u64> {
    keys.iter().find_map(|key| as_count(block.get(key)?))
}

fn nested_count(block: &Value, outer: &str, inner: &str) -> Option<u64> {
    as_count(block.get(outer)?.get(inner)?)
}

fn as_count(value: &Value) -> Option<u64> {
    if let Some(n) = value.as_u64() {
        return Some(n);
    }
    let f = value.as_f64()?;
    (f >= 0.0 && f.fract() == 0.0 && f < u64::MAX as f64).then_some(f as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens_of(response: &str) -> TokenUsage {
        let raw: Box<RawValue> = serde_json::from_str(response).unwrap();
        probe_call(None, Some(&raw)).tokens
    }

    fn usage(
        input: u64,
        output: u64,
        total: u64,
        cached: Option<u64>,
        reasoning: Option<u64>,
    ) -> TokenUsage {
        TokenUsage {
            input: Some(input),
            output: Some(output),
            total: Some(total),
            cached,
            reasoning,
        }
    }

    #[test]
    fn openai_chat_usage_with_details() {
        let t = tokens_of(
            r#"{"usage":{"prompt_tokens":420,"completion_tokens":96,"total_tokens":516,
                "prompt_tokens_details":{"cached_tokens":128},
                "completion_tokens_details":{"reasoning_tokens":0}}}"#,
        );
        assert_eq!(t, usage(420, 96, 516, Some(128), Some(0)));
    }

    #[test]
    fn openai_embeddings_usage_has_no_output() {
        let t = tokens_of(r#"{"usage":{"prompt_tokens":9,"total_tokens":9}}"#);
        assert_eq!(
            t,
            TokenUsage {
                input: Some(9),
                total: Some(9),
                ..TokenUsage::default()
            }
        );
    }

    #[test]
    fn openai_responses_usage_with_details() {
        let t = tokens_of(
            r#"{"usage":{"input_tokens":35,"output_tokens":210,"total_tokens":245,
                "input_tokens_details":{"cached_tokens":3},"output_tokens_details":{"reasoning_tokens":192}}}"#,
        );
        assert_eq!(t, usage(35, 210, 245, Some(3), Some(192)));
    }

    #[test]
    fn gemini_camel_case_adds_thoughts_to_output() {
        let t = tokens_of(
            r#"{"usage":{"promptTokenCount":1250,"candidatesTokenCount":640,"totalTokenCount":2890,
                "thoughtsTokenCount":1000,"cachedContentTokenCount":1024}}"#,
        );
        assert_eq!(t, usage(1250, 1640, 2890, Some(1024), Some(1000)));
    }

    #[test]
    fn gemini_snake_case_with_nulls() {
        let t = tokens_of(
            r#"{"usage":{"prompt_token_count":14,"candidates_token_count":220,"total_token_count":398,
                "thoughts_token_count":164,"cached_content_token_count":null}}"#,
        );
        assert_eq!(t, usage(14, 384, 398, None, Some(164)));
    }

    #[test]
    fn gemini_usage_metadata_sibling() {
        let t = tokens_of(r#"{"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":3}}"#);
        assert_eq!(t, usage(7, 3, 10, None, None));
    }

    #[test]
    fn normalised_block_in_usage_itself() {
        let t = tokens_of(
            r#"{"usage":{"input_tokens":8,"output_tokens":2,"total_tokens":10,"cached_tokens":0,"reasoning_tokens":0}}"#,
        );
        assert_eq!(t, usage(8, 2, 10, Some(0), Some(0)));
    }

    #[test]
    fn normalised_sibling_wins_over_provider_fields() {
        for key in ["tokens", "usage_normalized"] {
            let t = tokens_of(&format!(
                r#"{{"usage":{{"promptTokenCount":1,"candidatesTokenCount":1}},
                    "{key}":{{"input_tokens":100,"output_tokens":50,"total_tokens":150,"cached_tokens":20}}}}"#
            ));
            assert_eq!(
                t,
                usage(100, 50, 150, Some(20), None),
                "normalised block under {key}"
            );
        }
    }

    #[test]
    fn partial_normalised_block_is_completed_from_provider_fields() {
        let t = tokens_of(
            r#"{"tokens":{"input_tokens":10},"usage":{"prompt_tokens":99,"completion_tokens":5}}"#,
        );
        assert_eq!(t, usage(10, 5, 15, None, None));
    }

    #[test]
    fn whole_floats_count_and_junk_is_ignored() {
        let t = tokens_of(
            r#"{"usage":{"prompt_tokens":12.0,"completion_tokens":"7","total_tokens":-1}}"#,
        );
        assert_eq!(
            t,
            TokenUsage {
                input: Some(12),
                total: Some(12),
                ..TokenUsage::default()
            }
        );
    }

    #[test]
    fn no_usage_anywhere() {
        for response in [
            r#"{"usage":null}"#,
            r#"{"text":"hi"}"#,
            r#""just a string""#,
            "[1,2]",
            "null",
        ] {
            assert_eq!(tokens_of(response), TokenUsage::default(), "{response}");
        }
        assert_eq!(probe_call(None, None).tokens, TokenUsage::default());
    }

    #[test]
    fn models_from_request_and_response() {
        let request: Box<RawValue> =
            serde_json::from_str(r#"{"model":"gpt-4o-mini","messages":[]}"#).unwrap();
        let response: Box<RawValue> =
            serde_json::from_str(r#"{"model":"gpt-4o-mini-2024-07-18"}"#).unwrap();
        let facts = probe_call(Some(&request), Some(&response));
        assert_eq!(facts.request_model.as_deref(), Some("gpt-4o-mini"));
        assert_eq!(
            facts.response_model.as_deref(),
            Some("gpt-4o-mini-2024-07-18")
        );

        let odd: Box<RawValue> = serde_json::from_str(r#"{"model":42}"#).unwrap();
        assert_eq!(probe_call(Some(&odd), Some(&odd)).request_model, None);
    }

    #[test]
    fn attempt_from_the_request() {
        let retry: Box<RawValue> = serde_json::from_str(r#"{"model":"m","attempt":3}"#).unwrap();
        assert_eq!(probe_call(Some(&retry), None).attempt, Some(3));
        let odd: Box<RawValue> = serde_json::from_str(r#"{"attempt":"2"}"#).unwrap();
        assert_eq!(probe_call(Some(&odd), None).attempt, None);
    }
}
