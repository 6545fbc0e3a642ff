//! `aiobs top`: the N slowest, most expensive or most token-hungry provider calls, with the
//! span and trace ids to find them in `aiobs tree --trace` or the report. A call retried by its
//! client is one row: its time runs from the first attempt to the last, and its cost and tokens
//! add up every attempt.

use serde::Serialize;

use crate::cost::{CostSum, PriceTable};
use crate::dataset::Dataset;
use crate::format::{self, Align, Table};
use crate::model::SpanKind;

#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rank {
    Duration,
    Cost,
    Tokens,
}

#[derive(Serialize)]
pub struct Row {
    pub rank: usize,
    pub started_at: f64,
    pub duration_ms: f64,
    pub attempts: usize,
    /// Unpriced calls have none and rank last by cost.
    pub cost_usd: Option<f64>,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub session: String,
    pub provider: String,
    pub api: String,
    pub model: Option<String>,
    pub error: Option<String>,
    pub span_id: Option<String>,
    pub trace_id: Option<String>,
}

/// One call: its last attempt, with what its attempts add up to.
struct Call {
    last: usize,
    duration_ms: f64,
    attempts: usize,
    cost: CostSum,
    tokens_in: u64,
    tokens_out: u64,
}

pub fn rank(dataset: &Dataset<'_>, prices: &PriceTable, by: Rank, count: usize) -> Vec<Row> {
    let first_attempts = dataset.first_attempts();
    // Calls by their first attempt; every attempt adds to its call.
    let mut calls: Vec<Option<Call>> = (0..dataset.spans.len()).map(|_| None).collect();
    for (i, span) in dataset.spans.iter().enumerate() {
        if span.kind != SpanKind::Provider {
            continue;
        }
        let call = calls[first_attempts[i]].get_or_insert(Call {
            last: i,
            duration_ms: 0.0,
            attempts: 0,
            cost: CostSum::default(),
            tokens_in: 0,
            tokens_out: 0,
        });
        call.attempts += 1;
        call.cost.add(prices.price_span(span).usd);
        call.tokens_in += span.facts.tokens.input.unwrap_or(0);
        call.tokens_out += span.facts.tokens.output.unwrap_or(0);
        if dataset.is_final_attempt(i) {
            call.last = i;
            call.duration_ms = dataset.call_duration_ms(first_attempts[i], i);
        }
    }
    let mut calls: Vec<Call> = calls.into_iter().flatten().collect();
    let usd = |call: &Call| match call.cost.unpriced_calls {
        0 => call.cost.usd.unwrap_or(0.0),
        _ => f64::NEG_INFINITY,
    };
    match by {
        Rank::Duration => calls.sort_by(|a, b| b.duration_ms.total_cmp(&a.duration_ms)),
        Rank::Cost => calls.sort_by(|a, b| usd(b).total_cmp(&usd(a))),
        Rank::Tokens => calls.sort_by_key(|c| std::cmp::Reverse(c.tokens_in + c.tokens_out)),
    }
    calls
        .into_iter()
        .take(count)
        .enumerate()
        .map(|(k, call)| {
            let span = &dataset.spans[call.last];
            let event = &span.event;
            Row {
                rank: k + 1,
                started_at: dataset.spans[first_attempts[call.last]].event.started_at,
                duration_ms: call.duration_ms,
                attempts: call.attempts,
                cost_usd: (call.cost.unpriced_calls == 0).then_some(usd(&call)),
                tokens_in: call.tokens_in,
                tokens_out: call.tokens_out,
                session: dataset
                    .session_of(span)
                    .map_or_else(|| event.session_id.to_string(), |s| s.name.to_string()),
                provider: event.provider.to_string(),
                api: event.api.to_string(),
                model: span.model().map(str::to_string),
                error: event.error.as_deref().map(str::to_string),
                span_id: event.span_id.as_deref().map(str::to_string),
                trace_id: event.trace_id.as_deref().map(str::to_string),
            }
        })
        .collect()
}

pub fn render(rows: &[Row], by: Rank) -> String {
    if rows.is_empty() {
        return "no provider calls\n".to_string();
    }
    let mut table = Table::new(&[
        ("#", Align::Right),
        ("DURATION", Align::Right),
        ("COST", Align::Right),
        ("TOKENS IN", Align::Right),
        ("TOKENS OUT", Align::Right),
        ("STARTED (UTC)", Align::Left),
        ("SESSION", Align::Left),
        ("CALL", Align::Left),
        ("SPAN", Align::Left),
        ("TRACE", Align::Left),
    ]);
    for row in rows {
        let mut call = format!("{} {}", row.provider, row.api);
        if let Some(model) = &row.model {
            call += &format!(" [{model}]");
        }
        if row.attempts > 1 {
            call += &format!(" ({} attempts)", row.attempts);
        }
        if row.error.is_some() {
            call += " ERROR";
        }
        table.row(vec![
            row.rank.to_string(),
            format::duration_ms(row.duration_ms),
            row.cost_usd.map_or("unknown".to_string(), format::usd),
            format::thousands(row.tokens_in),
            format::thousands(row.tokens_out),
            format::utc(row.started_at),
            row.session.clone(),
            call,
            row.span_id.clone().unwrap_or_else(|| "-".to_string()),
            row.trace_id.clone().unwrap_or_else(|| "-".to_string()),
        ]);
    }
    let what = match by {
        Rank::Duration => "slowest",
        Rank::Cost => "most expensive",
        Rank::Tokens => "most tokens",
    };
    format!(
        "Top {} provider calls, {what} first\n{}",
        rows.len(),
        table.render("  ")
    )
}
