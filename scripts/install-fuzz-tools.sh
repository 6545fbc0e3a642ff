#!/bin/sh
# What `make fuzz` and the ThreadSanitizer test need beyond stable Rust: cargo-fuzz (from
# crates.io) and the nightly toolchain's standard library sources (-Zbuild-std). Idempotent.
set -eu
if ! rustup component list --toolchain nightly --installed | grep -q '^rust-src'; then
  rustup component add rust-src --toolchain nightly
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi
