//! What the store holds and has done, for health checks and metrics.

use std::ffi::c_char;

use crate::Store;
use crate::ffi::boundary::run;
use crate::ffi::status::aiobs_status;
use crate::ffi::strings::put_string;

/// Reports the store's state as one JSON object (more keys may be added; ignore unknown ones):
/// - `events_held`: calls and ended spans recorded and not yet flushed;
/// - `bytes_held`: the memory those events and the open spans hold (what they own plus their
///   structs; allocator overhead not counted): what `max_memory_bytes` is compared with;
/// - `events_dropped`: events refused since the process started because the store held
///   `max_memory_bytes` already;
/// - `open_spans`: spans begun and not yet ended;
/// - `spans_abandoned`: spans closed by aiobs because they stayed open longer than
///   `max_span_age_seconds`;
/// - `flushes`, `flushes_failed`: flushes that wrote their file, and that failed;
/// - `otlp` (only when OTLP export is or was configured): `queued` (spans waiting or being
///   sent), `exported` (accepted by the backend), `dropped` (refused because the queue was full,
///   or still queued when `aiobs_shutdown` ran out of time), `failed_batches` and
///   `failed_spans` (rejected by the backend, or still failing after every retry).
///
/// Counts start at zero in each process (a forked child starts afresh).
/// `json_out` (must not be NULL) receives the object, owned by the caller: free it with
/// `aiobs_string_free`. Safe to call from any thread at any time; it takes the store lock only
/// to copy a few numbers.
///
/// # Safety
/// `json_out` is writable; `error_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_stats(
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> aiobs_status {
    // SAFETY: the caller's guarantees are those of each helper.
    unsafe {
        run(error_out, || {
            if json_out.is_null() {
                return Err(crate::Error::invalid("json_out must not be NULL"));
            }
            put_string(json_out, Store::global().stats().to_json());
            Ok(())
        })
    }
}
