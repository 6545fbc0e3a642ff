#!/usr/bin/env bash
# Runs a command with the local provider stub listening, then stops the stub, also when the
# command fails or the run is interrupted. The command sees STUB_URL (http://127.0.0.1:PORT),
# OPENAI_BASE_URL, GEMINI_BASE_URL and dummy OPENAI_API_KEY / GEMINI_API_KEY when unset.
#   tests/stub/with-stub.sh COMMAND [ARGS...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port_file=$(mktemp)
rm -f "$port_file"
python3 "$here/provider_stub.py" --quiet --port-file "$port_file" --parent $$ &
stub=$!
trap 'kill "$stub" 2>/dev/null || true; wait "$stub" 2>/dev/null || true; rm -f "$port_file"' EXIT
trap 'exit 130' INT TERM
for _ in $(seq 100); do
  [ -s "$port_file" ] && break
  kill -0 "$stub" 2>/dev/null || { echo "with-stub: the stub did not start" >&2; exit 1; }
  sleep 0.05
done
[ -s "$port_file" ] || { echo "with-stub: the stub did not print its port" >&2; exit 1; }
export STUB_URL="http://127.0.0.1:$(cat "$port_file")"
export OPENAI_BASE_URL="$STUB_URL/v1" GEMINI_BASE_URL="$STUB_URL"
export OPENAI_API_KEY="${OPENAI_API_KEY:-dummy-key}" GEMINI_API_KEY="${GEMINI_API_KEY:-dummy-key}"
"$@"
