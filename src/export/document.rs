//! The export document, written straight from the store's events with no intermediate tree of
//! JSON values: keys, order, types and nulls as the Python aiobs 0.2.0 export has them.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::event::{Callsite, FunctionEvent, SpanLink, Timing, raw_json};
use crate::export::prepare::{Body, PreparedCall};
use crate::export::tree::Forest;
use crate::ids::{SpanId, TraceId};
use crate::session::Session;
use crate::store::Drops;

/// Everything one flush writes, borrowed from the batch taken out of the store.
pub struct Document<'a> {
    pub sessions: Vec<&'a Session>,
    pub calls: Vec<PreparedCall<'a>>,
    pub functions: Vec<&'a FunctionEvent>,
    /// Over node indices: the calls first, then the functions.
    pub forest: Forest,
    pub enh_prompt_traces: Option<Vec<&'a str>>,
    pub generated_at: f64,
    /// Events dropped and spans abandoned since the previous file.
    pub drops: Drops,
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(8))?;
        map.serialize_entry(
            "sessions",
            &Each(self.sessions.iter().map(|s| SessionJson(s))),
        )?;
        map.serialize_entry("events", &Each(self.calls.iter().map(CallJson)))?;
        map.serialize_entry(
            "function_events",
            &Each(self.functions.iter().map(|f| FunctionJson(f))),
        )?;
        map.serialize_entry(
            "trace_tree",
            &Nodes {
                doc: self,
                nodes: &self.forest.roots,
            },
        )?;
        map.serialize_entry("enh_prompt_traces", &self.enh_prompt_traces)?;
        map.serialize_entry("generated_at", &self.generated_at)?;
        map.serialize_entry("version", &1)?;
        map.serialize_entry("drops", &DropsJson(&self.drops))?;
        map.end()
    }
}

/// A JSON array of whatever an iterator yields; the iterator is cloned, never collected.
struct Each<I>(I);

impl<I: Iterator<Item = T> + Clone, T: Serialize> Serialize for Each<I> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.clone())
    }
}

struct DropsJson<'a>(&'a Drops);

impl Serialize for DropsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("events", &self.0.events)?;
        map.serialize_entry("spans_abandoned", &self.0.spans_abandoned)?;
        map.serialize_entry("otlp_spans", &self.0.otlp_spans)?;
        map.end()
    }
}

struct SessionJson<'a>(&'a Session);

impl Serialize for SessionJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let session = self.0;
        let mut map = serializer.serialize_map(Some(7))?;
        map.serialize_entry("id", &*session.id)?;
        map.serialize_entry("name", &session.name)?;
        map.serialize_entry("started_at", &session.started_at)?;
        map.serialize_entry("ended_at", &session.ended_at)?;
        map.serialize_entry(
            "meta",
            &Meta {
                pid: session.pid,
                cwd: &session.cwd,
            },
        )?;
        let labels = (!session.labels.is_empty()).then_some(&session.labels);
        map.serialize_entry("labels", &labels)?;
        map.end()
    }
}

#[derive(Serialize)]
struct Meta<'a> {
    pid: u32,
    cwd: &'a str,
}

/// An id written as lowercase hex, formatted on the stack.
struct Hex {
    bytes: [u8; 32],
    len: usize,
}

impl Hex {
    fn new(value: u128, digits: usize) -> Hex {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes[..digits].iter_mut().enumerate() {
            let shift = 4 * (digits - 1 - i);
            *byte = DIGITS[((value >> shift) & 0xf) as usize];
        }
        Hex { bytes, len: digits }
    }

    fn span(id: SpanId) -> Hex {
        Hex::new(u128::from(id.0), 16)
    }

    fn trace(id: TraceId) -> Hex {
        Hex::new(id.0, 32)
    }
}

impl Serialize for Hex {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Only ASCII hex digits were written, so this never fails.
        serializer.serialize_str(std::str::from_utf8(&self.bytes[..self.len]).unwrap_or(""))
    }
}

struct CallsiteJson<'a>(&'a Callsite);

impl Serialize for CallsiteJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("file", &self.0.file)?;
        map.serialize_entry("line", &self.0.line)?;
        map.serialize_entry("function", &self.0.function)?;
        map.end()
    }
}

/// The fields every event shares, from `started_at` to `trace_id`, in the export's order.
fn write_timing_and_links<M: SerializeMap>(
    map: &mut M,
    timing: &Timing,
    callsite: Option<&Callsite>,
    link: &SpanLink,
) -> Result<(), M::Error> {
    map.serialize_entry("started_at", &timing.started_at)?;
    map.serialize_entry("ended_at", &timing.ended_at)?;
    map.serialize_entry("duration_ms", &timing.duration_ms)?;
    map.serialize_entry("callsite", &callsite.map(CallsiteJson))?;
    map.serialize_entry("span_id", &Hex::span(link.span_id))?;
    map.serialize_entry("parent_span_id", &link.parent_span_id.map(Hex::span))?;
    map.serialize_entry("trace_id", &Hex::trace(link.trace_id))
}

fn write_call_fields<M: SerializeMap>(map: &mut M, call: &PreparedCall) -> Result<(), M::Error> {
    match &call.body {
        Body::Recorded(recorded) => write_provider_fields(
            map,
            recorded.provider(),
            recorded.api(),
            &recorded.request().and_then(raw_json),
            &recorded.response().and_then(raw_json),
            recorded.error(),
        )?,
        Body::Captured(captured) => write_provider_fields(
            map,
            captured.provider,
            captured.api,
            &captured.request,
            &captured.response,
            captured.error.as_deref(),
        )?,
        Body::Written(written) => write_provider_fields(
            map,
            written.provider,
            written.api,
            &written.request,
            &written.response,
            written.error.as_deref(),
        )?,
    }
    write_timing_and_links(map, &call.timing, call.callsite.as_ref(), &call.link)?;
    map.serialize_entry("session_id", &**call.session_id)
}

/// What a call says of its provider, whatever form the call is held in.
fn write_provider_fields<M: SerializeMap>(
    map: &mut M,
    provider: &str,
    api: &str,
    request: &impl Serialize,
    response: &impl Serialize,
    error: Option<&str>,
) -> Result<(), M::Error> {
    map.serialize_entry("provider", provider)?;
    map.serialize_entry("api", api)?;
    map.serialize_entry("request", request)?;
    map.serialize_entry("response", response)?;
    map.serialize_entry("error", &error)
}

fn write_function_fields<M: SerializeMap>(
    map: &mut M,
    function: &FunctionEvent,
) -> Result<(), M::Error> {
    let span = &function.span;
    let fields = &span.fields;
    map.serialize_entry("provider", "function")?;
    map.serialize_entry("api", &function.api())?;
    map.serialize_entry("name", &fields.name())?;
    map.serialize_entry("module", &fields.module())?;
    map.serialize_entry("args", &fields.args())?;
    map.serialize_entry("kwargs", &fields.kwargs())?;
    map.serialize_entry("result", &function.result())?;
    map.serialize_entry("error", &function.error)?;
    let callsite = fields.callsite();
    write_timing_and_links(map, &function.timing(), callsite.as_ref(), &span.link)?;
    map.serialize_entry("enh_prompt", &span.enh_prompt)?;
    map.serialize_entry("enh_prompt_id", &function.enh_prompt_id)?;
    map.serialize_entry("auto_enhance_after", &span.auto_enhance_after)?;
    map.serialize_entry("session_id", &*span.session_id)
}

struct CallJson<'a>(&'a PreparedCall<'a>);

impl Serialize for CallJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(13))?;
        write_call_fields(&mut map, self.0)?;
        map.end()
    }
}

struct FunctionJson<'a>(&'a FunctionEvent);

impl Serialize for FunctionJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(19))?;
        write_function_fields(&mut map, self.0)?;
        map.end()
    }
}

/// Trace-tree nodes: an event's fields, then `event_type` and `children`.
struct Nodes<'d, 'a> {
    doc: &'d Document<'a>,
    nodes: &'d [usize],
}

impl Serialize for Nodes<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.nodes.len()))?;
        for &node in self.nodes {
            seq.serialize_element(&Node {
                doc: self.doc,
                node,
            })?;
        }
        seq.end()
    }
}

struct Node<'d, 'a> {
    doc: &'d Document<'a>,
    node: usize,
}

impl Serialize for Node<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let doc = self.doc;
        let mut map = serializer.serialize_map(None)?;
        match doc.calls.get(self.node) {
            Some(call) => {
                write_call_fields(&mut map, call)?;
                map.serialize_entry("event_type", "provider")?;
            }
            None => {
                write_function_fields(&mut map, doc.functions[self.node - doc.calls.len()])?;
                map.serialize_entry("event_type", "function")?;
            }
        }
        let children = Nodes {
            doc,
            nodes: &doc.forest.children[self.node],
        };
        map.serialize_entry("children", &children)?;
        map.end()
    }
}
