//! Provider parsing: turns one raw HTTP exchange with OpenAI or Gemini, as a binding observed it,
//! into a normalised call record, the same for every language binding.
//!
//! Bindings call [`classify()`] on the caller's thread for each HTTP request (cheap, no body
//! parsing) and copy recognised exchanges into an [`HttpExchange`]; [`capture`] runs later, at
//! flush, and never fails: bad bytes become a `capture_error` note in the record.
//!
//! [`classify()`] goes by method and path, never the host. `…/chat/completions` and
//! `…/images/generations` count under any prefix; the common words `embeddings` and
//! `responses` count only right after a `v1` segment, an `openai` segment or an Azure
//! deployment `openai/deployments/{d}`; Gemini counts `…/models/{m}:{action}`,
//! `…/tunedModels/{m}:[stream]generateContent` and `GET …/models/{m}/operations/{id}`
//! (details in `classify.rs`).
//!
//! # Record shape
//!
//! Keys follow the Python SDK where it had them (`model`, `messages`, `temperature`,
//! `max_tokens`, `other`; `input`, `encoding_format`, `dimensions`, `user`; `contents`,
//! `system_instruction`, `config`; `prompt`, `image`, `video`; response `id`, `model`, `usage`,
//! `text`, `data`, `embedding_dimensions`, `candidates`, `operation_name`, `done`,
//! `generated_videos`). Every key listed below is always present (null when unknown), except the
//! notes at the end.
//!
//! `request` always has `url` (sanitised: credential query parameters and user info removed),
//! `attempt` (1 for the first try, 2 for the first retry, …) and, per API:
//! - `chat.completions.create`: `model`, `messages` (all of them, as sent), `message_count`,
//!   `temperature`, `max_tokens`, `max_completion_tokens`, `top_p`, `stream`, `response_format`,
//!   `tools`, `other` (every other body key).
//! - `responses.create`: `model`, `input`, `message_count`, `instructions`, `temperature`,
//!   `max_output_tokens`, `top_p`, `stream`, `tools`, `other`.
//! - `embeddings.create`: `model`, `input`, `input_count`, `encoding_format`, `dimensions`, `user`,
//!   `other`.
//! - `images.generate`: `model`, `prompt`, `n`, `size`, `quality`, `response_format`, `other`.
//! - `models.generate_content[_stream]`: `model` (from the URL: `gemini-2.5-flash` for
//!   `…/models/gemini-2.5-flash`, `tunedModels/{m}` for a tuned model), `contents`,
//!   `message_count`, `system_instruction`, `tools`, `config` (`generationConfig`), `other`.
//! - `models.embed_content`: `model`, `contents`, `input_count`, `config` (`taskType`, `title`,
//!   `outputDimensionality`, …), `other`.
//! - `models.generate_videos` submit: `model`, `prompt`, `image`, `video` (each
//!   `{mime_type, uri, byte_length}`, never bytes), `config` (`parameters`), `other`; a poll:
//!   `model`, `operation_name`.
//!
//! `response` on success:
//! - chat and Gemini generate: `id`, `model` (Gemini `modelVersion`), `text` and `finish_reason`
//!   (first choice), `choices` (`[{index, text, reasoning, finish_reason, tool_calls}]`, tool
//!   calls as `{id, type, name, arguments}`), `usage`, `tokens`; chat adds `system_fingerprint`,
//!   `service_tier`; Gemini adds `candidates` (as returned, or rebuilt from a stream) and
//!   `prompt_feedback`.
//! - Responses: `id`, `model`, `status`, `incomplete_details`, `service_tier`, `text`
//!   (all `output_text` parts), `tool_calls`, `usage`, `tokens`.
//! - embeddings: `id`, `model`, `object`, `data` (`[{index, embedding, …}]`), `embedding_count`,
//!   `embedding_dimensions`, `usage`, `tokens`; Gemini has no `id`, `model` or `object`, and its
//!   `data` is `[{index, embedding}]`.
//! - images: `created`, `data` (URLs sanitised, base64 images replaced by `byte_length`),
//!   `image_count`, `size`, `quality`, `output_format`, `background`, `usage`, `tokens`.
//! - videos: `model`, `operation_name`, `done`, `generated_videos`
//!   (`[{video: {uri, mime_type, byte_length}}]` or null), `rai_media_filtered_count`,
//!   `rai_media_filtered_reasons`, `polls` (operation polls folded in: 0 for a submit, 1 for a
//!   lone poll, +1 per [`apply_poll`]), `usage` and `tokens` (always null).
//!
//! Every `response` that is not null has `headers`: the response headers on the allow-list of
//! `headers.rs` (request ids, processing time, rate limits, `retry-after`), lower-case name ->
//! string, `{}` when none was kept.
//!
//! `usage` is the provider's own usage object, unchanged (OpenAI `prompt_tokens`… or
//! `input_tokens`…, Gemini `usageMetadata`). `tokens` is the normalised block
//! `{input_tokens, output_tokens, total_tokens, cached_tokens, reasoning_tokens}`; see
//! `usage.rs` for the per-provider rules (Gemini thoughts count as output; OpenAI cached and
//! reasoning tokens are already inside its counts).
//!
//! On an HTTP error status, `response` is `{http_status, error}` (the provider's error object,
//! or null) and [`CapturedCall::error`] is `"<type>: <message>"` (Gemini: `"<status>: <message>"`)
//! or `"HTTP <status>: <first 200 characters of the body>"`. On a transport error with no response,
//! `response` is null and `error` is the transport message. A transport error may also follow a
//! 2xx status (the body broke off mid-stream): the response keeps what arrived and `error` is the
//! transport message. A stream that stopped before its end marker with no error given has the
//! error `"the response stream ended before its end marker (the connection closed early); …"`,
//! so error counts include it.
//!
//! Notes, present only when they apply:
//! - `response.stream_complete` (streamed responses only): true when the stream reached its end
//!   marker (`[DONE]`, a terminal `response.*` event, a Gemini `finishReason` and, for a JSON
//!   array body, its closing bracket); false for a stream cut short, whose partial output is kept
//!   and whose `error` is set (see above).
//! - `request.capture_error` / `response.capture_error`: why a body, or some stream events, could
//!   not be read, or what was replaced so that strict readers load the export: lone surrogate
//!   escapes (by U+FFFD), numbers beyond a double (by null), containers nested deeper than
//!   `json_check::MAX_DEPTH` (64) levels in the record (by null). The rest of the record holds
//!   what could be. A body nested deeper than serde_json's limit (128) is not read at all.
//!
//! With `capture_content: false`, prompts and outputs are nulled (see `content.rs`). Media bytes
//! are never kept, in either mode (see `media.rs`).

mod choice;
mod chunks;
mod classify;
mod content;
mod dispatch;
mod error;
mod gemini;
mod headers;
mod json;
mod media;
mod openai;
mod sse;
mod url;
mod usage;

use bytes::Bytes;
pub use classify::{Endpoint, classify};
pub use headers::ResponseHeaders;
pub use url::sanitize as sanitize_url;

pub use crate::warm::SharedText;

/// One HTTP exchange as a binding saw it. Copied on the caller's thread; parsed only at flush.
#[derive(Clone, Debug)]
pub struct HttpExchange {
    pub method: SharedText,
    /// Full URL, may contain `?key=SECRET`; never stored unsanitised.
    pub url: SharedText,
    /// From [`classify()`] at record time.
    pub endpoint: Endpoint,
    /// May be empty, non-UTF-8, truncated, garbage.
    pub request_body: Bytes,
    /// HTTP status; 0 when no response arrived.
    pub status: u16,
    /// Response content type (e.g. `text/event-stream`).
    pub content_type: Option<SharedText>,
    /// May be an SSE stream, cut short, garbage.
    pub response_body: Bytes,
    pub transport_error: Option<SharedText>,
    /// The response headers on the allow-list (see `headers.rs`); empty without a response.
    pub response_headers: ResponseHeaders,
    /// 1 for the first try, 2 for the first retry, ...
    pub attempt: u32,
}

/// What a record may keep.
#[derive(Clone, Copy, Debug)]
pub struct CaptureOptions {
    /// False drops prompts, outputs and embedding vectors, keeping metadata and usage.
    pub capture_content: bool,
}

/// The normalised record of one provider call.
#[derive(Clone, Debug, PartialEq)]
pub struct CapturedCall {
    /// `"openai"` or `"gemini"`.
    pub provider: &'static str,
    /// The SDK method, e.g. `"chat.completions.create"`.
    pub api: &'static str,
    pub request: serde_json::Value,
    /// Null when there is nothing (e.g. a transport error).
    pub response: serde_json::Value,
    pub error: Option<String>,
    /// Set for Gemini long-running video operations (submits and polls).
    pub operation: Option<OperationLink>,
}

/// Ties a video submit and its polls together by operation name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationLink {
    pub name: String,
    pub is_poll: bool,
}

/// Parses one exchange. Never panics, whatever the bytes.
pub fn capture(exchange: &HttpExchange, options: &CaptureOptions) -> CapturedCall {
    // The parsers are written not to panic; this is the backstop that keeps a bug from costing
    // the whole flush.
    let mut call = std::panic::catch_unwind(|| dispatch::capture(exchange))
        .unwrap_or_else(|_| dispatch::after_panic(exchange));
    if !options.capture_content {
        content::drop_content(&mut call);
    }
    call
}

/// Folds one operation poll into the event of the operation it polls (same operation name):
/// updates `done`, `generated_videos`, the filtered counts and the error, and counts the poll.
/// A poll of another operation, or a call that is not an operation, changes nothing.
pub fn apply_poll(submit: &mut CapturedCall, poll: &CapturedCall) {
    gemini::videos::apply_poll(submit, poll);
}
