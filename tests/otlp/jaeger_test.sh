#!/usr/bin/env bash
# Runs inside `scripts/jaeger.sh run`: records the session with both encodings and checks what
# Jaeger stored. usage: jaeger_test.sh SESSION_BINARY OUT_DIR
set -euo pipefail
binary=$1 out=$2
mkdir -p "$out"
for protocol in http/protobuf http/json; do
    service="aiobs-c-${protocol#http/}"
    "$binary" tests/fixtures/providers "$JAEGER_OTLP_HTTP" "$protocol" "$service" "$out/$service.json"
    python3 tests/otlp/check_jaeger.py "$JAEGER_QUERY" "$service" "$out/$service.json"
done
