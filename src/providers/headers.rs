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

use bytes::Bytes;
use serde::Serialize;

use crate::json_check::{self, Member};
use crate::text_range::TextRange;
use crate::warm;

/// The kept response headers of one exchange: lower-case name -> value (repeated values joined
/// with `", "`, as HTTP folds them), each name once. Every name and value sits in one text in
/// warm memory (see [`crate::warm`]), so that keeping an exchange's headers costs one allocation
/// of the exact size (where they are), and none when no header is kept. They are held in any
/// order and read in name order: ordering them is left to whoever reads them, at the export, off
/// the recording thread.
#[derive(Clone, Default)]
pub struct ResponseHeaders {
    /// UTF-8: names and values were copied from `str`s, and names lowered in ASCII letters only.
    text: Bytes,
    /// Where each header's name and value sit in `text`, in any order.
    entries: Box<[Entry]>,
}

/// A kept header: its name (lower case, never empty: only listed names are kept) and value.
#[derive(Clone, Copy, Debug)]
struct Entry {
    name: TextRange,
    value: TextRange,
}

/// Where `name` is among `entries` (names in `text`, in name order, as the walk keeps them), or
/// where it would go.
fn position(text: &[u8], entries: &[Entry], name: &[u8]) -> Result<usize, usize> {
    entries.binary_search_by(|entry| text[entry.name.range()].cmp(name))
}

impl ResponseHeaders {
    fn slice(&self, range: TextRange) -> &str {
        range.get_utf8(&self.text)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        let entry = self.entries.iter().find(|e| self.slice(e.name) == name)?;
        Some(self.slice(entry.value))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Each kept header as name and value, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut headers: Vec<(&str, &str)> = self
            .entries
            .iter()
            .map(|entry| (self.slice(entry.name), self.slice(entry.value)))
            .collect();
        // Each name comes once, so the order is total.
        headers.sort_unstable_by_key(|&(name, _)| name);
        headers.into_iter()
    }

    /// The bytes the kept headers take.
    pub fn heap_bytes(&self) -> usize {
        self.text.len() + self.entries.len() * size_of::<Entry>()
    }

    /// The kept headers as a JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.iter()
                .map(|(name, value)| (name.to_owned(), serde_json::Value::from(value)))
                .collect(),
        )
    }

    /// Reads the response headers a binding passed (`text`: checked JSON, an object of name ->
    /// string or array of strings), keeping the allow-list only. `what` names it in messages.
    pub fn read(what: &str, text: &str) -> crate::Result<ResponseHeaders> {
        Kept::with(|kept| {
            json_check::members(what, text, |name, value| kept.take(what, name, value))?;
            Ok(kept.headers())
        })
    }

    /// [`ResponseHeaders::read`] of a member's value, walked in the same pass as its object.
    pub fn read_member(what: &str, mut member: Member<'_, '_>) -> crate::Result<ResponseHeaders> {
        Kept::with(|kept| {
            // The form bindings write (no escapes, no whitespace, no repeated name) is read
            // without walking it; anything else, and any problem, takes the walk.
            let read = member.plain_string_object(kept, Kept::take_plain, Kept::distinct);
            if read.is_some() {
                return Ok(kept.headers());
            }
            kept.text.clear();
            kept.entries.clear();
            let object = member.object_or_null(what, &mut |name, value| {
                kept.take(what, name, value.text()?)
            })?;
            match object {
                Some(_) => Ok(kept.headers()),
                None => Err(crate::Error::invalid(format!(
                    "{what} must be a JSON object"
                ))),
            }
        })
    }
}

/// The headers kept so far while an exchange is read, in buffers the thread reuses: the
/// exchange then takes a copy of the exact size ([`Kept::headers`]), so that reading headers,
/// once a thread's buffers have grown to what its exchanges need, neither grows nor shrinks an
/// allocation.
#[derive(Default)]
struct Kept {
    /// UTF-8, as [`ResponseHeaders`]'s.
    text: Vec<u8>,
    entries: Vec<Entry>,
}

/// The most kept names [`Kept::distinct`] compares pair by pair.
const PAIRWISE_NAMES: usize = 32;

/// The most text a thread's buffers keep between exchanges: OpenAI's 14 headers take under
/// 1 KiB, a header cut at its limit about 1 KiB.
const KEPT_TEXT: usize = 16 << 10;
/// The most entries they keep room for (16 bytes each).
const KEPT_ENTRIES: usize = 256;

thread_local! {
    static KEPT: std::cell::RefCell<Kept> = const {
        std::cell::RefCell::new(Kept {
            text: Vec::new(),
            entries: Vec::new(),
        })
    };
}

impl Kept {
    /// Runs `read` with the thread's buffers, emptied, and puts them back unless `read` grew
    /// them past what ordinary headers need. The buffers are taken out of the thread's cell for
    /// the call, so a read nested in another, or one from a thread-local's destructor at thread
    /// exit (the cell gone), starts from empty buffers instead.
    fn with<T>(read: impl FnOnce(&mut Kept) -> T) -> T {
        let mut kept = KEPT.try_with(std::cell::RefCell::take).unwrap_or_default();
        kept.text.clear();
        kept.entries.clear();
        let result = read(&mut kept);
        if kept.text.capacity() <= KEPT_TEXT && kept.entries.capacity() <= KEPT_ENTRIES {
            // Fails only when the cell is gone: the buffers are then dropped.
            let _ = KEPT.try_with(|cell| cell.replace(kept));
        }
        result
    }

    fn headers(&self) -> ResponseHeaders {
        ResponseHeaders {
            text: warm::copy(&self.text),
            entries: self.entries.as_slice().into(),
        }
    }

    fn slice(&self, range: TextRange) -> &str {
        range.get_utf8(&self.text)
    }

    /// Writes `name` lower-cased where a kept header's name stays; returns where it starts and
    /// whether it is kept (the caller takes it back if not).
    fn push_name(&mut self, name: &str) -> (usize, bool) {
        let start = self.text.len();
        self.text.extend_from_slice(name.as_bytes());
        lower_case(&mut self.text[start..]);
        (start, is_kept(&self.text[start..]))
    }

    /// One header from its checked value's text.
    fn take(&mut self, what: &str, name: &str, value: &str) -> crate::Result<()> {
        let (start, keep) = self.push_name(name);
        // Every value is checked, kept or not, so a binding's mistake shows at once.
        let value = header_value(value, keep).ok_or_else(|| {
            crate::Error::invalid(format!(
                "{what}.{name} must be a string or an array of strings"
            ))
        })?;
        match value {
            Some(value) => self.add(start, &value),
            None => self.text.truncate(start),
        }
        Ok(())
    }

    /// One header of the plain form ([`Member::plain_string_object`]): its name and value
    /// need no decoding. A kept one is appended, in the order the binding passed them.
    fn take_plain(&mut self, name: &str, value: &str) {
        let (start, keep) = self.push_name(name);
        if keep {
            let name = TextRange::new(start, self.text.len());
            let value = self.push(value);
            self.entries.push(Entry { name, value });
        } else {
            self.text.truncate(start);
        }
    }

    /// Whether each name kept by [`Kept::take_plain`] came once: a name passed twice (in two
    /// cases) has values the walk joins. A dozen kept names in practice, compared pairwise, cost
    /// less than ordering them; past [`PAIRWISE_NAMES`] (a server inventing rate-limit names)
    /// the walk, which orders them as it goes, takes over.
    fn distinct(&mut self) -> bool {
        if self.entries.len() > PAIRWISE_NAMES {
            return false;
        }
        let name = |entry: &Entry| &self.text[entry.name.range()];
        self.entries.iter().enumerate().all(|(at, entry)| {
            self.entries[..at]
                .iter()
                .all(|before| name(before) != name(entry))
        })
    }

    /// Appends `text` (cut to [`MAX_VALUE_BYTES`]) and returns where it sits.
    fn push(&mut self, text: &str) -> TextRange {
        let start = self.text.len();
        self.text.extend_from_slice(capped(text).as_bytes());
        if text.len() > MAX_VALUE_BYTES {
            self.text.extend_from_slice(CUT_MARKER.as_bytes());
        }
        TextRange::new(start, self.text.len())
    }

    /// Keeps `value` for the name written at the end of the text, from `name_start` on.
    fn add(&mut self, name_start: usize, value: &str) {
        let name_at = TextRange::new(name_start, self.text.len());
        match position(&self.text, &self.entries, &self.text[name_at.range()]) {
            Ok(at) => {
                // A repeated header: the joined value goes to the end, in place of the old one.
                self.text.truncate(name_start);
                let joined = format!("{}, {value}", self.slice(self.entries[at].value));
                self.entries[at].value = self.push(&joined);
            }
            Err(at) => {
                let value = self.push(value);
                self.entries.insert(
                    at,
                    Entry {
                        name: name_at,
                        value,
                    },
                );
            }
        }
    }
}

impl std::fmt::Debug for ResponseHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl PartialEq for ResponseHeaders {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for ResponseHeaders {}

impl Serialize for ResponseHeaders {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

/// The most of one kept header's value that is stored: request ids, timings and rate limits are
/// short, so a longer value is a misbehaving server, not worth the memory.
const MAX_VALUE_BYTES: usize = 1024;

/// Marks a value cut at [`MAX_VALUE_BYTES`].
const CUT_MARKER: &str = "…[cut by aiobs]";

/// `value`'s first [`MAX_VALUE_BYTES`] (cut at a character boundary).
fn capped(value: &str) -> &str {
    if value.len() <= MAX_VALUE_BYTES {
        return value;
    }
    let mut end = MAX_VALUE_BYTES;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

/// Lowers the ASCII letters of `name` (as HTTP compares names) eight bytes at a time: most
/// header names are a few words long, and a byte at a time costs more than the rest of reading
/// the header. Other bytes, UTF-8's included, stay as they are.
fn lower_case(name: &mut [u8]) {
    let mut words = name.chunks_exact_mut(8);
    for word in &mut words {
        let lowered = lower_word(u64::from_le_bytes(
            (&*word).try_into().expect("eight bytes"),
        ));
        word.copy_from_slice(&lowered.to_le_bytes());
    }
    words.into_remainder().make_ascii_lowercase();
}

/// Each byte of `word` that is an ASCII capital letter, made small; every other byte (UTF-8's
/// included) as it was.
fn lower_word(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let low_seven = word & (ONES * 0x7f);
    // Bit 7 of a byte set when its low seven bits exceed 0x40 ('@'), and when they exceed 0x5a
    // ('Z'): no byte carries into the next, since 0x7f + 0x3f < 0x100.
    let above_at = low_seven + ONES * 0x3f;
    let above_z = low_seven + ONES * 0x25;
    let capital = above_at & !above_z & !word & (ONES * 0x80);
    word | (capital >> 2)
}

/// The headers kept by their exact name (any case), written once: as the test
/// [`is_exact`] and, for the tests, as a list. `is_exact` runs on every response header, most of
/// which are not kept: it compares the name with each listed one in turn, and each comparison
/// tests the lengths before any byte (measured, fewer instructions than a `match` on byte
/// strings). OpenAI's six rate-limit names are listed too: they are not sensitive (a test
/// checks it), so only a rate-limit name a server invents needs the check.
macro_rules! exact_names {
    ($($name:literal),+ $(,)?) => {
        /// The list, for the tests that check each name.
        #[cfg(test)]
        const EXACT: &[&str] = &[$($name),+];

        fn is_exact(lower: &[u8]) -> bool {
            $(lower == $name.as_bytes())||+
        }
    };
}

exact_names![
    "x-request-id",
    "request-id",
    "apim-request-id",
    "x-goog-request-id",
    "openai-processing-ms",
    "server-timing",
    "openai-version",
    "retry-after",
    "retry-after-ms",
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
];

/// Whether a response header (its name in lower case) is one aiobs keeps: a listed name, or a
/// rate-limit name that does not look sensitive.
fn is_kept(lower: &[u8]) -> bool {
    is_exact(lower) || (lower.starts_with(b"x-ratelimit-") && !is_sensitive(lower))
}

/// A lower-case name that could carry a credential or identify the caller: refused whatever the
/// list says.
fn is_sensitive(lower: &[u8]) -> bool {
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
fn header_value(token: &str, keep: bool) -> Option<Option<Cow<'_, str>>> {
    if let Some(text) = json_check::string_value(token) {
        return Some(keep.then_some(text));
    }
    // Bindings pass every header as an array (Go's `http.Header`, Ruby's `to_hash`), nearly
    // always of one value: that one is borrowed, and only a repeated header is joined.
    let mut joined: Option<Cow<str>> = None;
    json_check::for_each_string(token, |value| {
        joined = Some(match joined.take() {
            None => value,
            Some(before) => Cow::Owned(format!("{before}, {value}")),
        });
    })?;
    Some(joined.filter(|_| keep))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn header_values_read_as_serde_reads_them() {
        // What serde made of a header value before: a string, or an array of strings joined.
        let reference = |token: &str| -> Option<Option<String>> {
            if let Ok(text) = serde_json::from_str::<String>(token) {
                return Some(Some(text));
            }
            let values: Vec<String> = serde_json::from_str(token).ok()?;
            Some((!values.is_empty()).then(|| values.join(", ")))
        };
        for token in [
            r#""v""#,
            r#"["v"]"#,
            r#"["a","b"]"#,
            r#"[ "a" , "b" ,"c"]"#,
            "[\n\"a\"\t]",
            r#"[]"#,
            r#"[ ]"#,
            r#"["q\"uote","back\\slash\\","\u00e9\ud83d\ude00"]"#,
            r#"["\\"]"#,
            r#"["a value of more than sixteen bytes, scanned in blocks"]"#,
            r#"["a value of more than sixteen bytes","then a second"]"#,
            r#"["a value of more than sixteen \"bytes\" with escapes"]"#,
            r#"[""]"#,
            r#"["",""]"#,
            r#"[1]"#,
            r#"["a",1]"#,
            r#"["a",["b"]]"#,
            r#"[null]"#,
            r#"{"a":"b"}"#,
            r#"5"#,
            r#"null"#,
        ] {
            json_check::check(token).unwrap();
            let ours = header_value(token, true).map(|v| v.map(Cow::into_owned));
            assert_eq!(ours, reference(token), "{token}");
            let unkept = header_value(token, false).map(|v| v.map(Cow::into_owned));
            assert_eq!(unkept, reference(token).map(|_| None), "{token}");
        }
    }

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
            assert!(!is_kept(name.to_ascii_lowercase().as_bytes()), "{name}");
        }
        for name in EXACT {
            assert!(
                !is_sensitive(name.as_bytes()),
                "{name} is kept without the check"
            );
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
    fn headers_come_out_in_name_order_and_a_joined_value_is_cut_too() {
        let long = "é".repeat(400);
        let headers = read(&format!(
            r#"{{"x-ratelimit-reset-tokens":"1s","X-Request-Id":"req","retry-after":"2",
                "server-timing":"{long}","Server-Timing":"{long}"}}"#
        ));
        let names: Vec<&str> = headers.iter().map(|(name, _)| name).collect();
        assert_eq!(
            names,
            [
                "retry-after",
                "server-timing",
                "x-ratelimit-reset-tokens",
                "x-request-id"
            ]
        );
        assert_eq!(headers.get("x-request-id"), Some("req"));
        let timing = headers.get("server-timing").unwrap();
        assert!(timing.ends_with(CUT_MARKER) && timing.len() <= MAX_VALUE_BYTES + CUT_MARKER.len());
        assert_eq!(
            headers,
            read(&serde_json::to_string(&headers.to_json()).unwrap())
        );
    }

    #[test]
    fn a_thread_keeps_no_large_buffer_and_exchanges_own_exact_copies() {
        let value = "v".repeat(MAX_VALUE_BYTES);
        let many: Vec<String> = (0..40)
            .map(|i| format!(r#""x-ratelimit-custom-{i:02}":"{value}""#))
            .collect();
        let large = read(&format!("{{{}}}", many.join(",")));
        assert_eq!(large.iter().count(), 40);
        assert_eq!(large.get("x-ratelimit-custom-07"), Some(value.as_str()));
        KEPT.with_borrow(|kept| {
            assert!(kept.text.capacity() <= KEPT_TEXT && kept.entries.capacity() <= KEPT_ENTRIES)
        });

        let small = read(r#"{"x-request-id":"req_1","date":"today"}"#);
        assert_eq!(small.text.len(), "x-request-idreq_1".len());
        assert_eq!(small.entries.len(), 1);
        let none = read(r#"{"date":"today"}"#);
        assert!(none.is_empty() && none.text.is_empty());
        // The first exchange's headers are its own, whatever the thread read afterwards.
        assert_eq!(large.get("x-ratelimit-custom-39"), Some(value.as_str()));
        // A read nested in another starts from buffers of its own.
        let nested = Kept::with(|_| read(r#"{"X-Request-Id":"req_2"}"#));
        assert_eq!(nested.get("x-request-id"), Some("req_2"));
    }

    /// The headers of `object` read as an exchange's member (by the plain form's path where it
    /// applies), against the walk's reading of the same object.
    fn read_as_member(object: &str) -> Result<String, String> {
        let exchange = format!(r#"{{"response_headers":{object}}}"#);
        let mut headers = None;
        json_check::walk_members("exchange_json", &exchange, &mut |_, member| {
            headers = Some(ResponseHeaders::read_member("response_headers", member)?);
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        Ok(serde_json::to_string(&headers.expect("one member")).unwrap())
    }

    /// Whether `object`, as an exchange's member, is read without the walk.
    fn read_plainly(object: &str) -> bool {
        let exchange = format!(r#"{{"response_headers":{object}}}"#);
        let mut plain = false;
        json_check::walk_members("exchange_json", &exchange, &mut |_, mut member| {
            plain = Kept::with(|kept| {
                let read = member.plain_string_object(kept, Kept::take_plain, Kept::distinct);
                read.is_some()
            });
            Ok(())
        })
        .unwrap();
        plain
    }

    #[test]
    fn the_plain_form_reads_as_the_walk_reads() {
        let names = [
            "X-Request-Id",
            "x-request-id",
            "X-RATELIMIT-REMAINING-TOKENS",
            "x-ratelimit-custom-ÉtÉ",
            "Date",
            "Set-Cookie",
            "Openai-Processing-Ms",
            "RETRY-AFTER-MS",
            "x-ratelimit-api-key",
            "X-RateLimit-Limit-Requests-Named-Past-Sixty-Four-Bytes-By-A-Server-Abc",
            "Server-Timing",
            "Ω",
            "",
        ];
        let long = "é".repeat(600);
        let values = [
            "",
            "v",
            "a value of more than sixteen bytes",
            &long,
            r#"q\"uote"#,
            r"tab\t",
        ];
        let mut seed = 7u64;
        let mut next = |below: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % below
        };
        for _ in 0..3000 {
            let members: Vec<String> = (0..next(7))
                .map(|_| {
                    let name = names[next(names.len())];
                    let value = format!("\"{}\"", values[next(values.len())]);
                    let form = match next(5) {
                        0 | 1 => value,
                        2 | 3 => format!("[{value}]"),
                        _ => format!("[{value},\"second\"]"),
                    };
                    format!("\"{name}\":{form}")
                })
                .collect();
            let separator = if next(10) == 0 { ", " } else { "," };
            let object = format!("{{{}}}", members.join(separator));
            let walked = ResponseHeaders::read("response_headers", &object)
                .map(|h| serde_json::to_string(&h).unwrap())
                .map_err(|e| e.to_string());
            assert_eq!(read_as_member(&object), walked, "{object}");
        }
        // Repeated names, in two cases or not, are joined by the walk either way.
        let repeated = r#"{"Retry-After":"1","retry-after":["2"]}"#;
        assert!(!read_plainly(repeated));
        assert_eq!(
            read_as_member(repeated).unwrap(),
            r#"{"retry-after":"1, 2"}"#
        );
        let plain = r#"{"X-Request-Id":"req_9","Date":"d","Retry-After":["3"]}"#;
        assert!(read_plainly(plain));
        assert_eq!(
            read_as_member(plain).unwrap(),
            r#"{"retry-after":"3","x-request-id":"req_9"}"#
        );
        // Past the names compared pairwise, the walk reads them, in order.
        let names = |count: usize| -> String {
            let members: Vec<String> = (0..count)
                .rev()
                .map(|i| format!(r#""x-ratelimit-c{i:02}":"{i}""#))
                .collect();
            format!("{{{}}}", members.join(","))
        };
        assert!(read_plainly(&names(PAIRWISE_NAMES)));
        assert!(!read_plainly(&names(PAIRWISE_NAMES + 1)));
        let many = read_as_member(&names(40)).unwrap();
        assert!(many.starts_with(r#"{"x-ratelimit-c00":"0","x-ratelimit-c01":"1","#));
    }

    #[test]
    fn names_lower_eight_bytes_at_a_time_as_byte_by_byte() {
        for byte in 0..=u8::MAX {
            for lane in 0..8 {
                let mut word = *b"Ab-Z@[`{";
                word[lane] = byte;
                let mut lowered = word;
                lowered.make_ascii_lowercase();
                let ours = lower_word(u64::from_le_bytes(word)).to_le_bytes();
                assert_eq!(ours, lowered, "{byte:#x} in lane {lane}");
            }
        }
        let mut name = "X-RateLimit-Remaining-Tokens-É".to_owned().into_bytes();
        lower_case(&mut name);
        assert_eq!(name, "x-ratelimit-remaining-tokens-É".as_bytes());
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
