//! Shutdown: the last call of a program that exports over OTLP.

use std::ffi::c_char;
use std::time::Duration;

use crate::Store;
use crate::ffi::boundary::run;
use crate::ffi::status::aiobs_status;

/// Exports what the OTLP exporter still holds, waiting at most `timeout_ms` milliseconds, then
/// stops its background thread. Spans the backend accepted before this returns are safe when the
/// process exits; call it last (after the final `aiobs_flush`).
///
/// - Returns `AIOBS_OK` when everything pending was exported or failed for good (failed
///   batches are counted, see the `"otlp"` object of the stats), or when no exporter runs.
/// - Returns `AIOBS_ERR_TIMEOUT` when the time ran out first: what was still pending is dropped
///   and counted as dropped; the message says how many spans.
///
/// Afterwards recording goes on (the JSON file is unaffected) but nothing more is exported
/// until the next `aiobs_configure` call (any keys), which starts the exporter again when an
/// endpoint is set. Does not flush the JSON file. Safe to
/// call from any thread at any time, and more than once; a second call returns at once.
///
/// # Safety
/// `error_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_shutdown(
    timeout_ms: u32,
    error_out: *mut *mut c_char,
) -> aiobs_status {
    // SAFETY: the caller's guarantee on error_out.
    unsafe {
        run(error_out, || {
            Store::global().shutdown(Duration::from_millis(u64::from(timeout_ms)))
        })
    }
}
