use std::ffi::c_char;

/// The aiobs version, e.g. "0.1.0". The string is static: never free it. Safe to call from any
/// thread at any time, before any other call.
#[unsafe(no_mangle)]
pub extern "C" fn aiobs_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
