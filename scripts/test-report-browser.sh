#!/usr/bin/env bash
# Opens the HTML report in headless Chromium and checks what a person would see: the call
# and trace counts, that a URL filter changes them, that a span's details open, that no
# script error occurred; saves a screenshot to $ARTIFACTS/report.png.
#
#   scripts/install-chromium.sh        # once, as root
#   scripts/test-report-browser.sh     # builds aiobs unless AIOBS_BIN points at a binary
#
# Env: AIOBS_BIN (an aiobs binary), ARTIFACTS (default target/test-artifacts), CHROMIUM.
# Exits non-zero when any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=${CHROMIUM:-chromium}
if ! command -v "$CHROMIUM" >/dev/null 2>&1; then
    echo "test-report-browser: $CHROMIUM not found; run scripts/install-chromium.sh as root" >&2
    exit 2
fi
if [ -z "${AIOBS_BIN:-}" ]; then
    cargo build --quiet -p aiobs-cli
    AIOBS_BIN=target/debug/aiobs
fi
mkdir -p "${ARTIFACTS:-target/test-artifacts}"
ARTIFACTS=$(cd "${ARTIFACTS:-target/test-artifacts}" && pwd)
PROFILE=$(mktemp -d)
trap 'rm -rf "$PROFILE"' EXIT

FIXTURES=tests/fixtures/exports
"$AIOBS_BIN" report -o "$ARTIFACTS/report.html" \
    "$FIXTURES/pipeline_openai.json" "$FIXTURES/gemini_media.json" \
    "$FIXTURES/multi_session.json" "$FIXTURES/tricky_tree.json"
PAGE="file://$ARTIFACTS/report.html"

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1" >&2; }

# Chromium runs the page's script (virtual time lets it finish), then prints the DOM.
browse() {
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$PROFILE" \
        --virtual-time-budget=5000 --enable-logging=stderr --v=0 "$@"
}

# The text of the first element with data-testid=$2 in the DOM dump $1.
testid_text() {
    grep -o "data-testid=\"$2\"[^>]*>[^<]*<" "$1" | head -n 1 | sed 's/.*>\([^<]*\)<$/\1/'
}

# dump NAME URL: saves the DOM and the browser log, and checks the page rendered cleanly.
dump() {
    browse --dump-dom "$2" >"$ARTIFACTS/dom-$1.html" 2>"$ARTIFACTS/chromium-$1.log" || true
    if grep -q 'data-ready="true"' "$ARTIFACTS/dom-$1.html"; then pass "$1: page rendered"; else fail "$1: page did not finish rendering"; fi
    if grep -q 'data-testid="js-error">' "$ARTIFACTS/dom-$1.html"; then
        fail "$1: script error shown: $(grep -o 'Report script error[^<]*' "$ARTIFACTS/dom-$1.html" | head -n 1)"
    else
        pass "$1: no script error in the page"
    fi
    if grep -q "Uncaught" "$ARTIFACTS/chromium-$1.log"; then fail "$1: uncaught error in the console log"; else pass "$1: no uncaught error in the console log"; fi
}

expect() { # expect NAME TESTID VALUE
    local actual
    actual=$(testid_text "$ARTIFACTS/dom-$1.html" "$2")
    if [ "$actual" = "$3" ]; then pass "$1: $2 = $3"; else fail "$1: $2 is '$actual', expected '$3'"; fi
}

dump all "$PAGE"
expect all calls-count 23
expect all traces-count 18
expect all functions-count 13
expect all errors-count 7
shown=$(grep -o 'data-testid="trace"' "$ARTIFACTS/dom-all.html" | wc -l)
if [ "$shown" -eq 18 ]; then pass "all: 18 trace waterfalls drawn"; else fail "all: $shown trace waterfalls drawn, expected 18"; fi
if grep -q 'data-testid="enh-reached"' "$ARTIFACTS/dom-all.html"; then pass "all: enh_prompt threshold marked"; else fail "all: no enh_prompt group marked as reached"; fi
if grep -q '<svg' "$ARTIFACTS/dom-all.html"; then pass "all: charts drawn"; else fail "all: no chart drawn"; fi

dump gemini "$PAGE#provider=gemini"
expect gemini calls-count 6
expect gemini traces-count 3

dump query "$PAGE?provider=openai"
expect query calls-count 16

dump production "$PAGE#label=environment=production"
expect production calls-count 11

dump detail "$PAGE#span=1"
if grep -q 'data-testid="detail-panel"[^>]*hidden' "$ARTIFACTS/dom-detail.html"; then
    fail "detail: the detail panel stayed hidden"
elif grep -q '"model": "gpt-4o"' "$ARTIFACTS/dom-detail.html"; then
    pass "detail: the request of span 1 is shown"
else
    fail "detail: the request of span 1 is not shown"
fi

rm -f "$ARTIFACTS/report.png"
browse --hide-scrollbars --window-size=1400,1000 --screenshot="$ARTIFACTS/report.png" "$PAGE" \
    >/dev/null 2>"$ARTIFACTS/chromium-screenshot.log" || true
if [ -s "$ARTIFACTS/report.png" ]; then pass "screenshot saved to $ARTIFACTS/report.png"; else fail "no screenshot"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
