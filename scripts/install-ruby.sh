#!/usr/bin/env bash
# Installs Debian's Ruby and the packages the Ruby binding's tests need (RubyGems is not used).
# Idempotent: installs only what is missing, and runs `apt-get update` only then. Needs root.
set -euo pipefail

packages=(ruby ruby-ffi ruby-minitest ruby-webrick ruby-faraday)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-ruby.sh: needs root to install ${missing[*]} with apt-get" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
