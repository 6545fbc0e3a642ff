//! `aiobs summary`: sessions, calls by provider/API/model, tokens, latency, errors,
//! estimated cost and enh_prompt groups, computed once and printed as JSON as is or as text
//! by `summary_text`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cost::{CostSum, PriceTable};
use crate::dataset::{Dataset, Span};
use crate::errors::{self, ErrorGroup};
use crate::model::{Drops, SpanKind};
use crate::payload::TokenUsage;
use crate::stats::Latency;

#[derive(Serialize)]
pub struct Summary {
    pub files: usize,
    pub prices_as_of: String,
    pub totals: Totals,
    pub sessions: Vec<SessionRow>,
    /// Sessions grouped by the value of each label asked for with `--by label:KEY`.
    pub labels: Vec<LabelGroup>,
    /// Provider calls grouped by (provider, API, model).
    pub calls: Vec<CallGroup>,
    /// Provider calls grouped by model and the price-table row that priced them.
    pub models: Vec<ModelCost>,
    /// Failed calls and functions grouped by error type and normalised message.
    pub errors: Vec<ErrorGroup>,
    /// Functions traced with `enh_prompt`, grouped by name.
    pub enh_prompt: Vec<EnhPromptGroup>,
}

#[derive(Serialize)]
pub struct Totals {
    pub sessions: usize,
    /// Calls, a call retried by its client counting once.
    pub provider_calls: usize,
    /// Every attempt of every call (what the provider received).
    pub attempts: usize,
    pub retried_calls: usize,
    pub function_calls: usize,
    pub traces: usize,
    pub failed_calls: usize,
    pub failed_functions: usize,
    pub tokens: TokenTotals,
    pub latency: Option<Latency>,
    pub cost: CostSum,
    /// Events the core dropped (memory bound) and spans it closed as abandoned: the numbers
    /// above miss them.
    pub dropped: Drops,
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

    fn merge(&mut self, other: &TokenTotals) {
        self.input += other.input;
        self.output += other.output;
        self.cached += other.cached;
        self.reasoning += other.reasoning;
        self.total += other.total;
        self.calls_without_usage += other.calls_without_usage;
    }
}

#[derive(Serialize)]
pub struct SessionRow {
    pub id: String,
    pub name: String,
    pub started_at: f64,
    pub ended_at: Option<f64>,
    pub provider_calls: usize,
    pub attempts: usize,
    pub function_calls: usize,
    pub failed_calls: usize,
    pub tokens: TokenTotals,
    pub cost: CostSum,
    pub labels: BTreeMap<String, String>,
}

/// The sessions whose label `key` has `value` (`None`: sessions without the label).
#[derive(Serialize)]
pub struct LabelGroup {
    pub key: String,
    pub value: Option<String>,
    pub sessions: usize,
    pub provider_calls: usize,
    pub attempts: usize,
    pub failed_calls: usize,
    pub tokens: TokenTotals,
    pub cost: CostSum,
}

#[derive(Serialize)]
pub struct CallGroup {
    pub provider: String,
    pub api: String,
    pub model: Option<String>,
    pub calls: usize,
    pub attempts: usize,
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
    attempts: usize,
    failed: usize,
    tokens: TokenTotals,
    durations: Vec<f64>,
    cost: CostSum,
}

impl Group {
    /// Every attempt is billed and counted as an attempt.
    fn add_attempt(&mut self, span: &Span<'_>, usd: Option<f64>) {
        self.attempts += 1;
        self.tokens.add(&span.facts.tokens);
        self.cost.add(usd);
    }

    /// A call counts once, when its last attempt is seen: failed if that attempt failed, and
    /// as long as all its attempts took.
    fn add_call(&mut self, failed: bool, duration_ms: f64) {
        self.calls += 1;
        self.failed += usize::from(failed);
        self.durations.push(duration_ms);
    }
}

/// What one provider call adds to the groups it belongs to.
struct Attempt<'s> {
    span: &'s Span<'s>,
    usd: Option<f64>,
    /// `Some(duration)` when this attempt ends its call.
    call_duration_ms: Option<f64>,
}

impl Group {
    fn add(&mut self, attempt: &Attempt<'_>) {
        self.add_attempt(attempt.span, attempt.usd);
        if let Some(duration) = attempt.call_duration_ms {
            self.add_call(attempt.span.event.error.is_some(), duration);
        }
    }
}

pub fn summarise(
    dataset: &Dataset<'_>,
    prices: &PriceTable,
    files: usize,
    label_keys: &[String],
) -> Summary {
    let mut by_call: BTreeMap<(&str, &str, Option<&str>), Group> = BTreeMap::new();
    let mut by_model: BTreeMap<(Option<&str>, Option<&str>), Group> = BTreeMap::new();
    let mut by_session: Vec<Group> = Vec::new();
    by_session.resize_with(dataset.sessions.len(), Group::default);
    let mut all_calls = Group::default();
    let mut function_calls = vec![0; dataset.sessions.len()];
    let mut failed_functions = 0;
    let first_attempts = dataset.first_attempts();
    for (i, span) in dataset.spans.iter().enumerate() {
        let session = dataset.session_position(&span.event.session_id);
        if span.kind == SpanKind::Function {
            failed_functions += usize::from(span.event.error.is_some());
            if let Some(session) = session {
                function_calls[session] += 1;
            }
            continue;
        }
        let cost = prices.price_span(span);
        let attempt = Attempt {
            span,
            usd: cost.usd,
            call_duration_ms: dataset
                .is_final_attempt(i)
                .then(|| dataset.call_duration_ms(first_attempts[i], i)),
        };
        by_call
            .entry((&span.event.provider, &span.event.api, span.model()))
            .or_default()
            .add(&attempt);
        by_model
            .entry((span.model(), cost.entry))
            .or_default()
            .add(&attempt);
        if let Some(session) = session {
            by_session[session].add(&attempt);
        }
        all_calls.add(&attempt);
    }
    let retried_calls = (0..dataset.spans.len())
        .filter(|&i| dataset.next_attempt[i].is_some() && first_attempts[i] == i)
        .count();

    let calls = by_call
        .into_iter()
        .map(|((provider, api, model), mut group)| CallGroup {
            provider: provider.to_string(),
            api: api.to_string(),
            model: model.map(str::to_string),
            calls: group.calls,
            attempts: group.attempts,
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
    let sessions: Vec<SessionRow> = dataset
        .sessions
        .iter()
        .zip(&by_session)
        .zip(function_calls)
        .map(|((session, group), functions)| session_row(session, group, functions))
        .collect();
    Summary {
        files,
        prices_as_of: prices.prices_as_of.clone(),
        totals: Totals {
            sessions: dataset.sessions.len(),
            provider_calls: all_calls.calls,
            attempts: all_calls.attempts,
            retried_calls,
            function_calls: dataset.spans.len() - all_calls.attempts,
            traces: dataset.forest.roots.len(),
            failed_calls: all_calls.failed,
            failed_functions,
            tokens: all_calls.tokens,
            latency: Latency::of(&mut all_calls.durations),
            cost: all_calls.cost,
            dropped: dataset.drops,
        },
        labels: label_groups(dataset, &by_session, label_keys),
        sessions,
        calls,
        models,
        errors: errors::group(dataset),
        enh_prompt: enh_prompt_groups(dataset),
    }
}

/// For each key, the sessions by the key's value, in value order, sessions without the label
/// last; a session's calls, tokens and cost go to its value.
fn label_groups(dataset: &Dataset<'_>, by_session: &[Group], keys: &[String]) -> Vec<LabelGroup> {
    let mut groups = Vec::new();
    for key in keys {
        let mut by_value: BTreeMap<(bool, Option<&str>), LabelGroup> = BTreeMap::new();
        for (session, group) in dataset.sessions.iter().zip(by_session) {
            let value = session
                .labels
                .as_ref()
                .and_then(|labels| labels.get(key.as_str()))
                .map(|v| v.as_ref());
            let row = by_value
                .entry((value.is_none(), value))
                .or_insert_with(|| LabelGroup {
                    key: key.clone(),
                    value: value.map(str::to_string),
                    sessions: 0,
                    provider_calls: 0,
                    attempts: 0,
                    failed_calls: 0,
                    tokens: TokenTotals::default(),
                    cost: CostSum::default(),
                });
            row.sessions += 1;
            row.provider_calls += group.calls;
            row.attempts += group.attempts;
            row.failed_calls += group.failed;
            row.tokens.merge(&group.tokens);
            row.cost.merge(&group.cost);
        }
        groups.extend(by_value.into_values());
    }
    groups
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

fn session_row(session: &crate::model::Session<'_>, group: &Group, functions: usize) -> SessionRow {
    SessionRow {
        id: session.id.to_string(),
        name: session.name.to_string(),
        started_at: session.started_at,
        ended_at: session.ended_at,
        provider_calls: group.calls,
        attempts: group.attempts,
        function_calls: functions,
        failed_calls: group.failed,
        tokens: group.tokens,
        cost: group.cost,
        labels: session
            .labels
            .iter()
            .flatten()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}
