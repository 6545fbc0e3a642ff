#!/bin/sh
# ThreadSanitizer over the multithreaded C test: the core built by nightly Rust with
# -Zsanitizer=thread and its standard library rebuilt the same way (-Zbuild-std, so std's own
# synchronisation is seen too), linked with the C test built by gcc -fsanitize=thread, whose
# runtime serves both. Any data race fails the run.
# Usage: scripts/test-tsan.sh OUT_DIR
set -eu
out=$1
triple=x86_64-unknown-linux-gnu
target_dir=target/tsan
RUSTFLAGS="-Zsanitizer=thread" cargo +nightly build --quiet --lib --profile ctest \
  -Zbuild-std --target "$triple" --target-dir "$target_dir"
mkdir -p "$out"
"${CC:-cc}" -std=c11 -Wall -Wextra -Werror -pedantic -O1 -g -fsanitize=thread \
  -DCALLS_PER_THREAD=2000 -Iinclude tests/c/test_threads.c \
  "$target_dir/$triple/ctest/libaiobs.a" -lpthread -ldl -lm -o "$out/test_threads"
TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$out/test_threads" "$out"
echo "tsan: no data race"
