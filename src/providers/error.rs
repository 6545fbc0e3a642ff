//! Error messages: provider error objects (in an HTTP error body, mid-stream, or inside a failed
//! operation) become `"<type>: <message>"`, the form the Python SDK used for exceptions.

use serde_json::{Value, json};

use super::json::{self, str_at};

/// How many characters of a non-JSON error body go into the message.
const BODY_EXCERPT_CHARS: usize = 200;

/// Formats a provider error object: OpenAI `{"message","type","code"}`, Gemini
/// `{"code","message","status"}`, google.rpc.Status `{"code": 3, "message"}`, the Responses API
/// `{"code": "server_error", "message"}`. The type is the first of `type`, `status`, `code` that
/// is present (a numeric code is named by its gRPC status).
pub(crate) fn describe(error: &Value) -> Option<String> {
    let message = str_at(error, "message").map(str::trim);
    let kind = str_at(error, "type")
        .or_else(|| str_at(error, "status"))
        .or_else(|| str_at(error, "code"))
        .or_else(|| {
            error
                .get("code")
                .and_then(Value::as_i64)
                .and_then(rpc_status)
        });
    match (kind, message) {
        (Some(kind), Some(message)) => Some(format!("{kind}: {message}")),
        (None, Some(message)) => Some(message.to_owned()),
        (Some(kind), None) => Some(kind.to_owned()),
        (None, None) => None,
    }
}

/// The `error` member of a body or stream chunk, when it is an error object (or a bare string,
/// as some OpenAI-compatible servers send).
pub(crate) fn in_body(body: &Value) -> Option<String> {
    match body.get("error")? {
        Value::String(message) => Some(message.clone()),
        error => describe(error),
    }
}

/// The record of a non-2xx response: `response` keeps the status and the provider's error object;
/// the message is `"<type>: <message>"`, or `"HTTP <status>: <start of the body>"` when the body
/// is not a provider error.
pub(crate) fn from_http(status: u16, body: &[u8]) -> (Value, String) {
    let parsed = json::parse(body).ok().map(|(value, _)| value);
    // Gemini's streamGenerateContent without `alt=sse` wraps its error in an array.
    let document = match parsed {
        Some(Value::Array(mut items)) if !items.is_empty() => items.swap_remove(0),
        Some(other) => other,
        None => Value::Null,
    };
    let error_object = document.get("error").cloned().unwrap_or(Value::Null);
    let message = in_body(&document).map(|message| match error_object {
        Value::String(_) => format!("HTTP {status}: {message}"),
        _ => message,
    });
    let message = message.unwrap_or_else(|| excerpt(status, body));
    (
        json!({"http_status": status, "error": error_object}),
        message,
    )
}

fn excerpt(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text: String = text.trim().chars().take(BODY_EXCERPT_CHARS).collect();
    if text.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {text}")
    }
}

/// google.rpc.Code names, used by Gemini's REST errors and operation errors.
fn rpc_status(code: i64) -> Option<&'static str> {
    const NAMES: [&str; 17] = [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];
    usize::try_from(code)
        .ok()
        .and_then(|i| NAMES.get(i))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_error_uses_type() {
        let body = br#"{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#;
        let (response, message) = from_http(429, body);
        assert_eq!(message, "requests: Rate limit reached");
        assert_eq!(response["http_status"], 429);
        assert_eq!(response["error"]["code"], "rate_limit_exceeded");
    }

    #[test]
    fn gemini_error_uses_status_also_inside_an_array() {
        let body = br#"[{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}}]"#;
        assert_eq!(
            from_http(400, body).1,
            "INVALID_ARGUMENT: API key not valid."
        );
    }

    #[test]
    fn non_json_bodies_give_an_excerpt() {
        let body = format!("<html>{}</html>", "x".repeat(500));
        let (response, message) = from_http(502, body.as_bytes());
        assert_eq!(message.chars().count(), "HTTP 502: ".len() + 200);
        assert!(message.starts_with("HTTP 502: <html>xxx"));
        assert_eq!(response["error"], Value::Null);
        assert_eq!(from_http(503, b"").1, "HTTP 503");
        assert_eq!(
            from_http(500, b"{\"detail\":\"x\"}").1,
            "HTTP 500: {\"detail\":\"x\"}"
        );
    }

    #[test]
    fn string_errors_and_rpc_codes() {
        assert_eq!(
            from_http(404, br#"{"error":"model 'x' not found"}"#).1,
            "HTTP 404: model 'x' not found"
        );
        assert_eq!(
            describe(&json!({"code": 3, "message": "bad prompt"})).as_deref(),
            Some("INVALID_ARGUMENT: bad prompt")
        );
        assert_eq!(describe(&json!({"code": 99})), None);
        assert_eq!(describe(&json!({})), None);
    }
}
