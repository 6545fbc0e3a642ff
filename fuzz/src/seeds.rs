//! The seed corpus: every provider fixture (`tests/fixtures/providers/`) in the shape each
//! target takes, and hand-written inputs for the JSON arguments no fixture holds.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::{Target, join};

/// One fixture case: one HTTP exchange as a binding hands it over.
struct Case {
    exchange: Vec<u8>,
    request: Vec<u8>,
    response: Vec<u8>,
    expected: Value,
}

impl Case {
    fn read(dir: &Path) -> Case {
        let read = |name: &str| std::fs::read(dir.join(name)).unwrap_or_default();
        let expected = read("expected.json");
        Case {
            exchange: read("exchange.json"),
            request: read("request.body"),
            response: read("response.body"),
            expected: serde_json::from_slice(&expected).unwrap_or(Value::Null),
        }
    }

    fn exchange(&self) -> Value {
        serde_json::from_slice(&self.exchange).expect("fixture exchange.json is JSON")
    }

    fn http(&self) -> Vec<u8> {
        join(&[&self.exchange, &self.request, &self.response])
    }

    fn is_stream(&self) -> bool {
        let content_type = self.exchange()["content_type"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        content_type.contains("event-stream")
            || self.exchange()["url"].to_string().contains("stream")
    }
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/providers")
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable folder").path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Every case, the steps of sequences (a Veo submit and its polls) included.
fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for dir in sorted_dirs(&fixtures_dir()) {
        if dir.join("exchange.json").is_file() {
            cases.push(Case::read(&dir));
        } else {
            cases.extend(sorted_dirs(&dir).iter().map(|step| Case::read(step)));
        }
    }
    cases
}

const SPANS: &[&str] = &[
    r#"{"name":"research","args":["What is an API?"],"kwargs":{"depth":2}}"#,
    r#"{"name":"plan","module":"app.agent","enh_prompt":true,"auto_enhance_after":3,"callsite":{"file":"agent.c","line":12,"function":"plan"}}"#,
    r#"{"name":"root","parent_span_id":null,"thread_parenting":false,"args":null,"kwargs":null}"#,
    r#"{"name":"child","parent_span_id":"00f067aa0ba902b7"}"#,
];
const RESULTS: &[&str] = &["\"the result\"", "{\"a\":[1,2.5,null,true]}", ""];
const ERRORS: &[&str] = &["", "ValueError: bad input"];

const LABELS: &[&str] = &[
    r#"{"environment":"production","user_id":"u-42"}"#,
    r#"{"aiobs_runtime":"x"}"#,
    r#"{"team":"ml","region":"eu-west-1","tier":""}"#,
    "{}",
];

const SETTINGS: &[&str] = &[
    r#"{"runtime":"go","runtime_version":"1.26","capture_content":false}"#,
    r#"{"max_input_bytes":64,"thread_parenting":false}"#,
    r#"{"max_memory_bytes":1,"max_span_age_seconds":0}"#,
    r#"{"flush_ends_session":false,"capture_content":true,"max_memory_bytes":268435456}"#,
];

const URLS: &[&str] = &[
    "https://user:SECRET@api.openai.com/v1/chat/completions?api-key=SECRET",
    "http://127.0.0.1:8080/v1/responses",
    "https://example.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-06-01",
];

pub(crate) fn of(target: Target) -> Vec<Vec<u8>> {
    let strings = |list: &[&str]| list.iter().map(|s| s.as_bytes().to_vec()).collect();
    match target {
        Target::Event => cases().iter().map(|case| event(&case.expected)).collect(),
        Target::Span => SPANS
            .iter()
            .flat_map(|span| {
                RESULTS
                    .iter()
                    .zip(ERRORS.iter().cycle())
                    .map(|(result, error)| {
                        join(&[span.as_bytes(), result.as_bytes(), error.as_bytes()])
                    })
            })
            .collect(),
        Target::Labels => strings(LABELS),
        Target::LabelStrings => vec![
            join(&[b"checkout", b"user_id", b"u-42"]),
            join(&[b"", b"aiobs_os", b"plan9"]),
            join(&["s\u{e9}ance".as_bytes(), b"Bad-Key", "\u{1F600}".as_bytes()]),
        ],
        Target::Settings => strings(SETTINGS),
        Target::Http => cases().iter().map(Case::http).collect(),
        Target::HttpUrl => cases()
            .iter()
            .map(|case| {
                case.exchange()["url"]
                    .as_str()
                    .unwrap_or("")
                    .as_bytes()
                    .to_vec()
            })
            .chain(URLS.iter().map(|url| url.as_bytes().to_vec()))
            .collect(),
        Target::ResponseHeaders => cases()
            .iter()
            .filter_map(|case| {
                case.exchange()
                    .get("response_headers")
                    .map(Value::to_string)
            })
            .map(String::into_bytes)
            .collect(),
        Target::StreamCut => cases()
            .iter()
            .filter(|case| case.is_stream())
            .map(|case| {
                let half = (case.response.len() / 2) as u32;
                [half.to_le_bytes().as_slice(), &case.http()].concat()
            })
            .collect(),
    }
}

/// The event `aiobs_record_call` would take for a fixture's expected call.
fn event(expected: &Value) -> Vec<u8> {
    let event = json!({
        "provider": expected["provider"],
        "api": expected["api"],
        "request": expected["request"],
        "response": expected["response"],
        "error": expected["error"],
        "started_at": 1767400000.25,
        "ended_at": 1767400001.5,
        "callsite": {"file": "app.c", "line": 7, "function": "main"},
    });
    event.to_string().into_bytes()
}

/// Every stream fixture cut where framing breaks: at each byte around a line break, and at
/// every 16th byte between (every byte of every stream would take minutes in a debug build).
pub fn stream_cuts() -> Vec<Vec<u8>> {
    cases()
        .iter()
        .filter(|case| case.is_stream())
        .flat_map(|case| {
            let http = case.http();
            let body = &case.response;
            (0..=body.len())
                .filter(|&at| {
                    let near_break = |i: usize| body.get(i) == Some(&b'\n');
                    at % 16 == 0 || near_break(at) || (at > 0 && near_break(at - 1))
                })
                .map(move |cut| [(cut as u32).to_le_bytes().as_slice(), &http].concat())
        })
        .collect()
}
