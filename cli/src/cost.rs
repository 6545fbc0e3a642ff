//! Estimated cost of provider calls from a versioned price table (`cli/prices.json`,
//! compiled in; `--prices FILE` swaps in another table of the same shape).
//!
//! A model missing from the table is "unpriced", never free: totals carry how many calls
//! could not be priced, so a partial sum is never shown as a full one.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::dataset::Span;
use crate::error::CliError;
use crate::payload::TokenUsage;

const BUILTIN_TABLE: &str = include_str!("../prices.json");
const TOKENS_PER_PRICE_UNIT: f64 = 1_000_000.0;

#[derive(Deserialize)]
pub struct PriceTable {
    pub prices_as_of: String,
    models: BTreeMap<String, ModelPrice>,
}

/// USD per 1M tokens.
#[derive(Deserialize, Clone, Copy, Debug)]
pub struct ModelPrice {
    input: f64,
    /// `None`: cached prompt tokens are billed as normal input.
    cached_input: Option<f64>,
    output: f64,
}

impl PriceTable {
    pub fn builtin() -> PriceTable {
        PriceTable::parse(BUILTIN_TABLE).expect("cli/prices.json is checked by a unit test")
    }

    pub fn load(path: Option<&Path>) -> Result<PriceTable, CliError> {
        let Some(path) = path else {
            return Ok(PriceTable::builtin());
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| CliError::input(path, e.to_string()))?;
        PriceTable::parse(&text).map_err(|message| CliError::input(path, message))
    }

    fn parse(text: &str) -> Result<PriceTable, String> {
        let table: PriceTable =
            serde_json::from_str(text).map_err(|e| format!("invalid price table: {e}"))?;
        if !is_iso_date(&table.prices_as_of) {
            return Err(format!(
                "prices_as_of must be YYYY-MM-DD, got {:?}",
                table.prices_as_of
            ));
        }
        Ok(table)
    }

    /// The table row for a model name: the longest key that equals the name or is a prefix
    /// of it ending at a `-`, `:`, `@` or `/`, so `gpt-4o-mini-2024-07-18` finds `gpt-4o-mini`
    /// but `gpt-4` would not claim `gpt-4o`. Case and a leading `models/` are ignored.
    pub fn find(&self, model: &str) -> Option<(&str, ModelPrice)> {
        let lower = model.to_ascii_lowercase();
        let name = lower.strip_prefix("models/").unwrap_or(&lower);
        self.models
            .iter()
            .filter(|(key, _)| {
                name.strip_prefix(key.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', ':', '@', '/']))
            })
            .max_by_key(|(key, _)| key.len())
            .map(|(key, price)| (key.as_str(), *price))
    }

    /// The cost of one call. The response model (often a dated snapshot) is tried before
    /// the requested one. A priced model without usage is unpriced, except for a failed
    /// call, which providers do not bill.
    pub fn price_call(
        &self,
        models: [Option<&str>; 2],
        tokens: &TokenUsage,
        failed: bool,
    ) -> CallCost<'_> {
        let Some((entry, price)) = models
            .into_iter()
            .flatten()
            .find_map(|model| self.find(model))
        else {
            return CallCost {
                entry: None,
                usd: None,
            };
        };
        let usd = if tokens.is_known() {
            Some(price.cost_of(tokens))
        } else if failed {
            Some(0.0)
        } else {
            None
        };
        CallCost {
            entry: Some(entry),
            usd,
        }
    }

    pub fn price_span(&self, span: &Span<'_>) -> CallCost<'_> {
        self.price_call(
            span.models_for_pricing(),
            &span.facts.tokens,
            span.event.error.is_some(),
        )
    }
}

impl ModelPrice {
    fn cost_of(&self, tokens: &TokenUsage) -> f64 {
        let input = tokens.input.unwrap_or(0);
        let cached = tokens.cached.unwrap_or(0).min(input);
        let cached_price = self.cached_input.unwrap_or(self.input);
        ((input - cached) as f64 * self.input
            + cached as f64 * cached_price
            + tokens.output.unwrap_or(0) as f64 * self.output)
            / TOKENS_PER_PRICE_UNIT
    }
}

pub struct CallCost<'t> {
    /// The price-table row used, if any.
    pub entry: Option<&'t str>,
    pub usd: Option<f64>,
}

/// A sum of call costs that remembers how many calls had no price.
#[derive(Clone, Copy, Default, Debug, PartialEq, Serialize)]
pub struct CostSum {
    /// Sum over the priced calls; `None` when no call could be priced.
    pub usd: Option<f64>,
    pub unpriced_calls: usize,
}

impl CostSum {
    pub fn add(&mut self, usd: Option<f64>) {
        match usd {
            Some(usd) => self.usd = Some(self.usd.unwrap_or(0.0) + usd),
            None => self.unpriced_calls += 1,
        }
    }

    pub fn merge(&mut self, other: &CostSum) {
        if let Some(usd) = other.usd {
            self.usd = Some(self.usd.unwrap_or(0.0) + usd);
        }
        self.unpriced_calls += other.unpriced_calls;
    }

    /// `$0.001234`, `≥ $0.001234` when some calls are unpriced, `unknown` when none is priced.
    pub fn display(&self) -> String {
        match (self.usd, self.unpriced_calls) {
            (None, 0) => crate::format::usd(0.0),
            (None, _) => "unknown".to_string(),
            (Some(usd), 0) => crate::format::usd(usd),
            (Some(usd), _) => format!("≥ {}", crate::format::usd(usd)),
        }
    }
}

fn is_iso_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(input: u64, output: u64, cached: u64) -> TokenUsage {
        TokenUsage {
            input: Some(input),
            output: Some(output),
            cached: Some(cached),
            ..TokenUsage::default()
        }
    }

    #[test]
    fn builtin_table_parses_and_is_dated() {
        let table = PriceTable::builtin();
        assert!(is_iso_date(&table.prices_as_of));
        for model in [
            "gpt-4o",
            "gpt-4o-mini",
            "gpt-4.1",
            "gpt-4.1-mini",
            "gpt-4.1-nano",
            "o3",
            "o4-mini",
            "text-embedding-3-small",
            "text-embedding-3-large",
            "gemini-2.0-flash",
            "gemini-2.5-pro",
            "gemini-2.5-flash",
            "text-embedding-004",
            "gemini-embedding-001",
        ] {
            assert_eq!(table.find(model).map(|(key, _)| key), Some(model));
        }
    }

    #[test]
    fn longest_prefix_at_a_boundary() {
        let table = PriceTable::builtin();
        let key = |model: &str| table.find(model).map(|(key, _)| key.to_string());
        assert_eq!(
            key("gpt-4o-mini-2024-07-18").as_deref(),
            Some("gpt-4o-mini")
        );
        assert_eq!(key("gpt-4o-2024-08-06").as_deref(), Some("gpt-4o"));
        assert_eq!(
            key("gpt-4o-2024-05-13").as_deref(),
            Some("gpt-4o-2024-05-13")
        );
        assert_eq!(key("o4-mini-2025-04-16").as_deref(), Some("o4-mini"));
        assert_eq!(
            key("models/gemini-2.0-flash-001").as_deref(),
            Some("gemini-2.0-flash")
        );
        assert_eq!(
            key("Gemini-2.5-Flash-Lite").as_deref(),
            Some("gemini-2.5-flash-lite")
        );
        assert_eq!(key("gpt-4o2"), None);
        assert_eq!(key("o3x"), None);
        assert_eq!(key("llama3.1:8b"), None);
    }

    #[test]
    fn cached_tokens_use_the_cached_price() {
        let table = PriceTable::builtin();
        // gpt-4o: 2.50 in, 1.25 cached, 10.00 out per 1M.
        let cost = table.price_call([Some("gpt-4o"), None], &tokens(420, 96, 128), false);
        let expected = (292.0 * 2.50 + 128.0 * 1.25 + 96.0 * 10.00) / 1e6;
        assert_eq!(cost.entry, Some("gpt-4o"));
        assert!((cost.usd.unwrap() - expected).abs() < 1e-12);
    }

    #[test]
    fn response_model_is_tried_first() {
        let table = PriceTable::builtin();
        let cost = table.price_call(
            [Some("gpt-4o-2024-05-13"), Some("gpt-4o")],
            &tokens(1_000_000, 0, 0),
            false,
        );
        assert_eq!(cost.usd, Some(5.0));
        let fallback = table.price_call(
            [Some("my-proxy-alias"), Some("gpt-4o")],
            &tokens(1_000_000, 0, 0),
            false,
        );
        assert_eq!(fallback.usd, Some(2.5));
    }

    #[test]
    fn unknown_model_or_missing_usage_is_unpriced_not_free() {
        let table = PriceTable::builtin();
        assert_eq!(
            table
                .price_call([Some("llama3.1:8b"), None], &tokens(10, 10, 0), false)
                .usd,
            None
        );
        assert_eq!(
            table
                .price_call([None, None], &tokens(10, 10, 0), false)
                .usd,
            None
        );
        let no_usage = TokenUsage::default();
        assert_eq!(
            table
                .price_call([Some("gpt-4o"), None], &no_usage, false)
                .usd,
            None
        );
        assert_eq!(
            table
                .price_call([Some("gpt-4o"), None], &no_usage, true)
                .usd,
            Some(0.0)
        );
    }

    #[test]
    fn sums_track_unpriced_calls() {
        let mut sum = CostSum::default();
        assert_eq!(sum.display(), "$0.000000");
        sum.add(None);
        assert_eq!(sum.display(), "unknown");
        sum.add(Some(0.25));
        assert_eq!(sum.display(), "≥ $0.250000");
        sum.add(Some(1.0));
        assert_eq!(
            sum,
            CostSum {
                usd: Some(1.25),
                unpriced_calls: 1
            }
        );
    }

    #[test]
    fn rejects_undated_tables() {
        assert!(PriceTable::parse(r#"{"prices_as_of":"soon","models":{}}"#).is_err());
        assert!(PriceTable::parse(r#"{"prices_as_of":"2025-01-01","models":{}}"#).is_ok());
    }
}
