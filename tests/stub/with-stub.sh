#!/usr/bin/env bash
# Runs a command with the local provider stub listening, then stops the stub, also when the
# command fails or the run is interrupted. The command sees STUB_URL (http://127.0.0.1:PORT),
# OPENAI_BASE_URL, GEMINI_BASE_URL and dummy OPENAI_API_KEY / GEMINI_API_KEY when unset.
#   tests/stub/with-stub.sh COMMAND [ARGS...]
set -euo pipefail
# shellcheck source=tests/stub/stub.bash
source "$(dirname "$0")/stub.bash"
trap stop_stub EXIT
trap 'exit 130' INT TERM
start_stub /dev/null
export STUB_URL OPENAI_BASE_URL="$STUB_URL/v1" GEMINI_BASE_URL="$STUB_URL"
export OPENAI_API_KEY="${OPENAI_API_KEY:-dummy-key}" GEMINI_API_KEY="${GEMINI_API_KEY:-dummy-key}"
"$@"
