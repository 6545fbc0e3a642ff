//! Response headers worth keeping: request ids for support tickets, processing time, and the
//! rate-limit and retry headers that explain a 429. A binding hands over every response header
//! it saw; only the allow-list below survives, filtered while the exchange JSON is read on the
//! caller's thread, so a header outside it is never stored, not even until the flush.
//!
//! Kept (names compared without case, stored in lower case):
//! - request ids: `x-request-id` (OpenAI), `request-id`, `apim-request-id` (Azure OpenAI),
//!   `x-goog-request-id` (Google front ends; the Gemini API documents no request-id header and
//!   names each response by its body's `responseId`, kept as `response.id`);
//! - processing time: `openai-processing-ms`, `server-timing` (Google front ends);
//! - `openai-version`;
//! - rate limits and retries: every `x-ratelimit-*` (OpenAI, Azure), `retry-after`,
//!   `retry-after-ms`.
//!
//! A kept value longer than 1 KiB keeps its first 1 KiB and ends with `…[cut by aiobs]`.
//!
//! Left out on purpose: `openai-organization` and `openai-project` name the caller's account,
//! which is not the record's business; cookies, `authorization`, and anything naming a key,
//! token, secret, password, credential, session or signature are refused even if a future entry
//! of the list matched them (`x-ratelimit-*-tokens` counts tokens and stays).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::json_check;

/// The kept response headers of one exchange: lower-case name -> value (repeated values joined
/// with `", "`, as HTTP folds them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ResponseHeaders(BTreeMap<String, String>);

impl ResponseHeaders {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each kept header as name and value.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// The kept headers as a JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(name, value)| (name.clone(), serde_json::Value::from(value.as_str())))
                .collect(),
        )
    }

    /// Reads the response headers a binding passed (`text`: checked JSON, an object of name ->
    /// string or array of strings), keeping the allow-list only. `what` names it in messages.
    pub fn read(what: &str, text: &str) -> crate::Result<ResponseHeaders> {
        let mut headers = ResponseHeaders::default();
        json_check::members(what, text, |name, value| {
            let keep = is_kept(name);
            // Every value is checked, kept or not, so a binding's mistake shows at once.
            let value = header_value(value, keep).ok_or_else(|| {
                crate::Error::invalid(format!(
                    "{what}.{name} must be a string or an array of strings"
                ))
            })?;
            if let Some(value) = value {
                headers.add(name.to_ascii_lowercase(), value);
            }
            Ok(())
        })?;
        Ok(headers)
    }

    fn add(&mut self, name: String, mut value: String) {
        match self.0.get_mut(&name) {
            Some(existing) => {
                existing.push_str(", ");
                existing.push_str(&value);
                cap(existing);
            }
            None => {
                cap(&mut value);
                self.0.insert(name, value);
            }
        }
    }
}

/// The most of one kept header's value that is stored: request ids, timings and rate limits are
/// short, so a longer value is a misbehaving server, not worth the memory.
const MAX_VALUE_BYTES: usize = 1024;

/// Marks a value cut at [`MAX_VALUE_BYTES`].
const CUT_MARKER: &str = "…[cut by aiobs]";

/// Cuts `value` to its first [`MAX_VALUE_BYTES`] (at a character boundary) plus the marker.
fn cap(value: &mut String) {
    if value.len() <= MAX_VALUE_BYTES {
        return;
    }
    let mut end = MAX_VALUE_BYTES;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    value.truncate(end);
    value.push_str(CUT_MARKER);
}

/// The headers kept by their exact name (any case).
const EXACT: [&str; 9] = [
    "x-request-id",
    "request-id",
    "apim-request-id",
    "x-goog-request-id",
    "openai-processing-ms",
    "server-timing",
    "openai-version",
    "retry-after",
    "retry-after-ms",
];

/// Whether a response header (any case) is one aiobs keeps. The exact names are not sensitive (a
/// test checks it), so only the rate-limit names, which the server chooses, are checked: the
/// check costs about 0.3 µs a name, and every response has a request id and a processing time.
pub fn is_kept(name: &str) -> bool {
    let rate_limit = name
        .get(..12)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("x-ratelimit-"));
    EXACT.iter().any(|kept| name.eq_ignore_ascii_case(kept)) || (rate_limit && !is_sensitive(name))
}

/// A name that could carry a credential or identify the caller: refused whatever the list says.
fn is_sensitive(name: &str) -> bool {
    const FRAGMENTS: [&str; 9] = [
        "auth",
        "cookie",
        "key",
        "secret",
        "password",
        "credential",
        "session",
        "signature",
        "organization",
    ];
    // Called for every rate-limit header of every response: lower-cased on the stack, not in
    // a new string, and searched plainly (a `str::contains` searcher costs more to set up than
    // a header name takes to scan).
    let mut buffer = [0u8; 64];
    let owned;
    let lower: &[u8] = match buffer.get_mut(..name.len()) {
        Some(room) => {
            room.copy_from_slice(name.as_bytes());
            room.make_ascii_lowercase();
            room
        }
        None => {
            owned = name.to_ascii_lowercase();
            owned.as_bytes()
        }
    };
    // One pass: only where a fragment could start (its first letter) are the fragments tried.
    const STARTS: [bool; 256] = {
        let mut starts = [false; 256];
        let mut i = 0;
        while i < FRAGMENTS.len() {
            starts[FRAGMENTS[i].as_bytes()[0] as usize] = true;
            i += 1;
        }
        starts
    };
    let named = (0..lower.len()).any(|at| {
        STARTS[usize::from(lower[at])]
            && FRAGMENTS
                .iter()
                .any(|fragment| lower[at..].starts_with(fragment.as_bytes()))
    });
    named
        || lower
            .split(|&b| b == b'-' || b == b'_')
            .any(|word| word != b"tokens" && word.windows(5).any(|w| w == b"token"))
}

/// A header's value as the binding passed it (checked JSON): a string, or an array of strings
/// (a repeated header, joined with `", "`). `Some(None)` when the header is not kept or the
/// array is empty; `None` when the value is neither.
fn header_value(token: &str, keep: bool) -> Option<Option<String>> {
    if let Some(text) = json_check::string_value(token) {
        return Some(keep.then(|| text.into_owned()));
    }
    // A repeated header is rare: serde reads the array.
    let values: Vec<Cow<str>> = serde_json::from_str(token).ok()?;
    Some((keep && !values.is_empty()).then(|| values.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(json: &str) -> ResponseHeaders {
        ResponseHeaders::read("response_headers", json).unwrap()
    }

    #[test]
    fn keeps_request_ids_timing_and_rate_limits_in_lower_case() {
        let headers = read(
            r#"{"X-Request-Id":"req_1","OpenAI-Processing-Ms":"412","openai-version":"2020-10-01",
                "X-RateLimit-Remaining-Tokens":"149984","x-ratelimit-reset-requests":"6m0s",
                "Retry-After":"2","retry-after-ms":"1500","server-timing":"gfet4t7; dur=803",
                "apim-request-id":"a1","content-type":"application/json","date":"x"}"#,
        );
        assert_eq!(
            headers.to_json(),
            json!({"x-request-id": "req_1", "openai-processing-ms": "412",
                   "openai-version": "2020-10-01", "x-ratelimit-remaining-tokens": "149984",
                   "x-ratelimit-reset-requests": "6m0s", "retry-after": "2",
                   "retry-after-ms": "1500", "server-timing": "gfet4t7; dur=803",
                   "apim-request-id": "a1"})
        );
    }

    #[test]
    fn never_keeps_credentials_cookies_or_account_names() {
        for name in [
            "authorization",
            "Set-Cookie",
            "cookie",
            "x-api-key",
            "x-goog-api-key",
            "api-key",
            "openai-organization",
            "openai-project",
            "x-ratelimit-api-key",
            "x-ratelimit-token",
            "x-ratelimit-session",
            "x-ratelimit-accesstoken",
            "proxy-authenticate",
            "www-authenticate",
        ] {
            assert!(!is_kept(name), "{name}");
        }
        for name in EXACT {
            assert!(!is_sensitive(name), "{name} is kept without the check");
        }
        let headers = read(r#"{"set-cookie":["a=1","b=2"],"x-api-key":"SECRET"}"#);
        assert!(headers.is_empty());
    }

    #[test]
    fn repeated_values_are_joined_and_names_merge_across_case() {
        let headers = read(
            r#"{"Server-Timing":["a;dur=1","b;dur=2"],"server-timing":"c","x-request-id":[]}"#,
        );
        assert_eq!(headers.get("server-timing"), Some("a;dur=1, b;dur=2, c"));
        assert_eq!(headers.get("x-request-id"), None);
    }

    #[test]
    fn values_of_every_header_must_be_strings() {
        for bad in [
            r#"{"x-request-id":1}"#,
            r#"{"date":null}"#,
            r#"{"set-cookie":[1]}"#,
            r#"["x-request-id"]"#,
        ] {
            assert!(
                ResponseHeaders::read("response_headers", bad).is_err(),
                "{bad}"
            );
        }
    }
}
