#!/usr/bin/env bash
# Installs Debian packages without recommends, waiting for an apt lock another install holds.
# Usage: apt-install.sh PACKAGE... Needs root. The install-*.sh scripts call it when what they
# install is missing.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
    echo "apt-install.sh: needs root to run apt-get (to install: $*)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
