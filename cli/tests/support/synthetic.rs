//! A large, realistic export made on the fly for the performance bench and the large-input
//! test; never committed. Every tenth span is a traced function whose nine children are
//! provider calls (OpenAI chat, Gemini generate, OpenAI embeddings in turn), and the file
//! carries a full `trace_tree`, as the core writes it, so it is about twice the size of the
//! events alone.

use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::{Value, json};

const SESSIONS: usize = 10;
const CHILDREN_PER_FUNCTION: usize = 9;
const T0: f64 = 1_767_400_000.0;

/// Writes an export with `spans` spans in total (provider calls plus functions).
pub fn write_export(path: &Path, spans: usize) -> std::io::Result<()> {
    let sessions: Vec<Value> = (0..SESSIONS).map(session).collect();
    let mut events = Vec::with_capacity(spans);
    let mut functions = Vec::with_capacity(spans / (CHILDREN_PER_FUNCTION + 1) + 1);
    let mut tree = Vec::with_capacity(functions.capacity());
    let mut made = 0;
    let mut group = 0;
    while made < spans {
        let parent_id = format!("{:016x}", 1_000_000_000 + group);
        let session_id = session_id(group % SESSIONS);
        let start = T0 + group as f64 * 2.0;
        let children_count = CHILDREN_PER_FUNCTION.min(spans - made - 1);
        let mut children = Vec::with_capacity(children_count);
        for k in 0..children_count {
            let event = call(
                group,
                k,
                &parent_id,
                &session_id,
                start + 0.01 + k as f64 * 0.1,
            );
            children.push(node(&event, "provider", Vec::new()));
            events.push(event);
        }
        let function = function(
            group,
            &parent_id,
            &session_id,
            start,
            start + 0.02 + children_count as f64 * 0.1,
        );
        tree.push(node(&function, "function", children));
        functions.push(function);
        made += children_count + 1;
        group += 1;
    }
    let document = json!({
        "sessions": sessions,
        "events": events,
        "function_events": functions,
        "trace_tree": tree,
        "enh_prompt_traces": null,
        "generated_at": T0 + group as f64 * 2.0,
        "version": 1,
    });
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    serde_json::to_writer(&mut out, &document)?;
    out.flush()
}

fn session_id(n: usize) -> String {
    format!("5f0c8a52-3b7e-4d8e-9a41-{n:012x}")
}

fn session(n: usize) -> Value {
    json!({
        "id": session_id(n), "name": format!("load-{n}"), "started_at": T0, "ended_at": T0 + 1e6,
        "meta": {"pid": 1000 + n, "cwd": "/srv/app"},
        "labels": {"environment": if n.is_multiple_of(2) { "production" } else { "staging" }, "aiobs_os": "linux"},
    })
}

fn call(group: usize, k: usize, parent: &str, session_id: &str, start: f64) -> Value {
    let duration = 0.05 + ((group * 7 + k * 13) % 90) as f64 / 1000.0;
    let (provider, api, request, response) = match k % 3 {
        0 => (
            "openai",
            "chat.completions.create",
            json!({"model": "gpt-4o-mini", "messages": [
                {"role": "system", "content": "You are a concise research assistant. Answer in two sentences."},
                {"role": "user", "content": format!("Question {group}-{k}: summarise the trade-offs of caching LLM responses in a web service.")}],
                "temperature": 0.2, "max_tokens": null, "other": {}}),
            json!({"id": format!("chatcmpl-{group}-{k}"), "model": "gpt-4o-mini-2024-07-18",
                "usage": {"prompt_tokens": 60 + k, "completion_tokens": 120 + group % 50, "total_tokens": 180 + k + group % 50},
                "text": "Caching cuts latency and cost for repeated prompts, but risks serving stale or personalised answers to the wrong user; key the cache carefully and expire it."}),
        ),
        1 => (
            "gemini",
            "models.generate_content",
            json!({"model": "gemini-2.5-flash", "contents": format!("Draft a title for item {group}-{k}."),
                "system_instruction": null, "config": {"temperature": 0.7}, "other": {}}),
            json!({"model": null, "text": "A Practical Guide to Response Caching",
                "usage": {"prompt_token_count": 12, "candidates_token_count": 9, "total_token_count": 61, "thoughts_token_count": 40}}),
        ),
        _ => (
            "openai",
            "embeddings.create",
            json!({"model": "text-embedding-3-small", "input": format!("item {group}-{k}"), "other": {}}),
            json!({"id": null, "model": "text-embedding-3-small", "usage": {"prompt_tokens": 4, "total_tokens": 4},
                "object": "list", "data": [{"index": 0, "object": "embedding", "embedding": [0.0123, -0.0456, 0.0789, 0.0012]}],
                "embedding_dimensions": 4}),
        ),
    };
    json!({
        "provider": provider, "api": api, "request": request, "response": response, "error": null,
        "started_at": start, "ended_at": start + duration, "duration_ms": (duration * 1e6).round() / 1e3,
        "callsite": {"file": "app/worker.py", "line": 40 + k, "function": "handle"},
        "span_id": format!("{:016x}", 2_000_000_000 + group * 16 + k), "parent_span_id": parent,
        "trace_id": format!("{:032x}", 3_000_000_000u64 + group as u64), "session_id": session_id,
    })
}

fn function(group: usize, span_id: &str, session_id: &str, start: f64, end: f64) -> Value {
    json!({
        "provider": "function", "api": "app.worker.handle", "name": "handle", "module": "app.worker",
        "args": [format!("job-{group}")], "kwargs": {}, "result": "ok", "error": null,
        "started_at": start, "ended_at": end, "duration_ms": ((end - start) * 1e6).round() / 1e3,
        "callsite": {"file": "app/main.py", "line": 12, "function": "<module>"},
        "span_id": span_id, "parent_span_id": null, "trace_id": format!("{:032x}", 3_000_000_000u64 + group as u64),
        "enh_prompt": false, "enh_prompt_id": null, "auto_enhance_after": null, "session_id": session_id,
    })
}

fn node(event: &Value, event_type: &str, children: Vec<Value>) -> Value {
    let mut node = event.clone();
    node["event_type"] = json!(event_type);
    node["children"] = Value::Array(children);
    node
}
