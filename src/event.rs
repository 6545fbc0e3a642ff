//! The events the store keeps, and the JSON inputs they are made from.
//!
//! Recording must stay cheap, so an event keeps the caller's `request`, `response`, `args`,
//! `kwargs` and `result` as raw JSON text (validated, copied once, never re-parsed): memory stays
//! close to the input's size and the export writes the text back verbatim.

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::ids::{SpanId, TraceId};
use crate::json_check;
use crate::providers::ResponseHeaders;

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

impl<'de: 'a, 'a> Deserialize<'de> for ParentChoice<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        Ok(match Option::<Cow<'a, str>>::deserialize(deserializer)? {
            Some(id) => ParentChoice::Explicit(id),
            None => ParentChoice::Root,
        })
    }
}

/// Where and when a call happened: the fields every way of recording a call shares.
#[derive(Debug, Default)]
pub struct Placement<'a> {
    pub started_at: Option<f64>,
    pub ended_at: Option<f64>,
    pub duration_ms: Option<f64>,
    pub callsite: Option<Callsite>,
    pub span_id: Option<Cow<'a, str>>,
    pub parent_span_id: ParentChoice<'a>,
    pub trace_id: Option<Cow<'a, str>>,
}

/// Declares a call input: its own fields, then the placement fields every call input accepts
/// (`started_at`, `ended_at`, `duration_ms`, `callsite`, `span_id`, `parent_span_id`,
/// `trace_id`), with `take_placement` to move those out.
macro_rules! call_input {
    ($(#[$meta:meta])* pub struct $name:ident<$lt:lifetime> { $($fields:tt)* }) => {
        $(#[$meta])*
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name<$lt> {
            $($fields)*
            #[serde(default)]
            pub started_at: Option<f64>,
            #[serde(default)]
            pub ended_at: Option<f64>,
            #[serde(default)]
            pub duration_ms: Option<f64>,
            #[serde(default)]
            pub callsite: Option<Callsite>,
            #[serde(default, borrow)]
            pub span_id: Option<Cow<$lt, str>>,
            #[serde(default, borrow)]
            pub parent_span_id: ParentChoice<$lt>,
            #[serde(default, borrow)]
            pub trace_id: Option<Cow<$lt, str>>,
        }

        impl<$lt> $name<$lt> {
            pub fn take_placement(&mut self) -> Placement<$lt> {
                Placement {
                    started_at: self.started_at,
                    ended_at: self.ended_at,
                    duration_ms: self.duration_ms,
                    callsite: self.callsite.take(),
                    span_id: self.span_id.take(),
                    parent_span_id: std::mem::take(&mut self.parent_span_id),
                    trace_id: self.trace_id.take(),
                }
            }
        }
    };
}

call_input! {
    /// One provider call as `aiobs_record_call` receives it.
    pub struct CallInput<'a> {
        #[serde(borrow)]
        pub provider: Cow<'a, str>,
        #[serde(borrow)]
        pub api: Cow<'a, str>,
        #[serde(default, borrow)]
        pub request: Option<&'a RawValue>,
        #[serde(default, borrow)]
        pub response: Option<&'a RawValue>,
        #[serde(default, borrow)]
        pub error: Option<Cow<'a, str>>,
    }
}

impl<'a> CallInput<'a> {
    pub fn parse(json: &'a str) -> Result<CallInput<'a>> {
        let input: CallInput =
            serde_json::from_str(json).map_err(|e| Error::from_json("event_json", &e))?;
        for (name, value) in [("provider", &input.provider), ("api", &input.api)] {
            if value.trim().is_empty() {
                return Err(Error::invalid(format!(
                    "event_json: {name} must be a non-empty string"
                )));
            }
        }
        check_raw("event_json.request", input.request)?;
        check_raw("event_json.response", input.response)?;
        check_captured_field(input.request, "attempt", "request.attempt")?;
        check_captured_field(input.response, "headers", "response.headers")?;
        Ok(input)
    }
}

/// `request.attempt` and `response.headers` mean something in the export (the try of a
/// retried call, the kept response headers), so a recorded call may carry them only in the
/// form the core itself writes: an integer from 1, and an object of strings.
fn check_captured_field(payload: Option<&RawValue>, key: &str, what: &str) -> Result<()> {
    let Some(payload) = payload else {
        return Ok(());
    };
    let text = payload.get();
    // Most payloads never name the key: skip the second parse unless the key, or an escape
    // that could spell it, is in the text.
    if !text.starts_with('{') || !(text.contains(key) || text.contains("\\u")) {
        return Ok(());
    }
    let mut object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
        .map_err(|e| Error::invalid(format!("event_json: {what}: {e}")))?;
    let Some(value) = object.remove(key) else {
        return Ok(());
    };
    let valid = match key {
        "attempt" => value.as_u64().is_some_and(|n| n >= 1),
        _ => value
            .as_object()
            .is_some_and(|headers| headers.values().all(serde_json::Value::is_string)),
    };
    if valid {
        Ok(())
    } else {
        let wanted = match key {
            "attempt" => "an integer of 1 or more",
            _ => "an object of strings",
        };
        Err(Error::invalid(format!(
            "event_json: {what} must be {wanted}, not {value}"
        )))
    }
}

call_input! {
    /// The facts of one HTTP exchange that `aiobs_record_http` receives beside the two bodies.
    pub struct HttpInput<'a> {
        #[serde(borrow)]
        pub method: Cow<'a, str>,
        #[serde(borrow)]
        pub url: Cow<'a, str>,
        /// The response status; 0 (the default) when no response arrived.
        #[serde(default)]
        pub status: u16,
        #[serde(default, borrow)]
        pub content_type: Option<Cow<'a, str>>,
        #[serde(default, borrow)]
        pub transport_error: Option<Cow<'a, str>>,
        /// Every response header the binding saw; only the allow-list is kept.
        #[serde(default)]
        pub response_headers: ResponseHeaders,
        /// 1 for the first try (the default), 2 for the first retry, ...
        #[serde(default)]
        pub attempt: Option<u32>,
    }
}

impl<'a> HttpInput<'a> {
    pub fn parse(json: &'a str) -> Result<HttpInput<'a>> {
        let input: HttpInput =
            serde_json::from_str(json).map_err(|e| Error::from_json("exchange_json", &e))?;
        if input.attempt == Some(0) {
            return Err(Error::invalid(
                "exchange_json: attempt must be at least 1 (1 is the first try)",
            ));
        }
        Ok(input)
    }
}

/// A call recorded through `aiobs_record_call`: already normalised by the caller.
#[derive(Debug)]
pub struct RecordedCall {
    pub provider: Box<str>,
    pub api: Box<str>,
    pub request: Option<Box<RawValue>>,
    pub response: Option<Box<RawValue>>,
    pub error: Option<Box<str>>,
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
    pub callsite: Option<Box<Callsite>>,
    pub link: SpanLink,
}

/// One traced function as `aiobs_span_begin` receives it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpanInput<'a> {
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    #[serde(default, borrow)]
    pub module: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub args: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub kwargs: Option<&'a RawValue>,
    #[serde(default)]
    pub enh_prompt: bool,
    #[serde(default)]
    pub auto_enhance_after: Option<u64>,
    #[serde(default)]
    pub callsite: Option<Callsite>,
    #[serde(default, borrow)]
    pub parent_span_id: ParentChoice<'a>,
    /// This span's own form of the `thread_parenting` setting (the setting when absent).
    #[serde(default)]
    pub thread_parenting: Option<bool>,
}

impl<'a> SpanInput<'a> {
    pub fn parse(json: &'a str) -> Result<SpanInput<'a>> {
        let input: SpanInput =
            serde_json::from_str(json).map_err(|e| Error::from_json("span_json", &e))?;
        if input.name.trim().is_empty() {
            return Err(Error::invalid("span_json: name must be a non-empty string"));
        }
        check_raw("span_json.args", input.args)?;
        check_raw("span_json.kwargs", input.kwargs)?;
        Ok(input)
    }
}

/// A traced function that has begun and not yet ended.
#[derive(Clone, Debug)]
pub struct OpenSpan {
    pub session_id: SessionId,
    pub name: Box<str>,
    pub module: Option<Box<str>>,
    pub args: Option<Box<RawValue>>,
    pub kwargs: Option<Box<RawValue>>,
    pub enh_prompt: bool,
    pub auto_enhance_after: Option<u64>,
    pub callsite: Option<Box<Callsite>>,
    pub link: SpanLink,
    pub started_at: f64,
}

/// A traced function that has ended: the `function_events` entry of the export.
#[derive(Clone, Debug)]
pub struct FunctionEvent {
    pub span: OpenSpan,
    pub result: Option<Box<RawValue>>,
    pub error: Option<Box<str>>,
    pub timing: Timing,
    pub enh_prompt_id: Option<Box<str>>,
}

impl FunctionEvent {
    /// `<module>.<name>`, or the name alone, as the Python SDK's `api` field.
    pub fn api(&self) -> Cow<'_, str> {
        match &self.span.module {
            Some(module) if !module.is_empty() => {
                Cow::Owned(format!("{module}.{}", self.span.name))
            }
            _ => Cow::Borrowed(&self.span.name),
        }
    }
}

/// Copies a borrowed raw JSON value out of the caller's buffer.
pub fn own_raw(raw: Option<&RawValue>) -> Option<Box<RawValue>> {
    raw.map(RawValue::to_owned)
}

/// A value kept verbatim must be one every strict reader of the export takes (see
/// `json_check`); serde_json has checked its grammar already.
fn check_raw(what: &str, raw: Option<&RawValue>) -> Result<()> {
    raw.map_or(Ok(()), |raw| json_check::check_input(what, raw.get()))
}

/// An optional JSON document from the caller (NULL means `null`), validated and copied.
pub fn parse_raw(what: &str, json: Option<&str>) -> Result<Option<Box<RawValue>>> {
    match json {
        None => Ok(None),
        Some(text) => {
            json_check::check_input(what, text)?;
            let raw: &RawValue =
                serde_json::from_str(text).map_err(|e| Error::from_json(what, &e))?;
            Ok((raw.get() != "null").then(|| raw.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(absent.parent_span_id, ParentChoice::InnermostOnThread);
        let root = CallInput::parse(r#"{"provider":"p","api":"a","parent_span_id":null}"#).unwrap();
        assert_eq!(root.parent_span_id, ParentChoice::Root);
        let named =
            CallInput::parse(r#"{"provider":"p","api":"a","parent_span_id":"00000000000000ab"}"#)
                .unwrap();
        assert_eq!(
            named.parent_span_id,
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
