#!/usr/bin/env bash
# Runs the Ruby binding's tests with `ruby -w` against the library given as $1, and fails when
# they print any warning.
set -euo pipefail

library="$(realpath "$1")"
cd "$(dirname "$0")/../bindings/ruby"
output="$(mktemp)"
trap 'rm -f "$output"' EXIT
status=0
AIOBS_LIB="$library" ruby -w -Ilib -Itest -e 'Dir["test/test_*.rb"].sort.each { |file| require_relative file }' \
    >"$output" 2>&1 || status=$?
cat "$output"
if grep -q "warning:" "$output"; then
    echo "test-ruby: ruby -w printed warnings" >&2
    exit 1
fi
exit "$status"
