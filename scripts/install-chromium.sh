#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the HTML report browser test, and Node,
# which drives it (scripts/report-browser/). Idempotent: does nothing when `chromium` and
# `node` are already on PATH. Needs root (apt).
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
    exit 0
fi

packages="chromium fonts-dejavu-core"
command -v node >/dev/null 2>&1 || packages="$packages nodejs"
# shellcheck disable=SC2086 # one word per package
"$(dirname "$0")/install-debian-packages.sh" $packages
command -v chromium >/dev/null && command -v node >/dev/null
