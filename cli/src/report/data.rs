//! The report's data, shaped for a page that must open 100,000 calls fast: the tables'
//! facts as columns (one array per field, strings interned), the trace orders, and, apart,
//! the drawer's payloads and the search text in compressed blocks.

use std::collections::HashMap;

use serde::Serialize;

use super::blocks::Blocks;
use super::detail::{Payload, search_text};
use crate::cost::{CallCost, PriceTable};
use crate::dataset::{Dataset, Span};
use crate::model::{Callsite, SpanKind, Text};
use crate::trace::Anomaly;

/// Marks an absent value in an integer column (an index or a count).
const NONE: i64 = -1;

#[derive(Serialize)]
pub struct ReportData<'d> {
    pub meta: Meta<'d>,
    /// Every interned string; columns hold indexes into it.
    pub strings: Vec<&'d str>,
    pub sessions: Vec<SessionData<'d>>,
    pub spans: Columns<'d>,
    /// Each trace's spans in depth-first order, root first; traces by start time.
    pub traces: Vec<Vec<usize>>,
    /// Functions traced with `enh_prompt`: (span, enh_prompt_id, auto_enhance_after).
    pub enh_prompt: Vec<(usize, &'d str, Option<u64>)>,
    pub enh_prompt_traces: &'d [Text<'d>],
}

#[derive(Serialize)]
pub struct Meta<'d> {
    pub tool: String,
    pub files: &'d [String],
    pub prices_as_of: &'d str,
    pub max_payload_bytes: usize,
    /// Unix time (seconds) that the `start_ms`/`end_ms` columns count from.
    pub t0: f64,
    /// First span of each `aiobs-details-N` block.
    pub block_starts: Vec<usize>,
    /// How many `aiobs-search-N` blocks there are.
    pub search_blocks: usize,
}

#[derive(Serialize)]
pub struct SessionData<'d> {
    pub id: &'d str,
    pub name: &'d str,
    pub started_at: f64,
    pub ended_at: Option<f64>,
    pub labels: Vec<(&'d str, &'d str)>,
}

/// One entry per span, in the dataset's order. Indexes are `NONE` when absent.
#[derive(Serialize, Default)]
pub struct Columns<'d> {
    /// 0 for a provider call, 1 for a traced function.
    pub kind: Vec<u8>,
    pub provider: Vec<i64>,
    pub api: Vec<i64>,
    /// Function name.
    pub name: Vec<i64>,
    pub model: Vec<i64>,
    /// Index into `sessions`; `NONE` for a session missing from the sessions list.
    pub session: Vec<i64>,
    pub session_id: Vec<i64>,
    pub trace: Vec<usize>,
    pub depth: Vec<usize>,
    pub start_ms: Vec<Number>,
    pub end_ms: Vec<Number>,
    pub duration_ms: Vec<Number>,
    pub tokens_in: Vec<i64>,
    pub tokens_out: Vec<i64>,
    pub tokens_total: Vec<i64>,
    /// Estimated USD; null when the call could not be priced (and for functions).
    pub cost_usd: Vec<Option<Number>>,
    pub error: Vec<i64>,
    /// `request.attempt` (1 = first try); `NONE` when the export does not say.
    pub attempt: Vec<i64>,
    pub span_id: Vec<Option<&'d str>>,
    pub trace_id: Vec<i64>,
}

/// The blocks kept out of the first load; both have one item per span.
pub struct Blobs {
    /// Items are `Detail` objects.
    pub details: Blocks,
    /// Items are the span's search text (a JSON string).
    pub search: Blocks,
}

/// What the drawer shows beyond the columns.
#[derive(Serialize)]
struct Detail<'d> {
    #[serde(skip_serializing_if = "Option::is_none")]
    module: Option<&'d str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_model: Option<&'d str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cached_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price_entry: Option<&'d str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    callsite: Option<&'d Callsite<'d>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_span_id: Option<&'d str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enh_prompt_id: Option<&'d str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auto_enhance_after: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    anomaly: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<Payload<'d>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<Payload<'d>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    args: Option<Payload<'d>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kwargs: Option<Payload<'d>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<Payload<'d>>,
}

#[derive(Default)]
struct Interner<'d> {
    strings: Vec<&'d str>,
    index: HashMap<&'d str, i64>,
}

impl<'d> Interner<'d> {
    fn id(&mut self, text: &'d str) -> i64 {
        *self.index.entry(text).or_insert_with(|| {
            self.strings.push(text);
            (self.strings.len() - 1) as i64
        })
    }

    fn optional(&mut self, text: Option<&'d str>) -> i64 {
        text.map_or(NONE, |t| self.id(t))
    }
}

fn count(n: Option<u64>) -> i64 {
    n.map_or(NONE, |n| i64::try_from(n).unwrap_or(i64::MAX))
}

/// A number in a column, written as short as JSON allows: `60` rather than `60.0`. On
/// 100,000 calls the columns are most of the data the page parses when it opens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Number(pub f64);

/// Whole numbers below this are exact in an f64 and in a JavaScript number.
const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;

impl Serialize for Number {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let n = self.0;
        if n.fract() == 0.0 && n.abs() < EXACT_INTEGERS {
            serializer.serialize_i64(n as i64)
        } else {
            serializer.serialize_f64(n)
        }
    }
}

/// `value` rounded to `digits` significant digits: sums of prices carry float noise
/// (`0.00008190000000000001`) that is many characters long and worth nothing.
fn significant(value: f64, digits: i32) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    let scale = 10f64.powi(digits - 1 - value.abs().log10().floor() as i32);
    let rounded = (value * scale).round() / scale;
    if rounded.is_finite() { rounded } else { value }
}

/// Milliseconds since `t0`, to the microsecond (what a float Unix time holds).
fn millis_since(t0: f64, seconds: f64) -> f64 {
    ((seconds - t0) * 1e6).round() / 1e3
}

pub fn build<'d>(
    dataset: &'d Dataset<'d>,
    prices: &'d PriceTable,
    files: &'d [String],
    limit: usize,
) -> (ReportData<'d>, Blobs) {
    let forest = &dataset.forest;
    let mut position = vec![(0, 0); dataset.spans.len()];
    let mut traces = Vec::with_capacity(forest.roots.len());
    for (trace, &root) in forest.roots.iter().enumerate() {
        let mut order = Vec::new();
        forest.walk(root, |visit| {
            position[visit.span] = (trace, visit.depth);
            order.push(visit.span);
        });
        traces.push(order);
    }
    let t0 = dataset
        .spans
        .iter()
        .map(|s| s.event.started_at)
        .chain(dataset.sessions.iter().map(|s| s.started_at))
        .fold(f64::INFINITY, f64::min);
    let t0 = if t0.is_finite() { t0.floor() } else { 0.0 };

    let mut strings = Interner::default();
    let mut columns = Columns::default();
    let mut details = Blocks::default();
    let mut search = Blocks::default();
    let mut enh_prompt = Vec::new();
    let mut item = Vec::new();
    for (i, (span, (trace, depth))) in dataset.spans.iter().zip(position).enumerate() {
        let event = &span.event;
        let cost = match span.kind {
            SpanKind::Provider => prices.price_span(span),
            SpanKind::Function => CallCost {
                entry: None,
                usd: None,
            },
        };
        let tokens = &span.facts.tokens;
        columns.kind.push(u8::from(span.kind == SpanKind::Function));
        columns.provider.push(strings.id(&event.provider));
        columns.api.push(strings.id(&event.api));
        columns.name.push(strings.optional(event.name.as_deref()));
        columns.model.push(strings.optional(span.model()));
        columns.session.push(
            dataset
                .session_position(&event.session_id)
                .map_or(NONE, |s| s as i64),
        );
        columns.session_id.push(strings.id(&event.session_id));
        columns.trace.push(trace);
        columns.depth.push(depth);
        columns
            .start_ms
            .push(Number(millis_since(t0, event.started_at)));
        columns
            .end_ms
            .push(Number(millis_since(t0, event.ended_at)));
        columns.duration_ms.push(Number(event.duration_ms));
        columns.tokens_in.push(count(tokens.input));
        columns.tokens_out.push(count(tokens.output));
        columns.tokens_total.push(count(tokens.total));
        columns
            .cost_usd
            .push(cost.usd.map(|usd| Number(significant(usd, 10))));
        columns.error.push(strings.optional(event.error.as_deref()));
        columns.attempt.push(count(span.facts.attempt));
        columns.span_id.push(event.span_id.as_deref());
        columns
            .trace_id
            .push(strings.optional(event.trace_id.as_deref()));
        if let Some(id) = event.enh_prompt_id.as_deref()
            && span.kind == SpanKind::Function
        {
            enh_prompt.push((i, id, event.auto_enhance_after));
        }

        item.clear();
        serde_json::to_writer(&mut item, &detail(span, &cost, forest.anomaly[i], limit))
            .expect("a detail serialises");
        details.push(&item);
        item.clear();
        let payloads = [
            event.request,
            event.response,
            event.args,
            event.kwargs,
            event.result,
        ];
        serde_json::to_writer(&mut item, &search_text(&payloads)).expect("a string serialises");
        search.push(&item);
    }
    let details = details.finish();
    let search = search.finish();
    let data = ReportData {
        meta: Meta {
            tool: format!("aiobs-cli {}", env!("CARGO_PKG_VERSION")),
            files,
            prices_as_of: &prices.prices_as_of,
            max_payload_bytes: limit,
            t0,
            block_starts: details.starts.clone(),
            search_blocks: search.encoded.len(),
        },
        strings: strings.strings,
        sessions: dataset
            .sessions
            .iter()
            .map(|session| SessionData {
                id: &session.id,
                name: &session.name,
                started_at: session.started_at,
                ended_at: session.ended_at,
                labels: session.all_labels().collect(),
            })
            .collect(),
        spans: columns,
        traces,
        enh_prompt,
        enh_prompt_traces: &dataset.enh_prompt_traces,
    };
    (data, Blobs { details, search })
}

fn detail<'d>(
    span: &'d Span<'d>,
    cost: &CallCost<'d>,
    anomaly: Option<Anomaly>,
    limit: usize,
) -> Detail<'d> {
    let event = &span.event;
    Detail {
        module: event.module.as_deref(),
        response_model: span.facts.response_model.as_deref(),
        cached_tokens: span.facts.tokens.cached,
        reasoning_tokens: span.facts.tokens.reasoning,
        price_entry: cost.entry,
        callsite: event.callsite.as_ref(),
        parent_span_id: event.parent_span_id.as_deref(),
        enh_prompt_id: event.enh_prompt_id.as_deref(),
        auto_enhance_after: event.auto_enhance_after,
        anomaly: anomaly.map(|a| match a {
            Anomaly::DuplicateSpanId => "duplicate span id",
            Anomaly::ParentCycle => "parent cycle cut here",
        }),
        request: Payload::of(event.request, limit),
        response: Payload::of(event.response, limit),
        args: Payload::of(event.args, limit),
        kwargs: Payload::of(event.kwargs, limit),
        result: Payload::of(event.result, limit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(n: f64) -> String {
        serde_json::to_string(&Number(n)).unwrap()
    }

    #[test]
    fn numbers_are_written_short() {
        assert_eq!(json(60.0), "60");
        assert_eq!(json(-3.0), "-3");
        assert_eq!(json(0.0), "0");
        assert_eq!(json(12.5), "12.5");
        assert_eq!(json(1e300), "1e+300");
        assert_eq!(json(f64::NAN), "null");
    }

    #[test]
    fn costs_keep_ten_significant_digits() {
        assert_eq!(significant(0.00008190000000000001, 10), 0.0000819);
        assert_eq!(significant(0.00008159999999999999, 10), 0.0000816);
        assert_eq!(significant(123456.78901234, 10), 123456.789);
        assert_eq!(significant(8e-8, 10), 8e-8);
        assert_eq!(significant(0.0, 10), 0.0);
        assert_eq!(significant(1e-320, 10), 1e-320);
    }
}
