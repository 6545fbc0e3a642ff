//! The text form of `aiobs summary`: aligned tables of what `summary::summarise` computed.

use crate::format::{self, Align, Table};
use crate::model::SYSTEM_LABEL_PREFIX;
use crate::stats::Latency;
use crate::summary::{Summary, TokenTotals};

/// Error messages are cut to this many characters in the table; `--json` has them whole.
const ERROR_MESSAGE_WIDTH: usize = 70;

pub fn render(summary: &Summary) -> String {
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
    out += &labels_section(summary);
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
        ("TOKENS IN", Align::Right),
        ("TOKENS OUT", Align::Right),
        ("COST", Align::Right),
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
            calls_cell(session.provider_calls, session.attempts),
            session.function_calls.to_string(),
            session.failed_calls.to_string(),
            format::thousands(session.tokens.input),
            format::thousands(session.tokens.output),
            session.cost.display(),
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

/// `12`, or `12 (15 tries)` when some calls were retried.
fn calls_cell(calls: usize, attempts: usize) -> String {
    if attempts > calls {
        format!("{calls} ({attempts} tries)")
    } else {
        calls.to_string()
    }
}

fn labels_section(summary: &Summary) -> String {
    let mut out = String::new();
    let mut keys: Vec<&str> = summary.labels.iter().map(|g| g.key.as_str()).collect();
    keys.dedup();
    for key in keys {
        let mut table = Table::new(&[
            ("VALUE", Align::Left),
            ("SESSIONS", Align::Right),
            ("CALLS", Align::Right),
            ("FAILED", Align::Right),
            ("TOKENS IN", Align::Right),
            ("TOKENS OUT", Align::Right),
            ("COST", Align::Right),
        ]);
        for group in summary.labels.iter().filter(|g| g.key == key) {
            table.row(vec![
                group
                    .value
                    .clone()
                    .unwrap_or_else(|| "(no label)".to_string()),
                group.sessions.to_string(),
                calls_cell(group.provider_calls, group.attempts),
                group.failed_calls.to_string(),
                format::thousands(group.tokens.input),
                format::thousands(group.tokens.output),
                group.cost.display(),
            ]);
        }
        out += &format!("\nBy label {key}\n{}", table.render("  "));
    }
    out
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
            calls_cell(group.calls, group.attempts),
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
        calls_cell(totals.provider_calls, totals.attempts),
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
    if totals.attempts > totals.provider_calls {
        out += &format!(
            "  retries         {} call{} retried by the client, {} attempts in all\n",
            totals.retried_calls,
            plural(totals.retried_calls),
            totals.attempts
        );
    }
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
    let dropped = &totals.dropped;
    if dropped.events + dropped.spans_abandoned + dropped.otlp_spans > 0 {
        out += &format!(
            "  dropped         {} event{} over the core's memory bound (not counted above), {} span{} closed as abandoned",
            dropped.events,
            plural(dropped.events as usize),
            dropped.spans_abandoned,
            plural(dropped.spans_abandoned as usize)
        );
        if dropped.otlp_spans > 0 {
            out += &format!(", {} not exported over OTLP", dropped.otlp_spans);
        }
        out.push('\n');
    }
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
        ("COUNT", Align::Right),
        ("TYPE", Align::Left),
        ("MESSAGE", Align::Left),
        ("LAST SEEN (UTC)", Align::Left),
        ("SAMPLE SPAN", Align::Left),
        ("TRACE", Align::Left),
    ]);
    for group in &summary.errors {
        let sample = &group.sample;
        let mut count = group.count.to_string();
        if group.retried > 0 {
            count = format!("{count} ({} retried)", group.retried);
        }
        table.row(vec![
            count,
            group.error_type.clone(),
            format::one_line(&group.message, ERROR_MESSAGE_WIDTH),
            format::utc(group.last_seen),
            format!(
                "{} {}",
                sample.span_id.as_deref().unwrap_or("-"),
                sample.span
            ),
            sample.trace_id.clone().unwrap_or_else(|| "-".to_string()),
        ]);
    }
    let count: usize = summary.errors.iter().map(|g| g.count).sum();
    format!(
        "\nErrors ({count} in {} group{}; `aiobs tree --errors` shows their traces)\n{}",
        summary.errors.len(),
        plural(summary.errors.len()),
        table.render("  ")
    )
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
