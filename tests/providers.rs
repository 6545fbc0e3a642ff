//! Runs the shared provider fixtures (`tests/fixtures/providers/`, format in its README) through
//! `classify` and `capture`, and checks that no bytes, however broken, make `capture` fail.
//!
//! `AIOBS_BLESS=1 cargo test --test providers` rewrites `expected.json` files (and the
//! `expected_no_content.json` files that exist) from the current output. Review every rewritten
//! file by hand: an expected file states what is right, not what the code happens to produce.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use aiobs::providers::{
    CaptureOptions, CapturedCall, Endpoint, HttpExchange, ResponseHeaders, apply_poll, capture,
    classify,
};
use serde_json::{Value, json};

const WITH_CONTENT: CaptureOptions = CaptureOptions {
    capture_content: true,
};
const WITHOUT_CONTENT: CaptureOptions = CaptureOptions {
    capture_content: false,
};

/// The note `capture` leaves when its panic backstop fired: a parser bug.
const PANIC_NOTE: &str = "internal error while parsing this call";

// ------------------------------------------------------------------------------------- loading

struct Case {
    name: String,
    dir: PathBuf,
    exchange: HttpExchange,
}

use common::{Rng, is_sequence, provider_fixtures as root, sorted_dirs};

fn load(dir: &Path) -> Case {
    let name = dir.strip_prefix(root()).unwrap().display().to_string();
    let text = fs::read_to_string(dir.join("exchange.json"))
        .unwrap_or_else(|e| panic!("{name}/exchange.json: {e}"));
    let meta: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let string = |key: &str| meta[key].as_str().map(str::to_owned);
    let method = string("method").expect("method");
    let url = string("url").expect("url");
    let endpoint = classify(&method, &url)
        .unwrap_or_else(|| panic!("{name}: classify() does not recognise {method} {url}"));
    let body = |file: &str| fs::read(dir.join(file)).unwrap_or_default();
    let exchange = HttpExchange {
        method: method.into(),
        url: url.into(),
        endpoint,
        request_body: body("request.body").into(),
        status: u16::try_from(meta["status"].as_u64().expect("status")).unwrap(),
        content_type: string("content_type").map(Into::into),
        response_body: body("response.body").into(),
        transport_error: string("transport_error").map(Into::into),
        response_headers: meta
            .get("response_headers")
            .map(|headers| {
                ResponseHeaders::read("response_headers", &headers.to_string())
                    .expect("response_headers")
            })
            .unwrap_or_default(),
        attempt: meta
            .get("attempt")
            .map_or(1, |n| u32::try_from(n.as_u64().expect("attempt")).unwrap()),
    };
    Case {
        name,
        dir: dir.to_owned(),
        exchange,
    }
}

/// Every single case, including the steps of sequences.
fn all_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for dir in sorted_dirs(&root()) {
        if is_sequence(&dir) {
            cases.extend(sorted_dirs(&dir).iter().map(|step| load(step)));
        } else {
            cases.push(load(&dir));
        }
    }
    assert!(cases.len() >= 30, "fixtures missing: {}", cases.len());
    cases
}

/// The expected-file form of a captured call.
fn to_json(call: &CapturedCall) -> Value {
    json!({
        "provider": call.provider,
        "api": call.api,
        "request": call.request,
        "response": call.response,
        "error": call.error,
        "operation": call.operation.as_ref().map(|link| json!({"name": link.name, "is_poll": link.is_poll})),
    })
}

// ------------------------------------------------------------------------------ expected files

fn bless() -> bool {
    std::env::var("AIOBS_BLESS").is_ok_and(|value| value == "1")
}

/// Compares with an expected file, or rewrites it when blessing. Returns a failure description.
fn check(path: &Path, actual: &Value) -> Option<String> {
    let pretty = serde_json::to_string_pretty(actual).unwrap() + "\n";
    if bless() {
        fs::write(path, pretty).unwrap();
        return None;
    }
    let Ok(text) = fs::read_to_string(path) else {
        return Some(format!("{} is missing", path.display()));
    };
    let expected: Value = match serde_json::from_str(&text) {
        Ok(expected) => expected,
        Err(e) => return Some(format!("{}: invalid JSON: {e}", path.display())),
    };
    (expected != *actual).then(|| format!("{} differs; actual:\n{pretty}", path.display()))
}

fn check_case(case: &Case, failures: &mut Vec<String>) -> CapturedCall {
    let call = capture(&case.exchange, &WITH_CONTENT);
    failures.extend(check(&case.dir.join("expected.json"), &to_json(&call)));
    let no_content = case.dir.join("expected_no_content.json");
    if no_content.exists() {
        let lean = capture(&case.exchange, &WITHOUT_CONTENT);
        failures.extend(check(&no_content, &to_json(&lean)));
    }
    call
}

#[test]
fn every_fixture_matches_its_expected_files() {
    let mut failures = Vec::new();
    for dir in sorted_dirs(&root()) {
        if !is_sequence(&dir) {
            check_case(&load(&dir), &mut failures);
            continue;
        }
        // A sequence: each step is a case of its own, and the steps folded into the first with
        // apply_poll, in order, give the sequence's expected.json.
        let steps: Vec<CapturedCall> = sorted_dirs(&dir)
            .iter()
            .map(|step| check_case(&load(step), &mut failures))
            .collect();
        let (first, polls) = steps.split_first().expect("a sequence has steps");
        let mut folded = first.clone();
        for poll in polls {
            apply_poll(&mut folded, poll);
        }
        failures.extend(check(&dir.join("expected.json"), &to_json(&folded)));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn fixtures_cover_every_endpoint() {
    let seen: BTreeSet<String> = all_cases()
        .iter()
        .map(|case| format!("{:?}", case.exchange.endpoint))
        .collect();
    let all = [
        Endpoint::OpenAiChatCompletions,
        Endpoint::OpenAiEmbeddings,
        Endpoint::OpenAiResponses,
        Endpoint::OpenAiImageGenerations,
        Endpoint::GeminiGenerateContent,
        Endpoint::GeminiStreamGenerateContent,
        Endpoint::GeminiEmbedContent,
        Endpoint::GeminiBatchEmbedContents,
        Endpoint::GeminiPredictLongRunning,
        Endpoint::GeminiGetOperation,
        Endpoint::GeminiFetchPredictOperation,
    ];
    for endpoint in all {
        assert!(
            seen.contains(&format!("{endpoint:?}")),
            "no fixture for {endpoint:?}"
        );
    }
}

// ------------------------------------------------------------------------ privacy invariants

fn serialized(call: &CapturedCall) -> String {
    to_json(call).to_string()
}

#[test]
fn secrets_in_urls_are_never_recorded() {
    let mut with_secret = 0;
    for case in all_cases() {
        with_secret += usize::from(
            case.exchange.url.contains("SECRET")
                || case
                    .exchange
                    .transport_error
                    .as_deref()
                    .is_some_and(|e| e.contains("SECRET")),
        );
        for options in [WITH_CONTENT, WITHOUT_CONTENT] {
            let text = serialized(&capture(&case.exchange, &options));
            assert!(!text.contains("SECRET"), "{}: {text}", case.name);
        }
    }
    assert!(with_secret >= 5, "fixtures should carry secrets to hide");
}

/// Any JSON string of 64 or more characters, all from the base64 alphabet.
fn base64_strings(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            let base64 = text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
            if text.len() >= 64 && base64 {
                found.push(text.clone());
            }
        }
        Value::Array(items) => items.iter().for_each(|item| base64_strings(item, found)),
        Value::Object(members) => members
            .values()
            .for_each(|item| base64_strings(item, found)),
        _ => {}
    }
}

#[test]
fn media_bytes_are_never_recorded() {
    for case in all_cases() {
        let call = capture(&case.exchange, &WITH_CONTENT);
        let mut found = Vec::new();
        base64_strings(&to_json(&call), &mut found);
        assert!(found.is_empty(), "{}: {found:?}", case.name);
    }
    // And the fixtures that carry media say how large it was.
    let image = all_cases()
        .into_iter()
        .find(|case| case.name == "gemini_video_image_to_video")
        .unwrap();
    let call = capture(&image.exchange, &WITH_CONTENT);
    assert_eq!(
        call.request["image"],
        json!({"mime_type": "image/png", "uri": null, "byte_length": 300})
    );
}

/// The strings of a record that are prompts or outputs (by the keys that hold them).
fn content_strings(value: &Value, inside: bool, found: &mut BTreeSet<String>) {
    const KEYS: [&str; 9] = [
        "content",
        "text",
        "arguments",
        "prompt",
        "input",
        "instructions",
        "revised_prompt",
        "reasoning",
        "reasoning_content",
    ];
    match value {
        Value::String(text) if inside && text.len() >= 8 => {
            found.insert(text.clone());
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| content_strings(item, inside, found)),
        Value::Object(members) => {
            for (key, member) in members {
                // Tool names, roles and ids are metadata, kept in both modes.
                let metadata = ["name", "role", "type", "id"].contains(&key.as_str());
                let inside = !metadata && (inside || KEYS.contains(&key.as_str()));
                content_strings(member, inside, found);
            }
        }
        _ => {}
    }
}

#[test]
fn without_content_no_prompt_or_output_text_remains_anywhere() {
    for case in all_cases() {
        let full = to_json(&capture(&case.exchange, &WITH_CONTENT));
        let lean = capture(&case.exchange, &WITHOUT_CONTENT);
        let mut strings = BTreeSet::new();
        for source in [
            "messages",
            "contents",
            "input",
            "prompt",
            "system_instruction",
            "instructions",
        ] {
            content_strings(&full["request"][source], true, &mut strings);
        }
        for source in ["text", "choices", "tool_calls", "data", "candidates"] {
            content_strings(&full["response"][source], false, &mut strings);
        }
        let text = serialized(&lean);
        for content in &strings {
            let escaped = serde_json::to_string(content).unwrap();
            assert!(
                !text.contains(&escaped),
                "{}: {escaped} kept in {text}",
                case.name
            );
        }
        // The record keeps its shape, and its metadata.
        let lean = to_json(&lean);
        assert_eq!(
            lean["request"]["model"], full["request"]["model"],
            "{}",
            case.name
        );
        assert_eq!(
            lean["response"]["usage"], full["response"]["usage"],
            "{}",
            case.name
        );
        assert_eq!(lean["error"], full["error"], "{}", case.name);
    }
}

// ------------------------------------------------------------------------------ normalised usage

fn call_of(name: &str) -> CapturedCall {
    let case = all_cases()
        .into_iter()
        .find(|case| case.name == name)
        .unwrap();
    capture(&case.exchange, &WITH_CONTENT)
}

fn response_of(name: &str) -> Value {
    call_of(name).response
}

fn tokens(input: u64, output: Value, total: u64, cached: Value, reasoning: Value) -> Value {
    json!({"input_tokens": input, "output_tokens": output, "total_tokens": total,
           "cached_tokens": cached, "reasoning_tokens": reasoning})
}

#[test]
fn normalised_usage_is_right_for_each_provider() {
    // OpenAI chat: the counts as given; details are subsets, reported not added.
    assert_eq!(
        response_of("openai_chat_basic")["tokens"],
        tokens(45, json!(14), 59, json!(0), json!(0))
    );
    assert_eq!(
        response_of("openai_chat_compatible_reasoning")["tokens"],
        tokens(12, json!(40), 52, json!(0), json!(28))
    );
    // Chat stream: the usage chunk before [DONE].
    assert_eq!(
        response_of("openai_chat_stream")["tokens"],
        tokens(12, json!(9), 21, json!(0), json!(0))
    );
    // Responses: input/output spelling, reasoning inside output (150 includes 128).
    assert_eq!(
        response_of("openai_responses")["tokens"],
        tokens(24, json!(150), 174, json!(0), json!(128))
    );
    assert_eq!(
        response_of("openai_responses_stream")["tokens"],
        tokens(61, json!(23), 84, json!(0), json!(0))
    );
    // Embeddings: no output tokens.
    assert_eq!(
        response_of("openai_embeddings")["tokens"],
        tokens(11, Value::Null, 11, Value::Null, Value::Null)
    );
    // Images (gpt-image-1).
    assert_eq!(
        response_of("openai_images_b64")["tokens"],
        tokens(9, json!(272), 281, Value::Null, Value::Null)
    );
    // Gemini: output = candidates + thoughts (120 + 380), cached is part of the prompt.
    assert_eq!(
        response_of("gemini_generate_thinking")["tokens"],
        tokens(2100, json!(500), 2600, json!(2048), json!(380))
    );
    assert_eq!(
        response_of("gemini_generate_function_call")["tokens"],
        tokens(52, json!(66), 118, Value::Null, json!(58))
    );
    // Gemini streams: cumulative usage, the last chunk's (9 + 14 = 23), never the sum of chunks.
    for name in ["gemini_stream_sse", "gemini_stream_json_array"] {
        assert_eq!(
            response_of(name)["tokens"],
            tokens(9, json!(14), 23, Value::Null, Value::Null),
            "{name}"
        );
    }
}

// ------------------------------------------------------------------------------- polls

fn sequence_steps() -> Vec<CapturedCall> {
    sorted_dirs(&root().join("gemini_video_sequence"))
        .iter()
        .map(|dir| capture(&load(dir).exchange, &WITH_CONTENT))
        .collect()
}

#[test]
fn apply_poll_ignores_other_operations_and_non_polls() {
    let steps = sequence_steps();
    let mut submit = steps[0].clone();
    let mut other = steps[2].clone();
    other.operation.as_mut().unwrap().name = "models/x/operations/other".into();
    apply_poll(&mut submit, &other);
    assert_eq!(submit, steps[0]);
    apply_poll(&mut submit, &steps[0]);
    assert_eq!(submit, steps[0]);
}

#[test]
fn apply_poll_tracks_the_latest_poll_error() {
    let steps = sequence_steps();
    let mut submit = steps[0].clone();
    let mut failed = steps[1].clone();
    failed.response = json!({"http_status": 503, "error": null});
    failed.error = Some("UNAVAILABLE: try again".into());
    apply_poll(&mut submit, &failed);
    assert_eq!(submit.error.as_deref(), Some("UNAVAILABLE: try again"));
    assert_eq!(submit.response["polls"], 1);
    assert_eq!(submit.response["done"], false);
    apply_poll(&mut submit, &steps[2]);
    assert_eq!(submit.error, None);
    assert_eq!(submit.response["polls"], 2);
    assert_eq!(submit.response["done"], true);
}

// ------------------------------------------------------------------------ robustness (fuzz-style)

/// Captures in both modes and checks the record is whole and no parser panicked.
fn assert_survives(exchange: &HttpExchange, what: &str) {
    for options in [WITH_CONTENT, WITHOUT_CONTENT] {
        let call = capture(exchange, &options);
        assert_eq!(call.provider, provider_of(exchange.endpoint), "{what}");
        assert!(call.request.is_object(), "{what}");
        let text = serialized(&call);
        assert!(!text.contains(PANIC_NOTE), "{what}: a parser panicked");
        if (200..300).contains(&exchange.status) {
            assert!(call.response.is_object(), "{what}");
        }
    }
}

fn provider_of(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::OpenAiChatCompletions
        | Endpoint::OpenAiEmbeddings
        | Endpoint::OpenAiResponses
        | Endpoint::OpenAiImageGenerations => "openai",
        _ => "gemini",
    }
}

#[test]
fn every_truncation_of_every_body_is_captured() {
    for case in all_cases() {
        let body = &case.exchange.response_body;
        // About 150 cut points per body, plus every one of the last 16 bytes.
        let step = (body.len() / 150).max(1);
        let cuts = (0..body.len())
            .step_by(step)
            .chain(body.len().saturating_sub(16)..body.len());
        for cut in cuts {
            let mut exchange = case.exchange.clone();
            exchange.response_body.truncate(cut);
            assert_survives(&exchange, &format!("{} response cut at {cut}", case.name));
        }
        let request = &case.exchange.request_body;
        for cut in (0..request.len()).step_by((request.len() / 40).max(1)) {
            let mut exchange = case.exchange.clone();
            exchange.request_body.truncate(cut);
            assert_survives(&exchange, &format!("{} request cut at {cut}", case.name));
        }
    }
}

#[test]
fn truncated_streams_keep_what_arrived() {
    for name in [
        "openai_chat_stream_truncated",
        "openai_responses_stream_truncated",
        "gemini_stream_truncated",
        "openai_chat_stream_transport_error",
    ] {
        let response = response_of(name);
        assert_eq!(response["stream_complete"], false, "{name}");
        // A cut stream is an error of the call, so error counts see it.
        let error = call_of(name).error.unwrap_or_default();
        assert!(
            error.contains("stream ended before its end marker")
                || error.contains("connection reset"),
            "{name}: {error}"
        );
        assert!(
            response["text"]
                .as_str()
                .is_some_and(|text| !text.is_empty()),
            "{name}"
        );
    }
    for name in [
        "openai_chat_stream",
        "openai_responses_stream",
        "gemini_stream_sse",
        "gemini_stream_json_array",
    ] {
        assert_eq!(response_of(name)["stream_complete"], true, "{name}");
        assert_eq!(call_of(name).error, None, "{name}");
    }
}

#[test]
fn bit_flipped_bodies_never_break_capture() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for case in all_cases() {
        for round in 0..60 {
            let mut exchange = case.exchange.clone();
            let body = if round % 3 == 0 {
                &mut exchange.request_body
            } else {
                &mut exchange.response_body
            };
            if body.is_empty() {
                continue;
            }
            let mut flipped = body.to_vec();
            for _ in 0..=rng.below(4) {
                let at = rng.below(flipped.len());
                flipped[at] ^= 1 << rng.below(8);
            }
            *body = flipped.into();
            assert_survives(&exchange, &format!("{} flip round {round}", case.name));
        }
    }
}

#[test]
fn random_and_non_utf8_bodies_never_break_capture() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let cases = all_cases();
    let statuses = [0, 200, 200, 200, 201, 204, 301, 400, 401, 429, 500, 503];
    let types = [
        None,
        Some("text/event-stream"),
        Some("application/json"),
        Some("text/html"),
    ];
    for round in 0..2000 {
        let mut exchange = cases[rng.below(cases.len())].exchange.clone();
        let alphabet: &[u8] = match round % 4 {
            0 => b"data: {}[]\":,\n\r[DONE]errorchoicesdeltacandidates0123456789 \xff\xfe",
            1 => b"{}[]\",:0123456789.-eEtrufalsn \\u",
            _ => &[],
        };
        let random = |rng: &mut Rng, len: usize| -> Vec<u8> {
            (0..len)
                .map(|_| {
                    if alphabet.is_empty() {
                        (rng.next() & 0xff) as u8
                    } else {
                        alphabet[rng.below(alphabet.len())]
                    }
                })
                .collect()
        };
        let request_len = rng.below(300);
        let response_len = rng.below(3000);
        exchange.request_body = random(&mut rng, request_len).into();
        exchange.response_body = random(&mut rng, response_len).into();
        exchange.status = statuses[rng.below(statuses.len())];
        exchange.content_type = types[rng.below(types.len())].map(Into::into);
        assert_survives(&exchange, &format!("random round {round}"));
    }
    // Invalid UTF-8 inside otherwise valid JSON strings is replaced, not fatal.
    let case = cases
        .iter()
        .find(|case| case.name == "openai_chat_basic")
        .unwrap();
    let mut exchange = case.exchange.clone();
    let mut body = exchange.response_body.to_vec();
    let at = String::from_utf8_lossy(&body).find("weather").unwrap();
    body.splice(at..at, [0xff, 0xc3]);
    exchange.response_body = body.into();
    let call = capture(&exchange, &WITH_CONTENT);
    assert!(
        call.response["text"]
            .as_str()
            .unwrap()
            .contains("\u{fffd}\u{fffd}weather")
    );
}

#[test]
fn deeply_nested_json_does_not_overflow() {
    let case = all_cases()
        .into_iter()
        .find(|case| case.name == "openai_chat_basic")
        .unwrap();
    let mut exchange = case.exchange.clone();
    let depth = 100_000;
    exchange.request_body = [vec![b'['; depth], vec![b']'; depth]].concat().into();
    exchange.response_body = [b"{\"a\":".repeat(depth), vec![b'1'], vec![b'}'; depth]]
        .concat()
        .into();
    assert_survives(&exchange, "deep nesting");
}
