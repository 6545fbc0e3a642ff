#!/bin/sh
# ThreadSanitizer over the multithreaded C test: the core built by nightly Rust with
# -Zsanitizer=thread and its standard library rebuilt the same way (-Zbuild-std, so std's own
# synchronisation is seen too), linked with the C test built by gcc -fsanitize=thread. The
# runtime is the one nightly Rust ships (LLVM's): gcc 12's libtsan lacks the __tsan_memcpy
# family that current LLVM instrumentation calls. Any data race fails the run.
# Usage: scripts/test-tsan.sh OUT_DIR
set -eu
out=$1
triple=x86_64-unknown-linux-gnu
target_dir=target/tsan
RUSTFLAGS="-Zsanitizer=thread" cargo +nightly build --quiet --lib --profile ctest \
  -Zbuild-std --target "$triple" --target-dir "$target_dir"
runtime="$(rustc +nightly --print sysroot)/lib/rustlib/$triple/lib/librustc-nightly_rt.tsan.a"
mkdir -p "$out"
cc=${CC:-cc}
"$cc" -std=c11 -Wall -Wextra -Werror -pedantic -O1 -g -fsanitize=thread -DCALLS_PER_THREAD=2000 \
  -Iinclude -c tests/c/test_threads.c -o "$out/test_threads.o"
"$cc" "$out/test_threads.o" "$target_dir/$triple/ctest/libaiobs.a" \
  -Wl,--whole-archive "$runtime" -Wl,--no-whole-archive -lpthread -ldl -lm -lrt -lstdc++ \
  -o "$out/test_threads"
nm "$out/test_threads" | grep -q __tsan_init || { echo "test_threads lacks ThreadSanitizer"; exit 1; }
TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$out/test_threads" "$out"
echo "tsan: no data race"
