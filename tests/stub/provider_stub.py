#!/usr/bin/env python3
"""A local stand-in for the OpenAI and Gemini APIs: a development tool, never a provider.

It answers from the recorded exchanges in tests/fixtures/providers/, so examples, the demo and
tests run offline with a dummy key. It listens on 127.0.0.1 only, on an ephemeral port unless
--port is given, and prints one line `aiobs provider stub listening on http://127.0.0.1:PORT`.

  python3 tests/stub/provider_stub.py [--port N] [--port-file PATH] [--parent PID] [--quiet]

  export OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=dummy
  export GEMINI_BASE_URL=http://127.0.0.1:PORT GEMINI_API_KEY=dummy

What it answers (any key accepted; the model in OpenAI answers is the one requested):
  POST /v1/chat/completions       plain, streamed ("stream": true), tool calls ("tools" given)
  POST /v1/embeddings             one input or a list
  POST /v1/responses              plain or streamed
  POST /v1beta/models/M:generateContent            (function call when "tools" given)
  POST /v1beta/models/M:streamGenerateContent      SSE with ?alt=sse, else a JSON array
  POST /v1beta/models/M:embedContent, :batchEmbedContents
  POST /v1beta/models/M:predictLongRunning         a Veo operation, done on the third poll
  GET  /v1beta/models/M/operations/ID              its polls
A model named "stub-error" gets the provider's HTTP error (429 for OpenAI chat, 400 for Gemini).

It stops cleanly on SIGTERM or SIGINT, and by itself when the process --parent names is gone
(so a killed script leaves no server behind). Streams are sent in chunks, a few ms apart.
"""
import argparse
import itertools
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, parse_qs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "providers"
POLLS_UNTIL_DONE = 3
CHUNK_PAUSE_SECONDS = 0.005


def fixture(case, name="response.body"):
    return (FIXTURES / case / name).read_bytes()


def content_type(case):
    return json.loads(fixture(case, "exchange.json"))["content_type"] or "application/json"


def with_model(body, model):
    """The fixture's JSON answer with `model` set to the one requested (OpenAI answers name it)."""
    document = json.loads(body)
    if model and "model" in document:
        document["model"] = model
    return json.dumps(document).encode()


def sse_with_model(body, model):
    """An SSE fixture, event by event, with `model` set in each JSON event that has one."""
    events = []
    for block in body.decode().replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        lines = []
        for line in block.split("\n"):
            if line.startswith("data: ") and line[6:].startswith("{"):
                event = json.loads(line[6:])
                if model and "model" in event:
                    event["model"] = model
                if model and isinstance(event.get("response"), dict) and "model" in event["response"]:
                    event["response"]["model"] = model
                line = "data: " + json.dumps(event)
            lines.append(line)
        events.append(("\n".join(lines) + "\n\n").encode())
    return events


class Operations:
    """Veo operations: each is done on its POLLS_UNTIL_DONE-th poll."""

    def __init__(self):
        self.lock = threading.Lock()
        self.polls = {}
        self.ids = itertools.count(1)

    def submit(self, model):
        with self.lock:
            name = f"models/{model}/operations/stub{next(self.ids):06d}"
            self.polls[name] = 0
        return name

    def poll(self, name):
        with self.lock:
            if name not in self.polls:
                return None
            self.polls[name] += 1
            return self.polls[name] >= POLLS_UNTIL_DONE


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aiobs-provider-stub"

    def log_message(self, format, *args):
        if not self.server.quiet:
            sys.stderr.write("stub: " + (format % args) + "\n")

    # --- plumbing -------------------------------------------------------------------------
    def read_json(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return None

    def common_headers(self, provider):
        self.send_header("x-request-id", f"req_stub_{next(self.server.request_ids):08d}")
        if provider == "openai":
            self.send_header("openai-processing-ms", "12")
            self.send_header("x-ratelimit-remaining-requests", "4999")
            self.send_header("x-ratelimit-remaining-tokens", "159000")
            # As the real API does; a capture must never keep it (the marker lets tests check).
            self.send_header("Set-Cookie", "__cf_bm=SECRET-stub-cookie; path=/; HttpOnly")
        else:
            self.send_header("server-timing", "gfet4t7; dur=12")

    def answer(self, status, body, kind="application/json", provider="openai"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.common_headers(provider)
        self.end_headers()
        self.wfile.write(body)

    def stream(self, chunks, kind, provider):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.common_headers(provider)
        self.end_headers()
        try:
            for chunk in chunks:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
                time.sleep(CHUNK_PAUSE_SECONDS)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client stopped reading: fine for a stream

    def not_found(self, provider="openai"):
        error = {"error": {"message": f"the stub has no route for {self.command} {self.path}",
                           "type": "invalid_request_error", "code": "not_found"}}
        if provider == "gemini":
            error = {"error": {"code": 404, "message": error["error"]["message"], "status": "NOT_FOUND"}}
        self.answer(404, json.dumps(error).encode(), provider=provider)

    def bad_json(self, provider):
        error = {"error": {"message": "the request body is not JSON", "type": "invalid_request_error"}}
        self.answer(400, json.dumps(error).encode(), provider=provider)

    # --- routes ---------------------------------------------------------------------------
    def do_POST(self):
        url = urlsplit(self.path)
        provider = "gemini" if url.path.startswith(("/v1beta/", "/v1/models/")) else "openai"
        request = self.read_json()
        if request is None:
            return self.bad_json(provider)
        if provider == "openai":
            return self.openai(url.path, request)
        return self.gemini(url.path, parse_qs(url.query), request)

    def do_GET(self):
        path = urlsplit(self.path).path
        marker = "/v1beta/"
        if path.startswith(marker) and "/operations/" in path:
            name = path[len(marker):]
            done = self.server.operations.poll(name)
            if done is None:
                return self.not_found("gemini")
            if done:
                document = json.loads(fixture("gemini_video_sequence/3-poll"))
                document["name"] = name
            else:
                document = {"name": name}
            return self.answer(200, json.dumps(document).encode(), provider="gemini")
        if path in ("/", "/health"):
            return self.answer(200, b'{"status":"ok"}')
        self.not_found()

    def openai(self, path, request):
        model = request.get("model")
        streamed = bool(request.get("stream"))
        if path.endswith("/chat/completions"):
            if model == "stub-error":
                case = "openai_chat_http_error"
                return self.answer(429, fixture(case), content_type(case))
            if streamed:
                case = "openai_chat_stream_tool_calls" if request.get("tools") else "openai_chat_stream"
                return self.stream(sse_with_model(fixture(case), model), "text/event-stream", "openai")
            case = "openai_chat_tool_calls" if request.get("tools") else "openai_chat_basic"
            return self.answer(200, with_model(fixture(case), model))
        if path.endswith("/embeddings"):
            case = "openai_embeddings_batch" if isinstance(request.get("input"), list) else "openai_embeddings"
            return self.answer(200, with_model(fixture(case), model))
        if path.endswith("/responses"):
            if streamed:
                return self.stream(sse_with_model(fixture("openai_responses_stream"), model),
                                   "text/event-stream", "openai")
            return self.answer(200, with_model(fixture("openai_responses"), model))
        self.not_found()

    def gemini(self, path, query, request):
        model, _, method = path.rsplit("/", 1)[-1].partition(":")
        if model == "stub-error":
            case = "gemini_generate_http_error"
            return self.answer(400, fixture(case), content_type(case), "gemini")
        if method == "generateContent":
            case = "gemini_generate_function_call" if request.get("tools") else "gemini_generate"
            return self.answer(200, fixture(case), provider="gemini")
        if method == "streamGenerateContent":
            if query.get("alt") == ["sse"]:
                return self.stream(sse_with_model(fixture("gemini_stream_sse"), None),
                                   "text/event-stream", "gemini")
            body = fixture("gemini_stream_json_array")
            return self.stream([body[i:i + 256] for i in range(0, len(body), 256)],
                               "application/json", "gemini")
        if method == "embedContent":
            return self.answer(200, fixture("gemini_embed_content"), provider="gemini")
        if method == "batchEmbedContents":
            return self.answer(200, fixture("gemini_batch_embed_contents"), provider="gemini")
        if method == "predictLongRunning":
            name = self.server.operations.submit(model)
            return self.answer(200, json.dumps({"name": name}).encode(), provider="gemini")
        self.not_found("gemini")


class StubServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port, quiet):
        super().__init__(("127.0.0.1", port), Handler)
        self.quiet = quiet
        self.operations = Operations()
        self.request_ids = itertools.count(1)


def stop_when_parent_is_gone(server, parent):
    while True:
        time.sleep(0.5)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            server.shutdown()
            return
        except PermissionError:
            pass  # exists, owned by someone else


def main():
    parser = argparse.ArgumentParser(description="Local OpenAI/Gemini stub (development tool).")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: ephemeral)")
    parser.add_argument("--port-file", help="also write the port to this file, once listening")
    parser.add_argument("--parent", type=int, help="exit when the process with this pid is gone")
    parser.add_argument("--quiet", action="store_true", help="do not log requests to stderr")
    options = parser.parse_args()

    server = StubServer(options.port, options.quiet)
    port = server.server_address[1]

    def stop(signum, frame):
        # shutdown() waits for serve_forever to return, so it must run on another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if options.parent:
        threading.Thread(target=stop_when_parent_is_gone, args=(server, options.parent), daemon=True).start()
    print(f"aiobs provider stub listening on http://127.0.0.1:{port}", flush=True)
    if options.port_file:
        temporary = options.port_file + ".tmp"
        with open(temporary, "w") as f:
            f.write(f"{port}\n")
        os.replace(temporary, options.port_file)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
