#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the HTML report browser test.
# Idempotent: does nothing when `chromium` is already on PATH. Needs root (apt).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-chromium.sh: needs root to run apt-get" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null
