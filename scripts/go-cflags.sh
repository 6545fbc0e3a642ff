#!/bin/sh
# The CGO_CFLAGS to build Go code against target/release/libaiobs.a: the caller's (else Go's
# default), plus the archive's digest. go does not hash an archive a #cgo LDFLAGS line names, so
# a cached link could keep a core built before; with the digest, a new core is a new build.
root="$(cd "$(dirname "$0")/.." && pwd)"
digest="$(sha1sum "$root/target/release/libaiobs.a" | cut -c1-16)"
printf '%s -DAIOBS_CORE=%s\n' "${CGO_CFLAGS:--O2 -g}" "$digest"
