#!/usr/bin/env bash
# Make a Python base image for the Dockerfile without pulling anything: debootstrap a minimal
# Debian rootfs with python3 and python3-venv, `docker import` it, and print its tag on stdout
# (progress goes to stderr). The image trusts the CAs this host added to its own trust store
# (/usr/local/share/ca-certificates: a private or TLS-inspecting proxy's CA), as a company's
# base image would, so pip inside a build reaches PyPI where the host does. Use it as `docker build --build-arg BASE="$(bash scripts/base-image.sh)"`.
# The rootfs tarball is cached under /var/cache/ghpkg-base, keyed by what goes into it, so a
# second run only re-imports (or reuses the image if the engine still has it). Run as root.
set -euo pipefail
suite="${GHPKG_BASE_SUITE:-bookworm}"
mirror="${GHPKG_BASE_MIRROR:-http://deb.debian.org/debian}"
packages="python3,python3-venv,ca-certificates"
ca_dir="${GHPKG_BASE_CA_DIR:-/usr/local/share/ca-certificates}"
local_cas=()
if [ -d "$ca_dir" ]; then mapfile -t local_cas < <(find "$ca_dir" -maxdepth 1 -name '*.crt' -type f | LC_ALL=C sort); fi
cache_dir="${GHPKG_BASE_CACHE:-/var/cache/ghpkg-base}"
key="$({ printf '%s\n' "$suite" "$mirror" "$packages"; sed -n '/^trim()/,/^}/p' "$0"; cat "${local_cas[@]}" /dev/null; } | sha256sum | cut -c1-12)"
tag="ghpkg-base:$suite-$key"
tarball="$cache_dir/$suite-$key.tar"
log() { echo "base-image: $*" >&2; }

# What an image that only runs Python does not need: apt's lists and caches, man pages,
# translations and docs (each package's copyright file stays).
trim() {
  local root="$1"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old \
    "$root"/var/log/* "$root"/usr/share/man "$root"/usr/share/info "$root"/usr/share/locale \
    "$root"/usr/share/lintian "$root"/tmp/* "$root"/root/.cache
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
}

if docker image inspect "$tag" >/dev/null 2>&1; then
  log "reusing the image $tag"
  echo "$tag"
  exit 0
fi

if [ ! -f "$tarball" ]; then
  if ! command -v debootstrap >/dev/null; then
    log "apt-get install debootstrap"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends debootstrap >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
  fi
  mkdir -p "$cache_dir"
  work="$(mktemp -d "$cache_dir/build.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  log "debootstrap $suite with $packages (about a minute)"
  debootstrap --variant=minbase --include="$packages" "$suite" "$work/root" "$mirror" \
    >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  if [ "${#local_cas[@]}" -gt 0 ]; then
    cp "${local_cas[@]}" "$work/root/usr/local/share/ca-certificates/"
    chroot "$work/root" update-ca-certificates >/dev/null
  fi
  trim "$work/root"
  tar --numeric-owner --xattrs -C "$work/root" -cf "$work/rootfs.tar" .
  mv "$work/rootfs.tar" "$tarball"  # atomic: a cached tarball is always complete
fi

log "docker import $tarball as $tag"
docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  "$tarball" "$tag" >/dev/null
echo "$tag"
