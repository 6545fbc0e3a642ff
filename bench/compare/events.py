"""Writes the comparison's workload: N distinct OpenAI chat events (about 1.25 KB of compact JSON
each: system and user message, parameters, response text and usage, callsite, ids), one per line.
Every language reads the same file, so each records byte-for-byte the same events. With
EXCHANGES_JSONL it also writes the same calls as they cross the wire, one object per line with
the request body and the response body as strings: what an HTTP capture (the Go and Ruby
bindings) sees of each call. Usage: events.py N OUT_JSONL [EXCHANGES_JSONL]."""

import json
import sys

SYSTEM_PROMPT = "You are a helpful assistant that answers questions about APIs concisely."


def make_event(i):
    started = 1767400000.0 + i * 0.001
    return {
        "provider": "openai",
        "api": "chat.completions.create",
        "request": {
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": f"Question {i}: what does HTTP status 429 mean, "
                                            f"and how should a client back off? " * 3},
            ],
            "temperature": 0.2,
            "max_tokens": 256,
            "other": {},
        },
        "response": {
            "id": f"chatcmpl-{i:012d}",
            "model": "gpt-4o-mini-2024-07-18",
            "text": f"Answer {i}: 429 means too many requests; wait for Retry-After, then "
                    f"retry with exponential backoff and jitter. " * 3,
            "usage": {"prompt_tokens": 61, "completion_tokens": 48, "total_tokens": 109},
        },
        "error": None,
        "started_at": started,
        "ended_at": started + 0.75,
        "duration_ms": 750.0,
        "callsite": {"file": "app/research.py", "line": 12, "function": "research"},
        "span_id": f"{i + 1:016x}",
        "parent_span_id": None,
        "trace_id": f"{i + 1:032x}",
    }


def compact(value):
    return json.dumps(value, separators=(",", ":"))


def make_exchange(event):
    """The chat completion request and response an OpenAI client sends and gets for `event`."""
    request = {key: value for key, value in event["request"].items() if key != "other"}
    response = event["response"]
    body = {
        "id": response["id"], "object": "chat.completion", "created": int(event["started_at"]),
        "model": response["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": response["text"]},
                     "finish_reason": "stop"}],
        "usage": response["usage"],
    }
    return {"request_body": compact(request), "response_body": compact(body)}


def main(count, path, exchanges_path=None):
    events = [make_event(i) for i in range(count)]
    with open(path, "w") as out:
        for event in events:
            out.write(compact(event) + "\n")
    if exchanges_path:
        with open(exchanges_path, "w") as out:
            for event in events:
                out.write(compact(make_exchange(event)) + "\n")


if __name__ == "__main__":
    main(int(sys.argv[1]), *sys.argv[2:4])
