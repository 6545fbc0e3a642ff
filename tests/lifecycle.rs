//! Long-running programs: thread parenting off, stats, the memory bound, abandoned spans,
//! periodic flushes that keep the session, and the file a flush leaves behind.

mod common;

use aiobs::{ErrorKind, Store};
use common::{chat_event, flush};
use serde_json::{Value, json};

fn observed() -> Store {
    let store = Store::new();
    store.observe(Some("lifecycle"), None).unwrap();
    store
}

fn stats(store: &Store) -> Value {
    serde_json::from_str(&store.stats().to_json()).unwrap()
}

#[test]
fn without_thread_parenting_an_absent_parent_makes_a_root() {
    let store = observed();
    store.configure(r#"{"thread_parenting":false}"#).unwrap();
    let outer = store.span_begin(r#"{"name":"outer"}"#).unwrap();
    let inner = store.span_begin(r#"{"name":"inner"}"#).unwrap();
    store.record_call(&chat_event(1)).unwrap();
    let named = store
        .span_begin(&format!(r#"{{"name":"named","parent_span_id":"{outer}"}}"#))
        .unwrap();
    for span in [&named, &inner, &outer] {
        store.span_end(span, None, None).unwrap();
    }
    let doc = flush(&store, "no-thread-parenting");
    assert_eq!(doc["events"][0]["parent_span_id"], Value::Null);
    let parent_of = |name: &str| {
        doc["function_events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()["parent_span_id"]
            .clone()
    };
    assert_eq!(parent_of("inner"), Value::Null);
    assert_eq!(parent_of("outer"), Value::Null);
    assert_eq!(parent_of("named"), json!(outer));
}

#[test]
fn thread_parenting_can_be_switched_per_span() {
    let store = observed();
    let outer = store.span_begin(r#"{"name":"outer"}"#).unwrap();
    // Not pushed: the call below still gets `outer` as its parent.
    let detached = store
        .span_begin(r#"{"name":"detached","thread_parenting":false}"#)
        .unwrap();
    store.record_call(&chat_event(1)).unwrap();
    store.span_end(&detached, None, None).unwrap();
    store.span_end(&outer, None, None).unwrap();
    store.configure(r#"{"thread_parenting":false}"#).unwrap();
    let pushed = store
        .span_begin(r#"{"name":"pushed","thread_parenting":true}"#)
        .unwrap();
    let child = store.span_begin(r#"{"name":"child"}"#).unwrap();
    store.span_end(&child, None, None).unwrap();
    store.span_end(&pushed, None, None).unwrap();
    let doc = flush(&store, "per-span-parenting");
    assert_eq!(doc["events"][0]["parent_span_id"], json!(outer));
    let functions = doc["function_events"].as_array().unwrap();
    let by_name = |name: &str| functions.iter().find(|f| f["name"] == name).unwrap();
    assert_eq!(by_name("detached")["parent_span_id"], Value::Null);
    assert_eq!(by_name("child")["parent_span_id"], Value::Null);
    assert_eq!(
        store
            .configure(r#"{"thread_parenting":"no"}"#)
            .unwrap_err()
            .kind,
        ErrorKind::InvalidArgument
    );
}

#[test]
fn stats_count_what_is_held_and_each_flush() {
    let store = observed();
    let empty = stats(&store);
    for key in [
        "events_held",
        "bytes_held",
        "events_dropped",
        "open_spans",
        "spans_abandoned",
        "flushes",
        "flushes_failed",
    ] {
        assert_eq!(empty[key], 0, "{key}");
    }
    let event = chat_event(1);
    store.record_call(&event).unwrap();
    let open = store.span_begin(r#"{"name":"open"}"#).unwrap();
    let held = stats(&store);
    assert_eq!(held["events_held"], 1);
    assert_eq!(held["open_spans"], 1);
    let bytes = held["bytes_held"].as_u64().unwrap();
    assert!(
        bytes as usize > event.len() / 2 && (bytes as usize) < 2 * event.len(),
        "{bytes}"
    );

    let dir = common::scratch_dir("stats");
    store.flush(Some(dir.to_str().unwrap())).unwrap_err();
    let failed = stats(&store);
    assert_eq!(
        (failed["flushes"].clone(), failed["flushes_failed"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(failed["bytes_held"], held["bytes_held"]);

    store
        .flush(Some(dir.join("out.json").to_str().unwrap()))
        .unwrap();
    let flushed = stats(&store);
    assert_eq!(flushed["flushes"], 1);
    assert_eq!(flushed["events_held"], 0);
    assert_eq!(flushed["open_spans"], 1);
    assert!(flushed["bytes_held"].as_u64().unwrap() > 0);
    store.span_end(&open, None, None).unwrap();
    assert_eq!(stats(&store)["events_held"], 1);
    store
        .flush(Some(dir.join("out.json").to_str().unwrap()))
        .unwrap();
    assert_eq!(stats(&store)["bytes_held"], 0);
    assert_eq!(
        store.span_end(&open, None, None).unwrap_err().kind,
        ErrorKind::UnknownSpan
    );
}
