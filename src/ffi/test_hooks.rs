//! Entry points that exist only in test builds (`--features test-hooks`).

use std::ffi::c_char;

use crate::ffi::boundary::run;
use crate::ffi::status::aiobs_status;

/// Panics inside the boundary on purpose, so tests can see `AIOBS_ERR_PANIC` and a message,
/// and that the store is intact afterwards.
///
/// # Safety
/// `error_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_test_panic(error_out: *mut *mut c_char) -> aiobs_status {
    // SAFETY: the caller's guarantee on error_out.
    unsafe {
        run(error_out, || {
            let store = crate::Store::global().lock_state();
            if store.sessions.len() < usize::MAX {
                panic!("deliberate test panic while holding the store lock");
            }
            Ok(())
        })
    }
}
