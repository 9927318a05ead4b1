#!/usr/bin/env bash
# Build ghpkg's own image from the Dockerfile on the Debian base of scripts/base-image.sh (no
# registry needed), then check that ghpkg runs in it. The build asks no package index: the
# wheels of action/requirements.txt's pins for the base's Python are gathered here first, on
# the host, into action/wheels. Prints the image tag on stdout, progress on stderr. Run as root.
#   bash scripts/build-image.sh [TAG]        (default: ghpkg:local)
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-ghpkg:local}"
base="$(bash scripts/base-image.sh)"
python="$(docker run --rm --network none --entrypoint python3 "$base" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
echo "build-image: the wheels of action/requirements.txt for CPython $python on $(uname -m) into action/wheels" >&2
python3 scripts/bundle_action.py --wheels action/wheels --python "$python" --arch "$(uname -m)" >/dev/null
echo "build-image: docker build -t $tag --build-arg BASE=$base ." >&2
# --network none: nothing in the build needs a network (test machines may run dockerd without a bridge).
docker build --quiet --network none --build-arg BASE="$base" --tag "$tag" . >/dev/null
echo "build-image: $(docker run --rm --network none --entrypoint ghpkg "$tag" --version)" >&2
echo "$tag"
