//! Sessions and their lifecycle: configure, observe, end, flush.

use std::ffi::c_char;

use crate::Store;
use crate::ffi::boundary::run;
use crate::ffi::status::aiobs_status;
use crate::ffi::strings::{optional, put_string, required};

/// Sets process-wide settings from a JSON object; only the keys given change:
/// - `"runtime"` (string): the `aiobs_runtime` label of sessions started afterwards
///   (default `"c"`; the Go and Ruby bindings set `"go"` and `"ruby"`),
/// - `"runtime_version"` (string): the `aiobs_runtime_version` label,
/// - `"capture_content"` (bool): keep prompts, outputs and embedding vectors (default true, or
///   false when the environment has `AIOBS_CAPTURE_CONTENT=false`),
/// - `"max_input_bytes"` (integer from 1 to 4294967295): the largest JSON input or body one call
///   may pass (default 16 MiB); larger inputs get `AIOBS_ERR_TOO_LARGE`,
/// - `"otlp"` (object): OpenTelemetry export over OTLP/HTTP. Its defaults come from the standard
///   variables (`OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`, `…_PROTOCOL`, `…_HEADERS`, `…_TIMEOUT`,
///   `…_COMPRESSION`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_BSP_*`,
///   `OTEL_SDK_DISABLED`, `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`); its keys win:
///   `"endpoint"` (base URL, `/v1/traces` is appended) or `"traces_endpoint"` (used as is),
///   `"protocol"` (`"http/protobuf"`, the default, or `"http/json"`), `"headers"` (object),
///   `"timeout_ms"` (per request, default 10000), `"compression"` (`"gzip"` or `"none"`),
///   `"service_name"`, `"resource_attributes"` (object), `"max_queue_size"` (default 2048:
///   finished spans waiting; past it they are dropped and counted), `"max_export_batch_size"`
///   (default 512), `"schedule_delay_ms"` (default 5000), `"capture_message_content"` (bool,
///   default false: prompts and completions as `gen_ai.input.messages`/`…output.messages`),
///   `"openinference"` (bool, default false: adds OpenInference attributes for Arize Phoenix),
///   `"enabled"` (bool, default true) and `"json_file"` (bool, default true: false makes
///   `aiobs_flush` write no file, leaving OTLP the only destination). Export runs when an
///   endpoint is set: finished calls and spans leave in batches from a background thread, never
///   on the caller's; a forked child starts its own. Stop it with `aiobs_shutdown`,
/// - `"thread_parenting"` (bool, default true): whether a call or span whose JSON has no
///   `parent_span_id` key gets the innermost span open on the calling thread as its parent, and
///   whether a new span becomes the calling thread's innermost. false: such a call or span is a
///   root, and spans are never pushed onto a thread. Runtimes whose tasks move between OS
///   threads (goroutines, fibers) set it false and pass `parent_span_id` (an id or null) always,
/// - `"max_memory_bytes"` (integer, default 256 MiB): the most the store may hold, counting the
///   sessions with their labels, the calls and ended spans waiting for a flush (also while a
///   flush writes them), and the open spans. A session, label, call or span that would take it
///   past the bound is refused with `AIOBS_ERR_MEMORY_LIMIT` and counted as dropped (in
///   `aiobs_stats` and in the next file's `drops`); flushing makes room,
/// - `"max_span_age_seconds"` (number > 0, default 3600): a span still open this long is
///   abandoned: the next flush closes it with an `AbandonedSpan` error, writes it and counts it,
/// - `"flush_ends_session"` (bool, default true, as in Python): whether `aiobs_flush` ends the
///   active session. false: the session stays active across flushes, so a long-running program
///   can write a file periodically and keep recording without a gap; each record lands in
///   exactly one file.
///
/// Unknown keys are `AIOBS_ERR_INVALID_ARGUMENT` naming the key, and change nothing.
/// `settings_json` is borrowed for the call. Safe to call from any thread at any time.
///
/// # Safety
/// `settings_json` is NULL or a NUL-terminated string; `error_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_configure(
    settings_json: *const c_char,
    error_out: *mut *mut c_char,
) -> aiobs_status {
    // SAFETY: the caller's guarantees are those of each helper.
    unsafe {
        run(error_out, || {
            let json = required(settings_json, "settings_json")?;
            Store::global().configure(json)
        })
    }
}

/// Starts a new session and makes it active. A session that was still active stays in the store,
/// un-ended, until the next flush.
///
/// - `session_name`: NULL or "" names the session after its id.
/// - `labels_json`: NULL, or a JSON object of string labels (see the label rules); system labels
///   (`aiobs_sdk_version`, `aiobs_runtime`, `aiobs_hostname`, `aiobs_os`) and `AIOBS_LABEL_*`
///   environment variables are merged under them (environment labels fill only the room the
///   64-label limit leaves). Invalid labels create no session.
/// - `session_id_out`: NULL, or receives the new session's id (uuid4). Owned by the caller: free it
///   with `aiobs_string_free`.
///
/// Safe to call from any thread at any time.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; out-parameters are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_observe(
    session_name: *const c_char,
    labels_json: *const c_char,
    session_id_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> aiobs_status {
    // SAFETY: the caller's guarantees are those of each helper.
    unsafe {
        run(error_out, || {
            let name = optional(session_name, "session_name")?;
            let labels = optional(labels_json, "labels_json")?;
            let id = Store::global().observe(name, labels)?;
            put_string(session_id_out, id);
            Ok(())
        })
    }
}

/// Ends the active session (sets its `ended_at`). Without an active session it does nothing and
/// returns `AIOBS_OK`. Spans still open keep their session and are recorded when they end.
/// Safe to call from any thread at any time.
///
/// # Safety
/// `error_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_end(error_out: *mut *mut c_char) -> aiobs_status {
    // SAFETY: the caller's guarantee on error_out.
    unsafe {
        run(error_out, || {
            Store::global().end();
            Ok(())
        })
    }
}

/// Writes every session and event recorded since the last flush to one JSON file, then empties
/// the store: the written sessions leave it and the active session stops being active, as in
/// Python. With the setting `"flush_ends_session": false` the active session stays active (and
/// in the store, to be written again with what it records next): each flush writes what was
/// recorded since the one before, so a long-running program can write periodic files without
/// `aiobs_observe` again and without a record failing with `AIOBS_ERR_NO_SESSION` in between.
///
/// The path is `path`, else the `LLM_OBS_OUT` environment variable, else
/// `./llm_observability.json`; a relative path is taken from the current folder, and missing
/// parent folders are created. In a process forked from one that had used aiobs, a path not
/// given as `path` (from `LLM_OBS_OUT` or the default) gets the child's pid before its extension
/// (`llm_observability.4242.json`; `out` becomes `out.4242`), so parent and child never
/// overwrite each other's file; a `path` argument is used as given.
///
/// The file is replaced atomically: the document is written into an unnamed file in the
/// target's folder (Linux's `O_TMPFILE`), synced, named `.aiobs-<pid>-<8 hex digits>.tmp` and
/// renamed over the target. A crash or kill mid-flush leaves the old file or the new one, never a
/// torn one, and no temporary file. Where the filesystem has no unnamed files the temporary name
/// is given from the start; a temporary file so left by a process that is no longer running (or
/// by earlier versions: `.<name>.<pid>.<16 hex digits>.tmp`) is removed by the next flush into
/// that folder, by any process. File names up to the filesystem's limit (255 bytes) work. A
/// target that is a symbolic link stays a link: the file it leads to (to the end of a chain) is
/// replaced.
///
/// The file's `trace_tree` nests at most 31 levels (a root is level 1): deeper events are
/// written at level 31, among the children of their ancestor at level 30, so that every JSON
/// reader (serde_json's default limit is 128 nested levels in all) loads the file whatever the
/// caller passed. Each event keeps its true `parent_span_id`, from which a reader rebuilds the
/// whole tree (the `aiobs` viewer does).
///
/// - `written_path_out`: NULL, or receives the absolute path written (the link, when the
///   target is one). Owned by the caller: free it with `aiobs_string_free`. Receives NULL when
///   the JSON file is switched off (`{"otlp": {"json_file": false}}`): then no file is written,
///   the sessions are forgotten as after a flush, and the OTLP exporter sends what it holds
///   without waiting for its interval (the call does not wait for the network).
///
/// On `AIOBS_ERR_IO` (message names the path and the reason) nothing is lost and nothing of the
/// attempt is left in the folder: every session and event stays in the store for the next
/// flush. Spans still open are not written; they are recorded when they end, and their session
/// is written again with them. A Gemini video operation still running is written as it stands
/// and written again, updated, by the flush after its next poll. Safe to call from any thread at
/// any time; concurrent flushes run one after the other, and recording on other threads goes on
/// while the file is written (what they record goes into the next flush).
///
/// # Safety
/// `path` is NULL or NUL-terminated; out-parameters are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiobs_flush(
    path: *const c_char,
    written_path_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> aiobs_status {
    // SAFETY: the caller's guarantees are those of each helper.
    unsafe {
        run(error_out, || {
            let path = optional(path, "path")?;
            if let Some(written) = Store::global().flush_to_destinations(path)? {
                put_string(written_path_out, written.to_string_lossy().into_owned());
            } else if !written_path_out.is_null() {
                // SAFETY: the caller guarantees written_path_out is writable when not NULL.
                *written_path_out = std::ptr::null_mut();
            }
            Ok(())
        })
    }
}
