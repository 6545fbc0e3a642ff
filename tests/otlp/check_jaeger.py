#!/usr/bin/env python3
"""Reads the session jaeger_session exported back through Jaeger's query API and checks it
against the JSON file the same run wrote: span count, names, kinds, parent links, GenAI
attributes, session.id and error status, and the span of the child the C program forks.
--no-fork says the program did not fork (the Go program: a Go process cannot), so Jaeger must
hold no child span, one trace and one process.

usage: check_jaeger.py [--no-fork] QUERY_URL SERVICE_NAME EXPORT_JSON"""
import json
import sys
import time
import urllib.request

args = sys.argv[1:]
forked = "--no-fork" not in args
query, service, export_path = [a for a in args if a != "--no-fork"]
export = json.load(open(export_path))
session_id = export["sessions"][0]["id"]
file_spans = {e["span_id"]: e for e in export["events"] + export["function_events"]}
EXPECTED_SPANS = 7
# The forked child's span: a trace and a session of its own, same session name and labels.
CHILD_SPAN = "child-work"


def fetch():
    url = f"{query}/api/traces?service={service}&limit=20&lookback=1h"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)["data"] or []


deadline = time.time() + 30
traces = []
while time.time() < deadline:
    traces = fetch()
    if sum(len(t["spans"]) for t in traces) >= EXPECTED_SPANS + forked:
        break
    time.sleep(0.3)

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


all_spans = [span for trace in traces for span in trace["spans"]]
children = [span for span in all_spans if span["operationName"] == CHILD_SPAN]
spans = [span for span in all_spans if span["operationName"] != CHILD_SPAN]
check(len(file_spans) == EXPECTED_SPANS, f"the export file has {len(file_spans)} spans")
check(len(spans) == EXPECTED_SPANS, f"Jaeger has {len(spans)} spans, expected {EXPECTED_SPANS}")
check(len(traces) == 1 + forked, f"{1 + forked} traces expected, got {len(traces)}")
check(len(children) == forked, f"{int(forked)} span from a forked child expected, found {len(children)}")
by_id = {span["spanID"]: span for span in spans}
check(set(by_id) == set(file_spans), "Jaeger's span ids are the export file's")


def tags(span):
    return {tag["key"]: tag["value"] for tag in span["tags"]}


def parent(span):
    refs = [r["spanID"] for r in span.get("references", []) if r["refType"] == "CHILD_OF"]
    return refs[0] if refs else None


def named(name, **want):
    found = [s for s in spans if s["operationName"] == name and all(tags(s).get(k) == v for k, v in want.items())]
    check(len(found) == 1, f"one span named {name!r} with {want}, found {len(found)}")
    return found[0] if found else {"spanID": None, "tags": [], "references": []}


pipeline = named("pipeline")
retrieve = named("retrieve")
summarise = named("summarise")
embeddings = named("embeddings text-embedding-3-small")
failed = named("chat gpt-4o")

# The two gpt-4o-mini chats: one streamed, one not.
minis = [s for s in spans if s["operationName"] == "chat gpt-4o-mini"]
check(len(minis) == 2, f"two gpt-4o-mini chats, found {len(minis)}")
streamed = [s for s in minis if tags(s).get("gen_ai.request.stream") is True]
plain = [s for s in minis if "gen_ai.request.stream" not in tags(s)]
check(len(streamed) == 1 and len(plain) == 1, "one streamed chat and one plain chat")

check(parent(pipeline) is None, "pipeline is the root")
for child in [retrieve, summarise, failed] + minis:
    check(parent(child) == pipeline["spanID"], f"{child['operationName']} is a child of pipeline")
check(parent(embeddings) == retrieve["spanID"], "embeddings is a child of retrieve")
for span in spans:
    file_parent = file_spans.get(span["spanID"], {}).get("parent_span_id")
    check(parent(span) == file_parent, f"{span['operationName']}: parent as in the export file")

for span in [pipeline, retrieve, summarise]:
    check(tags(span).get("span.kind") == "internal", f"{span['operationName']} is INTERNAL")
for span in [embeddings, failed] + minis:
    t = tags(span)
    check(t.get("span.kind") == "client", f"{span['operationName']} is CLIENT")
    check(t.get("gen_ai.provider.name") == "openai", f"{span['operationName']}: provider")
    check(t.get("server.address") == "api.openai.com" and t.get("server.port") == 443,
          f"{span['operationName']}: server address and port")

for span in spans:
    check(tags(span).get("session.id") == session_id, f"{span['operationName']}: session.id")
    check(tags(span).get("aiobs.label.team") == "search", f"{span['operationName']}: label")

if plain:
    t = tags(plain[0])
    check(t.get("gen_ai.operation.name") == "chat", "chat: operation")
    check(t.get("gen_ai.request.model") == "gpt-4o-mini", "chat: request model")
    check(t.get("gen_ai.response.model") == "gpt-4o-mini-2024-07-18", f"chat: response model {t.get('gen_ai.response.model')}")
    check(isinstance(t.get("gen_ai.usage.input_tokens"), int), "chat: input tokens")
    check(isinstance(t.get("gen_ai.usage.output_tokens"), int), "chat: output tokens")
    check(t.get("gen_ai.response.finish_reasons") is not None, "chat: finish reasons")
    check("gen_ai.input.messages" in t and "gen_ai.output.messages" in t, "chat: messages (capture on)")
if streamed:
    t = tags(streamed[0])
    check(t.get("gen_ai.usage.output_tokens") == 9, f"streamed chat: output tokens {t.get('gen_ai.usage.output_tokens')}")
    check(t.get("gen_ai.response.id") == "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "streamed chat: response id")
t = tags(embeddings)
check(t.get("gen_ai.operation.name") == "embeddings", "embeddings: operation")
check(t.get("gen_ai.usage.input_tokens") == 11, "embeddings: input tokens")
check(t.get("gen_ai.embeddings.dimension.count") == 8, "embeddings: dimensions")

for span in [failed, summarise]:
    t = tags(span)
    check(t.get("error") is True and t.get("otel.status_code") == "ERROR", f"{span['operationName']}: ERROR status")
check(tags(failed).get("error.type") == "tokens", f"failed chat: error.type {tags(failed).get('error.type')}")
check(tags(summarise).get("error.type") == "ValueError", "summarise: error.type")
for span in [pipeline, retrieve, embeddings] + minis:
    check("error" not in tags(span), f"{span['operationName']}: no error")

def child_tags():
    return {tag["key"]: tag["value"] for tag in children[0]["tags"]} if children else {}


if forked:
    check(child_tags().get("session.id") not in (None, session_id), "the child records into a session of its own")
    check(child_tags().get("aiobs.session.name") == "jaeger-session", "the child's session keeps the name")
    check(child_tags().get("aiobs.label.team") == "search", "the child's session keeps the labels")

processes = [p for trace in traces for p in trace["processes"].values()]
pids = {t["value"] for p in processes for t in p["tags"] if t["key"] == "process.pid"}
check(len(pids) == 1 + forked, f"{1 + forked} exporting processes with their own pids expected, got {pids}")
check(all(p["serviceName"] == service for p in processes), "service name")
check(all(any(t["key"] == "host.name" for t in p["tags"]) for p in processes), "host.name in the resource")

if failures:
    print(f"check_jaeger ({service}): {len(failures)} failures:", file=sys.stderr)
    for failure in failures:
        print("  " + failure, file=sys.stderr)
    sys.exit(1)
print(f"check_jaeger ({service}): {len(spans)} spans" + (" and the forked child's span" if forked else "") + " as expected")
