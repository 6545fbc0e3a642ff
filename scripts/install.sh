#!/usr/bin/env bash
# Installs the release build of aiobs (`make install` calls this after `make lib`):
#   $LIBDIR/libaiobs.so.X.Y.Z, its soname link and libaiobs.so, libaiobs.a,
#   $INCLUDEDIR/aiobs.h and aiobs.hpp, $LIBDIR/pkgconfig/aiobs.pc, $LIBDIR/cmake/aiobs/.
# `install.sh curl` (`make install-curl`) installs the libcurl capture instead:
#   $LIBDIR/libaiobs_curl.a, $INCLUDEDIR/aiobs_curl.h, $LIBDIR/pkgconfig/aiobs-curl.pc (the CMake
#   package then also defines aiobs::curl).
# Environment: PREFIX (default /usr/local), LIBDIR, INCLUDEDIR, DESTDIR (a staging root
# prepended to every path written, never to the paths recorded in the files), NATIVE_LIBS
# (what a static link needs besides libaiobs.a).
set -euo pipefail
cd "$(dirname "$0")/.."

PREFIX=${PREFIX:-/usr/local}
LIBDIR=${LIBDIR:-$PREFIX/lib}
INCLUDEDIR=${INCLUDEDIR:-$PREFIX/include}
DESTDIR=${DESTDIR:-}
NATIVE_LIBS=${NATIVE_LIBS:?NATIVE_LIBS: the system libraries a static link needs (the Makefile sets it)}
BUILT=target/release

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
minor=${version#*.}
minor=${minor%%.*}
# The soname is chosen once, in build.rs; read it back from the library.
soname=$(objdump -p "$BUILT/libaiobs.so" | awk '$1 == "SONAME" {print $2}')
if [[ -z "$soname" ]]; then
  echo "install: $BUILT/libaiobs.so has no soname; rebuild with \`make lib\`" >&2
  exit 1
fi

lib="$DESTDIR$LIBDIR"
cmake_dir="$LIBDIR/cmake/aiobs"

fill() {
  sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@LIBDIR@|$LIBDIR|g" -e "s|@INCLUDEDIR@|$INCLUDEDIR|g" \
      -e "s|@VERSION@|$version|g" -e "s|@VERSION_MAJOR@|$major|g" -e "s|@VERSION_MINOR@|$minor|g" \
      -e "s|@SONAME@|$soname|g" -e "s|@NATIVE_LIBS@|$NATIVE_LIBS|g" \
      -e "s|@CMAKE_TO_LIBDIR@|$(realpath -m --relative-to="$cmake_dir" "$LIBDIR")|g" \
      -e "s|@CMAKE_TO_INCLUDEDIR@|$(realpath -m --relative-to="$cmake_dir" "$INCLUDEDIR")|g" "$1"
}

if [ "${1:-}" = curl ]; then
  install -d "$lib/pkgconfig" "$DESTDIR$INCLUDEDIR"
  install -m 644 bindings/c/aiobs_curl.h "$DESTDIR$INCLUDEDIR/"
  install -m 644 build/libaiobs_curl.a "$lib/libaiobs_curl.a"
  fill packaging/aiobs-curl.pc.in > "$lib/pkgconfig/aiobs-curl.pc"
  echo "install: aiobs libcurl capture $version in $DESTDIR$PREFIX"
  exit 0
fi

install -d "$lib/pkgconfig" "$DESTDIR$cmake_dir" "$DESTDIR$INCLUDEDIR"
install -m 644 include/aiobs.h include/aiobs.hpp "$DESTDIR$INCLUDEDIR/"
install -m 755 "$BUILT/libaiobs.so" "$lib/libaiobs.so.$version"
ln -sfn "libaiobs.so.$version" "$lib/$soname"
ln -sfn "$soname" "$lib/libaiobs.so"
install -m 644 "$BUILT/libaiobs.a" "$lib/libaiobs.a"

fill packaging/aiobs.pc.in > "$lib/pkgconfig/aiobs.pc"
fill packaging/aiobs-config.cmake.in > "$DESTDIR$cmake_dir/aiobs-config.cmake"
fill packaging/aiobs-config-version.cmake.in > "$DESTDIR$cmake_dir/aiobs-config-version.cmake"
echo "install: aiobs $version in $DESTDIR$PREFIX (soname $soname)"
