#!/usr/bin/env bash
# Installs the Debian packages named as arguments that are not installed yet; does nothing (and
# needs no network or root) when all are. Waits for the apt lock, which others may hold.
#   scripts/install-debian-packages.sh libcurl4-openssl-dev ruby ruby-ffi
set -euo pipefail

missing=()
for package in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-debian-packages.sh: ${missing[*]} missing, and installing them needs root" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
