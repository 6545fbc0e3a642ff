//! Inputs that would make the export unreadable are refused, naming the argument; inputs that
//! are hostile but acceptable give an export that strict readers load (Python's `json` with
//! NaN and Infinity refused and every string encodable as UTF-8, and serde_json's defaults).

mod common;

use std::process::Command;

use aiobs::json_check::MAX_DEPTH;
use aiobs::{ErrorKind, Store};
use common::{flush, scratch_dir};

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn assert_refused(result: Result<impl std::fmt::Debug, aiobs::Error>, argument: &str, why: &str) {
    let err = result.expect_err(argument);
    assert_eq!(err.kind, ErrorKind::InvalidJson, "{}", err.message);
    assert!(
        err.message.contains(argument) && err.message.contains(why),
        "{argument}: {}",
        err.message
    );
}

#[test]
fn unreadable_values_are_refused_with_the_argument_named() {
    let store = Store::new();
    store.observe(None, None).unwrap();
    let call = |field: &str, value: &str| {
        store.record_call(&format!(
            r#"{{"provider":"p","api":"a","{field}":{value}}}"#
        ))
    };
    let deep = nested(200_000);
    for (field, value, why) in [
        ("request", deep.as_str(), "deeper than 64"),
        ("request", &nested(MAX_DEPTH + 1), "deeper than 64"),
        ("response", r#"{"text":"\ud800"}"#, "lone surrogate"),
        ("request", r#"["\udfff"]"#, "lone surrogate"),
        ("request", r#"{"n":1e400}"#, "range of a double"),
        ("response", "-1e309", "range of a double"),
    ] {
        assert_refused(call(field, value), &format!("event_json.{field}"), why);
    }
    let span = |json: &str| store.span_begin(json);
    assert_refused(
        span(&format!(r#"{{"name":"f","args":{deep}}}"#)),
        "span_json.args",
        "deeper than 64",
    );
    assert_refused(
        span(r#"{"name":"f","kwargs":{"k":"\ud800"}}"#),
        "span_json.kwargs",
        "lone surrogate",
    );
    let id = store.span_begin(r#"{"name":"kept"}"#).unwrap();
    for (result, why) in [
        ("1e400", "range of a double"),
        (r#""\ud800""#, "lone surrogate"),
        (deep.as_str(), "deeper than 64"),
    ] {
        assert_refused(store.span_end(&id, Some(result), None), "result_json", why);
    }
    store.span_end(&id, Some("1.5"), None).unwrap();
    assert_refused(
        store.set_labels(r#"{"a":"\ud800"}"#, true),
        "labels_json",
        "lone surrogate",
    );
    assert_refused(
        store.observe(None, Some(r#"{"a":"x","b":1e400}"#)),
        "labels_json",
        "range of a double",
    );
    assert_refused(
        store.configure(r#"{"max_input_bytes":1e400}"#),
        "settings_json",
        "range of a double",
    );
    assert_refused(
        store.configure(&format!(r#"{{"runtime":{deep}}}"#)),
        "settings_json",
        "deeper than 64",
    );
    // Typed fields are checked by the same pass, which names them.
    assert_refused(
        store.record_call(r#"{"provider":"p","api":"a","error":"\ud800"}"#),
        "event_json.error",
        "lone surrogate",
    );
    assert_refused(
        store.record_call(r#"{"provider":"p","api":"a","started_at":1e400}"#),
        "event_json.started_at",
        "range of a double",
    );
    assert_refused(
        store.record_http(
            r#"{"method":"POST","url":"https://api.openai.com/v1/chat/completions","response_headers":{"x-request-id":"\udc00"}}"#,
            b"{}",
            b"{}",
        ),
        "exchange_json",
        "",
    );
    let doc = flush(&store, "refused");
    assert_eq!(doc["events"], serde_json::json!([]));
    assert_eq!(doc["function_events"].as_array().unwrap().len(), 1);
}

/// Everything that is accepted, at the edges: the deepest values allowed, at the root and under
/// nested spans; surrogate pairs, escaped control characters, the largest and smallest doubles,
/// integers past 64 bits; provider bodies with lone surrogates, numbers beyond a double and
/// nesting past the limit.
fn record_hostile_but_accepted(store: &Store) {
    let deepest = nested(MAX_DEPTH);
    let edge = format!(
        r#"{{"deep":{},"pair":"\ud83d\ude00","controls":"\u0000\u001f\b","max":1.7976931348623157e308,"tiny":5e-324,"under":1e-400,"big":123456789012345678901234567890,"neg":-0}}"#,
        nested(MAX_DEPTH - 1)
    );
    store
        .record_call(&format!(
            r#"{{"provider":"p","api":"a","request":{deepest},"response":{edge}}}"#
        ))
        .unwrap();
    let mut spans = Vec::new();
    for depth in 0..25 {
        let args = if depth % 5 == 0 { &deepest } else { "[]" };
        spans.push(
            store
                .span_begin(&format!(
                    r#"{{"name":"level{depth}","args":{args},"kwargs":{edge}}}"#
                ))
                .unwrap(),
        );
    }
    store
        .record_call(&format!(
            r#"{{"provider":"p","api":"nested","request":{deepest},"response":{edge}}}"#
        ))
        .unwrap();
    let deep_body = format!(r#"{{"model":"m","messages":{}}}"#, nested(100));
    let odd_body = r#"{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"a\ud800b"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1e400,"completion_tokens":2,"total_tokens":3}}"#;
    store
        .record_http(
            r#"{"method":"POST","url":"https://api.openai.com/v1/chat/completions","status":200,"content_type":"application/json"}"#,
            deep_body.as_bytes(),
            odd_body.as_bytes(),
        )
        .unwrap();
    while let Some(id) = spans.pop() {
        store.span_end(&id, Some(&deepest), None).unwrap();
    }
}

#[test]
fn the_export_of_hostile_but_accepted_inputs_loads_in_strict_readers() {
    let store = Store::new();
    store.observe(None, None).unwrap();
    record_hostile_but_accepted(&store);
    let path = scratch_dir("hostile").join("out.json");
    store.flush(Some(path.to_str().unwrap())).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();

    // serde_json with its defaults (recursion limit 128 in all).
    let doc: serde_json::Value = serde_json::from_str(&text).expect("serde_json reads the export");
    let events = doc["events"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    let http = &events[2];
    assert_eq!(http["response"]["text"], "a\u{fffd}b");
    assert_eq!(
        http["response"]["usage"]["prompt_tokens"],
        serde_json::Value::Null
    );
    let note = http["response"]["capture_error"].as_str().unwrap();
    assert!(
        note.contains("lone surrogate") && note.contains("range of a double"),
        "{note}"
    );
    let note = http["request"]["capture_error"].as_str().unwrap();
    assert!(note.contains("deeper than 64"), "{note}");

    assert_eq!(python_loads(&path)["events"].as_array().unwrap().len(), 3);
}

/// Loads `path` with Python's `json`: strict constants, and every string must encode as UTF-8
/// (lone surrogates do not). Returns what Python read, written back out.
fn python_loads(path: &std::path::Path) -> serde_json::Value {
    let script = r#"
import json, sys
def refuse(name):
    raise ValueError("non-standard constant " + name)
with open(sys.argv[1], encoding="utf-8") as f:
    doc = json.load(f, parse_constant=refuse)
json.dumps(doc, ensure_ascii=False).encode("utf-8")
print(json.dumps({"events": doc["events"], "function_events": len(doc["function_events"])}))
"#;
    let output = Command::new("python3")
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "python: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("python's summary")
}

/// The deepest JSON a tree node holds: the node itself and the deepest value in it.
fn deepest_tree_node(nodes: &serde_json::Value, depth: usize) -> usize {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|node| deepest_tree_node(&node["children"], depth + 1).max(depth))
        .max()
        .unwrap_or(0)
}

/// Spans nested far deeper than the trace tree is written, each holding values as deep as
/// allowed: the tree is cut at `WRITTEN_DEPTH`, so serde_json's default limit (128 levels in
/// all) and Python load the file, and every event keeps its true parent.
#[test]
fn deeply_nested_spans_with_the_deepest_values_load_in_strict_readers() {
    const SPANS: usize = 70;
    let store = Store::new();
    store.observe(None, None).unwrap();
    let deepest = nested(MAX_DEPTH);
    let spans: Vec<String> = (0..SPANS)
        .map(|i| {
            store
                .span_begin(&format!(r#"{{"name":"level{i}","args":{deepest}}}"#))
                .unwrap()
        })
        .collect();
    store
        .record_call(&format!(
            r#"{{"provider":"p","api":"innermost","request":{deepest},"response":{deepest}}}"#
        ))
        .unwrap();
    for span in spans.iter().rev() {
        store.span_end(span, Some(&deepest), None).unwrap();
    }
    let path = scratch_dir("deep-spans").join("out.json");
    store.flush(Some(path.to_str().unwrap())).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();

    let doc: serde_json::Value = serde_json::from_str(&text).expect("serde_json reads the export");
    let tree = &doc["trace_tree"];
    assert_eq!(tree.as_array().unwrap().len(), 1, "one trace");
    assert_eq!(
        deepest_tree_node(tree, 1),
        aiobs::export::tree::WRITTEN_DEPTH
    );
    let functions = doc["function_events"].as_array().unwrap();
    assert_eq!(functions.len(), SPANS);
    let parent_of: std::collections::HashMap<&str, &str> = functions
        .iter()
        .chain(doc["events"].as_array().unwrap())
        .filter_map(|e| Some((e["span_id"].as_str()?, e["parent_span_id"].as_str()?)))
        .collect();
    let mut chain = 0;
    let mut span = doc["events"][0]["span_id"].as_str().unwrap();
    while let Some(parent) = parent_of.get(span) {
        chain += 1;
        span = parent;
    }
    assert_eq!(chain, SPANS, "the innermost call's true ancestry is kept");

    let python = python_loads(&path);
    assert_eq!(python["function_events"], SPANS);
    assert_eq!(python["events"][0]["api"], "innermost");
}
