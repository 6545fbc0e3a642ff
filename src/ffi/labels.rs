//! Labels of the active session. Every call here returns `AIOBS_ERR_NO_SESSION` when there is no
//! active session, and a rejected call changes nothing.
//!
//! Rules: keys match `^[a-z][a-z0-9_]{0,62}$`; values are UTF-8 of at most 256 characters; a
//! session holds at most 64 labels, system labels included; the `aiobs_` prefix is reserved.

use std::ffi::c_char;

use crate::Store;
use crate::ffi::boundary::run;
use crate::ffi::status::aiobs_status;
use crate::ffi::strings::{put_string, required};

/// Adds or overwrites one label. Safe to call from any thread at any time.
///
/// # Safety
/// `key` and `value` are NULL or NUL-terminated; `error_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_add_label(
    key: *const c_char,
    value: *const c_char,
    error_out: *mut *mut c_char,
) -> aiobs_status {
    // SAFETY: the caller's guarantees are those of each helper.
    unsafe {
        run(error_out, || {
            let key = required(key, "key")?;
            let value = required(value, "value")?;
            Store::global().add_label(key, value)
        })
    }
}

/// Sets labels from a JSON object of strings. `merge` true adds to and overwrites the current
/// labels; false replaces every user label and keeps the system labels.
/// Safe to call from any thread at any time.
///
/// # Safety
/// `labels_json` is NULL or NUL-terminated; `error_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_set_labels(
    labels_json: *const c_char,
    merge: bool,
    error_out: *mut *mut c_char,
) -> aiobs_status {
    // SAFETY: the caller's guarantees are those of each helper.
    unsafe {
        run(error_out, || {
            let json = required(labels_json, "labels_json")?;
            Store::global().set_labels(json, merge)
        })
    }
}

/// Removes a user label; a key that is not there is fine. System labels (`aiobs_` prefix) cannot
/// be removed: `AIOBS_ERR_INVALID_LABEL`. Safe to call from any thread at any time.
///
/// # Safety
/// `key` is NULL or NUL-terminated; `error_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_remove_label(
    key: *const c_char,
    error_out: *mut *mut c_char,
) -> aiobs_status {
    // SAFETY: the caller's guarantees are those of each helper.
    unsafe {
        run(error_out, || {
            let key = required(key, "key")?;
            Store::global().remove_label(key)
        })
    }
}

/// Returns the active session's labels, system labels included, as a JSON object in
/// `labels_json_out` (must not be NULL). Owned by the caller: free it with `aiobs_string_free`.
/// Safe to call from any thread at any time.
///
/// # Safety
/// `labels_json_out` and `error_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_get_labels(
    labels_json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> aiobs_status {
    // SAFETY: the caller's guarantees are those of each helper.
    unsafe {
        run(error_out, || {
            if labels_json_out.is_null() {
                return Err(crate::Error::invalid("labels_json_out must not be NULL"));
            }
            let json = Store::global().get_labels()?;
            put_string(labels_json_out, json);
            Ok(())
        })
    }
}
