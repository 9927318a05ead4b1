#!/usr/bin/env bash
# Install what ghpkg's tests, demo and benchmarks need on a fresh Debian machine (as root):
# Debian packages, ghpkg with its test extra, and the Docker engines of the test matrix.
# Idempotent: a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

packages=(docker.io docker-registry nginx-light busybox-static openssl ca-certificates skopeo iproute2 util-linux)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bootstrap: apt-get install ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -e '.[test]'

if [ "${1:-}" = "--engines" ]; then
  python3 -m testbed engines install "${@:2}"
fi
