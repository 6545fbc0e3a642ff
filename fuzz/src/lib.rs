//! One harness for every input the aiobs C ABI accepts, shared by the `cargo fuzz` targets
//! (`fuzz_targets/`, nightly) and the corpus replay that `make test` runs on stable
//! (`tests/replay.rs`).
//!
//! Each run drives the Rust entry points the C functions call, on a fresh store with a session
//! active: a known call is recorded first, then the fuzzed input, then the session is flushed.
//! The property: nothing panics, the flush succeeds, the file it wrote is strict JSON (no NaN,
//! no Infinity, no lone surrogate) that passes `aiobs validate`'s checks, and the known call is
//! still in it (bad input never loses what was already recorded).

mod seeds;

pub use seeds::stream_cuts;

use std::path::PathBuf;

use aiobs::Store;
use aiobs::export::schema::ExportFile;

/// Separates the parts of an input that has several (an exchange and its two bodies, a key and
/// its value): a byte string that no fixture contains and a mutator still finds easy to keep.
pub const SEPARATOR: &[u8] = b"\n--aiobs-fuzz--\n";

/// The call recorded before the fuzzed input, which every export must still hold.
const BASELINE_API: &str = "fuzz.baseline";
const BASELINE: &str = r#"{"provider":"openai","api":"fuzz.baseline","request":{"model":"m"},"response":{"text":"ok"},"error":null}"#;

/// A small chat completion, the body of exchanges whose other parts are fuzzed.
const CHAT_REQUEST: &[u8] =
    br#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#;
const CHAT_RESPONSE: &[u8] = br#"{"id":"c1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `aiobs_record_call`: the event JSON.
    Event,
    /// `aiobs_span_begin` and `aiobs_span_end`: span JSON, result JSON, error string.
    Span,
    /// `aiobs_observe` and `aiobs_set_labels`: a labels JSON object.
    Labels,
    /// `aiobs_observe`'s session name, `aiobs_add_label` and `aiobs_remove_label`: name, key,
    /// value.
    LabelStrings,
    /// `aiobs_configure`: the settings JSON, then a session that records under them.
    Settings,
    /// `aiobs_record_http`: exchange JSON, request body, response body.
    Http,
    /// `aiobs_record_http` with any URL in an otherwise valid exchange.
    HttpUrl,
    /// `aiobs_record_http` with any `response_headers` value.
    ResponseHeaders,
    /// `aiobs_record_http` of a case whose response body is cut at the byte the input's first
    /// four bytes name.
    StreamCut,
}

impl Target {
    pub const ALL: [Target; 9] = [
        Target::Event,
        Target::Span,
        Target::Labels,
        Target::LabelStrings,
        Target::Settings,
        Target::Http,
        Target::HttpUrl,
        Target::ResponseHeaders,
        Target::StreamCut,
    ];

    /// The fuzz target's name: its binary, and its folders under `corpus/` and `regressions/`.
    pub fn name(self) -> &'static str {
        match self {
            Target::Event => "event",
            Target::Span => "span",
            Target::Labels => "labels",
            Target::LabelStrings => "label_strings",
            Target::Settings => "settings",
            Target::Http => "http",
            Target::HttpUrl => "http_url",
            Target::ResponseHeaders => "response_headers",
            Target::StreamCut => "stream_cut",
        }
    }

    /// The seed corpus, built from `tests/fixtures/providers/` and a few hand-written inputs.
    pub fn seeds(self) -> Vec<Vec<u8>> {
        seeds::of(self)
    }

    /// Feeds one input through the ABI's entry points and checks the export; returns it.
    pub fn run(self, data: &[u8]) -> String {
        let store = Store::new();
        store.observe(Some("fuzz"), None).expect("a session starts");
        store
            .record_call(BASELINE)
            .expect("the baseline call records");
        self.record(&store, data);
        store.end();
        let path = scratch_file();
        let written = store
            .flush(Some(path.to_str().expect("a UTF-8 temporary path")))
            .unwrap_or_else(|err| panic!("flush failed: {err}"));
        let export = std::fs::read_to_string(&written).expect("the export is readable UTF-8");
        // Nothing is left behind: the next input writes its own.
        let _ = std::fs::remove_file(&written);
        check_export(&export);
        export
    }

    /// The fuzzed part. Errors are the ABI's answer to bad input and fine; panics are not.
    fn record(self, store: &Store, data: &[u8]) {
        match self {
            Target::Event => {
                let _ = store.record_call(&text(data));
            }
            Target::Span => {
                let [span, result, error] = parts(data);
                // A call recorded inside the span gets it as its parent (thread parenting).
                if let Ok(id) = store.span_begin(&text(span)) {
                    let _ = store.record_call(BASELINE);
                    let result = (!result.is_empty()).then(|| text(result));
                    let error = (!error.is_empty()).then(|| text(error));
                    let _ = store.span_end(&id, result.as_deref(), error.as_deref());
                }
            }
            Target::Labels => {
                let labels = text(data);
                if store.observe(Some("fuzz-labels"), Some(&labels)).is_ok() {
                    store.record_call(BASELINE).expect("the session records");
                }
                let _ = store.set_labels(&labels, true);
                let _ = store.set_labels(&labels, false);
                check_labels(store);
            }
            Target::LabelStrings => {
                let [name, key, value] = parts(data);
                if store.observe(Some(&text(name)), None).is_ok() {
                    store.record_call(BASELINE).expect("the session records");
                }
                let (key, value) = (text(key), text(value));
                let _ = store.add_label(&key, &value);
                check_labels(store);
                let _ = store.remove_label(&key);
            }
            Target::Settings => {
                let _ = store.configure(&text(data));
                if store.observe(Some("fuzz-settings"), None).is_ok() {
                    let _ = store.record_call(BASELINE);
                }
                let exchange =
                    exchange_with(r#""url":"https://api.openai.com/v1/chat/completions""#);
                let _ = store.record_http(&exchange, CHAT_REQUEST, CHAT_RESPONSE);
                if let Ok(id) = store.span_begin(r#"{"name":"step","args":[1],"kwargs":{}}"#) {
                    let _ = store.span_end(&id, Some("2"), None);
                }
                let _ = store.stats();
            }
            Target::Http => {
                let [exchange, request, response] = parts(data);
                let _ = store.record_http(&text(exchange), request, response);
            }
            Target::HttpUrl => {
                let url = serde_json::to_string(&text(data)).expect("a string serialises");
                for method in ["POST", "GET"] {
                    let exchange = exchange_with(&format!(r#""method":"{method}","url":{url}"#));
                    let _ = store.record_http(&exchange, CHAT_REQUEST, CHAT_RESPONSE);
                }
            }
            Target::ResponseHeaders => {
                let exchange = exchange_with(&format!(
                    r#""url":"https://api.openai.com/v1/chat/completions","response_headers":{}"#,
                    text(data)
                ));
                let _ = store.record_http(&exchange, CHAT_REQUEST, CHAT_RESPONSE);
            }
            Target::StreamCut => {
                let Some((cut, case)) = data.split_first_chunk::<4>() else {
                    return;
                };
                let [exchange, request, response] = parts(case);
                let cut = u32::from_le_bytes(*cut) as usize % (response.len() + 1);
                let _ = store.record_http(&text(exchange), request, &response[..cut]);
            }
        }
    }
}

/// An exchange that succeeded with a chat completion, with `fields` first (a key given twice
/// is refused as JSON, so `fields` names only keys not given here).
fn exchange_with(fields: &str) -> String {
    let mut exchange = format!(r#"{{{fields},"status":200,"content_type":"application/json""#);
    if !fields.contains(r#""method""#) {
        exchange.push_str(r#","method":"POST""#);
    }
    exchange.push('}');
    exchange
}

/// The C ABI refuses invalid UTF-8 before the core sees it; replacing it lets every byte
/// string reach the parsers.
fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// The first three parts of an input split at [`SEPARATOR`]; missing parts are empty, and
/// the third keeps any later separators.
pub fn parts(data: &[u8]) -> [&[u8]; 3] {
    let mut out: [&[u8]; 3] = [&[]; 3];
    let mut rest = data;
    for (i, slot) in out.iter_mut().enumerate() {
        match find(rest, SEPARATOR) {
            Some(at) if i < 2 => {
                *slot = &rest[..at];
                rest = &rest[at + SEPARATOR.len()..];
            }
            _ => {
                *slot = rest;
                break;
            }
        }
    }
    out
}

/// Joins parts with [`SEPARATOR`], the inverse of [`parts`].
pub fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.join(SEPARATOR)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `aiobs_get_labels` always gives a JSON object of strings.
fn check_labels(store: &Store) {
    if let Ok(labels) = store.get_labels() {
        let value: serde_json::Value =
            serde_json::from_str(&labels).unwrap_or_else(|e| panic!("labels {labels}: {e}"));
        let object = value.as_object().expect("labels are an object");
        assert!(object.values().all(|v| v.is_string()), "labels {labels}");
    }
}

/// The export's property: strict JSON, valid by `aiobs validate`, and still holding the call
/// recorded before the fuzzed input.
pub fn check_export(export: &str) {
    let problems = aiobs_cli::validate::validate_reader(export.as_bytes())
        .unwrap_or_else(|err| panic!("the export is not strict JSON: {err}\n{export}"));
    if !problems.is_empty() {
        let list: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect();
        panic!("aiobs validate: {}\n{export}", list.join("\n"));
    }
    let file: ExportFile = serde_json::from_str(export).expect("the export reads");
    assert!(
        file.events.iter().any(|e| e.api == BASELINE_API),
        "the call recorded before the input is lost\n{export}"
    );
}

/// One file per thread, in memory when the machine has a tmpfs (a flush syncs its file).
fn scratch_file() -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    let dir = if shm.is_dir() {
        shm
    } else {
        std::env::temp_dir()
    };
    let thread = format!("{:?}", std::thread::current().id());
    let thread: String = thread.chars().filter(char::is_ascii_digit).collect();
    dir.join(format!("aiobs-fuzz-{}-{thread}.json", std::process::id()))
}
