//! Provider parsing cost: `capture` throughput at flush for typical bodies, and `classify`, which
//! runs on the caller's thread for every HTTP request a binding sees.
//!
//! `cargo bench --bench providers -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use aiobs::providers::{CaptureOptions, HttpExchange, capture, classify};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod support;
use serde_json::json;
use support::{floor, timed_on_fresh_stores};

const OPTIONS: CaptureOptions = CaptureOptions {
    capture_content: true,
};

fn exchange(url: &str, request: Vec<u8>, content_type: &str, response: Vec<u8>) -> HttpExchange {
    HttpExchange {
        method: "POST".into(),
        url: url.into(),
        endpoint: classify("POST", url).expect("a recognised endpoint"),
        request_body: request.into(),
        status: 200,
        content_type: Some(content_type.into()),
        response_body: response.into(),
        transport_error: None,
        response_headers: Default::default(),
        attempt: 1,
    }
}

/// A chat call of about 4 KB: a system prompt, a few turns, a one-paragraph answer; `variant`
/// makes the text distinct.
fn chat_4kb(variant: usize) -> HttpExchange {
    let sentence = format!("The quarterly report {variant} shows steady growth in every region. ");
    let turn =
        |role: &str, sentences: usize| json!({"role": role, "content": sentence.repeat(sentences)});
    let request = json!({
        "model": "gpt-4o-mini",
        "messages": [turn("system", 3), turn("user", 10), turn("assistant", 8), turn("user", 10)],
        "temperature": 0.2, "max_tokens": 400,
    });
    let response = json!({
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", "object": "chat.completion", "created": 1741569952,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": sentence.repeat(14), "refusal": null},
                     "logprobs": null, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 620, "completion_tokens": 180, "total_tokens": 800,
                  "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}},
        "service_tier": "default", "system_fingerprint": "fp_0ba0d124f1",
    });
    exchange(
        "https://api.openai.com/v1/chat/completions",
        serde_json::to_vec(&request).unwrap(),
        "application/json",
        serde_json::to_vec_pretty(&response).unwrap(),
    )
}

/// A streamed chat answer of 100 content chunks, the usage chunk and `[DONE]`.
fn sse_100_chunks() -> HttpExchange {
    let chunk = |delta: serde_json::Value, finish: serde_json::Value, usage: serde_json::Value| {
        let choices = if usage.is_null() {
            json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}])
        } else {
            json!([])
        };
        let chunk = json!({
            "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "object": "chat.completion.chunk", "created": 1741570283,
            "model": "gpt-4o-mini-2024-07-18", "service_tier": "default", "system_fingerprint": "fp_06737a9306",
            "choices": choices, "usage": usage,
        });
        format!("data: {chunk}\n\n")
    };
    let mut body = String::new();
    for i in 0..100 {
        body.push_str(&chunk(
            json!({"content": format!(" word{i}")}),
            json!(null),
            json!(null),
        ));
    }
    body.push_str(&chunk(json!({}), json!("stop"), json!(null)));
    body.push_str(&chunk(
        json!({}),
        json!(null),
        json!({"prompt_tokens": 12, "completion_tokens": 100, "total_tokens": 112}),
    ));
    body.push_str("data: [DONE]\n\n");
    let request = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Count."}],
                         "stream": true, "stream_options": {"include_usage": true}});
    exchange(
        "https://api.openai.com/v1/chat/completions",
        serde_json::to_vec(&request).unwrap(),
        "text/event-stream",
        body.into_bytes(),
    )
}

/// One 1536-dimension embedding, as text-embedding-3-small returns it.
fn embedding_1536() -> HttpExchange {
    let mut state = 0x2545_F491_u64;
    let vector: Vec<f64> = (0..1536)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            // Values like -0.012345678, as the API prints them.
            ((state >> 33) as f64 / f64::from(u32::MAX) - 0.5) / 8.0
        })
        .collect();
    let request = json!({"model": "text-embedding-3-small", "input": "The food was delicious and the waiter was friendly."});
    let response = json!({
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": vector}],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 11, "total_tokens": 11},
    });
    exchange(
        "https://api.openai.com/v1/embeddings",
        serde_json::to_vec(&request).unwrap(),
        "application/json",
        serde_json::to_vec_pretty(&response).unwrap(),
    )
}

/// A 400 whose error message quotes many URLs (1 MB), each scrubbed of credentials at flush.
fn error_with_urls_1mb() -> HttpExchange {
    let url = "see https://h.example/v1/p?key=k&alt=sse ";
    let message = url.repeat((1 << 20) / url.len());
    let response = json!({"error": {"message": message, "type": "invalid_request_error"}});
    let mut error = exchange(
        "https://api.openai.com/v1/chat/completions",
        br#"{"model":"gpt-4o-mini","messages":[]}"#.to_vec(),
        "application/json",
        serde_json::to_vec(&response).unwrap(),
    );
    error.status = 400;
    error
}

fn bench_capture(c: &mut Criterion) {
    let mut group = c.benchmark_group("capture");
    for (name, exchange) in [
        ("chat_4kb", chat_4kb(0)),
        ("openai_sse_100_chunks", sse_100_chunks()),
        ("embedding_1536", embedding_1536()),
        ("http_400_error_with_urls_1mb", error_with_urls_1mb()),
    ] {
        let bytes = exchange.request_body.len() + exchange.response_body.len();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(name, |b| b.iter(|| capture(black_box(&exchange), &OPTIONS)));
    }
    group.finish();
}

/// What the caller's thread pays to hand one exchange over: it only copies. Distinct exchanges
/// (25,000 of 4 KB: the same 100 MB of inputs as the 100,000 1 KB events of `record_call`),
/// against the floor of copying the same bytes.
fn bench_record_http(c: &mut Criterion) {
    const DISTINCT: usize = 25_000;
    let chats: Vec<HttpExchange> = (0..DISTINCT).map(chat_4kb).collect();
    let meta = r#"{"method":"POST","url":"https://api.openai.com/v1/chat/completions","status":200,"content_type":"application/json","started_at":1767400000.25,"ended_at":1767400001.5,"attempt":1,"response_headers":{"Content-Type":["application/json"],"X-Request-Id":["req_4f1c2e9a7b3d4c8e9f0a1b2c3d4e5f60"],"Openai-Processing-Ms":["412"],"X-Ratelimit-Remaining-Tokens":["149984"],"Set-Cookie":["__cf_bm=abc; path=/; HttpOnly"]}}"#;
    let bytes: Vec<Vec<u8>> = chats
        .iter()
        .map(|chat| [meta.as_bytes(), &chat.request_body, &chat.response_body].concat())
        .collect();
    let mut group = c.benchmark_group("record_http");
    group.throughput(Throughput::Bytes(
        (bytes.iter().map(Vec::len).sum::<usize>() / DISTINCT) as u64,
    ));
    group.bench_function("floor_lock_copy_append_4k", |b| {
        b.iter_custom(|n| floor(n, &bytes))
    });
    group.bench_function("chat_4kb_on_caller_thread", |b| {
        b.iter_custom(|n| {
            timed_on_fresh_stores(n, |store, run| {
                let chat = &chats[run % DISTINCT];
                store
                    .record_http(black_box(meta), &chat.request_body, &chat.response_body)
                    .unwrap()
            })
        })
    });
    group.finish();
}

fn bench_classify(c: &mut Criterion) {
    let mut group = c.benchmark_group("classify");
    let urls = [
        (
            "openai_chat",
            "POST",
            "https://api.openai.com/v1/chat/completions",
        ),
        (
            "azure_chat",
            "POST",
            "https://contoso.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
        ),
        (
            "gemini_stream",
            "POST",
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse&key=k",
        ),
        ("unrelated", "GET", "https://example.com/static/app.js?v=3"),
    ];
    for (name, method, url) in urls {
        group.bench_function(name, |b| {
            b.iter(|| classify(black_box(method), black_box(url)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_record_http, bench_capture, bench_classify);
criterion_main!(benches);
