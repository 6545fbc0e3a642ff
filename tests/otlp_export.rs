//! The OTLP exporter against a local receiver that accepts, fails, hangs, throttles with
//! `Retry-After` or accepts slowly: nothing accepted is lost or sent twice, drops are counted
//! exactly at the bound, recording never waits on the network, and shutdown keeps its timeout.

mod common;
#[path = "otlp/server.rs"]
mod server;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use aiobs::Store;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use server::{Answer, Server};

fn exporting_store(url: &str, otlp: &str) -> Store {
    let store = Store::new();
    store
        .configure(&format!(
            r#"{{"otlp":{{"traces_endpoint":"{url}","schedule_delay_ms":20,"timeout_ms":2000}}}}"#
        ))
        .unwrap();
    store
        .configure(&format!(r#"{{"otlp":{{{otlp}}}}}"#))
        .unwrap();
    store
}

fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

fn text<'a>(span: &'a Span, key: &str) -> &'a str {
    match attribute(span, key) {
        Some(Value::StringValue(s)) => s,
        other => panic!("{key} on {}: {other:?}", span.name),
    }
}

fn int(span: &Span, key: &str) -> i64 {
    match attribute(span, key) {
        Some(Value::IntValue(i)) => *i,
        other => panic!("{key} on {}: {other:?}", span.name),
    }
}

fn record_chats(store: &Store, n: usize) {
    for i in 0..n {
        store.record_call(&common::chat_event(i)).unwrap();
    }
}

fn unique_span_ids(spans: &[Span]) -> HashSet<Vec<u8>> {
    spans.iter().map(|s| s.span_id.clone()).collect()
}

#[test]
fn spans_arrive_mapped_in_both_encodings() {
    for (protocol, compression) in [("http/protobuf", "none"), ("http/json", "gzip")] {
        let server = Server::start(vec![], Answer::Accept);
        let store = exporting_store(
            &server.url,
            &format!(
                r#""protocol":"{protocol}","compression":"{compression}","capture_message_content":true,"openinference":true"#
            ),
        );
        store
            .observe(Some("research"), Some(r#"{"team":"search"}"#))
            .unwrap();
        let outer = store
            .span_begin(r#"{"name":"pipeline","args":[1]}"#)
            .unwrap();
        store.record_call(&common::chat_event(7)).unwrap();
        let inner = store.span_begin(r#"{"name":"retrieve"}"#).unwrap();
        store
            .span_end(&inner, None, Some("TimeoutError: index slow"))
            .unwrap();
        store.span_end(&outer, Some(r#""done""#), None).unwrap();
        store.shutdown(Duration::from_secs(10)).unwrap();

        let spans = server.accepted_spans();
        assert_eq!(spans.len(), 3, "{protocol}");
        let by_name = |name: &str| spans.iter().find(|s| s.name == name).unwrap();
        let chat = by_name("chat gpt-4o-mini");
        let pipeline = by_name("pipeline");
        let retrieve = by_name("retrieve");
        assert_eq!(chat.kind, 3, "CLIENT");
        assert_eq!(pipeline.kind, 1, "INTERNAL");
        assert_eq!(chat.parent_span_id, pipeline.span_id);
        assert_eq!(retrieve.parent_span_id, pipeline.span_id);
        assert!(pipeline.parent_span_id.is_empty());
        assert!(spans.iter().all(|s| s.trace_id == pipeline.trace_id));
        assert_eq!(text(chat, "gen_ai.operation.name"), "chat");
        assert_eq!(text(chat, "gen_ai.provider.name"), "openai");
        assert_eq!(text(chat, "gen_ai.request.model"), "gpt-4o-mini");
        assert_eq!(
            text(chat, "gen_ai.response.model"),
            "gpt-4o-mini-2024-07-18"
        );
        assert_eq!(text(chat, "gen_ai.response.id"), "chatcmpl-00000007");
        assert_eq!(int(chat, "gen_ai.usage.input_tokens"), 61);
        assert_eq!(int(chat, "gen_ai.usage.output_tokens"), 58);
        assert_eq!(int(chat, "gen_ai.request.max_tokens"), 256);
        assert!(text(chat, "gen_ai.input.messages").contains("Question 7"));
        assert_eq!(text(chat, "openinference.span.kind"), "LLM");
        assert_eq!(int(chat, "llm.token_count.total"), 119);
        assert_eq!(text(pipeline, "output.value"), r#""done""#);
        for span in &spans {
            assert_eq!(text(span, "aiobs.label.team"), "search");
            assert_eq!(text(span, "aiobs.session.name"), "research");
            assert_eq!(text(span, "session.id").len(), 36);
        }
        let status = retrieve.status.as_ref().unwrap();
        assert_eq!(status.code, 2, "ERROR");
        assert_eq!(text(retrieve, "error.type"), "TimeoutError");
        assert!(chat.status.is_none());

        let request = &server.log.lock().unwrap().accepted_requests[0];
        let resource = &request.resource_spans[0]
            .resource
            .as_ref()
            .unwrap()
            .attributes;
        let keys: Vec<&str> = resource.iter().map(|kv| kv.key.as_str()).collect();
        for key in [
            "service.name",
            "host.name",
            "process.runtime.name",
            "process.pid",
        ] {
            assert!(keys.contains(&key), "{key} in {keys:?}");
        }
    }
}

#[test]
fn content_stays_home_unless_capture_is_on() {
    let server = Server::start(vec![], Answer::Accept);
    let store = exporting_store(&server.url, r#""openinference":true"#);
    store.observe(None, None).unwrap();
    record_chats(&store, 1);
    store.shutdown(Duration::from_secs(10)).unwrap();
    let span = &server.accepted_spans()[0];
    for key in [
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "input.value",
        "llm.input_messages.0.message.content",
    ] {
        assert!(attribute(span, key).is_none(), "{key}");
    }
    assert_eq!(int(span, "gen_ai.usage.input_tokens"), 61);
}

#[test]
fn throttled_batches_wait_as_told_and_arrive_once() {
    let server = Server::start(vec![Answer::Status(429, Some(1))], Answer::Accept);
    let store = exporting_store(&server.url, "");
    store.observe(None, None).unwrap();
    record_chats(&store, 5);
    store.shutdown(Duration::from_secs(20)).unwrap();
    let spans = server.accepted_spans();
    assert_eq!(spans.len(), 5);
    assert_eq!(unique_span_ids(&spans).len(), 5);
    let log = server.log.lock().unwrap();
    let gap = log.arrivals[1].0 - log.arrivals[0].0;
    assert!(
        gap >= Duration::from_secs(1),
        "Retry-After: 1 honoured, waited {gap:?}"
    );
    assert_eq!(store.stats().otlp.unwrap().exported, 5);
}

#[test]
fn unavailable_backends_are_retried_until_they_accept() {
    let server = Server::start(
        vec![
            Answer::Status(503, None),
            Answer::Status(502, None),
            Answer::Status(504, None),
        ],
        Answer::Accept,
    );
    let store = exporting_store(&server.url, r#""max_export_batch_size":4"#);
    store.observe(None, None).unwrap();
    record_chats(&store, 10);
    store.shutdown(Duration::from_secs(20)).unwrap();
    let spans = server.accepted_spans();
    assert_eq!(spans.len(), 10);
    assert_eq!(unique_span_ids(&spans).len(), 10, "no span sent twice");
    let stats = store.stats().otlp.unwrap();
    assert_eq!(
        (stats.exported, stats.failed_batches, stats.dropped),
        (10, 0, 0)
    );
}

#[test]
fn rejected_batches_are_not_retried_and_are_counted() {
    let server = Server::start(vec![Answer::Status(400, None)], Answer::Accept);
    let store = exporting_store(&server.url, r#""max_export_batch_size":3"#);
    store.observe(None, None).unwrap();
    record_chats(&store, 3);
    server.wait_for_requests(1);
    record_chats(&store, 3);
    store.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!(server.requests(), 2, "the 400 was not retried");
    let stats = store.stats().otlp.unwrap();
    assert_eq!(
        (stats.exported, stats.failed_batches, stats.failed_spans),
        (3, 1, 3)
    );
}

#[test]
fn slow_backends_lose_nothing() {
    let server = Server::start(vec![], Answer::AcceptAfter(Duration::from_millis(150)));
    let store = exporting_store(&server.url, r#""max_export_batch_size":50"#);
    store.observe(None, None).unwrap();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| record_chats(&store, 100));
        }
    });
    store.shutdown(Duration::from_secs(30)).unwrap();
    let spans = server.accepted_spans();
    assert_eq!(spans.len(), 400);
    assert_eq!(unique_span_ids(&spans).len(), 400);
}

#[test]
fn a_full_queue_drops_exactly_what_does_not_fit() {
    let server = Server::start(vec![], Answer::Accept);
    let store = exporting_store(
        &server.url,
        r#""max_queue_size":10,"max_export_batch_size":100,"schedule_delay_ms":600000"#,
    );
    store.observe(None, None).unwrap();
    record_chats(&store, 25);
    let stats = store.stats().otlp.unwrap();
    assert_eq!((stats.queued, stats.dropped), (10, 15));
    store.shutdown(Duration::from_secs(10)).unwrap();
    let stats = store.stats().otlp.unwrap();
    assert_eq!((stats.exported, stats.dropped, stats.queued), (10, 15, 0));
    assert_eq!(server.accepted_spans().len(), 10);
    // The JSON file still has every call, and says how many spans the exporter dropped.
    let document = common::flush(&store, "otlp-drops");
    assert_eq!(document["events"].as_array().unwrap().len(), 25);
    assert_eq!(document["drops"]["otlp_spans"], 15);
    store.observe(None, None).unwrap();
    let later = common::flush(&store, "otlp-drops-reported");
    assert_eq!(later["drops"]["otlp_spans"], 0, "a drop is reported once");
}

#[test]
fn recording_never_waits_for_a_hung_backend_and_shutdown_keeps_its_timeout() {
    let server = Server::start(vec![], Answer::Hang);
    let store = exporting_store(
        &server.url,
        r#""timeout_ms":600000,"max_export_batch_size":5,"max_queue_size":50"#,
    );
    store.observe(None, None).unwrap();
    record_chats(&store, 5);
    server.wait_for_requests(1);
    // The exporter is now stuck in a request that will not end for ten minutes: recording goes
    // on, and what does not fit in the queue is dropped, not waited for.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            record_chats(&store, 100);
            done.send(()).unwrap();
        });
        finished
            .recv_timeout(Duration::from_secs(60))
            .expect("recording finished while the backend hung");
    });
    let stats = store.stats().otlp.unwrap();
    assert_eq!(stats.queued, 55, "5 in flight, 50 queued");
    assert_eq!(stats.dropped, 50);

    let started = Instant::now();
    let error = store.shutdown(Duration::from_millis(300)).unwrap_err();
    assert_eq!(error.kind, aiobs::ErrorKind::Timeout);
    assert!(error.message.contains("55 spans"), "{}", error.message);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "shutdown returned near its timeout"
    );
}

#[test]
fn an_unreachable_backend_costs_batches_not_the_program() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let store = exporting_store(&format!("http://127.0.0.1:{port}/v1/traces"), "");
    store.observe(None, None).unwrap();
    record_chats(&store, 3);
    store.shutdown(Duration::from_secs(30)).unwrap();
    let stats = store.stats().otlp.unwrap();
    assert_eq!(
        (stats.exported, stats.failed_batches, stats.failed_spans),
        (0, 1, 3)
    );
}

#[test]
fn with_the_file_off_otlp_is_the_only_destination() {
    let server = Server::start(vec![], Answer::Accept);
    let store = exporting_store(&server.url, r#""json_file":false"#);
    store.observe(None, None).unwrap();
    record_chats(&store, 2);
    let dir = common::scratch_dir("otlp-no-file");
    let path = dir.join("out.json");
    assert_eq!(store.flush_to_destinations(path.to_str()).unwrap(), None);
    assert!(!path.exists());
    store.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!(server.accepted_spans().len(), 2);
}

#[test]
fn disabled_sdks_and_missing_endpoints_export_nothing() {
    let server = Server::start(vec![], Answer::Accept);
    let store = exporting_store(&server.url, r#""enabled":false"#);
    store.observe(None, None).unwrap();
    record_chats(&store, 2);
    store.shutdown(Duration::from_secs(1)).unwrap();
    assert_eq!(server.requests(), 0);
    assert!(store.stats().otlp.is_none());
    assert!(Store::new().stats().otlp.is_none());
}

#[test]
fn configure_after_shutdown_starts_export_again() {
    let server = Server::start(vec![], Answer::Accept);
    let store = exporting_store(&server.url, "");
    store.observe(None, None).unwrap();
    record_chats(&store, 1);
    store.shutdown(Duration::from_secs(10)).unwrap();
    record_chats(&store, 1);
    assert_eq!(
        store.stats().otlp.unwrap().exported,
        1,
        "nothing leaves after shutdown"
    );
    store.configure("{}").unwrap();
    record_chats(&store, 2);
    store.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!(server.accepted_spans().len(), 3);
    store.shutdown(Duration::from_secs(1)).unwrap();
}
