#!/usr/bin/env bash
# Runs inside `scripts/jaeger.sh run`: records the session with both encodings, from C and from
# Go, and checks what Jaeger stored. The C program also forks a child that exports a span of its
# own; the Go program cannot fork, so its check says so (--no-fork).
# usage: jaeger_test.sh C_SESSION_BINARY GO_SESSION_BINARY OUT_DIR
set -euo pipefail
c_binary=$1 go_binary=$2 out=$3
mkdir -p "$out"
for protocol in http/protobuf http/json; do
    service="aiobs-c-${protocol#http/}"
    "$c_binary" tests/fixtures/providers "$JAEGER_OTLP_HTTP" "$protocol" "$service" "$out/$service.json"
    python3 tests/otlp/check_jaeger.py "$JAEGER_QUERY" "$service" "$out/$service.json"

    service="aiobs-go-${protocol#http/}"
    "$go_binary" tests/fixtures/providers "$JAEGER_OTLP_HTTP" "$protocol" "$service" "$out/$service.json"
    python3 tests/otlp/check_jaeger.py --no-fork "$JAEGER_QUERY" "$service" "$out/$service.json"
done
