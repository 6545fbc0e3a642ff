#!/usr/bin/env bash
# Installs aiobs (the release build) into a temporary staging root under a non-default prefix,
# then builds applications out of the tree against that copy: C and C++ through pkg-config
# (shared and static) and through CMake's find_package(aiobs), and runs them.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/tests/install"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CC=${CC:-cc}
CXX=${CXX:-c++}

prefix=/opt/aiobs-test
stage="$work/stage"
PREFIX=$prefix DESTDIR="$stage" "$root/scripts/install.sh"
PREFIX=$prefix DESTDIR="$stage" "$root/scripts/install.sh" curl
installed="$stage$prefix"
passed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }

for file in include/aiobs.h include/aiobs.hpp lib/libaiobs.a lib/libaiobs.so lib/pkgconfig/aiobs.pc \
            lib/cmake/aiobs/aiobs-config.cmake lib/cmake/aiobs/aiobs-config-version.cmake \
            include/aiobs_curl.h lib/libaiobs_curl.a lib/pkgconfig/aiobs-curl.pc; do
  test -e "$installed/$file" || { echo "missing: $file" >&2; exit 1; }
done
ok "installed files present"
if grep -rq "$stage" "$installed/lib/pkgconfig" "$installed/lib/cmake"; then
  echo "the staging root leaked into an installed file" >&2
  exit 1
fi
ok "DESTDIR is not recorded in the installed files"
soname=$(objdump -p "$installed/lib/libaiobs.so" | awk '$1 == "SONAME" {print $2}')
[[ "$soname" == libaiobs.so.* && -L "$installed/lib/$soname" ]] || { echo "bad soname link: $soname" >&2; exit 1; }
ok "soname $soname"

export PKG_CONFIG_PATH="$installed/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage"
version=$(pkg-config --modversion aiobs)
grep -q "\"$version\"" "$installed/include/aiobs.h" || { echo "pkg-config version $version not in the header" >&2; exit 1; }
ok "pkg-config aiobs $version"

# C, shared library: the program needs the soname, and runs with the installed copy.
# shellcheck disable=SC2046
"$CC" -std=c11 -Wall -Wextra -Werror -pedantic "$here/app.c" $(pkg-config --cflags --libs aiobs) -o "$work/app_shared"
readelf -d "$work/app_shared" | grep -q "NEEDED.*\[$soname\]" || { echo "app_shared does not need $soname" >&2; exit 1; }
LD_LIBRARY_PATH="$installed/lib" "$work/app_shared" "$work/shared.json"
ok "C through pkg-config, shared"

# C and C++, static: the flags of Libs.private are all the link needs.
static_libs=$(pkg-config --static --libs aiobs | sed 's/-laiobs/-Wl,-Bstatic -laiobs -Wl,-Bdynamic/')
# shellcheck disable=SC2046,SC2086
"$CC" -std=c11 -Wall -Wextra -Werror -pedantic "$here/app.c" $(pkg-config --cflags aiobs) $static_libs -o "$work/app_static"
# shellcheck disable=SC2046,SC2086
"$CXX" -std=c++17 -Wall -Wextra -Wpedantic -Werror "$here/app.cpp" $(pkg-config --cflags aiobs) $static_libs -o "$work/app_cpp"
if readelf -d "$work/app_static" | grep -q "libaiobs"; then echo "app_static links libaiobs dynamically" >&2; exit 1; fi
"$work/app_static" "$work/static.json"
"$work/app_cpp" "$work/cpp.json"
ok "C and C++ through pkg-config, static"

# The libcurl capture through pkg-config aiobs-curl: the chat example against the provider stub.
# shellcheck disable=SC2046
"$CC" -std=c11 -Wall -Wextra -Werror -pedantic "$root/examples/c/chat.c" "$root/examples/c/openai_chat.c" \
  $(pkg-config --cflags --libs aiobs-curl) -o "$work/chat_curl"
LD_LIBRARY_PATH="$installed/lib" LLM_OBS_OUT="$work/chat_curl.json" "$root/tests/stub/with-stub.sh" "$work/chat_curl" > /dev/null
grep -q '"chat.completions.create"' "$work/chat_curl.json" || { echo "chat_curl recorded no call" >&2; exit 1; }
ok "the libcurl capture through pkg-config"

# CMake: find_package(aiobs 0.1) with aiobs::aiobs (C, shared) and aiobs::aiobs_static (C++).
cmake -S "$here" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$installed" -DCMAKE_C_COMPILER="$CC" \
  -DCMAKE_CXX_COMPILER="$CXX" > "$work/cmake.log" || { cat "$work/cmake.log"; exit 1; }
cmake --build "$work/cmake" > "$work/build.log" || { cat "$work/build.log"; exit 1; }
"$work/cmake/app_c" "$work/cmake_c.json"
"$work/cmake/app_cpp" "$work/cmake_cpp.json"
LLM_OBS_OUT="$work/cmake_curl.json" "$root/tests/stub/with-stub.sh" "$work/cmake/chat_curl" > /dev/null
grep -q '"chat.completions.create"' "$work/cmake_curl.json" || { echo "chat_curl (CMake) recorded no call" >&2; exit 1; }
ok "C and C++ through CMake, and the libcurl capture (aiobs::curl)"

# A version the installed copy cannot satisfy is refused.
mkdir -p "$work/too-new"
printf 'cmake_minimum_required(VERSION 3.16)\nproject(p C)\nfind_package(aiobs 99 REQUIRED)\n' > "$work/too-new/CMakeLists.txt"
if cmake -S "$work/too-new" -B "$work/too-new/build" -DCMAKE_PREFIX_PATH="$installed" > /dev/null 2>&1; then
  echo "find_package(aiobs 99) succeeded" >&2
  exit 1
fi
ok "find_package refuses an incompatible version"

for out in shared static cpp cmake_c cmake_cpp chat_curl cmake_curl; do
  "$root/target/release/aiobs" validate "$work/$out.json" > /dev/null
done
ok "every export validates"
echo "test-install: $passed passed, 0 failed"
