#!/usr/bin/env bash
# Opens HTML reports in headless Chromium and uses them as a person would (see
# scripts/report-browser/checks.mjs): sort, views, search, filters shared by URL, errors
# followed to their trace, deep links, calls read as chats. Screenshots go to $ARTIFACTS.
#
#   scripts/install-chromium.sh        # once, as root
#   scripts/test-report-browser.sh     # builds aiobs unless AIOBS_BIN points at a binary
#
# Env: AIOBS_BIN (an aiobs binary), ARTIFACTS (default target/test-artifacts), CHROMIUM.
# Exits non-zero when any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v "${CHROMIUM:-chromium}" >/dev/null 2>&1; then
    echo "test-report-browser: ${CHROMIUM:-chromium} not found; run scripts/install-chromium.sh as root" >&2
    exit 2
fi
if [ -z "${AIOBS_BIN:-}" ]; then
    cargo build --quiet -p aiobs-cli
    AIOBS_BIN=target/debug/aiobs
fi
mkdir -p "${ARTIFACTS:-target/test-artifacts}"
ARTIFACTS=$(cd "${ARTIFACTS:-target/test-artifacts}" && pwd)
rm -f "$ARTIFACTS"/report*.png
exec node scripts/report-browser/checks.mjs "$AIOBS_BIN" "$ARTIFACTS"
