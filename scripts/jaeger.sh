#!/usr/bin/env bash
# Builds Jaeger all-in-one from the Go module proxy (cached), or runs a command next to it.
#
#   scripts/jaeger.sh build              prints the path of the binary, building it once
#   scripts/jaeger.sh run CMD [ARGS...]  starts Jaeger on 127.0.0.1 (free ports), runs CMD with
#                                        JAEGER_OTLP_HTTP (base URL of the OTLP/HTTP receiver)
#                                        and JAEGER_QUERY (base URL of the query API) set, and
#                                        stops Jaeger afterwards, also when CMD fails.
#
# `go install github.com/jaegertracing/jaeger/cmd/all-in-one@v1.76.0` is refused by Go because
# Jaeger's go.mod carries a replace directive, so the module is downloaded and built as the main
# module, which honours it.
set -euo pipefail

JAEGER_VERSION=v1.76.0
CACHE_DIR="${AIOBS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aiobs}/jaeger-$JAEGER_VERSION"
BINARY="$CACHE_DIR/jaeger-all-in-one"

build() {
    if [[ -x "$BINARY" ]]; then
        echo "$BINARY"
        return
    fi
    mkdir -p "$CACHE_DIR"
    local module_dir
    module_dir="$(cd "$CACHE_DIR" && GOFLAGS=-mod=mod go mod download -json \
        "github.com/jaegertracing/jaeger@$JAEGER_VERSION" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
    local started=$SECONDS
    (cd "$module_dir" && GOTOOLCHAIN=local nice go build -trimpath -o "$BINARY.partial" ./cmd/all-in-one) >&2
    mv "$BINARY.partial" "$BINARY"
    echo "jaeger: built $JAEGER_VERSION in $((SECONDS - started))s" >&2
    echo "$BINARY"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

run() {
    local binary log
    binary="$(build)"
    log="$(mktemp -d)/jaeger.log"
    local otlp_http otlp_grpc query_http query_grpc admin collector_http collector_grpc
    otlp_http=$(free_port) otlp_grpc=$(free_port) query_http=$(free_port) query_grpc=$(free_port)
    admin=$(free_port) collector_http=$(free_port) collector_grpc=$(free_port)
    SPAN_STORAGE_TYPE=memory "$binary" \
        --collector.otlp.enabled=true \
        --collector.otlp.http.host-port="127.0.0.1:$otlp_http" \
        --collector.otlp.grpc.host-port="127.0.0.1:$otlp_grpc" \
        --collector.http-server.host-port="127.0.0.1:$collector_http" \
        --collector.grpc-server.host-port="127.0.0.1:$collector_grpc" \
        --query.http-server.host-port="127.0.0.1:$query_http" \
        --query.grpc-server.host-port="127.0.0.1:$query_grpc" \
        --admin.http.host-port="127.0.0.1:$admin" \
        >"$log" 2>&1 &
    JAEGER_PID=$!
    trap 'kill "$JAEGER_PID" 2>/dev/null; wait "$JAEGER_PID" 2>/dev/null || true' EXIT
    local ready=""
    for _ in $(seq 1 200); do
        if curl -fsS "http://127.0.0.1:$query_http/api/services" >/dev/null 2>&1 &&
            curl -sS -o /dev/null "http://127.0.0.1:$otlp_http/v1/traces" 2>/dev/null; then
            ready=1
            break
        fi
        kill -0 "$JAEGER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z "$ready" ]]; then
        echo "jaeger: did not start; its log:" >&2
        cat "$log" >&2
        exit 1
    fi
    JAEGER_OTLP_HTTP="http://127.0.0.1:$otlp_http" JAEGER_QUERY="http://127.0.0.1:$query_http" "$@"
}

case "${1:-}" in
build) build ;;
run) shift; run "$@" ;;
*) echo "usage: $0 build | run CMD [ARGS...]" >&2; exit 2 ;;
esac
