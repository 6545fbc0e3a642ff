//! Routes an exchange to its endpoint's parsers and handles what every endpoint shares: the
//! request body, the sanitised URL, HTTP and transport errors, and the operation link.

use serde_json::Value;

use super::json::{self, Object};
use super::{CapturedCall, Endpoint, HttpExchange, error, gemini, media, openai, url};

/// A parsed response body, and the provider error it carried if any (mid-stream error events,
/// failed operations), which becomes the call's error.
pub(crate) struct Reply {
    pub body: Object,
    pub error: Option<String>,
}

impl Reply {
    pub(crate) fn ok(body: Object) -> Self {
        Self { body, error: None }
    }
}

/// Parses a JSON response body with `build`; a body that is not a JSON object gets the same record
/// shape (built from an empty object, so every key is null) plus a `capture_error` note.
pub(crate) fn json_reply(bytes: &[u8], build: impl FnOnce(Object) -> Reply) -> Reply {
    match json::parse_object(bytes) {
        Ok((mut body, note)) => {
            body.values_mut().for_each(media::strip);
            let mut reply = build(body);
            if let Some(note) = note {
                reply
                    .body
                    .insert("capture_error".to_owned(), Value::from(note));
            }
            reply
        }
        Err(note) => {
            let mut reply = build(Object::new());
            reply
                .body
                .insert("capture_error".to_owned(), Value::from(note));
            reply
        }
    }
}

/// The error of a stream that ended before its end marker without a provider error or a
/// transport error to explain it.
const STREAM_CUT_SHORT: &str = "the response stream ended before its end marker (the connection closed early); the response keeps what arrived";

pub(crate) fn capture(exchange: &HttpExchange) -> CapturedCall {
    let endpoint = exchange.endpoint;
    let model = match endpoint.provider() {
        "gemini" => url::gemini_model(&exchange.url),
        _ => None,
    };
    let model = model.as_deref();
    let mut request = Value::Object(request(exchange, model));
    let (mut response, error) = response(exchange, model);
    add_headers(&mut response, exchange);
    for record in [&mut request, &mut response] {
        if json::limit_depth(record) {
            json::add_note(record, &json::depth_note());
        }
    }
    let error = error.map(|message| url::scrub_text(&message));
    let operation = gemini::videos::link(endpoint, &request, &response);
    CapturedCall {
        provider: endpoint.provider(),
        api: endpoint.api(),
        request,
        response,
        error,
        operation,
    }
}

/// The record of a call whose parsing panicked: what is known without parsing.
pub(crate) fn after_panic(exchange: &HttpExchange) -> CapturedCall {
    let endpoint = exchange.endpoint;
    let note = "internal error while parsing this call";
    let mut response = serde_json::json!({"capture_error": note});
    add_headers(&mut response, exchange);
    CapturedCall {
        provider: endpoint.provider(),
        api: endpoint.api(),
        request: serde_json::json!({"url": url::sanitize(&exchange.url), "attempt": exchange.attempt}),
        response,
        error: exchange.transport_error.as_deref().map(url::scrub_text),
        operation: None,
    }
}

/// The kept response headers go into every response record; a call without a response (null)
/// has no headers either.
fn add_headers(response: &mut Value, exchange: &HttpExchange) {
    if let Value::Object(record) = response {
        record.insert("headers".to_owned(), exchange.response_headers.to_json());
    }
}

fn request(exchange: &HttpExchange, model: Option<&str>) -> Object {
    let endpoint = exchange.endpoint;
    // A GET poll has no body; every other endpoint needs one.
    let (mut body, note) = if endpoint == Endpoint::GeminiGetOperation {
        (Object::new(), None)
    } else {
        match json::parse_object(&exchange.request_body) {
            Ok((body, note)) => (body, note),
            Err(note) => (Object::new(), Some(note)),
        }
    };
    body.values_mut().for_each(media::strip);
    let mut request = Object::new();
    request.insert("url".to_owned(), Value::from(url::sanitize(&exchange.url)));
    request.insert("attempt".to_owned(), Value::from(exchange.attempt));
    let fields = match endpoint {
        Endpoint::OpenAiChatCompletions => openai::chat::request(body),
        Endpoint::OpenAiEmbeddings => openai::embeddings::request(body),
        Endpoint::OpenAiResponses => openai::responses::request(body),
        Endpoint::OpenAiImageGenerations => openai::images::request(body),
        Endpoint::GeminiGenerateContent | Endpoint::GeminiStreamGenerateContent => {
            gemini::generate::request(body, model)
        }
        Endpoint::GeminiEmbedContent | Endpoint::GeminiBatchEmbedContents => {
            gemini::embed::request(body, model)
        }
        Endpoint::GeminiPredictLongRunning => gemini::videos::submit_request(body, model),
        Endpoint::GeminiGetOperation | Endpoint::GeminiFetchPredictOperation => {
            gemini::videos::poll_request(body, model, &exchange.url)
        }
    };
    request.extend(fields);
    if let Some(note) = note {
        request.insert("capture_error".to_owned(), Value::from(note));
    }
    request
}

fn response(exchange: &HttpExchange, model: Option<&str>) -> (Value, Option<String>) {
    if exchange.status == 0 {
        let message = exchange.transport_error.as_deref().map(str::to_owned);
        return (
            Value::Null,
            Some(message.unwrap_or_else(|| "no HTTP response".to_owned())),
        );
    }
    if !(200..300).contains(&exchange.status) {
        let (response, message) = error::from_http(exchange.status, &exchange.response_body);
        return (response, Some(message));
    }
    let body = &exchange.response_body[..];
    let content_type = exchange.content_type.as_deref();
    let reply = match exchange.endpoint {
        Endpoint::OpenAiChatCompletions => openai::chat::response(body, content_type),
        Endpoint::OpenAiEmbeddings => openai::embeddings::response(body),
        Endpoint::OpenAiResponses => openai::responses::response(body, content_type),
        Endpoint::OpenAiImageGenerations => openai::images::response(body),
        Endpoint::GeminiGenerateContent | Endpoint::GeminiStreamGenerateContent => {
            gemini::generate::response(body, content_type)
        }
        Endpoint::GeminiEmbedContent | Endpoint::GeminiBatchEmbedContents => {
            gemini::embed::response(body)
        }
        Endpoint::GeminiPredictLongRunning => gemini::videos::response(body, model, false),
        Endpoint::GeminiGetOperation | Endpoint::GeminiFetchPredictOperation => {
            gemini::videos::response(body, model, true)
        }
    };
    // A connection that broke after a 2xx status: keep what arrived, and say why it stopped.
    // A stream that stopped before its end marker with no reason given is an error all the
    // same: the call did not deliver its whole answer.
    let error = reply
        .error
        .or_else(|| exchange.transport_error.as_deref().map(str::to_owned))
        .or_else(|| {
            (reply.body.get("stream_complete") == Some(&Value::Bool(false)))
                .then(|| STREAM_CUT_SHORT.to_owned())
        });
    (Value::Object(reply.body), error)
}
