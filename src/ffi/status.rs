//! `aiobs_status`: the result of every fallible call. Codes are only ever appended.

use crate::error::ErrorKind;

/// The result of a fallible aiobs call. 0 is success; every other code comes with a message
/// through `error_out`. Codes are only ever appended, so treat an unknown code as an error.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum aiobs_status {
    /// Success.
    AIOBS_OK = 0,
    /// A required argument was NULL, not UTF-8, of the wrong JSON type, or out of range.
    AIOBS_ERR_INVALID_ARGUMENT = 1,
    /// A JSON argument did not parse, or holds what strict readers of the export refuse: arrays
    /// and objects nested deeper than 64 levels, a lone surrogate escape (`"\ud800"`), a number
    /// beyond the range of a double (`1e400`). The message names the argument
    /// (`event_json.request`, `span_json.args`, `result_json`, `labels_json`, ...).
    AIOBS_ERR_INVALID_JSON = 2,
    /// A label key or value broke the label rules; nothing changed.
    AIOBS_ERR_INVALID_LABEL = 3,
    /// The session would hold more than 64 labels; nothing changed.
    AIOBS_ERR_LABEL_LIMIT = 4,
    /// The call needs an active session (aiobs_observe) and there is none; nothing was recorded.
    AIOBS_ERR_NO_SESSION = 5,
    /// The span id names no open span.
    AIOBS_ERR_UNKNOWN_SPAN = 6,
    /// An input is larger than the `max_input_bytes` setting.
    AIOBS_ERR_TOO_LARGE = 7,
    /// The export could not be written; everything recorded is kept for the next flush.
    AIOBS_ERR_IO = 8,
    /// aiobs hit an internal error and stopped it at the boundary; what was recorded before is kept.
    AIOBS_ERR_PANIC = 9,
    /// The URL is no LLM endpoint aiobs knows, so nothing was recorded. Not a failure of the
    /// program's own call: a binding that wraps a whole HTTP client may ignore it.
    AIOBS_ERR_NOT_LLM_ENDPOINT = 10,
    /// The store already holds `max_memory_bytes` (nothing flushed it, or flushes keep failing):
    /// the event was dropped and counted (`events_dropped` in aiobs_stats, `drops` in the export).
    AIOBS_ERR_MEMORY_LIMIT = 11,
    /// `aiobs_shutdown` ran out of time: what was still pending is dropped and counted.
    AIOBS_ERR_TIMEOUT = 12,
}

impl From<ErrorKind> for aiobs_status {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidArgument => aiobs_status::AIOBS_ERR_INVALID_ARGUMENT,
            ErrorKind::InvalidJson => aiobs_status::AIOBS_ERR_INVALID_JSON,
            ErrorKind::InvalidLabel => aiobs_status::AIOBS_ERR_INVALID_LABEL,
            ErrorKind::LabelLimit => aiobs_status::AIOBS_ERR_LABEL_LIMIT,
            ErrorKind::NoSession => aiobs_status::AIOBS_ERR_NO_SESSION,
            ErrorKind::UnknownSpan => aiobs_status::AIOBS_ERR_UNKNOWN_SPAN,
            ErrorKind::TooLarge => aiobs_status::AIOBS_ERR_TOO_LARGE,
            ErrorKind::Io => aiobs_status::AIOBS_ERR_IO,
            ErrorKind::NotLlmEndpoint => aiobs_status::AIOBS_ERR_NOT_LLM_ENDPOINT,
            ErrorKind::MemoryLimit => aiobs_status::AIOBS_ERR_MEMORY_LIMIT,
            ErrorKind::Timeout => aiobs_status::AIOBS_ERR_TIMEOUT,
        }
    }
}
