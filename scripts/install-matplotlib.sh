#!/usr/bin/env bash
# Installs Debian's matplotlib, which draws the soak's RSS chart and the comparison chart.
# Idempotent: does nothing when Debian's Python (/usr/bin/python3, which apt installs for) can
# import it already. Needs root (apt).
set -euo pipefail

if /usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-matplotlib.sh: needs root to run apt-get" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends python3-matplotlib >/dev/null
/usr/bin/python3 -c 'import matplotlib'
