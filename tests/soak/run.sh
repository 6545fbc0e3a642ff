#!/usr/bin/env bash
# Runs one full soak, niced: OUT_DIR is emptied, the soak writes its files and rss.csv there, its
# summary goes to OUT_DIR/summary.txt (and to the terminal) and its RSS chart to OUT_DIR/rss.png.
# The exports are deleted when the soak passed (they are kept to look into when it failed).
# Usage: tests/soak/run.sh OUT_DIR COMMAND [ARGS...]  (ARGS name OUT_DIR where the soak takes it)
set -uo pipefail

out=$1
shift
rm -rf "$out" && mkdir -p "$out"
nice "$@" > "$out/summary.txt"
status=$?
cat "$out/summary.txt"
/usr/bin/python3 "$(dirname "$0")/plot_rss.py" "$out/rss.csv" "$out/rss.png" || status=1
if [ "$status" -eq 0 ]; then
    find "$out" -name '*.json' -delete
fi
echo "soak: summary, rss.csv and the RSS chart rss.png in $out/"
exit "$status"
