//! Function tracing: the `@observe` decorator of other SDKs, as a begin/end pair.

use std::ffi::c_char;

use crate::Store;
use crate::ffi::boundary::run;
use crate::ffi::status::aiobs_status;
use crate::ffi::strings::{optional, put_string, required};

/// Opens a span for one call of a traced function, from a JSON object with the fields:
/// - `name`: required non-empty string (the function's display name);
/// - `module`: string or null (the export's `api` is `<module>.<name>`);
/// - `args`, `kwargs`: any JSON or null (null when arguments are not captured), within the
///   limits of `request` in `aiobs_record_call` (else `AIOBS_ERR_INVALID_JSON` naming
///   `span_json.args` or `span_json.kwargs`);
/// - `enh_prompt`: bool (default false): the ended span gets a fresh `enh_prompt_id`;
/// - `auto_enhance_after`: non-negative integer or null;
/// - `callsite`: as in `aiobs_record_call`;
/// - `parent_span_id`: a span id names the parent, `null` makes a root, and an absent key means
///   the innermost span still open on the calling thread (a root when thread parenting is off);
/// - `thread_parenting`: bool, default the `thread_parenting` setting: this span's own form of it.
///
/// With thread parenting on, the span becomes the innermost open span of the calling thread, so
/// calls and spans recorded on this thread until it ends get it as their parent; with it off the
/// calling thread's spans are left as they were. Children inherit the root's trace id.
/// `span_id_out` (must not be NULL) receives the span id (16 lowercase hex digits), owned by the
/// caller: free it with `aiobs_string_free`. With no active session: `AIOBS_ERR_NO_SESSION`,
/// nothing opened. Safe to call from any thread at any time.
///
/// # Safety
/// `span_json` is NULL or NUL-terminated; out-parameters are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_span_begin(
    span_json: *const c_char,
    span_id_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> aiobs_status {
    // SAFETY: the caller's guarantees are those of each helper.
    unsafe {
        run(error_out, || {
            let json = required(span_json, "span_json")?;
            if span_id_out.is_null() {
                return Err(crate::Error::invalid("span_id_out must not be NULL"));
            }
            let id = Store::global().span_begin(json)?;
            put_string(span_id_out, id);
            Ok(())
        })
    }
}

/// Opens a span as `aiobs_span_begin` does, and writes its id (16 lowercase hex digits and a
/// NUL: `AIOBS_SPAN_ID_SIZE` bytes) into `span_id_buf`, which the caller owns and which must
/// have room for `AIOBS_SPAN_ID_SIZE` bytes. No string is allocated, so a binding makes one call
/// per begin and none to free the id. `span_id_buf` is written only on `AIOBS_OK`; NULL gives
/// `AIOBS_ERR_INVALID_ARGUMENT` and opens nothing. Safe to call from any thread at any time.
///
/// # Safety
/// `span_json` is NULL or NUL-terminated; `span_id_buf` is NULL or writable for
/// `AIOBS_SPAN_ID_SIZE` bytes; `error_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_span_begin_into(
    span_json: *const c_char,
    span_id_buf: *mut c_char,
    error_out: *mut *mut c_char,
) -> aiobs_status {
    // SAFETY: the caller's guarantees are those of each helper, and `span_id_buf` has room for
    // AIOBS_SPAN_ID_SIZE bytes.
    unsafe {
        run(error_out, || {
            let json = required(span_json, "span_json")?;
            if span_id_buf.is_null() {
                return Err(crate::Error::invalid("span_id_buf must not be NULL"));
            }
            let digits = Store::global().begin_span(json)?.hex();
            std::ptr::copy_nonoverlapping(
                digits.as_ptr().cast::<c_char>(),
                span_id_buf,
                digits.len(),
            );
            *span_id_buf.add(digits.len()) = 0;
            Ok(())
        })
    }
}

/// Ends an open span and records it as a function event of the session it began in.
/// - `result_json`: the return value as JSON, or NULL (null: none, or not captured), within the
///   limits of `request` in `aiobs_record_call` (else `AIOBS_ERR_INVALID_JSON`; the span stays
///   open);
/// - `error`: NULL, or the failure as `"<ErrorType>: <message>"`.
///
/// The span may end on another thread than the one that began it. An id that is not open
/// (never began, ended already, malformed) gives `AIOBS_ERR_UNKNOWN_SPAN` or
/// `AIOBS_ERR_INVALID_ARGUMENT` and changes nothing. A span that stayed open longer than
/// `max_span_age_seconds` was closed as abandoned by a flush (recorded with the error
/// `AbandonedSpan: ...` and counted in `aiobs_stats`): ending it afterwards gives
/// `AIOBS_ERR_UNKNOWN_SPAN` and records nothing more. Safe to call from any thread at any time.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `error_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_span_end(
    span_id: *const c_char,
    result_json: *const c_char,
    error: *const c_char,
    error_out: *mut *mut c_char,
) -> aiobs_status {
    // SAFETY: the caller's guarantees are those of each helper.
    unsafe {
        run(error_out, || {
            let span_id = required(span_id, "span_id")?;
            let result = optional(result_json, "result_json")?;
            let error = optional(error, "error")?;
            Store::global().span_end(span_id, result, error)
        })
    }
}
