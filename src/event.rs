//! The events the store keeps, and the JSON inputs they are made from.
//!
//! Recording must stay cheap, so an event keeps the caller's `request`, `response`, `args`,
//! `kwargs` and `result` as raw JSON text (validated, copied once, never re-parsed): memory stays
//! close to the input's size and the export writes the text back verbatim.

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::ids::{SpanId, TraceId};
use crate::json_check::{self, Member};
use crate::providers::ResponseHeaders;
use crate::text_range::TextRange;
use crate::warm;

/// A session's id, shared by every event of the session without a copy per event.
pub type SessionId = Arc<str>;

/// Events share their session's `Arc`, so pointer equality almost always decides at once.
pub fn same_session(a: &SessionId, b: &SessionId) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Callsite {
    #[serde(default)]
    pub file: Option<Box<str>>,
    #[serde(default)]
    pub line: Option<u32>,
    #[serde(default)]
    pub function: Option<Box<str>>,
}

/// Start, end and duration, all finite; the duration is stored as it will be written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timing {
    pub started_at: f64,
    pub ended_at: f64,
    pub duration_ms: f64,
}

/// Milliseconds with 3 decimals, as the Python SDK writes them.
pub fn round_ms(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Timing {
    pub fn between(started_at: f64, ended_at: f64) -> Timing {
        Timing {
            started_at,
            ended_at,
            duration_ms: round_ms((ended_at - started_at) * 1000.0),
        }
    }

    /// Fills what the caller left out: the end defaults to now, the start to the end less the
    /// duration (or the end), and the duration is derived from the two.
    pub fn resolve(
        started_at: Option<f64>,
        ended_at: Option<f64>,
        duration_ms: Option<f64>,
        now: f64,
    ) -> Result<Timing> {
        for (name, value) in [
            ("started_at", started_at),
            ("ended_at", ended_at),
            ("duration_ms", duration_ms),
        ] {
            if let Some(v) = value
                && (!v.is_finite() || v < 0.0)
            {
                return Err(Error::invalid(format!(
                    "{name} must be a finite, non-negative number, got {v}"
                )));
            }
        }
        let seconds = duration_ms.map(|ms| ms / 1000.0);
        let (started, ended) = match (started_at, ended_at) {
            (Some(started), Some(ended)) => (started, ended),
            (Some(started), None) => (started, seconds.map_or(now.max(started), |s| started + s)),
            (None, Some(ended)) => (ended - seconds.unwrap_or(0.0), ended),
            (None, None) => (now - seconds.unwrap_or(0.0), now),
        };
        if ended < started {
            return Err(Error::invalid(format!(
                "ended_at ({ended}) is before started_at ({started})"
            )));
        }
        if started < 0.0 {
            return Err(Error::invalid(format!(
                "duration_ms ({}) reaches back before 1970 from ended_at ({ended})",
                duration_ms.unwrap_or(0.0)
            )));
        }
        let mut timing = Timing::between(started, ended);
        if let Some(ms) = duration_ms {
            timing.duration_ms = round_ms(ms);
        }
        // Finite inputs can still give an infinite span (0 to 1e308): JSON has no infinity.
        if !(timing.started_at.is_finite()
            && timing.ended_at.is_finite()
            && timing.duration_ms.is_finite())
        {
            return Err(Error::invalid(format!(
                "started_at, ended_at and duration_ms must describe a finite span, got {started} to {ended}"
            )));
        }
        Ok(timing)
    }
}

/// Where a span or call hangs in the trace tree.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpanLink {
    pub span_id: SpanId,
    pub parent_span_id: Option<SpanId>,
    pub trace_id: TraceId,
}

/// The `parent_span_id` input: a string names the parent, `null` makes a root, and an absent
/// key means the innermost span still open on the calling thread.
#[derive(Debug, Default, PartialEq)]
pub enum ParentChoice<'a> {
    #[default]
    InnermostOnThread,
    Root,
    Explicit(Cow<'a, str>),
}

/// Where and when a call happened: the fields every way of recording a call shares.
#[derive(Debug, Default)]
pub struct Placement<'a> {
    pub started_at: Option<f64>,
    pub ended_at: Option<f64>,
    pub duration_ms: Option<f64>,
    /// Checked JSON text.
    pub callsite: Option<&'a str>,
    pub span_id: Option<Cow<'a, str>>,
    pub parent_span_id: ParentChoice<'a>,
    pub trace_id: Option<Cow<'a, str>>,
}

/// The placement fields, accepted by every call input after its own.
const PLACEMENT_NAMES: [&str; 7] = [
    "started_at",
    "ended_at",
    "duration_ms",
    "callsite",
    "span_id",
    "parent_span_id",
    "trace_id",
];

impl<'a> Placement<'a> {
    /// Takes the placement field at `index` (in [`PLACEMENT_NAMES`]) from its member.
    fn take(
        &mut self,
        input: CallInputName,
        index: usize,
        key: &str,
        member: Member<'_, 'a>,
    ) -> Result<()> {
        if index == 3 {
            self.callsite = walk_callsite(input.callsite, member)?;
            return Ok(());
        }
        let what = Field(input.name, key);
        let value = member.text()?;
        let present = (value != "null").then_some(value);
        match index {
            0 => self.started_at = present.map(|v| number(what, v)).transpose()?,
            1 => self.ended_at = present.map(|v| number(what, v)).transpose()?,
            2 => self.duration_ms = present.map(|v| number(what, v)).transpose()?,
            4 => self.span_id = present.map(|v| string(what, v)).transpose()?,
            5 => self.parent_span_id = parent(what, present)?,
            _ => self.trace_id = present.map(|v| string(what, v)).transpose()?,
        }
        Ok(())
    }
}

/// How a call input and its callsite are named in messages.
#[derive(Clone, Copy)]
struct CallInputName {
    name: &'static str,
    callsite: &'static str,
}

const EVENT_JSON: CallInputName = CallInputName {
    name: "event_json",
    callsite: "event_json.callsite",
};

const EXCHANGE_JSON: CallInputName = CallInputName {
    name: "exchange_json",
    callsite: "exchange_json.callsite",
};

/// `parent_span_id` from its checked text: an id, or null for a root.
fn parent<'a>(what: Field, value: Option<&'a str>) -> Result<ParentChoice<'a>> {
    Ok(match value {
        Some(id) => ParentChoice::Explicit(string(what, id)?),
        None => ParentChoice::Root,
    })
}

/// One provider call as `aiobs_record_call` receives it, checked in one pass.
#[derive(Debug, Default)]
pub struct CallInput<'a> {
    pub provider: Cow<'a, str>,
    pub api: Cow<'a, str>,
    /// Checked JSON texts, kept verbatim.
    pub request: Option<&'a str>,
    pub response: Option<&'a str>,
    pub error: Option<Cow<'a, str>>,
    pub placement: Placement<'a>,
}

const CALL_NAMES: [&str; 5] = ["provider", "api", "request", "response", "error"];
const CALL_FIELDS: FieldNames = FieldNames::placed(&CALL_NAMES);

impl<'a> CallInput<'a> {
    pub fn parse(json: &'a str) -> Result<CallInput<'a>> {
        let mut input = CallInput::default();
        let mut seen = Fields::new("event_json", &CALL_FIELDS);
        json_check::walk_members("event_json", json, &mut |key, member| {
            let index = seen.first(key)?;
            if let Some(placed) = index.checked_sub(CALL_NAMES.len()) {
                return input.placement.take(EVENT_JSON, placed, key, member);
            }
            let what = Field("event_json", key);
            match index {
                2 => input.request = walk_payload(REQUEST, member)?,
                3 => input.response = walk_payload(RESPONSE, member)?,
                _ => {
                    let value = member.text()?;
                    match index {
                        0 => input.provider = string(what, value)?,
                        1 => input.api = string(what, value)?,
                        _ => {
                            input.error =
                                (value != "null").then(|| string(what, value)).transpose()?
                        }
                    }
                }
            }
            Ok(())
        })?;
        for (index, value) in [&input.provider, &input.api].into_iter().enumerate() {
            seen.require(index)?;
            if value.trim().is_empty() {
                return Err(Error::invalid(format!(
                    "event_json: {} must be a non-empty string",
                    CALL_NAMES[index]
                )));
            }
        }
        Ok(input)
    }
}

/// A recorded call's payload (`request` or `response`) and the one member of it that means
/// something in the export: `request.attempt` (the try of a retried call) and
/// `response.headers` (the kept response headers). A call may carry them only in the form the
/// core itself writes: an integer from 1, and an object of strings.
struct Payload {
    what: &'static str,
    key: &'static str,
    field: &'static str,
    wanted: &'static str,
    /// Whether the member's value is valid, and its text.
    valid: for<'s, 't> fn(Member<'s, 't>) -> Result<(bool, &'t str)>,
}

const REQUEST: Payload = Payload {
    what: "event_json.request",
    key: "attempt",
    field: "request.attempt",
    wanted: "an integer of 1 or more",
    valid: |value| {
        let text = value.text()?;
        Ok((text.parse::<u64>().is_ok_and(|n| n >= 1), text))
    },
};

const RESPONSE: Payload = Payload {
    what: "event_json.response",
    key: "headers",
    field: "response.headers",
    wanted: "an object of strings",
    valid: |value| {
        let mut strings = true;
        let object = value.object_or_text("event_json.response.headers", &mut |_, header| {
            strings &= header.text()?.starts_with('"');
            Ok(())
        })?;
        Ok((strings && object.starts_with('{'), object))
    },
};

/// A payload's checked text (`None` for null), walked once: its own member checked on the way.
fn walk_payload<'a>(payload: Payload, member: Member<'_, 'a>) -> Result<Option<&'a str>> {
    let text = member.object_or_text(payload.what, &mut |key, value| {
        if key != payload.key {
            return Ok(());
        }
        match (payload.valid)(value)? {
            (true, _) => Ok(()),
            (false, text) => Err(Error::invalid(format!(
                "event_json: {} must be {}, not {}",
                payload.field,
                payload.wanted,
                shown(text)
            ))),
        }
    })?;
    Ok((text != "null").then_some(text))
}

/// The facts of one HTTP exchange that `aiobs_record_http` receives beside the two bodies,
/// checked in one pass.
#[derive(Debug, Default)]
pub struct HttpInput<'a> {
    pub method: Cow<'a, str>,
    pub url: Cow<'a, str>,
    /// The response status; 0 (the default) when no response arrived.
    pub status: u16,
    pub content_type: Option<Cow<'a, str>>,
    pub transport_error: Option<Cow<'a, str>>,
    /// Every response header the binding saw; only the allow-list is kept.
    pub response_headers: ResponseHeaders,
    /// 1 for the first try (the default), 2 for the first retry, ...
    pub attempt: Option<u32>,
    pub placement: Placement<'a>,
}

const HTTP_NAMES: [&str; 7] = [
    "method",
    "url",
    "status",
    "content_type",
    "transport_error",
    "response_headers",
    "attempt",
];
const HTTP_FIELDS: FieldNames = FieldNames::placed(&HTTP_NAMES);

impl<'a> HttpInput<'a> {
    pub fn parse(json: &'a str) -> Result<HttpInput<'a>> {
        let mut input = HttpInput::default();
        let mut seen = Fields::new("exchange_json", &HTTP_FIELDS);
        json_check::walk_members("exchange_json", json, &mut |key, member| {
            let index = seen.first(key)?;
            if let Some(placed) = index.checked_sub(HTTP_NAMES.len()) {
                return input.placement.take(EXCHANGE_JSON, placed, key, member);
            }
            if index == 5 {
                input.response_headers =
                    ResponseHeaders::read_member("exchange_json.response_headers", member)?;
                return Ok(());
            }
            let what = Field("exchange_json", key);
            let value = member.text()?;
            let present = (value != "null").then_some(value);
            match index {
                0 => input.method = string(what, value)?,
                1 => input.url = string(what, value)?,
                2 => input.status = small(what, value)?,
                3 => input.content_type = present.map(|v| string(what, v)).transpose()?,
                4 => input.transport_error = present.map(|v| string(what, v)).transpose()?,
                _ => input.attempt = present.map(|v| small(what, v)).transpose()?,
            }
            Ok(())
        })?;
        seen.require(0)?;
        seen.require(1)?;
        if input.attempt == Some(0) {
            return Err(Error::invalid(
                "exchange_json: attempt must be at least 1 (1 is the first try)",
            ));
        }
        Ok(input)
    }
}

/// A call recorded through `aiobs_record_call`: already normalised by the caller. Its texts sit
/// in one part of warm memory (see [`crate::warm`]), so that keeping a call copies its texts once,
/// into pages already touched.
#[derive(Debug)]
pub struct RecordedCall {
    /// UTF-8: every part was copied from a `str`.
    text: Bytes,
    /// The first part, never empty.
    provider: TextRange,
    api: TextRange,
    /// Checked JSON texts, kept verbatim (without the whitespace around them).
    request: Option<TextRange>,
    response: Option<TextRange>,
    error: Option<TextRange>,
}

impl RecordedCall {
    pub fn new(
        provider: &str,
        api: &str,
        request: Option<&str>,
        response: Option<&str>,
        error: Option<&str>,
    ) -> RecordedCall {
        let request = request.map(trim_json);
        let response = response.map(trim_json);
        let optional = [request, response, error];
        let length =
            provider.len() + api.len() + optional.iter().flatten().map(|p| p.len()).sum::<usize>();
        let mut text = warm::take(length);
        let mut end = 0;
        let mut put = |part: &str| {
            let start = end;
            end += part.len();
            text[start..end].copy_from_slice(part.as_bytes());
            TextRange::new(start, end)
        };
        let provider = put(provider);
        let api = put(api);
        let [request, response, error] = optional.map(|part| part.map(&mut put));
        RecordedCall {
            text: text.freeze(),
            provider,
            api,
            request,
            response,
            error,
        }
    }

    pub fn provider(&self) -> &str {
        self.provider.get_utf8(&self.text)
    }

    pub fn api(&self) -> &str {
        self.api.get_utf8(&self.text)
    }

    /// The request's checked JSON text.
    pub fn request(&self) -> Option<&str> {
        self.request.map(|part| part.get_utf8(&self.text))
    }

    pub fn response(&self) -> Option<&str> {
        self.response.map(|part| part.get_utf8(&self.text))
    }

    pub fn error(&self) -> Option<&str> {
        self.error.map(|part| part.get_utf8(&self.text))
    }

    /// The bytes its texts take.
    pub fn text_bytes(&self) -> usize {
        self.text.len()
    }
}

/// A checked JSON text without the whitespace around it. JSON's whitespace is four of the ASCII
/// whitespace bytes, and checked JSON neither starts nor ends with the fifth (form feed), so
/// trimming ASCII whitespace (a plain byte loop) trims exactly JSON's.
fn trim_json(text: &str) -> &str {
    text.trim_ascii()
}

/// The value of a checked JSON text, to write verbatim; `None` never happens for a checked text.
pub fn raw_json(text: &str) -> Option<&RawValue> {
    serde_json::from_str(text).ok()
}

/// JSON text that `json_check` took (so every strict reader of the export takes it), copied
/// verbatim on the caller's thread and read as a JSON value only when the export is built.
#[derive(Clone, Debug)]
pub struct CheckedJson(Box<str>);

impl CheckedJson {
    /// `text` must have passed `json_check` (whitespace around it is dropped).
    pub fn copy(text: &str) -> CheckedJson {
        CheckedJson(trim_json(text).into())
    }

    pub fn text(&self) -> &str {
        &self.0
    }

    /// The value, to write verbatim; `None` never happens for a checked text.
    pub fn raw(&self) -> Option<&RawValue> {
        raw_json(&self.0)
    }
}

/// Shared, so that handing a call to the OTLP exporter as well costs no copy of its bodies.
#[derive(Clone, Debug)]
pub enum CallPayload {
    Recorded(Arc<RecordedCall>),
    /// A raw HTTP exchange, parsed into a call only when the export is built.
    Http(Arc<HttpCall>),
}

#[derive(Debug)]
pub struct HttpCall {
    pub exchange: crate::providers::HttpExchange,
    /// The content setting when the exchange was recorded: a later change does not reach back.
    pub capture_content: bool,
}

#[derive(Clone, Debug)]
pub struct CallEvent {
    pub session_id: SessionId,
    pub payload: CallPayload,
    pub timing: Timing,
    /// Checked by [`walk_callsite`], decoded at flush.
    pub callsite: Option<CheckedJson>,
    pub link: SpanLink,
}

impl CallEvent {
    pub fn callsite(&self) -> Option<Callsite> {
        self.callsite
            .as_ref()
            .and_then(|c| decode_callsite(c.text()))
    }
}

/// A callsite that [`walk_callsite`] took.
fn decode_callsite(text: &str) -> Option<Callsite> {
    serde_json::from_str(text).ok()
}

/// One traced function as `aiobs_span_begin` receives it: each value as the caller's text,
/// checked in one pass ([`json_check::members`]) and decoded only at flush, so beginning a span
/// copies its JSON once and allocates nothing else.
#[derive(Debug, Default)]
pub struct SpanInput<'a> {
    pub name: &'a str,
    pub module: Option<&'a str>,
    pub args: Option<&'a str>,
    pub kwargs: Option<&'a str>,
    pub enh_prompt: bool,
    pub auto_enhance_after: Option<u64>,
    pub callsite: Option<&'a str>,
    pub parent_span_id: ParentChoice<'a>,
    /// This span's own form of the `thread_parenting` setting (the setting when absent).
    pub thread_parenting: Option<bool>,
}

const SPAN_FIELDS: FieldNames = FieldNames::new(&[
    "name",
    "module",
    "args",
    "kwargs",
    "enh_prompt",
    "auto_enhance_after",
    "callsite",
    "parent_span_id",
    "thread_parenting",
]);

const CALLSITE_NAMES: [&str; 3] = ["file", "line", "function"];
const CALLSITE_FIELDS: FieldNames = FieldNames::new(&CALLSITE_NAMES);

impl<'a> SpanInput<'a> {
    pub fn parse(json: &'a str) -> Result<SpanInput<'a>> {
        let mut input = SpanInput::default();
        let mut seen = Fields::new("span_json", &SPAN_FIELDS);
        json_check::walk_members("span_json", json, &mut |key, member| {
            let index = seen.first(key)?;
            if index == 6 {
                input.callsite = walk_callsite("span_json.callsite", member)?;
                return Ok(());
            }
            let what = Field("span_json", key);
            let value = member.text()?;
            let present = (value != "null").then_some(value);
            match index {
                0 => input.name = value,
                1 => input.module = present.map(|v| is_string(what, v).map(|_| v)).transpose()?,
                2 => input.args = present,
                3 => input.kwargs = present,
                4 => input.enh_prompt = boolean(what, value)?,
                5 => input.auto_enhance_after = present.map(|v| integer(what, v)).transpose()?,
                7 => input.parent_span_id = parent(what, present)?,
                _ => input.thread_parenting = present.map(|v| boolean(what, v)).transpose()?,
            }
            Ok(())
        })?;
        seen.require(0)?;
        if string(Field("span_json", "name"), input.name)?
            .trim()
            .is_empty()
        {
            return Err(Error::invalid("span_json: name must be a non-empty string"));
        }
        Ok(input)
    }
}

/// A callsite object (`what` names it), walked in the pass over its input: `file` and
/// `function` strings, `line` an integer, each may be null. Returns its text (`None` for null),
/// decoded by [`decode_callsite`] at flush.
fn walk_callsite<'a>(what: &'static str, mut member: Member<'_, 'a>) -> Result<Option<&'a str>> {
    // Every binding writes a callsite as `{"file":"...","line":N,"function":"..."}`: read in
    // that form, it needs only its values' checks, the same as below and in the same order.
    let mut values = [""; 3];
    if let Some(text) = member.flat_object(&CALLSITE_NAMES, &mut values) {
        for (index, value) in values.into_iter().enumerate() {
            check_callsite_value(Field(what, CALLSITE_NAMES[index]), index, value)?;
        }
        return Ok(Some(text));
    }
    let mut seen = Fields::new(what, &CALLSITE_FIELDS);
    member.object_or_null(what, &mut |key, value| {
        let index = seen.first(key)?;
        check_callsite_value(Field(what, key), index, value.text()?)
    })
}

/// A callsite's value at `index` (in [`CALLSITE_NAMES`]): `line` an integer, the others strings,
/// any of them null.
fn check_callsite_value(what: Field, index: usize, value: &str) -> Result<()> {
    match value {
        "null" => Ok(()),
        value if index == 1 => small::<u32>(what, value).map(drop),
        value => is_string(what, value),
    }
}

/// The names of an input's known fields (for a call input, its own then the placement fields),
/// in a small hash table on each name's first eight bytes read as a number: a key is looked up
/// with one multiplication and, nearly always, one comparison of numbers; the rest of a name is
/// read only when the first eight bytes and the length match.
struct FieldNames {
    names: [&'static str; FieldNames::MOST],
    count: usize,
    heads: [u64; FieldNames::MOST],
    /// Open addressing: 0 for an empty slot, else 1 + the index of the name hashed there.
    slots: [u8; FieldNames::SLOTS],
}

impl FieldNames {
    /// More names than any input has.
    const MOST: usize = 16;
    /// Twice [`FieldNames::MOST`]: a probe always reaches an empty slot, and seldom a second.
    const SLOTS: usize = 32;

    const fn new(own: &[&'static str]) -> FieldNames {
        FieldNames::build(own, &[])
    }

    /// A call input's names: its own, then the placement fields.
    const fn placed(own: &[&'static str]) -> FieldNames {
        FieldNames::build(own, &PLACEMENT_NAMES)
    }

    const fn build(own: &[&'static str], then: &[&'static str]) -> FieldNames {
        let count = own.len() + then.len();
        assert!(count <= FieldNames::MOST);
        let mut names = [""; FieldNames::MOST];
        let mut heads = [0; FieldNames::MOST];
        let mut slots = [0; FieldNames::SLOTS];
        let mut i = 0;
        while i < count {
            let name = if i < own.len() {
                own[i]
            } else {
                then[i - own.len()]
            };
            names[i] = name;
            heads[i] = head(name.as_bytes());
            let mut slot = slot(heads[i], name.len());
            while slots[slot] != 0 {
                slot = (slot + 1) % FieldNames::SLOTS;
            }
            slots[slot] = (i + 1) as u8;
            i += 1;
        }
        FieldNames {
            names,
            count,
            heads,
            slots,
        }
    }

    fn texts(&self) -> &[&'static str] {
        &self.names[..self.count]
    }

    fn position(&self, key: &str) -> Option<usize> {
        let key_head = head(key.as_bytes());
        let tail = key.as_bytes().get(8..);
        let mut slot = slot(key_head, key.len());
        loop {
            let index = usize::from(self.slots[slot]).checked_sub(1)?;
            let name = self.names[index];
            if self.heads[index] == key_head
                && name.len() == key.len()
                && name.as_bytes().get(8..) == tail
            {
                return Some(index);
            }
            slot = (slot + 1) % FieldNames::SLOTS;
        }
    }
}

/// A name's slot in [`FieldNames`]: the top bits of its head and length, multiplied.
const fn slot(head: u64, len: usize) -> usize {
    ((head ^ len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 59) as usize
}

/// A name's first eight bytes (fewer for a shorter name, zeros after) as a little-endian number,
/// read in at most two loads (the two of a name of 4 to 7 bytes overlap on the same bytes).
const fn head(name: &[u8]) -> u64 {
    let n = name.len();
    if n >= 8 {
        u64::from_le_bytes([
            name[0], name[1], name[2], name[3], name[4], name[5], name[6], name[7],
        ])
    } else if n >= 4 {
        let first = u32::from_le_bytes([name[0], name[1], name[2], name[3]]) as u64;
        let last = u32::from_le_bytes([name[n - 4], name[n - 3], name[n - 2], name[n - 1]]) as u64;
        first | last << (8 * (n - 4))
    } else {
        let mut head = 0;
        let mut i = 0;
        while i < n {
            head |= (name[i] as u64) << (8 * i);
            i += 1;
        }
        head
    }
}

/// The known fields of an object input, each allowed once, as serde's derive allows them.
struct Fields {
    what: &'static str,
    names: &'static FieldNames,
    seen: u32,
}

impl Fields {
    fn new(what: &'static str, names: &'static FieldNames) -> Fields {
        Fields {
            what,
            names,
            seen: 0,
        }
    }

    /// The index of `key` among the names, the first time it comes.
    #[inline]
    fn first(&mut self, key: &str) -> Result<usize> {
        match self.names.position(key) {
            Some(index) if self.seen & (1 << index) == 0 => {
                self.seen |= 1 << index;
                Ok(index)
            }
            found => Err(self.refusal(key, found)),
        }
    }

    /// Why `key` is refused: unknown, or (`found`) known and already seen.
    #[cold]
    #[inline(never)]
    fn refusal(&self, key: &str, found: Option<usize>) -> Error {
        let what = self.what;
        match found {
            Some(_) => Error::invalid(format!("{what}: duplicate field `{key}`")),
            None => Error::invalid(format!(
                "{what}: unknown field `{key}`, expected one of {}",
                self.names.texts().join(", ")
            )),
        }
    }

    /// Fails unless the field at `index` came.
    fn require(&self, index: usize) -> Result<()> {
        if self.seen & (1 << index) == 0 {
            return Err(Error::invalid(format!(
                "{}: missing field `{}`",
                self.what,
                self.names.texts()[index]
            )));
        }
        Ok(())
    }
}

/// An input's field, named in messages as `prefix.key`; formatted only when one is written.
#[derive(Clone, Copy)]
struct Field<'k>(&'static str, &'k str);

impl std::fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// A checked value's text, shortened for a message.
fn shown(value: &str) -> &str {
    let mut end = value.len().min(40);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

/// The text of a checked JSON string token, borrowed unless it holds escapes.
fn string<'t>(what: Field, token: &'t str) -> Result<Cow<'t, str>> {
    json_check::string_value(token).ok_or_else(|| refused(what, "a string", token))
}

/// Fails unless a checked JSON token is a string, without decoding it: checked JSON that starts
/// with a quote is one string.
fn is_string(what: Field, token: &str) -> Result<()> {
    match token.as_bytes().first() {
        Some(b'"') => Ok(()),
        _ => Err(refused(what, "a string", token)),
    }
}

fn boolean(what: Field, token: &str) -> Result<bool> {
    match token {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(refused(what, "true or false", token)),
    }
}

/// A checked JSON number as a double (the scanner has refused what a double cannot hold).
fn number(what: Field, token: &str) -> Result<f64> {
    match token.as_bytes()[0] {
        b'-' | b'0'..=b'9' => token.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| refused(what, "a number", token))
}

/// A non-negative integer that fits `T` (a status, an attempt, a line).
fn small<T: TryFrom<u64>>(what: Field, token: &str) -> Result<T> {
    T::try_from(integer(what, token)?).map_err(|_| too_large(what, token))
}

fn integer(what: Field, token: &str) -> Result<u64> {
    token
        .parse()
        .map_err(|_| refused(what, "a non-negative integer", token))
}

// The refusals are cold and out of line, so the paths that accept keep a small frame.
#[cold]
#[inline(never)]
fn refused(what: Field, wanted: &str, token: &str) -> Error {
    Error::invalid(format!("{what} must be {wanted}, not {}", shown(token)))
}

#[cold]
#[inline(never)]
fn too_large(what: Field, token: &str) -> Error {
    Error::invalid(format!("{what} is too large: {}", shown(token)))
}

/// What the caller said of a traced function: its span JSON, copied once, and where each value
/// sits in it. Decoded when the export is built.
#[derive(Clone, Debug)]
pub struct SpanFields {
    text: Box<str>,
    name: TextRange,
    module: Option<TextRange>,
    args: Option<TextRange>,
    kwargs: Option<TextRange>,
    callsite: Option<TextRange>,
}

/// A traced function that has begun and not yet ended.
#[derive(Clone, Debug)]
pub struct OpenSpan {
    pub session_id: SessionId,
    pub fields: SpanFields,
    pub enh_prompt: bool,
    pub auto_enhance_after: Option<u64>,
    pub link: SpanLink,
    pub started_at: f64,
}

impl SpanFields {
    /// `input` must have been parsed from `json`.
    pub fn copy(json: &str, input: &SpanInput) -> SpanFields {
        let at = |part: &str| TextRange::within(json, part);
        SpanFields {
            text: json.into(),
            name: at(input.name),
            module: input.module.map(at),
            args: input.args.map(at),
            kwargs: input.kwargs.map(at),
            callsite: input.callsite.map(at),
        }
    }

    fn raw(&self, slice: TextRange) -> &str {
        slice.get(&self.text)
    }

    /// The text a checked string token decodes to.
    fn string(&self, slice: TextRange) -> Cow<'_, str> {
        json_check::string_value(self.raw(slice)).unwrap_or_default()
    }

    /// A checked JSON value, as the raw value the export writes verbatim.
    fn value(&self, slice: Option<TextRange>) -> Option<&RawValue> {
        slice.and_then(|s| raw_json(self.raw(s)))
    }

    pub fn name(&self) -> Cow<'_, str> {
        self.string(self.name)
    }

    pub fn module(&self) -> Option<Cow<'_, str>> {
        self.module.map(|s| self.string(s))
    }

    pub fn args(&self) -> Option<&RawValue> {
        self.value(self.args)
    }

    pub fn kwargs(&self) -> Option<&RawValue> {
        self.value(self.kwargs)
    }

    pub fn callsite(&self) -> Option<Callsite> {
        self.callsite.and_then(|s| decode_callsite(self.raw(s)))
    }

    /// The bytes the span's text takes.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }
}

/// A traced function that has ended: the `function_events` entry of the export.
#[derive(Clone, Debug)]
pub struct FunctionEvent {
    pub span: OpenSpan,
    pub result: Option<CheckedJson>,
    pub error: Option<Box<str>>,
    /// Not before the span began. (Its start and duration come from the span: one time less
    /// to hold for every ended span.)
    pub ended_at: f64,
    pub enh_prompt_id: Option<Box<str>>,
}

impl FunctionEvent {
    pub fn timing(&self) -> Timing {
        Timing::between(self.span.started_at, self.ended_at)
    }

    /// `<module>.<name>`, or the name alone, as the Python SDK's `api` field.
    pub fn api(&self) -> Cow<'_, str> {
        let fields = &self.span.fields;
        match fields.module() {
            Some(module) if !module.is_empty() => Cow::Owned(format!("{module}.{}", fields.name())),
            _ => fields.name(),
        }
    }

    pub fn result(&self) -> Option<&RawValue> {
        self.result.as_ref().and_then(CheckedJson::raw)
    }
}

/// An optional JSON document from the caller (NULL means `null`), checked and copied.
pub fn checked_value(what: &str, json: Option<&str>) -> Result<Option<CheckedJson>> {
    match json {
        None => Ok(None),
        Some(text) => {
            json_check::check_input(what, text)?;
            let value = CheckedJson::copy(text);
            Ok((value.text() != "null").then_some(value))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The span input as serde's derive reads it: the reference the one-pass parser must agree
    /// with on what it accepts and what each field decodes to.
    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Reference {
        name: String,
        #[serde(default)]
        module: Option<String>,
        #[serde(default)]
        args: Option<serde_json::Value>,
        #[serde(default)]
        kwargs: Option<serde_json::Value>,
        #[serde(default)]
        enh_prompt: bool,
        #[serde(default)]
        auto_enhance_after: Option<u64>,
        #[serde(default)]
        callsite: Option<Callsite>,
        #[serde(default)]
        parent_span_id: Option<Option<String>>,
        #[serde(default)]
        thread_parenting: Option<bool>,
    }

    /// What the parser and the stored span make of an input, in the reference's terms.
    fn parsed(json: &str) -> Option<Reference> {
        let input = SpanInput::parse(json).ok()?;
        let fields = SpanFields::copy(json, &input);
        let raw = |v: Option<&RawValue>| v.map(|v| serde_json::from_str(v.get()).unwrap());
        Some(Reference {
            name: fields.name().into_owned(),
            module: fields.module().map(Cow::into_owned),
            args: raw(fields.args()),
            kwargs: raw(fields.kwargs()),
            enh_prompt: input.enh_prompt,
            auto_enhance_after: input.auto_enhance_after,
            callsite: fields.callsite(),
            parent_span_id: match input.parent_span_id {
                ParentChoice::InnermostOnThread => None,
                ParentChoice::Root => Some(None),
                ParentChoice::Explicit(id) => Some(Some(id.into_owned())),
            },
            thread_parenting: input.thread_parenting,
        })
    }

    fn reference(json: &str) -> Option<Reference> {
        let mut r: Reference = serde_json::from_str(json).ok()?;
        if r.name.trim().is_empty() {
            return None;
        }
        // An explicit null is a root, as an absent key is not: serde folds null into None.
        if r.parent_span_id.is_none() && json.contains(r#""parent_span_id":null"#) {
            r.parent_span_id = Some(None);
        }
        // serde_json's own decoding refuses lone surrogates and numbers beyond a double too.
        Some(r)
    }

    #[test]
    fn span_input_agrees_with_serde() {
        let members = [
            r#""name":"research""#,
            r#""name":"r\u00e9search \"q\"""#,
            r#""name":"""#,
            r#""name":" ""#,
            r#""name":5"#,
            r#""name":null"#,
            r#""module":"app.pipeline""#,
            r#""module":null"#,
            r#""module":["app"]"#,
            r#""args":["What is an API?",{"k":[1,2.5,null]}]"#,
            r#""args":null"#,
            r#""args":[1e400]"#,
            r#""kwargs":{"depth":2}"#,
            r#""kwargs":"\ud800""#,
            r#""enh_prompt":true"#,
            r#""enh_prompt":null"#,
            r#""enh_prompt":1"#,
            r#""auto_enhance_after":3"#,
            r#""auto_enhance_after":-1"#,
            r#""auto_enhance_after":2.5"#,
            r#""auto_enhance_after":null"#,
            r#""callsite":{"file":"app/p.c","line":30,"function":"main"}"#,
            r#""callsite":{"file":"a\\b.c","line":null}"#,
            r#""callsite":{}"#,
            r#""callsite":null"#,
            r#""callsite":{"line":4294967296}"#,
            r#""callsite":{"file":1}"#,
            r#""callsite":{"lines":1}"#,
            r#""callsite":{"line":1,"line":2}"#,
            r#""callsite":"main""#,
            // The form bindings write, read without a walk, and near misses of it.
            r#""callsite":{"file":"a\"b\u00e9.c","line":0,"function":"f"}"#,
            r#""callsite":{"file":"a.c","line":4294967296,"function":"f"}"#,
            r#""callsite":{"file":1,"line":2,"function":"f"}"#,
            r#""callsite":{"file":"a.c","line":-1,"function":"f"}"#,
            r#""callsite":{"file":"a.c","line":1.5,"function":"f"}"#,
            r#""callsite":{"file":"a.c","line":"7","function":"f"}"#,
            r#""callsite":{"file":"a.c","line":7,"function":"f","x":1}"#,
            r#""callsite":{"file":"a.c","line":7,"function":"\ud800"}"#,
            r#""callsite":{"file":"a.c","line":7}"#,
            r#""callsite":{"file":"a.c", "line":7,"function":"f"}"#,
            r#""callsite":{"file":"a.c","line":07,"function":"f"}"#,
            r#""callsite":{"file":"a.c","line":7,"function":"f"]"#,
            r#""parent_span_id":"0123456789abcdef""#,
            r#""parent_span_id":"\u0030123456789abcdef""#,
            r#""parent_span_id":null"#,
            r#""parent_span_id":7"#,
            r#""thread_parenting":false"#,
            r#""thread_parenting":null"#,
            r#""thread_parenting":"no""#,
            r#""nme":"x""#,
            r#""na\u006de":"escaped key""#,
        ];
        let mut checked = 0;
        let mut accepted = 0;
        // Every member alone after a name, every pair, and each member twice.
        for (i, a) in members.iter().enumerate() {
            let mut inputs = vec![
                format!("{{{a}}}"),
                format!(r#"{{"name":"f",{a}}}"#),
                format!(" {{ {a} , {a} }} "),
            ];
            for b in &members[i + 1..] {
                inputs.push(format!(r#"{{"name":"f",{a},{b}}}"#));
                inputs.push(format!("{{{b},\n\t{a}}}"));
            }
            for json in inputs {
                let ours = parsed(&json);
                assert_eq!(ours, reference(&json), "{json}");
                checked += 1;
                accepted += usize::from(ours.is_some());
            }
        }
        assert!(
            accepted > 100 && checked - accepted > 100,
            "{accepted} of {checked}"
        );
        for bad in [
            "",
            "[]",
            "null",
            "{",
            r#"{"name":"f"} x"#,
            r#"{"name":"f",}"#,
        ] {
            assert_eq!(parsed(bad), None, "{bad}");
        }
    }

    /// `aiobs_record_call`'s input as serde's derive reads it.
    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct CallReference {
        provider: String,
        api: String,
        #[serde(default)]
        request: Option<serde_json::Value>,
        #[serde(default)]
        response: Option<serde_json::Value>,
        #[serde(default)]
        error: Option<String>,
        #[serde(default)]
        started_at: Option<f64>,
        #[serde(default)]
        ended_at: Option<f64>,
        #[serde(default)]
        duration_ms: Option<f64>,
        #[serde(default)]
        callsite: Option<Callsite>,
        #[serde(default)]
        span_id: Option<String>,
        #[serde(default)]
        parent_span_id: Option<String>,
        #[serde(default)]
        trace_id: Option<String>,
    }

    #[test]
    fn call_input_agrees_with_serde() {
        let ours = |json: &str| {
            let input = CallInput::parse(json).ok()?;
            let value = |v: Option<&str>| v.map(|v| serde_json::from_str(v).unwrap());
            let p = input.placement;
            Some(CallReference {
                provider: input.provider.into_owned(),
                api: input.api.into_owned(),
                request: value(input.request),
                response: value(input.response),
                error: input.error.map(Cow::into_owned),
                started_at: p.started_at,
                ended_at: p.ended_at,
                duration_ms: p.duration_ms,
                callsite: p.callsite.and_then(decode_callsite),
                span_id: p.span_id.map(Cow::into_owned),
                parent_span_id: match p.parent_span_id {
                    ParentChoice::Explicit(id) => Some(id.into_owned()),
                    _ => None,
                },
                trace_id: p.trace_id.map(Cow::into_owned),
            })
        };
        let reference = |json: &str| {
            let r: CallReference = serde_json::from_str(json).ok()?;
            (!r.provider.trim().is_empty() && !r.api.trim().is_empty()).then_some(r)
        };
        let members = [
            r#""request":{"messages":[{"role":"user","content":"hi \u00e9"}],"n":1}"#,
            r#""request":[1e400]"#,
            r#""response":"\udc00""#,
            r#""response":null"#,
            r#""error":"Boom: \"x\"""#,
            r#""error":3"#,
            r#""started_at":1700000000.25"#,
            r#""started_at":"1""#,
            r#""ended_at":17e8"#,
            r#""duration_ms":-0.5"#,
            r#""duration_ms":null"#,
            r#""callsite":{"file":"a.c","line":3,"function":null}"#,
            r#""callsite":{"line":true}"#,
            r#""span_id":"00000000000000ab""#,
            r#""span_id":12"#,
            r#""parent_span_id":"00000000000000ab""#,
            r#""trace_id":null"#,
            r#""provider":"openai""#,
            r#""api":" ""#,
            r#""model":"x""#,
        ];
        let (mut checked, mut accepted) = (0, 0);
        for (i, a) in members.iter().enumerate() {
            let mut inputs = vec![
                format!(r#"{{"provider":"p","api":"a",{a}}}"#),
                format!(r#"{{"api":"a",{a}}}"#),
            ];
            for b in &members[i + 1..] {
                inputs.push(format!(r#"{{"provider":"p",{b},"api":"a",{a}}}"#));
            }
            for json in inputs {
                let parsed = ours(&json);
                assert_eq!(parsed, reference(&json), "{json}");
                checked += 1;
                accepted += usize::from(parsed.is_some());
            }
        }
        assert!(
            accepted > 50 && checked - accepted > 50,
            "{accepted} of {checked}"
        );
    }

    /// Every known name is found, and a key one byte or one length away from it is not: the
    /// lookup compares a name's first eight bytes as a number and reads the rest only then.
    #[test]
    fn field_names_match_exactly() {
        for names in [&SPAN_FIELDS, &CALL_FIELDS, &HTTP_FIELDS, &CALLSITE_FIELDS] {
            for (index, name) in names.texts().iter().enumerate() {
                assert_eq!(names.position(name), Some(index));
                let mut near = vec![
                    format!("{name}\0"),
                    format!("{name}x"),
                    name[1..].to_owned(),
                ];
                for at in 0..name.len() {
                    let mut bytes = name.as_bytes().to_vec();
                    bytes[at] ^= 0x20;
                    near.push(String::from_utf8(bytes).unwrap());
                }
                for key in near {
                    assert_eq!(names.position(&key), None, "{key:?}");
                }
            }
        }
    }

    /// A callsite in the form bindings write is read without a walk; a problem in it reads the
    /// same as in any other form (here with a space before the brace, which takes the walk and
    /// moves no offset before it).
    #[test]
    fn a_flat_callsite_fails_as_any_other_does() {
        let message = |callsite: &str| {
            SpanInput::parse(&format!(r#"{{"name":"f","callsite":{callsite}}}"#))
                .err()
                .map(|error| error.to_string())
        };
        for values in [
            r#""file":"a.c","line":4294967296,"function":"f""#,
            r#""file":1,"line":2,"function":"f""#,
            r#""file":"a.c","line":-1,"function":"f""#,
            r#""file":"a.c","line":"7","function":"f""#,
            r#""file":"a.c","line":7,"function":3"#,
            r#""file":"a.c","line":7,"function":"\ud800""#,
            r#""file":"a\x.c","line":7,"function":"f""#,
            r#""file":"a.c","line":07,"function":"f""#,
        ] {
            let flat = message(&format!("{{{values}}}"));
            assert!(flat.is_some(), "{values}");
            assert_eq!(flat, message(&format!("{{{values} }}")), "{values}");
        }
        assert_eq!(message(r#"{"file":"a.c","line":7,"function":"f"}"#), None);
    }

    #[test]
    fn span_input_errors_name_the_field() {
        let message = |json: &str| SpanInput::parse(json).unwrap_err().message;
        assert!(message(r#"{"name":"f","nme":1}"#).contains("unknown field `nme`"));
        assert!(message(r#"{"name":"f","name":"g"}"#).contains("duplicate field `name`"));
        assert!(message(r#"{"module":"m"}"#).contains("missing field `name`"));
        assert!(message(r#"{"name":"f","enh_prompt":1}"#).contains("span_json.enh_prompt"));
        assert!(message(r#"{"name":"f","callsite":{"line":-1}}"#).contains("callsite.line"));
        assert!(message(r#"{"name":"f","args":[1e400]}"#).starts_with("span_json.args: "));
        assert_eq!(
            SpanInput::parse("{").unwrap_err().kind,
            crate::ErrorKind::InvalidJson
        );
        assert_eq!(
            SpanInput::parse("[]").unwrap_err().kind,
            crate::ErrorKind::InvalidArgument
        );
    }

    #[test]
    fn timing_fills_what_is_missing() {
        let t = Timing::resolve(None, None, None, 100.0).unwrap();
        assert_eq!(
            (t.started_at, t.ended_at, t.duration_ms),
            (100.0, 100.0, 0.0)
        );
        let t = Timing::resolve(Some(1.0), Some(1.75), None, 9.0).unwrap();
        assert_eq!(t.duration_ms, 750.0);
        let t = Timing::resolve(None, Some(10.0), Some(500.0), 99.0).unwrap();
        assert_eq!((t.started_at, t.duration_ms), (9.5, 500.0));
        let t = Timing::resolve(Some(100.0), None, Some(500.0), 9e9).unwrap();
        assert_eq!((t.ended_at, t.duration_ms), (100.5, 500.0));
        let t = Timing::resolve(None, None, Some(250.0), 50.0).unwrap();
        assert_eq!((t.started_at, t.ended_at), (49.75, 50.0));
        let t = Timing::resolve(Some(1.0), Some(1.0001234567), None, 9.0).unwrap();
        assert_eq!(t.duration_ms, 0.123);
    }

    #[test]
    fn timing_refuses_impossible_values() {
        assert!(Timing::resolve(Some(2.0), Some(1.0), None, 0.0).is_err());
        assert!(Timing::resolve(Some(-1.0), None, None, 0.0).is_err());
        assert!(Timing::resolve(None, None, Some(f64::NAN), 0.0).is_err());
        assert!(Timing::resolve(Some(0.0), Some(1e308), None, 0.0).is_err());
        assert!(Timing::resolve(None, None, Some(1.5e306), 10.0).is_err());
        assert!(Timing::resolve(None, Some(1.0), Some(5000.0), 10.0).is_err());
        assert!(Timing::resolve(Some(1e300), None, Some(1e306), 10.0).is_err());
    }

    #[test]
    fn parent_choice_distinguishes_absent_null_and_string() {
        let absent = CallInput::parse(r#"{"provider":"p","api":"a"}"#).unwrap();
        assert_eq!(
            absent.placement.parent_span_id,
            ParentChoice::InnermostOnThread
        );
        let root = CallInput::parse(r#"{"provider":"p","api":"a","parent_span_id":null}"#).unwrap();
        assert_eq!(root.placement.parent_span_id, ParentChoice::Root);
        let named =
            CallInput::parse(r#"{"provider":"p","api":"a","parent_span_id":"00000000000000ab"}"#)
                .unwrap();
        assert_eq!(
            named.placement.parent_span_id,
            ParentChoice::Explicit("00000000000000ab".into())
        );
    }

    #[test]
    fn call_input_names_what_is_wrong() {
        let err = CallInput::parse(r#"{"provider":"p"}"#).err().unwrap();
        assert!(err.message.contains("api"), "{}", err.message);
        let err = CallInput::parse(r#"{"provider":"p","api":"a","colour":1}"#)
            .err()
            .unwrap();
        assert!(err.message.contains("colour"), "{}", err.message);
        let err = CallInput::parse(r#"{"provider":" ","api":"a"}"#)
            .err()
            .unwrap();
        assert!(err.message.contains("provider"), "{}", err.message);
        let err = CallInput::parse(r#"{"provider":1,"api":"a"}"#)
            .err()
            .unwrap();
        assert_eq!(err.kind, crate::error::ErrorKind::InvalidArgument);
        let err = CallInput::parse(r#"{"provider":"p","api":"a""#)
            .err()
            .unwrap();
        assert_eq!(err.kind, crate::error::ErrorKind::InvalidJson);
    }

    #[test]
    fn call_input_refuses_what_the_export_would_misread() {
        for event in [
            r#"{"provider":"p","api":"a","request":{"attempt":0}}"#,
            r#"{"provider":"p","api":"a","request":{"att\u0065mpt":1.5}}"#,
            r#"{"provider":"p","api":"a","request":{"attempt":null}}"#,
            r#"{"provider":"p","api":"a","response":{"headers":{"retry-after":5}}}"#,
            r#"{"provider":"p","api":"a","response":{"headers":[]}}"#,
        ] {
            let err = CallInput::parse(event).err().unwrap();
            assert_eq!(
                err.kind,
                crate::error::ErrorKind::InvalidArgument,
                "{event}"
            );
        }
        for event in [
            r#"{"provider":"p","api":"a","request":{"attempt":2,"model":"m"}}"#,
            r#"{"provider":"p","api":"a","request":[{"attempt":0}]}"#,
            r#"{"provider":"p","api":"a","request":{"x":{"attempt":0}},"response":{"headers":{"x-request-id":"r"}}}"#,
        ] {
            CallInput::parse(event).unwrap();
        }
    }

    #[test]
    fn escaped_strings_are_accepted() {
        let input =
            CallInput::parse(r#"{"provider":"open\"ai","api":"a\u00e9","error":"E: \n"}"#).unwrap();
        assert_eq!(input.provider, "open\"ai");
        assert_eq!(input.api, "aé");
    }
}
