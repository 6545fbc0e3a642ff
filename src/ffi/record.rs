//! Recording provider calls.

use std::ffi::c_char;

use crate::Store;
use crate::ffi::boundary::run;
use crate::ffi::status::aiobs_status;
use crate::ffi::strings::required;

/// Records one provider call into the active session, from a JSON object with the fields:
/// - `provider`, `api`: required non-empty strings (e.g. `"openai"`, `"chat.completions.create"`);
/// - `request`, `response`: any JSON (default null), kept verbatim;
/// - `error`: string or null;
/// - `started_at`, `ended_at`: Unix seconds (float); the end defaults to now, the start to the end;
/// - `duration_ms`: derived from the two when absent;
/// - `callsite`: `{"file": string|null, "line": int|null, "function": string|null}`;
/// - `span_id` (16 lowercase hex digits; generated when absent), `trace_id` (32 hex digits;
///   inherited from the parent span, or generated);
/// - `parent_span_id`: a span id names the parent, `null` makes the call a root, and an absent
///   key means the innermost span still open on the calling thread.
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
