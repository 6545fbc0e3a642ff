#!/usr/bin/env bash
# `make demo`: the three-step pipeline (research -> summarize -> critique) in C, Go and Ruby,
# each against the local provider stub (tests/stub/provider_stub.py), each traced by aiobs into
# its own export; a short summary per language, one HTML report over all three.
#
#   scripts/demo.sh [--quick] [OUT_DIR]      (OUT_DIR defaults to demo-out)
#
# --quick (what `make test` runs): no banner, no advice, only the checks that matter.
# It builds what it needs first (`make lib examples`, Debian's ruby and ruby-ffi, Go modules
# through the Go proxy). The stub is stopped on every way out: success, a failed step, Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

quick=0
if [ "${1:-}" = "--quick" ]; then
  quick=1
  shift
fi
out=${1:-demo-out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
aiobs="$root/target/release/aiobs"
# AIOBS_DEMO_LANGUAGES runs part of the demo (e.g. "c"), for working on one language.
read -r -a languages <<< "${AIOBS_DEMO_LANGUAGES:-c go ruby}"
wants() { [[ " ${languages[*]} " == *" $1 "* ]]; }
say() { printf '%s\n' "$*"; }
heading() { printf '\n\033[1m%s\033[0m\n' "$*"; }

# Runs a step with its output in $out/<name>.log; shows the log when it fails.
logged() {
  local name=$1
  shift
  if ! "$@" > "$out/$name.log" 2>&1; then
    say "demo: step '$name' failed; its output ($out/$name.log):" >&2
    tail -n 40 "$out/$name.log" >&2
    return 1
  fi
}

# shellcheck source=tests/stub/stub.bash
source tests/stub/stub.bash
trap stop_stub EXIT
trap 'say "demo: interrupted" >&2; exit 130' INT TERM

start=$(date +%s)
[ $quick -eq 1 ] || heading "Building (first run: a few minutes; later runs: seconds)"
for language in "${languages[@]}"; do
  case $language in
    c | go | ruby) ;;
    *) say "demo: no such language: $language (c, go, ruby)" >&2; exit 2 ;;
  esac
done
logged build make --no-print-directory lib examples
if wants ruby; then logged ruby-packages scripts/install-debian-packages.sh ruby ruby-ffi; fi
if wants go; then logged go-modules sh -c 'cd examples/go && go mod download'; fi

start_stub "$out/stub.log"
stub_url=$STUB_URL
[ $quick -eq 1 ] || say "provider stub (a development tool, not a provider) on $stub_url"

# The examples read these; the stub accepts any key. A real key in the environment is not sent.
export OPENAI_BASE_URL="$stub_url/v1" OPENAI_API_KEY=demo-key
export GEMINI_BASE_URL="$stub_url" GEMINI_API_KEY=demo-key
prompt="What is an API?"

run_pipeline() {
  case $1 in
    c) "$root/build/examples/pipeline_c" "$prompt" ;;
    go) (cd "$root/examples/go" && CGO_CFLAGS="$("$root/scripts/go-cflags.sh")" go run ./pipeline "$prompt") ;;
    ruby) ruby -I "$root/bindings/ruby/lib" "$root/examples/ruby/pipeline.rb" "$prompt" ;;
  esac
}

# calls, tokens and cost from `aiobs summary --json`, on one line.
read -r -d '' summary_py <<'PY' || true
import json, sys
totals = json.load(sys.stdin).get("totals", {})
tokens = totals.get("tokens", {})
cost = totals.get("cost", {}).get("usd")
line = (f"  {totals.get('provider_calls', 0)} provider calls ({totals.get('failed_calls', 0)} failed), "
        f"{totals.get('function_calls', 0)} traced functions, "
        f"tokens {tokens.get('input', 0)} in / {tokens.get('output', 0)} out")
if cost:
    line += f", ${cost:.6f} at list prices"
print(line)
if not totals.get("provider_calls"):
    sys.exit("demo: no provider call was recorded (see the pipeline's log)")
PY
one_line_summary() { "$aiobs" summary --json "$1" | python3 -c "$summary_py"; }

exports=()
for language in "${languages[@]}"; do
  export_file="$out/pipeline-$language.json"
  rm -f "$export_file"
  LLM_OBS_OUT="$export_file" logged "pipeline-$language" run_pipeline "$language"
  [ -s "$export_file" ] || { say "demo: the $language pipeline wrote no $export_file" >&2; exit 1; }
  exports+=("$export_file")
  heading "Pipeline in $language"
  one_line_summary "$export_file"
  "$aiobs" tree "$export_file"
done
stop_stub

logged report "$aiobs" report "${exports[@]}" -o "$out/report.html"
logged validate "$aiobs" validate "${exports[@]}"
elapsed=$(( $(date +%s) - start ))
[ $quick -eq 1 ] && { say "demo: ${#exports[@]} pipelines, report and validation in ${elapsed}s"; exit 0; }

heading "Files (in ${elapsed}s)"
for file in "${exports[@]}"; do say "  $file"; done
say "  $out/report.html   (one report over every language: open it in a browser)"
say "  $out/*.log         (each step's output)"
heading "Against the real APIs"
cat <<ADVICE
  export OPENAI_API_KEY=sk-...          # unset OPENAI_BASE_URL (or set it to a compatible server)
  export GEMINI_API_KEY=...             # for the Gemini examples
  build/examples/pipeline_c "Your prompt here"
  (cd examples/go && go run ./pipeline "Your prompt here")
  ruby -I bindings/ruby/lib examples/ruby/pipeline.rb "Your prompt here"
  Each writes \$LLM_OBS_OUT, else ./llm_observability.json; then: target/release/aiobs report *.json -o report.html
  The local stub by itself: python3 tests/stub/provider_stub.py   (prints its port)
ADVICE
