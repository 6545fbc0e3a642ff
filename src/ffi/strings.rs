//! Strings across the boundary: borrowed NUL-terminated UTF-8 in, owned C strings out.

use std::ffi::{CStr, CString, c_char};

use crate::error::{Error, Result};

/// A required string argument: NULL and invalid UTF-8 are `AIOBS_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives the call.
pub(crate) unsafe fn required<'a>(ptr: *const c_char, name: &str) -> Result<&'a str> {
    // SAFETY: forwarded from the caller.
    unsafe { optional(ptr, name) }?
        .ok_or_else(|| Error::invalid(format!("{name} must not be NULL")))
}

/// An optional string argument: NULL is `None`.
///
/// # Safety
/// As for [`required`].
pub(crate) unsafe fn optional<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: not NULL, and NUL-terminated per the caller's guarantee.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    // Short arguments (span ids, names, a result) are mostly ASCII, tested a word at a time;
    // for them simdutf8 falls back to the standard library's check, which costs more.
    if bytes.len() < SHORT && bytes.is_ascii() {
        // SAFETY: ASCII is UTF-8.
        return Ok(Some(unsafe { std::str::from_utf8_unchecked(bytes) }));
    }
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(Some(text)),
        Err(_) => Err(utf8_refusal(name, bytes)),
    }
}

/// Below this length simdutf8 does not use SIMD (its block is 64 bytes).
const SHORT: usize = 64;

/// The refusal of a string that is not UTF-8, saying where (the standard library's reading).
#[cold]
fn utf8_refusal(name: &str, bytes: &[u8]) -> Error {
    match std::str::from_utf8(bytes) {
        Err(e) => Error::invalid(format!("{name} is not valid UTF-8: {e}")),
        Ok(_) => Error::invalid(format!("{name} is not valid UTF-8")),
    }
}

/// A byte buffer argument: NULL is allowed only with length 0.
///
/// # Safety
/// `ptr` is NULL or valid for reading `len` bytes for the duration of the call.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize, name: &str) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Error::invalid(format!(
            "{name} is NULL but its length is {len}"
        )));
    }
    // SAFETY: not NULL, and readable for len bytes per the caller's guarantee.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Hands `value` to the caller through `out` (ignored when `out` is NULL).
///
/// # Safety
/// `out` is NULL or valid for writing one pointer.
pub(crate) unsafe fn put_string(out: *mut *mut c_char, value: String) {
    if out.is_null() {
        return;
    }
    // Our strings never hold a NUL; if one ever did, cut there rather than fail.
    let value = CString::new(value).unwrap_or_else(|e| {
        let cut = e.nul_position();
        let mut bytes = e.into_vec();
        bytes.truncate(cut);
        CString::new(bytes).unwrap_or_default()
    });
    // SAFETY: out is writable per the caller's guarantee.
    unsafe { *out = value.into_raw() };
}

/// Frees a string that aiobs returned through an out-parameter (`session_id_out`,
/// `written_path_out`, `labels_json_out`, `span_id_out`, `error_out`).
///
/// NULL is fine (nothing happens). Each string must be freed exactly once, and only with this
/// function. Safe to call from any thread.
///
/// # Safety
/// `s` is NULL or a string returned by aiobs that has not been freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: s came from CString::into_raw in put_string and is freed once.
        drop(unsafe { CString::from_raw(s) });
    });
}
