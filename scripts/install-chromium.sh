#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the HTML report browser test, and Node,
# which drives it (scripts/report-browser/). Idempotent: does nothing when `chromium` and
# `node` are already on PATH. Needs root (apt).
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-chromium.sh: needs root to run apt-get" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
packages="chromium fonts-dejavu-core"
command -v node >/dev/null 2>&1 || packages="$packages nodejs"
# shellcheck disable=SC2086 # one word per package
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $packages >/dev/null
command -v chromium >/dev/null && command -v node >/dev/null
