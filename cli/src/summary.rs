//! `aiobs summary`: sessions, calls by provider/API/model, tokens, latency, errors and
//! estimated cost, as text tables or as JSON.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cost::{CostSum, PriceTable};
use crate::dataset::{Dataset, Span};
use crate::format::{self, Align, Table};
use crate::model::{SYSTEM_LABEL_PREFIX, SpanKind};
use crate::payload::TokenUsage;
use crate::stats::Latency;

/// Error rows shown in the text output; `--json` lists them all.
const TEXT_ERROR_ROWS: usize = 20;

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

pub fn render_text(summary: &Summary) -> String {
    let totals = &summary.totals;
    let mut out = format!(
        "aiobs summary: {} file{}, {} session{}, {} provider calls, {} function calls, {} traces\n",
        summary.files,
        plural(summary.files),
        totals.sessions,
        plural(totals.sessions),
        totals.provider_calls,
        totals.function_calls,
        totals.traces
    );
    out += &format!(
        "Prices as of {} (USD per 1M tokens)\n",
        summary.prices_as_of
    );
    out += &sessions_section(summary);
    out += &calls_section(summary);
    out += &models_section(summary);
    out += &totals_section(summary);
    out += &errors_section(summary);
    out += &enh_prompt_section(summary);
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn sessions_section(summary: &Summary) -> String {
    if summary.sessions.is_empty() {
        return "\nSessions: none\n".to_string();
    }
    let mut table = Table::new(&[
        ("SESSION", Align::Left),
        ("ID", Align::Left),
        ("STARTED (UTC)", Align::Left),
        ("DURATION", Align::Right),
        ("CALLS", Align::Right),
        ("FUNCTIONS", Align::Right),
        ("FAILED", Align::Right),
        ("LABELS", Align::Left),
    ]);
    for session in &summary.sessions {
        let user_labels: Vec<String> = session
            .labels
            .iter()
            .filter(|(key, _)| !key.starts_with(SYSTEM_LABEL_PREFIX))
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        table.row(vec![
            session.name.clone(),
            session.id.chars().take(8).collect(),
            format::utc(session.started_at),
            session.ended_at.map_or("open".to_string(), |end| {
                format::duration_ms((end - session.started_at) * 1000.0)
            }),
            session.provider_calls.to_string(),
            session.function_calls.to_string(),
            session.failed_calls.to_string(),
            if user_labels.is_empty() {
                "-".to_string()
            } else {
                user_labels.join(" ")
            },
        ]);
    }
    format!(
        "\nSessions (system labels aiobs_* omitted)\n{}",
        table.render("  ")
    )
}

fn token_cells(tokens: &TokenTotals) -> [String; 2] {
    [
        format::thousands(tokens.input),
        format::thousands(tokens.output),
    ]
}

fn latency_cells(latency: Option<Latency>) -> [String; 2] {
    match latency {
        Some(l) => [
            format::duration_ms(l.median_ms),
            format::duration_ms(l.p95_ms),
        ],
        None => ["-".to_string(), "-".to_string()],
    }
}

fn model_name(model: &Option<String>) -> String {
    model.clone().unwrap_or_else(|| "(none)".to_string())
}

fn calls_section(summary: &Summary) -> String {
    if summary.calls.is_empty() {
        return "\nCalls: none\n".to_string();
    }
    let mut table = Table::new(&[
        ("PROVIDER", Align::Left),
        ("API", Align::Left),
        ("MODEL", Align::Left),
        ("CALLS", Align::Right),
        ("FAILED", Align::Right),
        ("TOKENS IN", Align::Right),
        ("TOKENS OUT", Align::Right),
        ("P50", Align::Right),
        ("P95", Align::Right),
        ("COST", Align::Right),
    ]);
    for group in &summary.calls {
        let [tokens_in, tokens_out] = token_cells(&group.tokens);
        let [p50, p95] = latency_cells(group.latency);
        table.row(vec![
            group.provider.clone(),
            group.api.clone(),
            model_name(&group.model),
            group.calls.to_string(),
            group.failed.to_string(),
            tokens_in,
            tokens_out,
            p50,
            p95,
            group.cost.display(),
        ]);
    }
    let totals = &summary.totals;
    let [tokens_in, tokens_out] = token_cells(&totals.tokens);
    let [p50, p95] = latency_cells(totals.latency);
    table.row(vec![
        "total".to_string(),
        String::new(),
        String::new(),
        totals.provider_calls.to_string(),
        totals.failed_calls.to_string(),
        tokens_in,
        tokens_out,
        p50,
        p95,
        totals.cost.display(),
    ]);
    format!("\nCalls by provider, API and model\n{}", table.render("  "))
}

fn models_section(summary: &Summary) -> String {
    if summary.models.is_empty() {
        return String::new();
    }
    let mut table = Table::new(&[
        ("MODEL", Align::Left),
        ("PRICE ROW", Align::Left),
        ("CALLS", Align::Right),
        ("INPUT", Align::Right),
        ("CACHED", Align::Right),
        ("OUTPUT", Align::Right),
        ("REASONING", Align::Right),
        ("COST", Align::Right),
    ]);
    for model in &summary.models {
        table.row(vec![
            model_name(&model.model),
            model
                .price_entry
                .clone()
                .unwrap_or_else(|| "unknown".to_string()),
            model.calls.to_string(),
            format::thousands(model.tokens.input),
            format::thousands(model.tokens.cached),
            format::thousands(model.tokens.output),
            format::thousands(model.tokens.reasoning),
            model.cost.display(),
        ]);
    }
    format!("\nCost by model\n{}", table.render("  "))
}

fn totals_section(summary: &Summary) -> String {
    let totals = &summary.totals;
    let tokens = &totals.tokens;
    let mut out = String::from("\nTotals\n");
    out += &format!(
        "  provider calls  {} ({} failed), function calls {} ({} failed)\n",
        totals.provider_calls, totals.failed_calls, totals.function_calls, totals.failed_functions
    );
    out += &format!(
        "  tokens          in {} (cached {}), out {} (reasoning {}), {} call{} without usage\n",
        format::thousands(tokens.input),
        format::thousands(tokens.cached),
        format::thousands(tokens.output),
        format::thousands(tokens.reasoning),
        tokens.calls_without_usage,
        plural(tokens.calls_without_usage)
    );
    let [p50, p95] = latency_cells(totals.latency);
    out += &format!("  latency         median {p50}, p95 {p95}\n");
    out += &format!("  estimated cost  {}", totals.cost.display());
    let unpriced: Vec<String> = summary
        .models
        .iter()
        .filter(|m| m.cost.unpriced_calls > 0)
        .map(|m| model_name(&m.model))
        .collect();
    if !unpriced.is_empty() {
        out += &format!(
            " ({} call{} not priced: {})",
            totals.cost.unpriced_calls,
            plural(totals.cost.unpriced_calls),
            unpriced.join(", ")
        );
    }
    out.push('\n');
    out
}

fn errors_section(summary: &Summary) -> String {
    if summary.errors.is_empty() {
        return "\nErrors: none\n".to_string();
    }
    let mut table = Table::new(&[
        ("STARTED (UTC)", Align::Left),
        ("SESSION", Align::Left),
        ("SPAN", Align::Left),
        ("ERROR", Align::Left),
    ]);
    for error in summary.errors.iter().take(TEXT_ERROR_ROWS) {
        let span = match &error.model {
            Some(model) => format!("{} ({model})", error.span),
            None => error.span.clone(),
        };
        table.row(vec![
            format::utc(error.started_at),
            error.session.clone(),
            span,
            format::one_line(&error.error, 90),
        ]);
    }
    let mut out = format!(
        "\nErrors ({})\n{}",
        summary.errors.len(),
        table.render("  ")
    );
    if summary.errors.len() > TEXT_ERROR_ROWS {
        out += &format!(
            "  … and {} more (see --json)\n",
            summary.errors.len() - TEXT_ERROR_ROWS
        );
    }
    out
}

fn enh_prompt_section(summary: &Summary) -> String {
    if summary.enh_prompt.is_empty() {
        return String::new();
    }
    let mut table = Table::new(&[
        ("FUNCTION", Align::Left),
        ("TRACES", Align::Right),
        ("AUTO AFTER", Align::Right),
        ("STATUS", Align::Left),
    ]);
    for group in &summary.enh_prompt {
        let status = match group.auto_enhance_after {
            None => "no threshold".to_string(),
            Some(_) if group.reached => "threshold reached".to_string(),
            Some(after) => format!("{} more to go", after - group.traces as u64),
        };
        table.row(vec![
            group.function.clone(),
            group.traces.to_string(),
            group
                .auto_enhance_after
                .map_or("-".to_string(), |a| a.to_string()),
            status,
        ]);
    }
    format!("\nEnhanced-prompt traces\n{}", table.render("  "))
}
