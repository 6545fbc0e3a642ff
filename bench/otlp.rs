//! OTLP export costs: what a recording thread pays with the background exporter on versus off
//! (thread CPU time of the caller; the exporter works on its own thread), and how fast a batch
//! encodes, in MB/s of request body, for both encodings. `cargo bench --bench otlp`.

use std::hint::black_box;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use aiobs::Store;
use aiobs::otlp::encoding::encode;
use aiobs::otlp::mapping::{self, CallView, MappingOptions, SessionView, SpanSource, SpanView};
use aiobs::otlp::settings::Protocol;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "../tests/common/mod.rs"]
mod common;
#[allow(dead_code)] // the shared helpers this file does not use
mod support;
use support::CpuClock;

const DISTINCT: usize = 100_000;

/// An OTLP receiver on 127.0.0.1:0 that accepts everything and keeps nothing.
fn sink() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/traces", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut length = 0;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line.trim().is_empty() {
                            break;
                        }
                        if let Some((name, value)) = line.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            length = value.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err()
                        || writer
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                            .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// Times `iterations` calls on a store made by `store`, a fresh one every 100k calls.
fn timed(iterations: u64, store: &dyn Fn() -> Store, events: &[String]) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iterations {
        let batch = (iterations - done).min(DISTINCT as u64);
        let store = store();
        store.observe(None, None).unwrap();
        let start = CpuClock::now();
        for run in done..done + batch {
            store
                .record_call(black_box(&events[run as usize % DISTINCT]))
                .unwrap();
        }
        total += start.elapsed();
        let _ = store.shutdown(Duration::from_secs(60));
        done += batch;
    }
    total
}

fn recording(c: &mut Criterion) {
    let events: Vec<String> = (0..DISTINCT).map(common::chat_event).collect();
    let url = sink();
    // A queue that holds every call, so the exporter really sends each one (a full queue's
    // drops would be cheaper still).
    let exporting = move || {
        let store = Store::new();
        store
            .configure(&format!(
                r#"{{"otlp":{{"traces_endpoint":"{url}","max_queue_size":200000,"schedule_delay_ms":200}}}}"#
            ))
            .unwrap();
        store
    };
    let mut group = c.benchmark_group("otlp_record");
    group.throughput(Throughput::Elements(1));
    group.bench_function("record_call_exporter_off", |b| {
        b.iter_custom(|n| timed(n, &Store::new, &events))
    });
    group.bench_function("record_call_exporter_on", |b| {
        b.iter_custom(|n| timed(n, &exporting, &events))
    });
    group.finish();
}

fn encoding(c: &mut Criterion) {
    let events: Vec<serde_json::Value> = (0..512)
        .map(|i| serde_json::from_str(&common::chat_event(i)).unwrap())
        .collect();
    let session = SessionView {
        id: "5f0c8a52-3b7e-4d8e-9a41-7c2b9e0d11a1",
        name: "bench",
        labels: vec![("team", "search"), ("environment", "prod")],
    };
    let spans = events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            let view = SpanView {
                trace_id: 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736,
                span_id: i as u64 + 1,
                parent_span_id: Some(1),
                started_at: 1_767_400_000.25,
                ended_at: 1_767_400_000.975,
                error: None,
                callsite: None,
                session: &session,
                source: SpanSource::Call(CallView {
                    provider: "openai",
                    api: "chat.completions.create",
                    request: &event["request"],
                    response: &event["response"],
                }),
            };
            mapping::span(
                &view,
                MappingOptions {
                    capture_message_content: true,
                    openinference: false,
                },
            )
        })
        .collect();
    let request = mapping::export_request(Vec::new(), spans);
    let mut group = c.benchmark_group("otlp_encode_512_spans");
    for (name, protocol) in [("protobuf", Protocol::Protobuf), ("json", Protocol::Json)] {
        let bytes = encode(&request, protocol, false).unwrap().body.len();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(name, |b| {
            b.iter(|| encode(black_box(&request), protocol, false).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, recording, encoding);
criterion_main!(benches);
