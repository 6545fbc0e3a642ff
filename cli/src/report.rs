//! `aiobs report`: one self-contained HTML file. The page's CSS and JS are compiled in
//! (`cli/assets/`), the data is embedded as JSON in a `<script type="application/json">`
//! and everything visible (waterfalls, charts, filters, details) is drawn by that JS, so the
//! page needs no network and no server.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde::Serialize;
use serde_json::value::RawValue;

use crate::cost::PriceTable;
use crate::dataset::Dataset;
use crate::error::CliError;
use crate::model::{Callsite, SpanKind, Text};
use crate::payload::TokenUsage;
use crate::trace::Anomaly;

pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 64 * 1024;
/// Characters kept of a payload over the limit.
const PREVIEW_CHARS: usize = 2000;

const TEMPLATE: &str = include_str!("../assets/report.html");
const STYLE: &str = include_str!("../assets/report.css");
const SCRIPT: &str = include_str!("../assets/report.js");

pub struct Options {
    pub title: String,
    pub max_payload_bytes: usize,
    /// Input file names, shown in the page header.
    pub files: Vec<String>,
}

pub fn write_file(
    dataset: &Dataset<'_>,
    prices: &PriceTable,
    options: &Options,
    path: &Path,
) -> Result<(), CliError> {
    let fail = |e: io::Error| CliError::Export(format!("{}: {e}", path.display()));
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).map_err(fail)?);
    write(dataset, prices, options, &mut out).map_err(fail)?;
    out.flush().map_err(fail)
}

pub fn write(
    dataset: &Dataset<'_>,
    prices: &PriceTable,
    options: &Options,
    out: &mut impl Write,
) -> io::Result<()> {
    let title = escape_html(&options.title);
    fill_template(TEMPLATE, out, |slot, out| match slot {
        "TITLE" => out.write_all(title.as_bytes()),
        "STYLE" => out.write_all(STYLE.as_bytes()),
        "SCRIPT" => out.write_all(SCRIPT.as_bytes()),
        "DATA" => {
            let data = ReportData::new(dataset, prices, options);
            serde_json::to_writer(ScriptSafe(&mut *out), &data).map_err(io::Error::other)
        }
        _ => unreachable!("report.html has no slot {slot}"),
    })
}

/// Writes `template` with every `{{NAME}}` in it replaced by what `slot` writes for NAME.
/// The template is scanned once and only the template: what a slot writes (a title, the
/// data, the CSS or JS) is never looked at again, so no text in it can act as a slot.
fn fill_template<W: Write>(
    template: &str,
    out: &mut W,
    mut slot: impl FnMut(&str, &mut W) -> io::Result<()>,
) -> io::Result<()> {
    let mut rest = template;
    while let Some((text, after_open)) = rest.split_once("{{")
        && let Some((name, after_close)) = after_open.split_once("}}")
    {
        out.write_all(text.as_bytes())?;
        slot(name, out)?;
        rest = after_close;
    }
    out.write_all(rest.as_bytes())
}

/// Escapes every `<` of the JSON as `\u003c`, which JSON reads back unchanged: `<` can only
/// occur inside JSON strings, and without it no `</script>` or `<!--` can end the data block.
struct ScriptSafe<W>(W);

impl<W: Write> Write for ScriptSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for (i, part) in buf.split(|&b| b == b'<').enumerate() {
            if i > 0 {
                self.0.write_all(b"\\u003c")?;
            }
            self.0.write_all(part)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[derive(Serialize)]
struct ReportData<'d> {
    meta: Meta<'d>,
    sessions: Vec<SessionData<'d>>,
    spans: Vec<SpanData<'d>>,
    /// Each trace's spans in depth-first order, root first; traces by start time.
    traces: Vec<Vec<usize>>,
    enh_prompt_traces: &'d [Text<'d>],
}

#[derive(Serialize)]
struct Meta<'d> {
    tool: String,
    files: &'d [String],
    prices_as_of: &'d str,
    max_payload_bytes: usize,
}

#[derive(Serialize)]
struct SessionData<'d> {
    id: &'d str,
    name: &'d str,
    started_at: f64,
    ended_at: Option<f64>,
    labels: Vec<(&'d str, &'d str)>,
}

#[derive(Serialize)]
struct SpanData<'d> {
    kind: SpanKind,
    provider: &'d str,
    api: &'d str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'d str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    module: Option<&'d str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'d str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_model: Option<&'d str>,
    /// Index into `sessions`; absent for a session missing from the sessions list.
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<usize>,
    session_id: &'d str,
    trace: usize,
    depth: usize,
    started_at: f64,
    ended_at: f64,
    duration_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'d str>,
    #[serde(skip_serializing_if = "TokenUsage::is_empty")]
    tokens: TokenUsage,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_usd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price_entry: Option<&'d str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    callsite: Option<&'d Callsite<'d>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    span_id: Option<&'d str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_span_id: Option<&'d str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_id: Option<&'d str>,
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

/// A payload embedded verbatim, or a preview of one over the size limit.
#[derive(Serialize)]
#[serde(untagged)]
enum Payload<'d> {
    Raw(&'d RawValue),
    Truncated {
        #[serde(rename = "$truncated")]
        truncated: bool,
        bytes: usize,
        preview: &'d str,
    },
}

impl<'d> Payload<'d> {
    fn of(raw: Option<&'d RawValue>, limit: usize) -> Option<Payload<'d>> {
        let raw = raw?;
        let text = raw.get();
        if text.len() <= limit {
            return Some(Payload::Raw(raw));
        }
        let end = text
            .char_indices()
            .nth(PREVIEW_CHARS)
            .map_or(text.len(), |(i, _)| i);
        Some(Payload::Truncated {
            truncated: true,
            bytes: text.len(),
            preview: &text[..end],
        })
    }
}

impl<'d> ReportData<'d> {
    fn new(
        dataset: &'d Dataset<'d>,
        prices: &'d PriceTable,
        options: &'d Options,
    ) -> ReportData<'d> {
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
        let limit = options.max_payload_bytes;
        let spans = dataset
            .spans
            .iter()
            .zip(position)
            .zip(&forest.anomaly)
            .map(|((span, (trace, depth)), anomaly)| {
                let event = &span.event;
                let cost = match span.kind {
                    SpanKind::Provider => prices.price_span(span),
                    SpanKind::Function => crate::cost::CallCost {
                        entry: None,
                        usd: None,
                    },
                };
                SpanData {
                    kind: span.kind,
                    provider: &event.provider,
                    api: &event.api,
                    name: event.name.as_deref(),
                    module: event.module.as_deref(),
                    model: span.model(),
                    response_model: span.facts.response_model.as_deref(),
                    session: dataset.session_position(&event.session_id),
                    session_id: &event.session_id,
                    trace,
                    depth,
                    started_at: event.started_at,
                    ended_at: event.ended_at,
                    duration_ms: event.duration_ms,
                    error: event.error.as_deref(),
                    tokens: span.facts.tokens,
                    cost_usd: cost.usd,
                    price_entry: cost.entry,
                    callsite: event.callsite.as_ref(),
                    span_id: event.span_id.as_deref(),
                    parent_span_id: event.parent_span_id.as_deref(),
                    trace_id: event.trace_id.as_deref(),
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
            })
            .collect();
        ReportData {
            meta: Meta {
                tool: format!("aiobs-cli {}", env!("CARGO_PKG_VERSION")),
                files: &options.files,
                prices_as_of: &prices.prices_as_of,
                max_payload_bytes: limit,
            },
            sessions: dataset
                .sessions
                .iter()
                .map(|session| SessionData {
                    id: &session.id,
                    name: &session.name,
                    started_at: session.started_at,
                    ended_at: session.ended_at,
                    labels: session
                        .labels
                        .iter()
                        .flatten()
                        .map(|(k, v)| (k.as_ref(), v.as_ref()))
                        .collect(),
                })
                .collect(),
            spans,
            traces,
            enh_prompt_traces: &dataset.enh_prompt_traces,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_safe_escapes_every_angle_bracket() {
        let mut out = Vec::new();
        ScriptSafe(&mut out)
            .write_all(br#"{"a":"</script><!--x"}"#)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, r#"{"a":"\u003c/script>\u003c!--x"}"#);
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["a"], "</script><!--x");
    }

    #[test]
    fn large_payloads_become_previews() {
        let raw: Box<RawValue> = serde_json::from_str(r#"{"data":"ééééé"}"#).unwrap();
        assert!(matches!(
            Payload::of(Some(&raw), 100),
            Some(Payload::Raw(_))
        ));
        match Payload::of(Some(&raw), 5) {
            Some(Payload::Truncated { bytes, preview, .. }) => {
                assert_eq!(bytes, raw.get().len());
                assert_eq!(preview, raw.get());
            }
            _ => panic!("expected a preview"),
        }
        assert!(Payload::of(None, 5).is_none());
    }

    #[test]
    fn titles_are_escaped() {
        assert_eq!(
            escape_html("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
    }

    fn fill(template: &str, values: &[(&str, &str)]) -> String {
        let mut out = Vec::new();
        fill_template(template, &mut out, |name, out| {
            let value = values.iter().find(|(n, _)| *n == name).unwrap().1;
            out.write_all(value.as_bytes())
        })
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn slot_values_are_never_read_as_slots() {
        let values = [("A", "{{B}}"), ("B", "b{{A}}{{")];
        assert_eq!(fill("<{{A}}|{{B}}>", &values), "<{{B}}|b{{A}}{{>");
        assert_eq!(fill("{{A}}{{A}}", &values), "{{B}}{{B}}");
        assert_eq!(fill("no slots {{ here", &values), "no slots {{ here");
        assert_eq!(fill("", &values), "");
    }

    #[test]
    fn the_template_has_exactly_the_known_slots() {
        let mut slots = Vec::new();
        fill_template(TEMPLATE, &mut io::sink(), |name, _| {
            slots.push(name.to_string());
            Ok(())
        })
        .unwrap();
        assert_eq!(slots, ["TITLE", "STYLE", "TITLE", "DATA", "SCRIPT"]);
    }
}
