//! Recording provider calls.

use std::ffi::c_char;

use crate::Store;
use crate::ffi::boundary::run;
use crate::ffi::status::aiobs_status;
use crate::ffi::strings::{bytes, required};

/// Records one provider call into the active session, from a JSON object with the fields:
/// - `provider`, `api`: required non-empty strings (e.g. `"openai"`, `"chat.completions.create"`);
/// - `request`, `response`: any JSON (default null), kept verbatim. So that every reader can
///   load the export, each is refused with `AIOBS_ERR_INVALID_JSON` naming it
///   (`event_json.request`) when nested deeper than 64 levels of arrays and objects, when it
///   holds a lone surrogate escape (`"\ud800"`), or a number beyond a double (`1e400`);
/// - `error`: string or null;
/// - `started_at`, `ended_at`: Unix seconds (float); the end defaults to now, the start to the end;
/// - `duration_ms`: derived from the two when absent;
/// - `callsite`: `{"file": string|null, "line": int|null, "function": string|null}`;
/// - `span_id` (16 lowercase hex digits; generated when absent), `trace_id` (32 hex digits;
///   inherited from the parent span, or generated);
/// - `parent_span_id`: a span id names the parent, `null` makes the call a root, and an absent
///   key means the innermost span still open on the calling thread (a root when the
///   `thread_parenting` setting is off).
///
/// Unknown keys are an error. With no active session it returns `AIOBS_ERR_NO_SESSION` and
/// records nothing. The call only validates, copies and appends; the export is built at flush.
/// Safe to call from any thread at any time, concurrently.
///
/// # Safety
/// `event_json` is NULL or NUL-terminated; `error_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_record_call(
    event_json: *const c_char,
    error_out: *mut *mut c_char,
) -> aiobs_status {
    // SAFETY: the caller's guarantees are those of each helper.
    unsafe {
        run(error_out, || {
            let json = required(event_json, "event_json")?;
            Store::global().record_call(json)
        })
    }
}

/// Records one HTTP exchange with an LLM provider; the core parses it into an event at flush,
/// the same way for every language. `exchange_json` is an object with the fields:
/// - `method`, `url`: required strings (the full URL; credentials in it are never recorded);
/// - `status`: the HTTP status, or 0 (default) when no response arrived;
/// - `content_type`: the response's content type, or null;
/// - `transport_error`: why the exchange failed, or null: before a response (status 0), or
///   after a 2xx status when reading the body broke off (the response keeps what arrived);
/// - `response_headers`: every response header the binding saw, as an object of name (any
///   case) -> string or array of strings (a repeated header). Only an allow-list is kept:
///   request ids (`x-request-id`, `request-id`, `apim-request-id`, `x-goog-request-id`),
///   processing time (`openai-processing-ms`, `server-timing`), `openai-version`, and the
///   rate-limit and retry headers (`x-ratelimit-*`, `retry-after`, `retry-after-ms`). Never an
///   authorization, cookie, key, token or account (`openai-organization`) header; the others
///   are dropped before the call returns. Request headers are never passed;
/// - `attempt`: integer >= 1, 1 (the default) for the first try, 2 for the first retry: a
///   binding over an official client passes `X-Stainless-Retry-Count + 1`;
/// - `started_at`, `ended_at`, `duration_ms`, `callsite`, `span_id`, `trace_id`,
///   `parent_span_id`: as in `aiobs_record_call`.
///
/// The exported event has `request.attempt` and, when there is a response, `response.headers`
/// (the kept headers, lower-case name -> string, `{}` when none was kept; repeated values joined
/// with `", "`). Each try of a retried call is an event of its own. A streamed response that
/// ends before its end marker (`[DONE]`, a terminal Responses event, a Gemini finish reason)
/// keeps what arrived, with `stream_complete: false` and a non-null `error`: the
/// `transport_error` when one was given, else a message saying the stream ended early.
///
/// The bodies are raw bytes (any encoding, possibly an SSE stream or cut short): `request_body`
/// and `response_body` may be NULL only when their length is 0. They are borrowed for the call
/// and copied; a body over `max_input_bytes` keeps its first `max_input_bytes` bytes. Bodies
/// are never refused: at flush, lone surrogate escapes become U+FFFD, numbers beyond a double
/// become null, and values nested deeper than 64 levels become null, each said in the record's
/// `capture_error`.
///
/// A URL that is no known OpenAI or Gemini endpoint returns `AIOBS_ERR_NOT_LLM_ENDPOINT` and
/// records nothing, so a binding can hand over every exchange of an HTTP client. With no active
/// session: `AIOBS_ERR_NO_SESSION`. Safe to call from any thread at any time, concurrently.
///
/// # Safety
/// `exchange_json` is NULL or NUL-terminated; each body pointer is NULL or valid for reading its
/// length in bytes; `error_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_record_http(
    exchange_json: *const c_char,
    request_body: *const u8,
    request_body_len: usize,
    response_body: *const u8,
    response_body_len: usize,
    error_out: *mut *mut c_char,
) -> aiobs_status {
    // SAFETY: the caller's guarantees are those of each helper.
    unsafe {
        run(error_out, || {
            let json = required(exchange_json, "exchange_json")?;
            let request = bytes(request_body, request_body_len, "request_body")?;
            let response = bytes(response_body, response_body_len, "response_body")?;
            Store::global().record_http(json, request, response)
        })
    }
}

/// Says whether an HTTP exchange would be recorded now, before a binding tees its bodies:
/// `AIOBS_OK` when `method` `url` is a known OpenAI or Gemini endpoint and a session is active,
/// else `AIOBS_ERR_NOT_LLM_ENDPOINT` or `AIOBS_ERR_NO_SESSION`, as `aiobs_record_http` would
/// answer. Nothing is recorded. The answer can change before the exchange ends (another thread
/// may end the session); `aiobs_record_http` decides again. Safe to call from any thread at any
/// time.
///
/// # Safety
/// `method` and `url` are NULL or NUL-terminated; `error_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_http_check(
    method: *const c_char,
    url: *const c_char,
    error_out: *mut *mut c_char,
) -> aiobs_status {
    // SAFETY: the caller's guarantees are those of each helper.
    unsafe {
        run(error_out, || {
            let method = required(method, "method")?;
            let url = required(url, "url")?;
            Store::global().http_check(method, url)
        })
    }
}
