#!/bin/sh
# The C suite under valgrind's memcheck: no memory error and no definite leak, on a build
# without AddressSanitizer (the two cannot share a process). The threads test records fewer
# calls than under ASan, since memcheck runs it some 50 times slower.
# Usage: scripts/test-valgrind.sh LIBAIOBS_A OUT_DIR
set -eu
lib=$1
out=$2
cc=${CC:-cc}
flags="-std=c11 -Wall -Wextra -Werror -pedantic -O1 -g -Iinclude"
libs="-lpthread -ldl -lm"
mkdir -p "$out"
"$cc" $flags -DAIOBS_TEST_HOOKS tests/c/test_abi.c "$lib" $libs -o "$out/test_abi"
"$cc" $flags -DCALLS_PER_THREAD=2000 tests/c/test_threads.c "$lib" $libs -o "$out/test_threads"
"$cc" $flags tests/c/test_fixtures.c "$lib" $libs -o "$out/test_fixtures"
memcheck="valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
  --errors-for-leak-kinds=definite --track-origins=yes"
$memcheck "$out/test_abi" "$out"
$memcheck "$out/test_threads" "$out"
$memcheck "$out/test_fixtures" tests/fixtures/providers "$out/fixtures.json"
echo "valgrind: no memory errors, no definite leaks"
