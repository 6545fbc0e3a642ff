//! The panic boundary every entry point runs its body inside.

use std::ffi::c_char;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::Result;
use crate::ffi::status::aiobs_status;
use crate::ffi::strings::put_string;

/// Runs `body`, turning its error or panic into a status code and a message in `error_out`.
/// `error_out` is set to NULL first, so the caller can always free what it holds afterwards.
///
/// The store's locks do not poison, so a panic leaves everything recorded before it intact.
///
/// # Safety
/// `error_out` is NULL or valid for writing one pointer.
pub(crate) unsafe fn run(
    error_out: *mut *mut c_char,
    body: impl FnOnce() -> Result<()>,
) -> aiobs_status {
    if !error_out.is_null() {
        // SAFETY: the caller guarantees error_out is writable when it is not NULL.
        unsafe { *error_out = std::ptr::null_mut() };
    }
    let (status, message) = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return aiobs_status::AIOBS_OK,
        Ok(Err(err)) => (aiobs_status::from(err.kind), err.message),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".to_owned());
            (
                aiobs_status::AIOBS_ERR_PANIC,
                format!("internal error in aiobs (panic: {what})"),
            )
        }
    };
    // SAFETY: as above.
    unsafe { put_string(error_out, message) };
    status
}
