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
    let session = empty["bytes_held"].as_u64().unwrap();
    assert!(session > 0, "the session itself is held");
    for key in [
        "events_held",
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
    let bytes = held["bytes_held"].as_u64().unwrap() - session;
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

#[test]
fn past_the_memory_bound_new_events_are_dropped_and_counted() {
    let store = observed();
    let event = chat_event(1);
    let session = stats(&store)["bytes_held"].as_u64().unwrap();
    store.record_call(&event).unwrap();
    let one = stats(&store)["bytes_held"].as_u64().unwrap() - session;
    store
        .configure(&format!(r#"{{"max_memory_bytes":{}}}"#, session + 3 * one))
        .unwrap();
    store.record_call(&event).unwrap();
    store.record_call(&event).unwrap();
    let refused = store.record_call(&event).unwrap_err();
    assert_eq!(refused.kind, ErrorKind::MemoryLimit);
    assert!(
        refused.message.contains("max_memory_bytes"),
        "{}",
        refused.message
    );
    assert_eq!(
        store.span_begin(r#"{"name":"too_much"}"#).unwrap_err().kind,
        ErrorKind::MemoryLimit
    );
    let full = stats(&store);
    assert_eq!(full["events_held"], 3);
    assert_eq!(full["events_dropped"], 2);
    assert!(full["bytes_held"].as_u64().unwrap() <= session + 3 * one);

    // A failed flush keeps the count for the next file; a written file reports it once.
    let dir = common::scratch_dir("memory-bound");
    store.flush(Some(dir.to_str().unwrap())).unwrap_err();
    let doc = flush(&store, "memory-bound");
    assert_eq!(
        doc["drops"],
        json!({"events": 2, "spans_abandoned": 0, "otlp_spans": 0})
    );
    assert_eq!(doc["events"].as_array().unwrap().len(), 3);
    store.observe(Some("next"), None).unwrap();
    store.record_call(&event).unwrap();
    let doc = flush(&store, "memory-bound-after");
    assert_eq!(doc["drops"]["events"], 0);
    assert_eq!(stats(&store)["events_dropped"], 2);
}

#[test]
fn a_span_that_ends_past_the_bound_is_closed_and_its_record_dropped() {
    let store = observed();
    let session = stats(&store)["bytes_held"].clone();
    let span = store.span_begin(r#"{"name":"big_result"}"#).unwrap();
    let held = stats(&store)["bytes_held"].as_u64().unwrap();
    store
        .configure(&format!(r#"{{"max_memory_bytes":{}}}"#, held + 100))
        .unwrap();
    let result = format!("\"{}\"", "x".repeat(1000));
    let err = store.span_end(&span, Some(&result), None).unwrap_err();
    assert_eq!(err.kind, ErrorKind::MemoryLimit);
    let after = stats(&store);
    assert_eq!(
        (after["open_spans"].clone(), after["events_dropped"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(after["bytes_held"], session);
    assert_eq!(
        store.span_end(&span, None, None).unwrap_err().kind,
        ErrorKind::UnknownSpan
    );
}

#[test]
fn spans_open_too_long_are_closed_as_abandoned_at_flush() {
    let store = observed();
    let old = store.span_begin(r#"{"name":"forgotten"}"#).unwrap();
    store.configure(r#"{"max_span_age_seconds":0.05}"#).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    store.configure(r#"{"max_span_age_seconds":3600}"#).unwrap();
    let young = store.span_begin(r#"{"name":"young"}"#).unwrap();
    store.configure(r#"{"max_span_age_seconds":0.05}"#).unwrap();
    // `young` began just now: it stays open.
    let doc = flush(&store, "abandoned");
    let functions = doc["function_events"].as_array().unwrap();
    assert_eq!(functions.len(), 1);
    assert_eq!(functions[0]["name"], "forgotten");
    assert_eq!(functions[0]["span_id"], json!(old));
    let error = functions[0]["error"].as_str().unwrap();
    assert!(error.starts_with("AbandonedSpan: "), "{error}");
    assert!(error.contains("max_span_age_seconds"), "{error}");
    assert_eq!(
        doc["drops"],
        json!({"events": 0, "spans_abandoned": 1, "otlp_spans": 0})
    );
    let after = stats(&store);
    assert_eq!(
        (
            after["spans_abandoned"].clone(),
            after["open_spans"].clone()
        ),
        (json!(1), json!(1))
    );
    assert_eq!(
        store.span_end(&old, None, None).unwrap_err().kind,
        ErrorKind::UnknownSpan
    );
    store.configure(r#"{"max_span_age_seconds":3600}"#).unwrap();
    store.span_end(&young, None, None).unwrap();
    for bad in ["0", "-1", "\"1\""] {
        assert!(
            store
                .configure(&format!(r#"{{"max_span_age_seconds":{bad}}}"#))
                .is_err(),
            "{bad}"
        );
    }
}

#[test]
fn periodic_flushes_keep_the_session_and_each_record_lands_in_one_file() {
    const THREADS: usize = 3;
    const CALLS: usize = 20_000;
    let store = observed();
    store.configure(r#"{"flush_ends_session":false}"#).unwrap();
    let dir = common::scratch_dir("periodic");
    // Recorders keep pace with the flushes (the i-th call waits for 2 * i / CALLS of them), so
    // that flushes run among the records however the threads are scheduled.
    let done = std::sync::atomic::AtomicUsize::new(0);
    let flushes = std::sync::atomic::AtomicUsize::new(0);
    let files = std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (store, done, flushes) = (&store, &done, &flushes);
            scope.spawn(move || {
                for i in 0..CALLS {
                    while flushes.load(std::sync::atomic::Ordering::SeqCst) < 2 * i / CALLS {
                        std::thread::yield_now();
                    }
                    let event = format!(
                        r#"{{"provider":"openai","api":"chat","request":{{"t":{t},"i":{i}}}}}"#
                    );
                    store.record_call(&event).unwrap();
                }
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
        let mut files = Vec::new();
        while done.load(std::sync::atomic::Ordering::SeqCst) < THREADS {
            let path = dir.join(format!("{}.json", files.len()));
            store.flush(Some(path.to_str().unwrap())).unwrap();
            files.push(path);
            flushes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        files
    });
    let last = dir.join("last.json");
    store.flush(Some(last.to_str().unwrap())).unwrap();
    assert!(files.len() > 1);
    let mut seen = std::collections::HashSet::new();
    let mut session_ids = std::collections::HashSet::new();
    for path in files.iter().chain([&last]) {
        let doc = common::read_json(path);
        for session in doc["sessions"].as_array().unwrap() {
            assert_eq!(session["ended_at"], Value::Null);
            session_ids.insert(session["id"].as_str().unwrap().to_owned());
        }
        for event in doc["events"].as_array().unwrap() {
            let key = (
                event["request"]["t"].as_u64(),
                event["request"]["i"].as_u64(),
            );
            assert!(seen.insert(key), "{key:?} in two files");
        }
    }
    assert_eq!(seen.len(), THREADS * CALLS);
    assert_eq!(session_ids.len(), 1);
    // Still active: labels can be read and calls recorded.
    store.get_labels().unwrap();
    store.end();
    assert_eq!(
        store.record_call(&chat_event(1)).unwrap_err().kind,
        ErrorKind::NoSession
    );
}

#[test]
fn by_default_a_flush_ends_the_session_as_in_python() {
    let store = observed();
    store.record_call(&chat_event(1)).unwrap();
    flush(&store, "ends-session");
    assert_eq!(
        store.record_call(&chat_event(1)).unwrap_err().kind,
        ErrorKind::NoSession
    );
}

#[test]
fn sessions_and_their_labels_count_against_the_bound() {
    let store = Store::new();
    store.observe(Some("first"), None).unwrap();
    let one = stats(&store)["bytes_held"].as_u64().unwrap();
    assert!(one > 0, "a session holds memory before any event");
    store
        .configure(&format!(r#"{{"max_memory_bytes":{}}}"#, 20 * one))
        .unwrap();
    let mut observed = 1;
    let refused = loop {
        match store.observe(Some("next"), None) {
            Ok(_) => observed += 1,
            Err(err) => break err,
        }
        assert!(observed < 1000, "observe never hit the bound");
    };
    assert_eq!(refused.kind, ErrorKind::MemoryLimit);
    let full = stats(&store);
    assert!(full["bytes_held"].as_u64().unwrap() <= 20 * one);
    assert_eq!(full["events_dropped"], 1);
    // Labels grow the active session: past the bound they are refused and left as they were.
    let value = "v".repeat(256);
    let refused = (0..10)
        .find_map(|i| store.add_label(&format!("big{i}"), &value).err())
        .expect("labels never hit the bound");
    assert_eq!(refused.kind, ErrorKind::MemoryLimit);
    assert!(stats(&store)["bytes_held"].as_u64().unwrap() <= 20 * one);

    // A flush forgets the ended sessions and gives their bytes back.
    store
        .configure(r#"{"max_memory_bytes":268435456}"#)
        .unwrap();
    let doc = flush(&store, "session-bound");
    assert_eq!(doc["sessions"].as_array().unwrap().len(), observed);
    assert_eq!(stats(&store)["bytes_held"], 0);
}

#[test]
fn a_dropped_span_is_not_remembered_as_a_parent() {
    let store = observed();
    let outer = store.span_begin(r#"{"name":"outer"}"#).unwrap();
    store.record_call(&chat_event(1)).unwrap();
    let held = stats(&store)["bytes_held"].as_u64().unwrap();
    store
        .configure(&format!(r#"{{"max_memory_bytes":{}}}"#, held + 4000))
        .unwrap();
    let result = format!("\"{}\"", "x".repeat(10_000));
    let err = store.span_end(&outer, Some(&result), None).unwrap_err();
    assert_eq!(err.kind, ErrorKind::MemoryLimit);
    // The span's record was dropped, so nothing of it (its trace either) stays in memory: a
    // call naming it as parent starts a trace of its own.
    let named = chat_event(2).replacen('{', &format!(r#"{{"parent_span_id":"{outer}","#), 1);
    store.record_call(&named).unwrap();
    let doc = flush(&store, "dropped-parent");
    let events = doc["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["parent_span_id"], json!(outer));
    assert_ne!(events[0]["trace_id"], events[1]["trace_id"]);
}

#[test]
fn a_batch_being_written_stays_counted_until_the_flush_forgets_it() {
    let store = std::sync::Arc::new(observed());
    for i in 0..20_000 {
        store.record_call(&chat_event(i)).unwrap();
    }
    let full = stats(&store)["bytes_held"].as_u64().unwrap();
    let dir = common::scratch_dir("in-flight");
    let flusher = {
        let store = store.clone();
        let path = dir.join("out.json");
        std::thread::spawn(move || store.flush(Some(path.to_str().unwrap())).unwrap())
    };
    // Until the flush counts itself done, the batch it writes is still in memory, and said so.
    let mut seen = 0;
    while !flusher.is_finished() {
        let now = stats(&store);
        if now["flushes"] == 0 {
            assert!(now["bytes_held"].as_u64().unwrap() >= full, "{now}");
            seen += 1;
        }
        std::thread::yield_now();
    }
    flusher.join().unwrap();
    assert!(seen > 0);
    assert_eq!(stats(&store)["bytes_held"], 0);
}
