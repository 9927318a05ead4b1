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
# As a workflow's step on that instance runs it: GitHub Actions sets GITHUB_TOKEN (in the
# environment, never in argv) and GITHUB_SERVER_URL, the instance the token belongs to (ghpkg
# sends a GITHUB_TOKEN to no other host, and none from outside Actions).
GITHUB_TOKEN="$(python3 -m testbed token actions)"
export GITHUB_TOKEN GITHUB_ACTIONS=true GITHUB_SERVER_URL="https://$host"

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
cp /bin/busybox "$context/busybox"
cat > "$context/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
CMD ["/bin/busybox", "echo", "Hello from ghpkg: pushed to and pulled from the GHES Docker registry"]
DOCKERFILE

export GITHUB_REPOSITORY=octo-org/hello-world GITHUB_ACTOR=octocat
image=(--hostname "$host" --image hello --version 1.0)

echo "== ghpkg push"
ghpkg push "${image[@]}" --ca-file "$ca_file" --context "$context"
reference="$(ghpkg ref "${image[@]}" --subdomain-isolation true --quiet)"
docker rmi --force "$reference" >/dev/null
echo "== ghpkg pull"
ghpkg pull "${image[@]}" --ca-file "$ca_file"
echo "== docker run $reference"
docker run --rm --network none "$reference"
echo "$reference"
