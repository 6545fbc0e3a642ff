//! The normalised token block (`response.tokens`), computed from the provider's own usage object
//! (kept as is in `response.usage`). Keys: `input_tokens`, `output_tokens`, `total_tokens`,
//! `cached_tokens`, `reasoning_tokens`; each null when the provider did not report it.
//!
//! Subset and additive rules differ per provider, which is why this is done once, here:
//! - OpenAI: cached tokens are part of the input count and reasoning tokens part of the output
//!   count, so they are reported, never added.
//! - Gemini: `thoughtsTokenCount` is *not* inside `candidatesTokenCount`, so output = candidates +
//!   thoughts; `toolUsePromptTokenCount` is not inside `promptTokenCount`, so input = prompt +
//!   tool-use prompt. Cached tokens are a subset of the prompt count. Then input + output matches
//!   `totalTokenCount`.

use serde_json::{Value, json};

use super::json::u64_at;

/// Normalises an OpenAI usage object: chat and embeddings (`prompt_tokens`, `completion_tokens`)
/// and Responses and images (`input_tokens`, `output_tokens`) spellings.
pub(crate) fn openai(usage: &Value) -> Value {
    if !usage.is_object() {
        return Value::Null;
    }
    let input = u64_at(usage, "prompt_tokens").or_else(|| u64_at(usage, "input_tokens"));
    let output = u64_at(usage, "completion_tokens").or_else(|| u64_at(usage, "output_tokens"));
    let detail = |outer: [&str; 2], inner: &str| {
        outer
            .iter()
            .find_map(|key| usage.get(*key).and_then(|details| u64_at(details, inner)))
    };
    tokens(
        input,
        output,
        u64_at(usage, "total_tokens"),
        detail(
            ["prompt_tokens_details", "input_tokens_details"],
            "cached_tokens",
        ),
        detail(
            ["completion_tokens_details", "output_tokens_details"],
            "reasoning_tokens",
        ),
    )
}

/// Normalises a Gemini `usageMetadata` object.
pub(crate) fn gemini(usage: &Value) -> Value {
    if !usage.is_object() {
        return Value::Null;
    }
    let prompt = u64_at(usage, "promptTokenCount");
    let tool_prompt = u64_at(usage, "toolUsePromptTokenCount");
    let candidates = u64_at(usage, "candidatesTokenCount");
    let thoughts = u64_at(usage, "thoughtsTokenCount");
    tokens(
        sum(prompt, tool_prompt),
        sum(candidates, thoughts),
        u64_at(usage, "totalTokenCount"),
        u64_at(usage, "cachedContentTokenCount"),
        thoughts,
    )
}

/// Adds two optional counts; absent only when both are.
fn sum(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        _ => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    }
}

fn tokens(
    input: Option<u64>,
    output: Option<u64>,
    total: Option<u64>,
    cached: Option<u64>,
    reasoning: Option<u64>,
) -> Value {
    // A provider that gives input and output but no total (some compatible servers) still gets one.
    let total = total.or_else(|| Some(input?.saturating_add(output?)));
    json!({
        "input_tokens": input,
        "output_tokens": output,
        "total_tokens": total,
        "cached_tokens": cached,
        "reasoning_tokens": reasoning,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_chat_details_are_reported_not_added() {
        let usage = json!({
            "prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500,
            "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 192, "audio_tokens": 0}
        });
        assert_eq!(
            openai(&usage),
            json!({"input_tokens": 1200, "output_tokens": 300, "total_tokens": 1500, "cached_tokens": 1024, "reasoning_tokens": 192})
        );
    }

    #[test]
    fn openai_responses_spelling() {
        let usage = json!({
            "input_tokens": 36, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 87, "output_tokens_details": {"reasoning_tokens": 64}, "total_tokens": 123
        });
        assert_eq!(
            openai(&usage),
            json!({"input_tokens": 36, "output_tokens": 87, "total_tokens": 123, "cached_tokens": 0, "reasoning_tokens": 64})
        );
    }

    #[test]
    fn openai_embeddings_have_no_output() {
        let usage = json!({"prompt_tokens": 8, "total_tokens": 8});
        assert_eq!(
            openai(&usage),
            json!({"input_tokens": 8, "output_tokens": null, "total_tokens": 8, "cached_tokens": null, "reasoning_tokens": null})
        );
    }

    #[test]
    fn missing_total_is_computed() {
        let usage = json!({"prompt_tokens": 5, "completion_tokens": 7});
        assert_eq!(openai(&usage)["total_tokens"], json!(12));
    }

    #[test]
    fn gemini_thoughts_count_as_output_and_tool_prompts_as_input() {
        let usage = json!({
            "promptTokenCount": 2100, "cachedContentTokenCount": 2048, "candidatesTokenCount": 120,
            "thoughtsTokenCount": 380, "toolUsePromptTokenCount": 40, "totalTokenCount": 2640
        });
        let tokens = gemini(&usage);
        assert_eq!(
            tokens,
            json!({"input_tokens": 2140, "output_tokens": 500, "total_tokens": 2640, "cached_tokens": 2048, "reasoning_tokens": 380})
        );
        assert_eq!(
            tokens["input_tokens"].as_u64().unwrap() + tokens["output_tokens"].as_u64().unwrap(),
            tokens["total_tokens"].as_u64().unwrap()
        );
    }

    #[test]
    fn gemini_partial_usage_keeps_unknowns_null() {
        let usage = json!({"promptTokenCount": 9, "totalTokenCount": 9});
        assert_eq!(
            gemini(&usage),
            json!({"input_tokens": 9, "output_tokens": null, "total_tokens": 9, "cached_tokens": null, "reasoning_tokens": null})
        );
    }

    #[test]
    fn non_objects_and_garbage_counts_give_nothing() {
        assert_eq!(openai(&Value::Null), Value::Null);
        assert_eq!(gemini(&json!([1])), Value::Null);
        let usage = json!({"prompt_tokens": "12", "completion_tokens": -3});
        assert_eq!(openai(&usage)["input_tokens"], Value::Null);
        assert_eq!(openai(&usage)["total_tokens"], Value::Null);
    }
}
