//! The core's semantics through the safe Rust API, each test on a store of its own.

mod common;

use aiobs::{ErrorKind, Store};
use common::{chat_event, flush};
use serde_json::{Value, json};

fn observed() -> Store {
    let store = Store::new();
    store.observe(Some("test"), None).unwrap();
    store
}

/// The first element of a top-level array of the written file, as raw text, so that its keys
/// can be read in the file's own order.
fn first_raw(text: &str, array: &str) -> String {
    let doc: std::collections::HashMap<String, Box<serde_json::value::RawValue>> =
        serde_json::from_str(text).unwrap();
    let items: Vec<Box<serde_json::value::RawValue>> =
        serde_json::from_str(doc[array].get()).unwrap();
    items[0].get().to_owned()
}

#[test]
fn the_export_has_exactly_the_documented_keys_and_fields() {
    let store = observed();
    store.record_call(&chat_event(1)).unwrap();
    let span = store
        .span_begin(r#"{"name":"research","module":"app","args":["q"],"kwargs":{}}"#)
        .unwrap();
    store.span_end(&span, Some(r#""done""#), None).unwrap();
    store.end();
    let path = common::scratch_dir("keys").join("out.json");
    store.flush(Some(path.to_str().unwrap())).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();

    let top = common::keys_in_order(&text);
    assert_eq!(
        top,
        [
            "sessions",
            "events",
            "function_events",
            "trace_tree",
            "enh_prompt_traces",
            "generated_at",
            "version",
            "drops"
        ]
    );
    assert_eq!(doc["version"], 1);
    assert_eq!(
        doc["drops"],
        json!({"events": 0, "spans_abandoned": 0, "otlp_spans": 0})
    );
    assert!(doc["generated_at"].as_f64().unwrap() > 1.7e9);

    let session = &doc["sessions"][0];
    assert_eq!(
        common::keys_in_order(&first_raw(&text, "sessions")),
        ["id", "name", "started_at", "ended_at", "meta", "labels"]
    );
    assert_eq!(session["name"], "test");
    assert_eq!(session["id"].as_str().unwrap().len(), 36);
    assert!(session["ended_at"].as_f64().unwrap() >= session["started_at"].as_f64().unwrap());
    assert_eq!(session["meta"]["pid"], std::process::id());
    assert!(session["meta"]["cwd"].as_str().unwrap().starts_with('/'));

    let event = &doc["events"][0];
    assert_eq!(
        common::keys_in_order(&first_raw(&text, "events")),
        [
            "provider",
            "api",
            "request",
            "response",
            "error",
            "started_at",
            "ended_at",
            "duration_ms",
            "callsite",
            "span_id",
            "parent_span_id",
            "trace_id",
            "session_id"
        ]
    );
    assert_eq!(event["duration_ms"], 725.0);
    assert_eq!(event["request"]["messages"][1]["role"], "user");
    assert_eq!(
        event["callsite"],
        json!({"file": "app/research.c", "line": 42, "function": "research"})
    );
    assert_eq!(event["session_id"], session["id"]);
    assert_eq!(event["parent_span_id"], Value::Null);

    let function = &doc["function_events"][0];
    assert_eq!(
        common::keys_in_order(&first_raw(&text, "function_events")),
        [
            "provider",
            "api",
            "name",
            "module",
            "args",
            "kwargs",
            "result",
            "error",
            "started_at",
            "ended_at",
            "duration_ms",
            "callsite",
            "span_id",
            "parent_span_id",
            "trace_id",
            "enh_prompt",
            "enh_prompt_id",
            "auto_enhance_after",
            "session_id"
        ]
    );
    assert_eq!(function["provider"], "function");
    assert_eq!(function["api"], "app.research");
    assert_eq!(function["args"], json!(["q"]));
    assert_eq!(function["result"], "done");
    assert_eq!(function["enh_prompt"], false);
    assert_eq!(function["enh_prompt_id"], Value::Null);
    assert_eq!(doc["enh_prompt_traces"], Value::Null);
    assert_eq!(doc["trace_tree"].as_array().unwrap().len(), 2);
}

#[test]
fn an_empty_flush_writes_an_empty_document() {
    let doc = flush(&Store::new(), "empty");
    assert_eq!(doc["sessions"], json!([]));
    assert_eq!(doc["events"], json!([]));
    assert_eq!(doc["function_events"], json!([]));
    assert_eq!(doc["trace_tree"], json!([]));
    assert_eq!(doc["enh_prompt_traces"], Value::Null);
}

#[test]
fn session_names_default_to_the_id_and_labels_are_exported() {
    let store = Store::new();
    let id = store
        .observe(Some(""), Some(r#"{"environment":"production"}"#))
        .unwrap();
    store.add_label("user_tier", "enterprise").unwrap();
    let store_labels_text = store.get_labels().unwrap();
    let order = common::keys_in_order(&store_labels_text);
    assert!(
        order[0].starts_with("aiobs_"),
        "system labels come first: {order:?}"
    );
    assert_eq!(order[order.len() - 2..], ["environment", "user_tier"]);
    let doc = flush(&store, "labels");
    let session = &doc["sessions"][0];
    assert_eq!(session["name"], id.as_str());
    assert_eq!(session["ended_at"], Value::Null);
    assert_eq!(session["labels"]["environment"], "production");
    assert_eq!(session["labels"]["user_tier"], "enterprise");
    assert_eq!(session["labels"]["aiobs_runtime"], "c");
    assert_eq!(
        session["labels"]["aiobs_sdk_version"],
        env!("CARGO_PKG_VERSION")
    );
    let labels = serde_json::from_str::<Value>(&store_labels_text).unwrap();
    assert_eq!(labels, session["labels"]);
}

#[test]
fn label_calls_need_an_active_session_and_reject_whole() {
    let store = Store::new();
    for err in [
        store.add_label("a", "b").unwrap_err(),
        store.set_labels("{}", true).unwrap_err(),
        store.remove_label("a").unwrap_err(),
        store.get_labels().unwrap_err(),
        store.record_call(&chat_event(0)).unwrap_err(),
        store.span_begin(r#"{"name":"f"}"#).unwrap_err(),
    ] {
        assert_eq!(err.kind, ErrorKind::NoSession, "{}", err.message);
    }
    store.observe(None, Some(r#"{"team":"ml"}"#)).unwrap();
    let before = store.get_labels().unwrap();
    assert_eq!(
        store
            .set_labels(r#"{"ok":"1","Bad":"2"}"#, true)
            .unwrap_err()
            .kind,
        ErrorKind::InvalidLabel
    );
    assert_eq!(
        store
            .set_labels(r#"{"ok":"1","aiobs_x":"2"}"#, false)
            .unwrap_err()
            .kind,
        ErrorKind::InvalidLabel
    );
    assert_eq!(store.get_labels().unwrap(), before);
    store
        .set_labels(r#"{"environment":"prod"}"#, false)
        .unwrap();
    let labels: Value = serde_json::from_str(&store.get_labels().unwrap()).unwrap();
    assert_eq!(labels.get("team"), None);
    assert_eq!(labels["environment"], "prod");
    assert!(labels.get("aiobs_os").is_some());
    store.end();
    assert_eq!(store.get_labels().unwrap_err().kind, ErrorKind::NoSession);
}

#[test]
fn invalid_labels_at_observe_create_no_session() {
    let store = Store::new();
    store.observe(Some("first"), None).unwrap();
    let err = store
        .observe(Some("second"), Some(r#"{"Invalid-Key":"x"}"#))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidLabel);
    store.record_call(&chat_event(1)).unwrap();
    let doc = flush(&store, "badobserve");
    assert_eq!(doc["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(doc["sessions"][0]["name"], "first");
}

#[test]
fn a_second_observe_leaves_the_first_session_unended_and_events_follow_session_order() {
    let store = Store::new();
    let first = store.observe(Some("a"), None).unwrap();
    store.record_call(&chat_event(1)).unwrap();
    let second = store.observe(Some("b"), None).unwrap();
    store.record_call(&chat_event(2)).unwrap();
    store.end();
    store.end();
    assert_eq!(
        store.record_call(&chat_event(3)).unwrap_err().kind,
        ErrorKind::NoSession
    );
    let doc = flush(&store, "two");
    let sessions = doc["sessions"].as_array().unwrap();
    assert_eq!(sessions[0]["ended_at"], Value::Null);
    assert!(sessions[1]["ended_at"].is_f64());
    assert_eq!(doc["events"][0]["session_id"], first.as_str());
    assert_eq!(doc["events"][1]["session_id"], second.as_str());
    assert_eq!(doc["events"].as_array().unwrap().len(), 2);
}

#[test]
fn spans_nest_on_the_calling_thread_and_share_the_root_trace_id() {
    let store = observed();
    let outer = store
        .span_begin(r#"{"name":"outer","enh_prompt":true,"auto_enhance_after":5}"#)
        .unwrap();
    let inner = store
        .span_begin(r#"{"name":"inner","enh_prompt":true,"auto_enhance_after":10}"#)
        .unwrap();
    store.record_call(&chat_event(1)).unwrap();
    store.span_end(&inner, Some("42"), None).unwrap();
    store
        .record_call(
            &chat_event(2).replace(r#""error":null"#, r#""error":null,"parent_span_id":null"#),
        )
        .unwrap();
    store
        .span_end(&outer, None, Some("ValueError: boom"))
        .unwrap();
    let doc = flush(&store, "nest");

    let roots = doc["trace_tree"].as_array().unwrap();
    assert_eq!(
        roots.len(),
        2,
        "the outer span and the call recorded as an explicit root"
    );
    let outer_node = roots.iter().find(|n| n["name"] == "outer").unwrap();
    assert_eq!(outer_node["event_type"], "function");
    assert_eq!(outer_node["error"], "ValueError: boom");
    assert_eq!(outer_node["result"], Value::Null);
    let inner_node = &outer_node["children"][0];
    assert_eq!(inner_node["name"], "inner");
    assert_eq!(inner_node["parent_span_id"], outer.as_str());
    let call = &inner_node["children"][0];
    assert_eq!(call["event_type"], "provider");
    assert_eq!(call["parent_span_id"], inner.as_str());
    assert_eq!(call["children"], json!([]));
    assert_eq!(call["trace_id"], outer_node["trace_id"]);
    assert_eq!(inner_node["trace_id"], outer_node["trace_id"]);
    let root_call = roots
        .iter()
        .find(|n| n["event_type"] == "provider")
        .unwrap();
    assert_ne!(root_call["trace_id"], outer_node["trace_id"]);

    let ids: Vec<&str> = doc["enh_prompt_traces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            outer_node["enh_prompt_id"].as_str().unwrap(),
            inner_node["enh_prompt_id"].as_str().unwrap()
        ]
    );
    assert_ne!(ids[0], ids[1]);
    assert_eq!(ids[0].len(), 36);
    assert_eq!(inner_node["auto_enhance_after"], 10);
    // function_events are in completion order: inner before outer.
    assert_eq!(doc["function_events"][0]["name"], "inner");
}

#[test]
fn an_explicit_parent_links_across_threads() {
    let store = std::sync::Arc::new(observed());
    let parent = store.span_begin(r#"{"name":"fan_out"}"#).unwrap();
    std::thread::scope(|scope| {
        for i in 0..4 {
            let store = store.clone();
            let parent = parent.clone();
            scope.spawn(move || {
                let span = store
                    .span_begin(&format!(
                        r#"{{"name":"worker","parent_span_id":"{parent}","args":[{i}]}}"#
                    ))
                    .unwrap();
                store.record_call(&chat_event(i)).unwrap();
                store.span_end(&span, None, None).unwrap();
            });
        }
    });
    store.span_end(&parent, None, None).unwrap();
    let doc = flush(&store, "threads");
    let root = &doc["trace_tree"][0];
    assert_eq!(root["name"], "fan_out");
    let workers = root["children"].as_array().unwrap();
    assert_eq!(workers.len(), 4);
    for worker in workers {
        assert_eq!(worker["trace_id"], root["trace_id"]);
        assert_eq!(worker["children"][0]["trace_id"], root["trace_id"]);
    }
}

#[test]
fn a_span_ended_on_another_thread_stops_being_a_parent() {
    let store = observed();
    let span = store.span_begin(r#"{"name":"handed_over"}"#).unwrap();
    std::thread::scope(|scope| {
        scope.spawn(|| store.span_end(&span, None, None).unwrap());
    });
    store.record_call(&chat_event(1)).unwrap();
    let doc = flush(&store, "handover");
    assert_eq!(doc["events"][0]["parent_span_id"], Value::Null);
}

#[test]
fn span_calls_out_of_order_are_refused_and_change_nothing() {
    let store = observed();
    assert_eq!(
        store
            .span_end("00000000000000aa", None, None)
            .unwrap_err()
            .kind,
        ErrorKind::UnknownSpan
    );
    assert_eq!(
        store.span_end("not-an-id", None, None).unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
    let span = store.span_begin(r#"{"name":"f"}"#).unwrap();
    assert_eq!(
        store.span_end(&span, Some("{bad"), None).unwrap_err().kind,
        ErrorKind::InvalidJson
    );
    store.span_end(&span, None, None).unwrap();
    assert_eq!(
        store.span_end(&span, None, None).unwrap_err().kind,
        ErrorKind::UnknownSpan
    );
    assert_eq!(
        store.span_begin(r#"{"name":""}"#).unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        store
            .span_begin(r#"{"name":"f","auto_enhance_after":-1}"#)
            .unwrap_err()
            .kind,
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        store
            .span_begin(r#"{"name":"f","parent_span_id":"xyz"}"#)
            .unwrap_err()
            .kind,
        ErrorKind::InvalidArgument
    );
    let doc = flush(&store, "order");
    assert_eq!(doc["function_events"].as_array().unwrap().len(), 1);
}

#[test]
fn a_span_open_across_a_flush_lands_in_the_next_one() {
    let store = observed();
    let span = store.span_begin(r#"{"name":"long_running"}"#).unwrap();
    let first = flush(&store, "across1");
    assert_eq!(first["function_events"], json!([]));
    store.span_end(&span, None, None).unwrap();
    let second = flush(&store, "across2");
    assert_eq!(second["function_events"][0]["name"], "long_running");
    assert_eq!(
        second["function_events"][0]["session_id"],
        first["sessions"][0]["id"]
    );
}

#[test]
fn bad_calls_leave_what_was_recorded_intact() {
    let store = observed();
    store.record_call(&chat_event(1)).unwrap();
    let bad = [
        ("{", ErrorKind::InvalidJson),
        ("[]", ErrorKind::InvalidArgument),
        (r#"{"provider":"openai"}"#, ErrorKind::InvalidArgument),
        (
            r#"{"provider":"openai","api":""}"#,
            ErrorKind::InvalidArgument,
        ),
        (
            r#"{"provider":"openai","api":"x","started_at":"now"}"#,
            ErrorKind::InvalidArgument,
        ),
        (
            r#"{"provider":"openai","api":"x","started_at":5,"ended_at":4}"#,
            ErrorKind::InvalidArgument,
        ),
        (
            r#"{"provider":"openai","api":"x","span_id":"ABC"}"#,
            ErrorKind::InvalidArgument,
        ),
        (
            r#"{"provider":"openai","api":"x","trace_id":"00"}"#,
            ErrorKind::InvalidArgument,
        ),
        (
            r#"{"provider":"openai","api":"x","callsite":{"line":"12"}}"#,
            ErrorKind::InvalidArgument,
        ),
        (
            r#"{"provider":"openai","api":"x","duration_ms":1e999}"#,
            ErrorKind::InvalidJson,
        ),
        (
            r#"{"provider":"openai","api":"x","unknown":1}"#,
            ErrorKind::InvalidArgument,
        ),
    ];
    for (json, kind) in bad {
        let err = store.record_call(json).unwrap_err();
        assert_eq!(err.kind, kind, "{json}: {}", err.message);
        assert!(!err.message.is_empty());
    }
    for limit in ["0", "4294967296"] {
        let settings = format!(r#"{{"max_input_bytes":{limit}}}"#);
        assert_eq!(
            store.configure(&settings).unwrap_err().kind,
            ErrorKind::InvalidArgument
        );
    }
    store.configure(r#"{"max_input_bytes":100}"#).unwrap();
    assert_eq!(
        store.record_call(&chat_event(2)).unwrap_err().kind,
        ErrorKind::TooLarge
    );
    assert_eq!(
        store
            .set_labels(&format!(r#"{{"k":"{}"}}"#, "v".repeat(200)), true)
            .unwrap_err()
            .kind,
        ErrorKind::TooLarge
    );
    let doc = flush(&store, "bad");
    assert_eq!(doc["events"].as_array().unwrap().len(), 1);
}

#[test]
fn explicit_ids_durations_and_odd_values_are_kept() {
    let store = observed();
    store
        .record_call(r#"{"provider":"gemini","api":"models.generate_content","duration_ms":12.34567,"span_id":"00000000000000ab","trace_id":"0000000000000000000000000000abcd","request":"plain string","response":[1,2.5,"x",null,{"nested":{"deep":true}}],"error":"RuntimeError: \u00e9\n"}"#)
        .unwrap();
    let doc = flush(&store, "explicit");
    let event = &doc["events"][0];
    assert_eq!(event["duration_ms"], 12.346);
    assert_eq!(event["span_id"], "00000000000000ab");
    assert_eq!(event["trace_id"], "0000000000000000000000000000abcd");
    assert_eq!(event["request"], "plain string");
    assert_eq!(event["response"][4]["nested"]["deep"], true);
    assert_eq!(event["error"], "RuntimeError: é\n");
    assert_eq!(event["callsite"], Value::Null);
}

#[test]
fn duplicate_and_cyclic_span_ids_never_hang_or_duplicate() {
    let store = observed();
    let call = |span: &str, parent: &str| {
        format!(r#"{{"provider":"p","api":"a","span_id":"{span}","parent_span_id":"{parent}"}}"#)
    };
    store
        .record_call(&call("000000000000000a", "000000000000000b"))
        .unwrap();
    store
        .record_call(&call("000000000000000b", "000000000000000a"))
        .unwrap();
    store
        .record_call(&call("000000000000000c", "000000000000000c"))
        .unwrap();
    store
        .record_call(&call("000000000000000c", "000000000000000a"))
        .unwrap();
    let doc = flush(&store, "cycles");
    fn count(nodes: &Value) -> usize {
        nodes
            .as_array()
            .unwrap()
            .iter()
            .map(|n| 1 + count(&n["children"]))
            .sum()
    }
    assert_eq!(count(&doc["trace_tree"]), 4);
}

#[test]
fn a_failed_flush_keeps_everything_for_the_retry() {
    let store = observed();
    store.record_call(&chat_event(1)).unwrap();
    let dir = common::scratch_dir("fail");
    let blocker = dir.join("not-a-folder");
    std::fs::write(&blocker, "x").unwrap();
    let bad_path = blocker.join("out.json");
    let err = store.flush(Some(bad_path.to_str().unwrap())).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Io);
    assert!(err.message.contains("not-a-folder"), "{}", err.message);
    // The session is still active after the failure, and new events join the old ones.
    store.record_call(&chat_event(2)).unwrap();
    let doc = flush(&store, "retry");
    assert_eq!(doc["events"].as_array().unwrap().len(), 2);
    assert_eq!(doc["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "no temporary file is left behind"
    );
    // After a successful flush the store is empty and no session is active.
    assert_eq!(
        store.record_call(&chat_event(3)).unwrap_err().kind,
        ErrorKind::NoSession
    );
    assert_eq!(flush(&store, "after")["sessions"], json!([]));
}

#[test]
fn flush_creates_missing_folders_and_replaces_the_file() {
    let store = observed();
    let path = common::scratch_dir("mkdir").join("a/b/c/out.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "old content").unwrap();
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    store.flush(Some(path.to_str().unwrap())).unwrap();
    store.observe(None, None).unwrap();
    store.flush(Some(path.to_str().unwrap())).unwrap();
    assert_eq!(
        common::read_json(&path)["sessions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn eight_threads_recording_at_once_lose_nothing() {
    let store = observed();
    let per_thread = 5_000;
    std::thread::scope(|scope| {
        for t in 0..8 {
            let store = &store;
            scope.spawn(move || {
                for i in 0..per_thread {
                    store.record_call(&chat_event(t * per_thread + i)).unwrap();
                }
            });
        }
    });
    let doc = flush(&store, "threads8");
    let events = doc["events"].as_array().unwrap();
    assert_eq!(events.len(), 8 * per_thread);
    let ids: std::collections::HashSet<&str> = events
        .iter()
        .map(|e| e["response"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 8 * per_thread);
}

#[test]
fn configure_sets_the_runtime_label_of_later_sessions() {
    let store = Store::new();
    store
        .configure(r#"{"runtime":"go","runtime_version":"go1.26.8"}"#)
        .unwrap();
    store.observe(None, None).unwrap();
    let labels: Value = serde_json::from_str(&store.get_labels().unwrap()).unwrap();
    assert_eq!(labels["aiobs_runtime"], "go");
    assert_eq!(labels["aiobs_runtime_version"], "go1.26.8");
    let err = store
        .configure(r#"{"runtime":"go","capture":true}"#)
        .unwrap_err();
    assert!(err.message.contains("capture"), "{}", err.message);
}

#[test]
fn recording_goes_on_while_a_flush_fails_and_nothing_is_lost() {
    let store = observed();
    let blocker = common::scratch_dir("busy").join("file");
    std::fs::write(&blocker, "x").unwrap();
    let bad_path = blocker.join("out.json");
    let stop = std::sync::atomic::AtomicBool::new(false);
    let recorded = std::thread::scope(|scope| {
        let recorder = scope.spawn(|| {
            let mut recorded = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                store.record_call(&chat_event(recorded)).unwrap();
                recorded += 1;
            }
            recorded
        });
        for _ in 0..50 {
            assert_eq!(
                store
                    .flush(Some(bad_path.to_str().unwrap()))
                    .unwrap_err()
                    .kind,
                ErrorKind::Io
            );
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        recorder.join().unwrap()
    });
    let doc = flush(&store, "busy-ok");
    assert_eq!(doc["events"].as_array().unwrap().len(), recorded);
    assert_eq!(doc["sessions"].as_array().unwrap().len(), 1);
}

#[test]
fn a_span_open_across_a_flush_brings_its_session_into_the_next_file() {
    let store = Store::new();
    let first = store.observe(Some("s1"), None).unwrap();
    let span = store.span_begin(r#"{"name":"long_running"}"#).unwrap();
    store.end();
    flush(&store, "span-s1");
    store.observe(Some("s2"), None).unwrap();
    store.span_end(&span, None, None).unwrap();
    let doc = flush(&store, "span-s2");
    let names: Vec<&str> = doc["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["s1", "s2"]);
    assert_eq!(doc["function_events"][0]["session_id"], first.as_str());
    assert_eq!(flush(&store, "span-s3")["sessions"], json!([]));
}

#[test]
fn a_call_naming_an_ended_span_joins_its_trace() {
    let store = observed();
    let span = store.span_begin(r#"{"name":"request_handler"}"#).unwrap();
    store.span_end(&span, None, None).unwrap();
    store
        .record_call(&format!(
            r#"{{"provider":"openai","api":"x","parent_span_id":"{span}"}}"#
        ))
        .unwrap();
    let doc = flush(&store, "late-child");
    assert_eq!(
        doc["events"][0]["trace_id"],
        doc["function_events"][0]["trace_id"]
    );
    assert_eq!(
        doc["trace_tree"][0]["children"][0]["event_type"],
        "provider"
    );
}

#[test]
fn concurrent_configure_calls_all_land() {
    for _ in 0..200 {
        let store = Store::new();
        std::thread::scope(|scope| {
            scope.spawn(|| store.configure(r#"{"runtime":"go"}"#).unwrap());
            scope.spawn(|| store.configure(r#"{"capture_content":false}"#).unwrap());
        });
        let settings = store.settings();
        assert_eq!(
            (settings.runtime.as_str(), settings.capture_content),
            ("go", false)
        );
    }
}

#[test]
fn a_finite_input_that_spans_an_infinite_time_is_refused() {
    let store = observed();
    for json in [
        r#"{"provider":"p","api":"a","started_at":0,"ended_at":1e308}"#,
        r#"{"provider":"p","api":"a","duration_ms":1.5e306}"#,
    ] {
        assert_eq!(
            store.record_call(json).unwrap_err().kind,
            ErrorKind::InvalidArgument,
            "{json}"
        );
    }
}

#[test]
fn recording_during_successful_flushes_lands_in_exactly_one_file() {
    const CALLS: usize = 20_000;
    // The recorder keeps pace with the flushes, so that they interleave however the two
    // threads are scheduled: the k-th call waits for k * FLUSHES / CALLS flushes.
    const FLUSHES: usize = 3;
    let store = Store::new();
    let flushes = std::sync::atomic::AtomicUsize::new(0);
    let mut files = Vec::new();
    std::thread::scope(|scope| {
        let recorder = scope.spawn(|| {
            let mut recorded = 0;
            while recorded < CALLS {
                while flushes.load(std::sync::atomic::Ordering::SeqCst) < recorded * FLUSHES / CALLS
                {
                    std::thread::yield_now();
                }
                match store.record_call(&chat_event(recorded)) {
                    Ok(()) => recorded += 1,
                    // A flush ended the session: start another, as a long-running program would.
                    Err(e) if e.kind == ErrorKind::NoSession => {
                        store.observe(None, None).unwrap();
                    }
                    Err(e) => panic!("{}", e.message),
                }
            }
        });
        while !recorder.is_finished() {
            files.push(flush(&store, "ok"));
            flushes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    files.push(flush(&store, "ok-last"));
    assert!(files.len() >= FLUSHES, "flushes ran while recording");
    let mut seen = std::collections::HashSet::new();
    for doc in &files {
        let sessions: std::collections::HashSet<&str> = doc["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        for event in doc["events"].as_array().unwrap() {
            let session = event["session_id"].as_str().unwrap();
            assert!(
                sessions.contains(session),
                "every event's session is in its file"
            );
            let id = event["response"]["id"].as_str().unwrap().to_owned();
            assert!(seen.insert(id), "every event is written once");
        }
    }
    assert_eq!(seen.len(), CALLS);
}
