#!/usr/bin/env bash
# Installs Debian's matplotlib, which draws the soak's RSS chart and the comparison chart.
# Idempotent: does nothing when Debian's Python (/usr/bin/python3, which apt installs for) can
# import it already. Needs root (apt).
set -euo pipefail

if /usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1; then
    exit 0
fi
"$(dirname "$0")/install-debian-packages.sh" python3-matplotlib
/usr/bin/python3 -c 'import matplotlib'
