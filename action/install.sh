#!/usr/bin/env bash
# Install ghpkg into a virtual environment in the runner's tool cache, keyed by the action's
# own source, so a second run of the same version on the same runner installs nothing.
set -euo pipefail
action_path="${GHPKG_ACTION_PATH:?}"
cache_root="${RUNNER_TOOL_CACHE:-${HOME}/.cache}/ghpkg"
python="$(command -v python3)"
key="$(cd "$action_path" && { "$python" --version; cat pyproject.toml; find src -name '*.py' -type f | LC_ALL=C sort | xargs cat; } | sha256sum | cut -c1-16)"
venv="$cache_root/$key"
# Jobs that share a tool cache (a matrix on several runners of one host, act) install one at a
# time: the second waits for the first and then uses its venv instead of rebuilding it under it.
mkdir -p "$cache_root"
if command -v flock >/dev/null; then
  exec {lock}>"$venv.lock"
  flock "$lock"
fi
if [ -f "$venv/.complete" ]; then
  echo "ghpkg: using the cached install in $venv"
else
  echo "ghpkg: installing into $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$action_path"
  touch "$venv/.complete"
fi
echo "python=$venv/bin/python" >> "${GITHUB_OUTPUT:?}"
