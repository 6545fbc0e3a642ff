//! `record_http` end to end: every shared provider fixture is recorded as a binding would record
//! it, flushed, and the exported event must carry exactly the fixture's expected call.

mod common;

use std::fs;
use std::path::Path;

use aiobs::{ErrorKind, Store};
use common::{flush, is_sequence, provider_fixtures, sorted_dirs};
use serde_json::{Value, json};

fn record(store: &Store, dir: &Path) {
    let exchange = fs::read_to_string(dir.join("exchange.json")).unwrap();
    let body = |file: &str| fs::read(dir.join(file)).unwrap_or_default();
    store
        .record_http(&exchange, &body("request.body"), &body("response.body"))
        .unwrap_or_else(|e| panic!("{}: {}", dir.display(), e.message));
}

/// The call part of an exported event, in the fixtures' shape.
fn call_of(event: &Value) -> Value {
    json!({
        "provider": event["provider"], "api": event["api"], "request": event["request"],
        "response": event["response"], "error": event["error"],
    })
}

fn expected(dir: &Path, file: &str) -> Option<Value> {
    let text = fs::read_to_string(dir.join(file)).ok()?;
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value.as_object_mut().unwrap().remove("operation");
    Some(value)
}

/// Records one fixture (a case, or every step of a sequence) in a session of its own.
fn exported_event(dir: &Path, capture_content: bool) -> Value {
    let store = Store::new();
    store
        .configure(&format!(r#"{{"capture_content":{capture_content}}}"#))
        .unwrap();
    store.observe(None, None).unwrap();
    if is_sequence(dir) {
        for step in sorted_dirs(dir) {
            record(&store, &step);
        }
    } else {
        record(&store, dir);
    }
    let doc = flush(&store, "http");
    let events = doc["events"].as_array().unwrap();
    assert_eq!(
        events.len(),
        1,
        "{}: one event, polls folded in",
        dir.display()
    );
    events[0].clone()
}

#[test]
fn every_fixture_exports_its_expected_call() {
    let mut checked = 0;
    for dir in sorted_dirs(&provider_fixtures()) {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let with = exported_event(&dir, true);
        assert_eq!(
            call_of(&with),
            expected(&dir, "expected.json").unwrap(),
            "{name}"
        );
        assert_eq!(with["span_id"].as_str().unwrap().len(), 16, "{name}");
        checked += 1;
        if let Some(no_content) = expected(&dir, "expected_no_content.json") {
            assert_eq!(
                call_of(&exported_event(&dir, false)),
                no_content,
                "{name} without content"
            );
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} fixture checks ran");
}

#[test]
fn exported_calls_carry_the_attempt_and_only_the_kept_headers() {
    let mut secret_headers = 0;
    for dir in sorted_dirs(&provider_fixtures()) {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let event = exported_event(&dir, true);
        let text = event.to_string();
        assert!(!text.contains("SECRET"), "{name}: {text}");
        let steps = if is_sequence(&dir) {
            sorted_dirs(&dir)
        } else {
            vec![dir.clone()]
        };
        let exchange = common::read_json(&steps[0].join("exchange.json"));
        secret_headers += usize::from(exchange["response_headers"].to_string().contains("SECRET"));
        assert_eq!(
            event["request"]["attempt"],
            exchange.get("attempt").cloned().unwrap_or(json!(1)),
            "{name}"
        );
        let response = &event["response"];
        assert_eq!(
            response.is_null(),
            response.get("headers").is_none(),
            "{name}: headers go with a response, and only with one"
        );
        for (header, _) in response["headers"].as_object().into_iter().flatten() {
            assert_eq!(header, &header.to_ascii_lowercase(), "{name}");
        }
    }
    assert!(secret_headers >= 3, "fixtures should carry headers to drop");
}

#[test]
fn a_rate_limited_try_and_its_successful_retry_are_two_calls() {
    let store = Store::new();
    store.observe(None, None).unwrap();
    for fixture in [
        "openai_chat_retry_1_rate_limited",
        "openai_chat_retry_2_succeeds",
    ] {
        record(&store, &provider_fixtures().join(fixture));
    }
    let doc = flush(&store, "retry");
    let events = doc["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["request"]["attempt"], 1);
    assert_eq!(events[0]["response"]["http_status"], 429);
    assert_eq!(events[0]["response"]["headers"]["retry-after"], "1");
    assert_eq!(
        events[0]["response"]["headers"]["x-ratelimit-remaining-tokens"],
        "0"
    );
    assert!(events[0]["error"].as_str().unwrap().contains("Rate limit"));
    assert_eq!(events[1]["request"]["attempt"], 2);
    assert_eq!(events[1]["error"], Value::Null);
    assert!(events[1]["response"]["headers"]["x-request-id"].is_string());
}

#[test]
fn video_polls_stretch_the_submit_event_to_the_last_poll() {
    let dir = provider_fixtures().join("gemini_video_sequence");
    let store = Store::new();
    store.observe(None, None).unwrap();
    let steps = sorted_dirs(&dir);
    for (i, step) in steps.iter().enumerate() {
        let exchange: Value =
            serde_json::from_str(&fs::read_to_string(step.join("exchange.json")).unwrap()).unwrap();
        let mut exchange = exchange.as_object().unwrap().clone();
        exchange.insert("started_at".into(), json!(1000.0 + 10.0 * i as f64));
        exchange.insert("ended_at".into(), json!(1000.5 + 10.0 * i as f64));
        let body = |file: &str| fs::read(step.join(file)).unwrap_or_default();
        store
            .record_http(
                &Value::Object(exchange).to_string(),
                &body("request.body"),
                &body("response.body"),
            )
            .unwrap();
    }
    let doc = flush(&store, "video");
    let event = &doc["events"][0];
    assert_eq!(doc["events"].as_array().unwrap().len(), 1);
    assert_eq!(event["started_at"], 1000.0);
    assert_eq!(event["ended_at"], 1000.5 + 10.0 * (steps.len() - 1) as f64);
    assert_eq!(event["response"]["polls"], steps.len() - 1);
    assert_eq!(event["response"]["done"], true);
}

#[test]
fn unknown_endpoints_and_bad_exchanges_record_nothing() {
    let store = Store::new();
    store.observe(None, None).unwrap();
    let err = store
        .record_http(
            r#"{"method":"GET","url":"https://api.openai.com/v1/models?key=SECRET"}"#,
            b"",
            b"",
        )
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotLlmEndpoint);
    assert!(!err.message.contains("SECRET"), "{}", err.message);
    for (json, kind) in [
        ("{", ErrorKind::InvalidJson),
        (
            r#"{"url":"https://x/v1/chat/completions"}"#,
            ErrorKind::InvalidArgument,
        ),
        (
            r#"{"method":"POST","url":"https://x/v1/chat/completions","status":-1}"#,
            ErrorKind::InvalidArgument,
        ),
        (
            r#"{"method":"POST","url":"https://x/v1/chat/completions","headers":{}}"#,
            ErrorKind::InvalidArgument,
        ),
        (
            r#"{"method":"POST","url":"https://x/v1/chat/completions","parent_span_id":"x"}"#,
            ErrorKind::InvalidArgument,
        ),
        (
            r#"{"method":"POST","url":"https://x/v1/chat/completions","attempt":0}"#,
            ErrorKind::InvalidArgument,
        ),
        (
            r#"{"method":"POST","url":"https://x/v1/chat/completions","attempt":1.5}"#,
            ErrorKind::InvalidArgument,
        ),
        (
            r#"{"method":"POST","url":"https://x/v1/chat/completions","response_headers":[]}"#,
            ErrorKind::InvalidArgument,
        ),
        (
            r#"{"method":"POST","url":"https://x/v1/chat/completions","response_headers":{"x-request-id":7}}"#,
            ErrorKind::InvalidArgument,
        ),
        (
            r#"{"method":"POST","url":"https://x/v1/chat/completions","response_headers":{"set-cookie":[null]}}"#,
            ErrorKind::InvalidArgument,
        ),
    ] {
        assert_eq!(
            store.record_http(json, b"{}", b"{}").unwrap_err().kind,
            kind,
            "{json}"
        );
    }
    store.end();
    let chat = r#"{"method":"POST","url":"https://x/v1/chat/completions"}"#;
    assert_eq!(
        store.record_http(chat, b"{}", b"{}").unwrap_err().kind,
        ErrorKind::NoSession
    );
    assert_eq!(flush(&store, "nothing")["events"], json!([]));
}

#[test]
fn exchanges_nest_under_open_spans_and_garbage_still_records() {
    let store = Store::new();
    store.observe(None, None).unwrap();
    let span = store.span_begin(r#"{"name":"ask"}"#).unwrap();
    store
        .record_http(
            r#"{"method":"POST","url":"https://api.openai.com/v1/chat/completions","status":200,"content_type":"application/json"}"#,
            b"{\"model\":\"gpt-4o-mini\",\"messages\":[]}",
            &[0xff, 0xfe, b'{', b'"'],
        )
        .unwrap();
    store.span_end(&span, None, None).unwrap();
    let doc = flush(&store, "nest-http");
    let call = &doc["trace_tree"][0]["children"][0];
    assert_eq!(call["parent_span_id"], span.as_str());
    assert_eq!(call["api"], "chat.completions.create");
    assert_eq!(call["request"]["model"], "gpt-4o-mini");
    assert!(
        call["response"]["capture_error"].is_string(),
        "{}",
        call["response"]
    );
}

#[test]
fn an_oversized_body_is_cut_and_still_recorded() {
    let store = Store::new();
    store.configure(r#"{"max_input_bytes":200}"#).unwrap();
    store.observe(None, None).unwrap();
    let big = format!(
        r#"{{"model":"gpt-4o","messages":[{{"role":"user","content":"{}"}}]}}"#,
        "x".repeat(5000)
    );
    store
        .record_http(
            r#"{"method":"POST","url":"https://api.openai.com/v1/chat/completions","status":200}"#,
            big.as_bytes(),
            b"{}",
        )
        .unwrap();
    let doc = flush(&store, "big");
    let request = &doc["events"][0]["request"];
    assert!(request["capture_error"].is_string(), "{request}");
}

#[test]
fn a_video_operation_spanning_flushes_is_written_again_until_done() {
    let dir = provider_fixtures().join("gemini_video_sequence");
    let steps = sorted_dirs(&dir);
    assert_eq!(steps.len(), 3, "submit and two polls");
    let store = Store::new();
    let first_session = store.observe(Some("submitter"), None).unwrap();
    let mut files = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        if i > 0 {
            // A flush ends the active session; the polls come in sessions of their own.
            store.observe(Some("poller"), None).unwrap();
        }
        record(&store, step);
        files.push(flush(&store, &format!("video-flush-{i}")));
    }
    let event = |doc: &Value| {
        let events = doc["events"].as_array().unwrap();
        assert_eq!(events.len(), 1);
        events[0].clone()
    };
    let (submitted, polled, finished) = (event(&files[0]), event(&files[1]), event(&files[2]));
    assert_eq!(submitted["response"]["done"], false);
    assert_eq!(polled["response"]["polls"], 1);
    assert_eq!(finished["response"]["done"], true);
    for later in [&polled, &finished] {
        assert_eq!(later["span_id"], submitted["span_id"]);
        assert_eq!(later["session_id"], first_session.as_str());
        assert_eq!(later["started_at"], submitted["started_at"]);
        assert_eq!(
            later["request"], submitted["request"],
            "the submit's prompt is kept"
        );
    }
    assert_eq!(call_of(&finished), expected(&dir, "expected.json").unwrap());
    // Each later file carries the submit's session again, so the file stands on its own.
    for doc in &files[1..] {
        assert!(
            doc["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["id"] == first_session.as_str())
        );
    }
    // A finished operation is forgotten: another poll of it is an event of its own.
    store.observe(None, None).unwrap();
    record(&store, &steps[2]);
    let stray = event(&flush(&store, "video-after"));
    assert_ne!(stray["span_id"], submitted["span_id"]);
}

#[test]
fn a_running_video_operation_survives_flushes_without_a_poll() {
    let dir = provider_fixtures().join("gemini_video_sequence");
    let steps = sorted_dirs(&dir);
    let store = Store::new();
    store.observe(None, None).unwrap();
    record(&store, &steps[0]);
    let submitted = flush(&store, "wait-0")["events"][0].clone();
    for quiet in 1..=2 {
        store.observe(None, None).unwrap();
        store
            .record_call(r#"{"provider":"openai","api":"embeddings.create"}"#)
            .unwrap();
        flush(&store, &format!("wait-{quiet}"));
    }
    store.observe(None, None).unwrap();
    record(&store, &steps[1]);
    let polled = flush(&store, "wait-poll")["events"][0].clone();
    assert_eq!(polled["span_id"], submitted["span_id"]);
    assert_eq!(polled["response"]["polls"], 1);
}

fn chat_exchange(extra: Value) -> String {
    let mut exchange = json!({
        "method": "POST",
        "url": "https://api.openai.com/v1/chat/completions",
        "status": 200,
        "content_type": "application/json",
    });
    exchange
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    exchange.to_string()
}

fn bytes_held(store: &Store) -> u64 {
    let stats: Value = serde_json::from_str(&store.stats().to_json()).unwrap();
    stats["bytes_held"].as_u64().unwrap()
}

#[test]
fn kept_response_headers_are_capped_and_count_against_the_bound() {
    let store = Store::new();
    store.observe(Some("headers"), None).unwrap();
    let session = bytes_held(&store);
    store
        .record_http(&chat_exchange(json!({})), b"{}", b"{}")
        .unwrap();
    let plain = bytes_held(&store) - session;
    let before = bytes_held(&store);
    let id = "r".repeat(1000);
    store
        .record_http(
            &chat_exchange(json!({"response_headers": {"x-request-id": id}})),
            b"{}",
            b"{}",
        )
        .unwrap();
    assert!(
        bytes_held(&store) - before >= plain + 1000,
        "the header is counted"
    );

    // A huge value keeps its first KiB and says it was cut; five of them fit in 1 MB.
    store.configure(r#"{"max_memory_bytes":1048576}"#).unwrap();
    let huge = "h".repeat(4 << 20);
    for _ in 0..5 {
        let exchange = chat_exchange(json!({"response_headers": {"x-request-id": huge}}));
        store.configure(r#"{"max_input_bytes":16777216}"#).unwrap();
        store.record_http(&exchange, b"{}", b"{}").unwrap();
    }
    assert!(bytes_held(&store) < 20_000, "{}", bytes_held(&store));
    let doc = flush(&store, "capped-headers");
    let kept = doc["events"][2]["response"]["headers"]["x-request-id"]
        .as_str()
        .unwrap();
    assert!(kept.starts_with(&"h".repeat(1024)), "{}", kept.len());
    assert!(
        kept.ends_with("[cut by aiobs]") && kept.len() < 1100,
        "{kept}"
    );
}

#[test]
fn secrets_in_urls_with_an_upper_case_scheme_are_scrubbed_from_errors() {
    let store = Store::new();
    store.observe(Some("scheme-case"), None).unwrap();
    let error = "Post \"HTTPS://api.openai.com/v1/chat/completions?key=SECRET2\": EOF; \
                 retried Http://proxy.local/x?api_key=SECRET3&page=2";
    store
        .record_http(
            &chat_exchange(json!({"transport_error": error})),
            b"{}",
            b"",
        )
        .unwrap();
    let doc = flush(&store, "scheme-case");
    let text = doc.to_string();
    assert!(!text.contains("SECRET"), "{text}");
    assert!(
        text.contains("HTTPS://api.openai.com/v1/chat/completions"),
        "{text}"
    );
    assert!(text.contains("Http://proxy.local/x?page=2"), "{text}");
}

#[test]
fn a_body_nested_too_deep_keeps_what_fits_and_is_still_repaired() {
    let store = Store::new();
    store.observe(Some("deep-body"), None).unwrap();
    let deep = format!("{}1{}", "[".repeat(200_000), "]".repeat(200_000));
    let request = format!(
        r#"{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":"hi"}}],"deep":{deep},"user":"a\ud800b","n":1e400,"seed":7}}"#
    );
    store
        .record_http(&chat_exchange(json!({})), request.as_bytes(), b"{}")
        .unwrap();
    let doc = flush(&store, "deep-body");
    let request = &doc["events"][0]["request"];
    assert_eq!(request["model"], "gpt-4o-mini", "{request}");
    assert_eq!(request["messages"][0]["content"], "hi");
    assert_eq!(request["other"]["user"], "a\u{fffd}b");
    assert_eq!(request["other"]["n"], Value::Null);
    assert_eq!(request["other"]["seed"], 7);
    let note = request["capture_error"].as_str().unwrap();
    for said in ["nested deeper than", "lone surrogate", "beyond the range"] {
        assert!(note.contains(said), "{note}");
    }
}
