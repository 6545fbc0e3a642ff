#!/usr/bin/env python3
"""The provider stub: every route answers as documented, and it always stops cleanly."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

STUB = Path(__file__).resolve().parent / "provider_stub.py"


def start(*extra):
    with tempfile.TemporaryDirectory() as folder:
        port_file = os.path.join(folder, "port")
        process = subprocess.Popen([sys.executable, str(STUB), "--quiet", "--port-file", port_file, *extra],
                                   stdout=subprocess.PIPE, text=True)
        line = process.stdout.readline()
        for _ in range(100):
            if os.path.exists(port_file):
                break
            time.sleep(0.02)
        with open(port_file) as f:
            port = int(f.read())
    assert line.strip().endswith(f"http://127.0.0.1:{port}"), line
    return process, f"http://127.0.0.1:{port}"


def call(url, body=None, method=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class Routes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.process, cls.url = start()

    @classmethod
    def tearDownClass(cls):
        cls.process.send_signal(signal.SIGTERM)
        cls.process.wait(timeout=10)
        cls.process.stdout.close()

    def test_chat_plain_with_the_requested_model(self):
        status, headers, body = call(self.url + "/v1/chat/completions", {"model": "gpt-4o", "messages": []})
        self.assertEqual(status, 200)
        answer = json.loads(body)
        self.assertEqual(answer["model"], "gpt-4o")
        self.assertEqual(answer["choices"][0]["finish_reason"], "stop")
        self.assertIn("x-request-id", headers)

    def test_chat_tool_calls(self):
        _, _, body = call(self.url + "/v1/chat/completions", {"model": "gpt-4o", "tools": [{"type": "function"}]})
        self.assertEqual(json.loads(body)["choices"][0]["finish_reason"], "tool_calls")

    def test_chat_streamed_ends_with_done(self):
        status, headers, body = call(self.url + "/v1/chat/completions", {"model": "m", "stream": True})
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/event-stream"))
        self.assertTrue(body.rstrip().endswith(b"data: [DONE]"))
        self.assertIn(b'"model": "m"', body)

    def test_embeddings_one_and_many(self):
        _, _, one = call(self.url + "/v1/embeddings", {"model": "e", "input": "a"})
        _, _, many = call(self.url + "/v1/embeddings", {"model": "e", "input": ["a", "b"]})
        self.assertEqual(len(json.loads(one)["data"]), 1)
        self.assertGreater(len(json.loads(many)["data"]), 1)

    def test_gemini_generate_stream_and_embed(self):
        base = self.url + "/v1beta/models/gemini-2.0-flash"
        _, _, generated = call(base + ":generateContent", {"contents": []})
        self.assertIn("candidates", json.loads(generated))
        _, _, sse = call(base + ":streamGenerateContent?alt=sse", {"contents": []})
        self.assertTrue(sse.startswith(b"data: "))
        _, _, array = call(base + ":streamGenerateContent", {"contents": []})
        self.assertIsInstance(json.loads(array), list)
        _, _, embedded = call(self.url + "/v1beta/models/text-embedding-004:embedContent", {})
        self.assertIn("embedding", json.loads(embedded))
        _, _, batch = call(self.url + "/v1beta/models/gemini-embedding-001:batchEmbedContents", {})
        self.assertIn("embeddings", json.loads(batch))

    def test_veo_operation_is_done_on_the_third_poll(self):
        _, _, submitted = call(self.url + "/v1beta/models/veo-3.0-generate-001:predictLongRunning", {})
        name = json.loads(submitted)["name"]
        states = [json.loads(call(f"{self.url}/v1beta/{name}")[2]).get("done", False) for _ in range(3)]
        self.assertEqual(states, [False, False, True])
        self.assertEqual(call(f"{self.url}/v1beta/models/veo/operations/unknown")[0], 404)

    def test_errors(self):
        self.assertEqual(call(self.url + "/v1/chat/completions", {"model": "stub-error"})[0], 429)
        self.assertEqual(call(self.url + "/v1beta/models/stub-error:generateContent", {})[0], 400)
        self.assertEqual(call(self.url + "/v1/nothing", {})[0], 404)
        request = urllib.request.Request(self.url + "/v1/chat/completions", data=b"not json", method="POST")
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        self.assertEqual(refused.exception.code, 400)
        refused.exception.close()


class Stopping(unittest.TestCase):
    def test_sigterm_and_sigint_stop_it_with_status_0(self):
        for stop in (signal.SIGTERM, signal.SIGINT):
            process, url = start()
            call(url + "/v1/chat/completions", {"model": "m", "stream": True})
            process.send_signal(stop)
            self.assertEqual(process.wait(timeout=10), 0)
            process.stdout.close()

    def test_it_stops_when_its_parent_is_gone(self):
        parent = subprocess.Popen(["sleep", "60"])
        process, _ = start("--parent", str(parent.pid))
        parent.kill()
        parent.wait()
        self.assertEqual(process.wait(timeout=10), 0)
        process.stdout.close()


if __name__ == "__main__":
    unittest.main()
