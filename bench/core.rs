//! Costs on the caller's thread (record, span begin+end) and at flush, through the safe API the
//! C entry points wrap. `cargo bench --bench core`.

use std::hint::black_box;

use aiobs::Store;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

#[path = "../tests/common/mod.rs"]
mod common;
mod support;
use support::{floor, timed_on_fresh_stores};

/// Distinct inputs, each used once per pass, so that a benchmark pays for cache misses and fresh
/// pages the way a program recording real calls does.
const DISTINCT: usize = 100_000;

fn record_call(c: &mut Criterion) {
    let events: Vec<String> = (0..DISTINCT).map(common::chat_event).collect();
    let bytes: Vec<Vec<u8>> = events.iter().map(|e| e.clone().into_bytes()).collect();
    let average = bytes.iter().map(Vec::len).sum::<usize>() / DISTINCT;
    let mut group = c.benchmark_group("record");
    group.throughput(Throughput::Bytes(average as u64));
    group.bench_function("floor_lock_copy_append_1k", |b| {
        b.iter_custom(|n| floor(n, &bytes))
    });
    group.bench_function("record_call_1k_chat_event", |b| {
        b.iter_custom(|n| {
            timed_on_fresh_stores(n, |store, run| {
                store
                    .record_call(black_box(&events[run % DISTINCT]))
                    .unwrap()
            })
        })
    });
    group.finish();
}

fn span_begin_end(c: &mut Criterion) {
    let spans: Vec<String> = (0..DISTINCT)
        .map(|i| {
            format!(
                r#"{{"name":"research","module":"app.pipeline","args":["What is an API? ({i})"],"kwargs":{{"depth":2}},"callsite":{{"file":"app/pipeline.c","line":30,"function":"main"}}}}"#
            )
        })
        .collect();
    let bytes: Vec<Vec<u8>> = spans.iter().map(|s| s.clone().into_bytes()).collect();
    let mut group = c.benchmark_group("span");
    group.bench_function("floor_lock_copy_append_span", |b| {
        b.iter_custom(|n| floor(n, &bytes))
    });
    group.bench_function("span_begin_end", |b| {
        b.iter_custom(|n| {
            timed_on_fresh_stores(n, |store, run| {
                let id = store.span_begin(black_box(&spans[run % DISTINCT])).unwrap();
                store.span_end(&id, Some(r#""an answer""#), None).unwrap();
            })
        })
    });
    group.finish();
}

fn flush_100k(c: &mut Criterion) {
    let events: Vec<String> = (0..100_000).map(common::chat_event).collect();
    let path = common::scratch_dir("bench-flush").join("out.json");
    let path = path.to_str().unwrap().to_owned();
    let filled = || {
        let store = Store::new();
        store.observe(Some("bench"), None).unwrap();
        for event in &events {
            store.record_call(event).unwrap();
        }
        store
    };
    let probe = filled();
    probe.flush(Some(&path)).unwrap();
    let bytes = std::fs::metadata(&path).unwrap().len();
    let mut group = c.benchmark_group("flush");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("flush_100k_events", |b| {
        b.iter_batched(
            filled,
            |store| store.flush(Some(&path)).unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, record_call, span_begin_end, flush_100k);
criterion_main!(benches);
