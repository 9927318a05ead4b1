#!/usr/bin/env bash
# Build ghpkg's own image from the Dockerfile on the Debian base of scripts/base-image.sh (no
# registry needed; pip inside the build fetches ghpkg's dependencies from PyPI), then check
# that ghpkg runs in it. Prints the image tag on stdout, progress on stderr. Run as root.
#   bash scripts/build-image.sh [TAG]        (default: ghpkg:local)
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-ghpkg:local}"
base="$(bash scripts/base-image.sh)"
echo "build-image: docker build -t $tag --build-arg BASE=$base ." >&2
# --network host: the build's pip needs PyPI, and test machines may run dockerd without a bridge.
docker build --quiet --network host --build-arg BASE="$base" --tag "$tag" . >/dev/null
echo "build-image: $(docker run --rm --network none --entrypoint ghpkg "$tag" --version)" >&2
echo "$tag"
