//! Token usage from a response, whichever shape it was recorded in: the core's normalised
//! `tokens` block, or a provider's own usage object as a binding or an older SDK wrote it
//! (OpenAI chat and Responses names, Gemini `usageMetadata` in camelCase or snake_case).
//! The normalised names win; provider names fill what is still missing.

use serde_json::Value;

#[derive(Default, Debug, PartialEq)]
pub struct TokenCounts {
    /// Includes cached input, as the GenAI conventions ask.
    pub input: Option<i64>,
    /// Includes reasoning (Gemini's thoughts are added to its candidates).
    pub output: Option<i64>,
    pub total: Option<i64>,
    pub cached: Option<i64>,
    pub reasoning: Option<i64>,
}

impl TokenCounts {
    pub fn of(response: &Value) -> TokenCounts {
        let mut tokens = TokenCounts::default();
        let block = |key: &str| response.get(key).filter(|b| b.is_object());
        for normalised in ["tokens", "usage_normalized", "usage"]
            .into_iter()
            .filter_map(block)
        {
            tokens.fill(
                count(normalised, &["input_tokens"]),
                count(normalised, &["output_tokens"]),
                count(normalised, &["total_tokens"]),
                count(normalised, &["cached_tokens"]),
                count(normalised, &["reasoning_tokens"]),
            );
        }
        for usage in ["usage", "usage_metadata", "usageMetadata"]
            .into_iter()
            .filter_map(block)
        {
            let nested = |outer: &[&str], inner: &str| {
                outer.iter().find_map(|o| count(usage.get(*o)?, &[inner]))
            };
            tokens.fill(
                count(usage, &["prompt_tokens"]),
                count(usage, &["completion_tokens"]),
                count(usage, &["total_tokens"]),
                nested(
                    &["prompt_tokens_details", "input_tokens_details"],
                    "cached_tokens",
                ),
                nested(
                    &["completion_tokens_details", "output_tokens_details"],
                    "reasoning_tokens",
                ),
            );
            let candidates = count(usage, &["candidatesTokenCount", "candidates_token_count"]);
            let thoughts = count(usage, &["thoughtsTokenCount", "thoughts_token_count"]);
            let output = match (candidates, thoughts) {
                (None, None) => None,
                (c, t) => Some(c.unwrap_or(0) + t.unwrap_or(0)),
            };
            tokens.fill(
                count(usage, &["promptTokenCount", "prompt_token_count"]),
                output,
                count(usage, &["totalTokenCount", "total_token_count"]),
                count(
                    usage,
                    &["cachedContentTokenCount", "cached_content_token_count"],
                ),
                thoughts,
            );
        }
        tokens
    }

    fn fill(
        &mut self,
        input: Option<i64>,
        output: Option<i64>,
        total: Option<i64>,
        cached: Option<i64>,
        reasoning: Option<i64>,
    ) {
        for (slot, value) in [
            (&mut self.input, input),
            (&mut self.output, output),
            (&mut self.total, total),
            (&mut self.cached, cached),
            (&mut self.reasoning, reasoning),
        ] {
            if slot.is_none() {
                *slot = value;
            }
        }
    }
}

/// The first of `keys` holding a non-negative whole number (`12` or `12.0`).
fn count(block: &Value, keys: &[&str]) -> Option<i64> {
    keys.iter()
        .find_map(|key| {
            let value = block.get(*key)?;
            value.as_i64().or_else(|| {
                value
                    .as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 9e15)
                    .map(|f| f as i64)
            })
        })
        .filter(|n| *n >= 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_recorded_shape_gives_the_same_counts() {
        let normalised = json!({"tokens": {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15, "cached_tokens": 2, "reasoning_tokens": 1}});
        let openai = json!({"usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
            "prompt_tokens_details": {"cached_tokens": 2}, "completion_tokens_details": {"reasoning_tokens": 1}}});
        let gemini = json!({"usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 4,
            "thoughtsTokenCount": 1, "totalTokenCount": 15, "cachedContentTokenCount": 2}});
        let expected = TokenCounts {
            input: Some(10),
            output: Some(5),
            total: Some(15),
            cached: Some(2),
            reasoning: Some(1),
        };
        for response in [normalised, openai, gemini] {
            assert_eq!(TokenCounts::of(&response), expected, "{response}");
        }
        assert_eq!(TokenCounts::of(&json!(null)), TokenCounts::default());
    }
}
