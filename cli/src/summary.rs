//! `aiobs summary`: sessions, calls by provider/API/model, tokens, latency, errors,
//! estimated cost and enh_prompt groups, computed once and printed as JSON as is or as text
//! by `summary_text`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cost::{CostSum, PriceTable};
use crate::dataset::{Dataset, Span};
use crate::model::SpanKind;
use crate::payload::TokenUsage;
use crate::stats::Latency;

#[derive(Serialize)]
pub struct Summary {
    pub files: usize,
    pub prices_as_of: String,
    pub totals: Totals,
    pub sessions: Vec<SessionRow>,
    /// Provider calls grouped by (provider, API, model).
    pub calls: Vec<CallGroup>,
    /// Provider calls grouped by model and the price-table row that priced them.
    pub models: Vec<ModelCost>,
    pub errors: Vec<ErrorRow>,
    /// Functions traced with `enh_prompt`, grouped by name.
    pub enh_prompt: Vec<EnhPromptGroup>,
}

#[derive(Serialize)]
pub struct Totals {
    pub sessions: usize,
    pub provider_calls: usize,
    pub function_calls: usize,
    pub traces: usize,
    pub failed_calls: usize,
    pub failed_functions: usize,
    pub tokens: TokenTotals,
    pub latency: Option<Latency>,
    pub cost: CostSum,
}

#[derive(Serialize, Default, Clone, Copy)]
pub struct TokenTotals {
    pub input: u64,
    pub output: u64,
    pub cached: u64,
    pub reasoning: u64,
    pub total: u64,
    pub calls_without_usage: usize,
}

impl TokenTotals {
    fn add(&mut self, tokens: &TokenUsage) {
        if !tokens.is_known() {
            self.calls_without_usage += 1;
        }
        self.input += tokens.input.unwrap_or(0);
        self.output += tokens.output.unwrap_or(0);
        self.cached += tokens.cached.unwrap_or(0);
        self.reasoning += tokens.reasoning.unwrap_or(0);
        self.total += tokens.total.unwrap_or(0);
    }
}

#[derive(Serialize)]
pub struct SessionRow {
    pub id: String,
    pub name: String,
    pub started_at: f64,
    pub ended_at: Option<f64>,
    pub provider_calls: usize,
    pub function_calls: usize,
    pub failed_calls: usize,
    pub labels: BTreeMap<String, String>,
}

#[derive(Serialize)]
pub struct CallGroup {
    pub provider: String,
    pub api: String,
    pub model: Option<String>,
    pub calls: usize,
    pub failed: usize,
    pub tokens: TokenTotals,
    pub latency: Option<Latency>,
    pub cost: CostSum,
}

#[derive(Serialize)]
pub struct ModelCost {
    pub model: Option<String>,
    pub price_entry: Option<String>,
    pub calls: usize,
    pub tokens: TokenTotals,
    pub cost: CostSum,
}

#[derive(Serialize)]
pub struct ErrorRow {
    pub started_at: f64,
    pub session: String,
    pub kind: SpanKind,
    pub span: String,
    pub model: Option<String>,
    pub error: String,
}

#[derive(Serialize)]
pub struct EnhPromptGroup {
    pub function: String,
    pub traces: usize,
    pub auto_enhance_after: Option<u64>,
    /// Whether the count of traces has reached `auto_enhance_after`.
    pub reached: bool,
}

/// Running totals for one group of calls.
#[derive(Default)]
struct Group {
    calls: usize,
    failed: usize,
    tokens: TokenTotals,
    durations: Vec<f64>,
    cost: CostSum,
}

impl Group {
    fn add(&mut self, span: &Span<'_>, usd: Option<f64>) {
        self.calls += 1;
        self.failed += usize::from(span.event.error.is_some());
        self.tokens.add(&span.facts.tokens);
        self.durations.push(span.event.duration_ms);
        self.cost.add(usd);
    }
}

pub fn summarise(dataset: &Dataset<'_>, prices: &PriceTable, files: usize) -> Summary {
    let mut by_call: BTreeMap<(&str, &str, Option<&str>), Group> = BTreeMap::new();
    let mut by_model: BTreeMap<(Option<&str>, Option<&str>), Group> = BTreeMap::new();
    let mut all_calls = Group::default();
    let mut session_rows: Vec<SessionRow> = dataset.sessions.iter().map(session_row).collect();
    let mut failed_functions = 0;
    for span in &dataset.spans {
        let session_row = dataset
            .session_position(&span.event.session_id)
            .map(|i| &mut session_rows[i]);
        let failed = span.event.error.is_some();
        if span.kind == SpanKind::Function {
            failed_functions += usize::from(failed);
            if let Some(row) = session_row {
                row.function_calls += 1;
            }
            continue;
        }
        if let Some(row) = session_row {
            row.provider_calls += 1;
            row.failed_calls += usize::from(failed);
        }
        let cost = prices.price_span(span);
        by_call
            .entry((&span.event.provider, &span.event.api, span.model()))
            .or_default()
            .add(span, cost.usd);
        by_model
            .entry((span.model(), cost.entry))
            .or_default()
            .add(span, cost.usd);
        all_calls.add(span, cost.usd);
    }

    let calls = by_call
        .into_iter()
        .map(|((provider, api, model), mut group)| CallGroup {
            provider: provider.to_string(),
            api: api.to_string(),
            model: model.map(str::to_string),
            calls: group.calls,
            failed: group.failed,
            tokens: group.tokens,
            latency: Latency::of(&mut group.durations),
            cost: group.cost,
        })
        .collect();
    let models = by_model
        .into_iter()
        .map(|((model, entry), group)| ModelCost {
            model: model.map(str::to_string),
            price_entry: entry.map(str::to_string),
            calls: group.calls,
            tokens: group.tokens,
            cost: group.cost,
        })
        .collect();
    Summary {
        files,
        prices_as_of: prices.prices_as_of.clone(),
        totals: Totals {
            sessions: dataset.sessions.len(),
            provider_calls: all_calls.calls,
            function_calls: dataset.spans.len() - all_calls.calls,
            traces: dataset.forest.roots.len(),
            failed_calls: all_calls.failed,
            failed_functions,
            tokens: all_calls.tokens,
            latency: Latency::of(&mut all_calls.durations),
            cost: all_calls.cost,
        },
        sessions: session_rows,
        calls,
        models,
        errors: error_rows(dataset),
        enh_prompt: enh_prompt_groups(dataset),
    }
}

/// The threshold of a group is the last `auto_enhance_after` seen for it (the decorator's
/// argument, so normally the same on every call).
fn enh_prompt_groups(dataset: &Dataset<'_>) -> Vec<EnhPromptGroup> {
    let mut groups: BTreeMap<String, (usize, Option<u64>)> = BTreeMap::new();
    for span in &dataset.spans {
        if span.kind == SpanKind::Function && span.event.enh_prompt_id.is_some() {
            let group = groups.entry(span.title()).or_default();
            group.0 += 1;
            group.1 = span.event.auto_enhance_after.or(group.1);
        }
    }
    groups
        .into_iter()
        .map(|(function, (traces, auto_enhance_after))| EnhPromptGroup {
            function,
            traces,
            auto_enhance_after,
            reached: auto_enhance_after.is_some_and(|after| traces as u64 >= after),
        })
        .collect()
}

fn session_row(session: &crate::model::Session<'_>) -> SessionRow {
    SessionRow {
        id: session.id.to_string(),
        name: session.name.to_string(),
        started_at: session.started_at,
        ended_at: session.ended_at,
        provider_calls: 0,
        function_calls: 0,
        failed_calls: 0,
        labels: session
            .labels
            .iter()
            .flatten()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn error_rows(dataset: &Dataset<'_>) -> Vec<ErrorRow> {
    let mut rows: Vec<ErrorRow> = dataset
        .spans
        .iter()
        .filter_map(|span| {
            let error = span.event.error.as_deref()?;
            Some(ErrorRow {
                started_at: span.event.started_at,
                session: dataset
                    .session_of(span)
                    .map_or_else(|| span.event.session_id.to_string(), |s| s.name.to_string()),
                kind: span.kind,
                span: span.title(),
                model: span.model().map(str::to_string),
                error: error.to_string(),
            })
        })
        .collect();
    rows.sort_by(|a, b| a.started_at.total_cmp(&b.started_at));
    rows
}
