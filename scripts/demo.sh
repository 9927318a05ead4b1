#!/usr/bin/env bash
# The main job end to end on a local GHES-like instance (ghes.test, subdomain isolation on):
# build a tiny image, push it with ghpkg as docker.ghes.test/octo-org/hello-world/hello:1.0
# using a GITHUB_TOKEN-like token, delete it locally, pull it back with ghpkg, run it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
python3 -m testbed engines up 20.10 >/dev/null
python3 -m testbed up >/dev/null
host=ghes.test
ca_file=/tmp/ghpkg-testbed/pki/ca.crt
# The workflow's GITHUB_TOKEN, as a runner would set it: in the environment, never in argv.
GITHUB_TOKEN="$(python3 -m testbed token actions)"
export GITHUB_TOKEN

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
cp /bin/busybox "$context/busybox"
cat > "$context/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
CMD ["/bin/busybox", "echo", "Hello from ghpkg: pushed to and pulled from the GHES Docker registry"]
DOCKERFILE

export GITHUB_REPOSITORY=octo-org/hello-world GITHUB_ACTOR=octocat
common=(--hostname "$host" --ca-file "$ca_file" --image hello --version 1.0)

echo "== ghpkg push"
ghpkg push "${common[@]}" --context "$context"
reference="$(ghpkg ref "${common[@]}" --subdomain-isolation true --quiet)"
docker rmi --force "$reference" >/dev/null
echo "== ghpkg pull"
ghpkg pull "${common[@]}"
echo "== docker run $reference"
docker run --rm --network none "$reference"
echo "$reference"
