"""Writes the comparison's workload: N distinct OpenAI chat events (about 1.25 KB of compact JSON
each: system and user message, parameters, response text and usage, callsite, ids), one per line. Every language reads the same file, so
each records byte-for-byte the same events. Usage: events.py N OUT_JSONL."""

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


def main(count, path):
    with open(path, "w") as out:
        for i in range(count):
            out.write(json.dumps(make_event(i), separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
