//! The C ABI: thin `aiobs_*` entry points over [`crate::Store::global`].
//!
//! Conventions shared by every function (stated once more in the header's preamble):
//! a fallible call returns `aiobs_status` and takes `char **error_out` last; strings in are
//! NUL-terminated UTF-8 borrowed for the call; strings out are owned by the caller and freed with
//! `aiobs_string_free`; outputs are written only on `AIOBS_OK`; panics stop at the boundary as
//! `AIOBS_ERR_PANIC`; every function is safe to call from any thread at any time.

mod boundary;
mod labels;
pub(crate) mod os;
mod record;
mod session;
mod shutdown;
mod span;
mod stats;
mod status;
mod strings;
#[cfg(feature = "test-hooks")]
mod test_hooks;
mod version;

pub use labels::*;
pub use record::*;
pub use session::*;
pub use shutdown::aiobs_shutdown;
pub use span::*;
pub use stats::aiobs_stats;
pub use status::aiobs_status;
pub use strings::aiobs_string_free;
#[cfg(feature = "test-hooks")]
pub use test_hooks::*;
pub use version::aiobs_version;
