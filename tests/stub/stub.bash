# Sourced by the scripts that need the local provider stub (tests/stub/with-stub.sh, scripts/demo.sh).
#   start_stub LOG   starts it on an ephemeral port, logging to LOG; sets STUB_URL and stub_pid.
#                    It also stops by itself when the sourcing shell's process is gone.
#   stop_stub        stops it (and is harmless when it is not running): call it from an EXIT trap.
stub_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
stub_pid=""

start_stub() {
  local log=$1 port_file
  port_file=$(mktemp)
  rm -f "$port_file"
  python3 "$stub_dir/provider_stub.py" --quiet --port-file "$port_file" --parent $$ > "$log" 2>&1 &
  stub_pid=$!
  for _ in $(seq 100); do
    [ -s "$port_file" ] && break
    if ! kill -0 "$stub_pid" 2>/dev/null; then
      echo "the provider stub did not start:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.05
  done
  if [ ! -s "$port_file" ]; then
    echo "the provider stub printed no port" >&2
    return 1
  fi
  STUB_URL="http://127.0.0.1:$(cat "$port_file")"
  rm -f "$port_file"
}

stop_stub() {
  if [ -n "$stub_pid" ]; then
    kill "$stub_pid" 2>/dev/null || true
    wait "$stub_pid" 2>/dev/null || true
    stub_pid=""
  fi
}
