#!/usr/bin/env bash
# Install ghpkg into a virtual environment in the runner's tool cache, keyed by the action's
# own source and its pinned dependencies, so a second run of the same version on the same
# runner installs nothing. Dependencies come from action/requirements.txt, every file checked
# against its hash (pip --require-hashes); a cached venv is used only while what is installed
# in it is still what was installed (its `pip freeze` against the one recorded).
set -euo pipefail
action_path="${GHPKG_ACTION_PATH:?}"
cache_root="${RUNNER_TOOL_CACHE:-${HOME}/.cache}/ghpkg"
python="$(command -v python3)"
key="$(cd "$action_path" && { "$python" --version; cat pyproject.toml action/requirements.txt; find src -name '*.py' -type f | LC_ALL=C sort | xargs cat; } | sha256sum | cut -c1-16)"
venv="$cache_root/$key"
# Jobs that share a tool cache (a matrix on several runners of one host, act) install one at a
# time: the second waits for the first and then uses its venv instead of rebuilding it under it.
mkdir -p "$cache_root"
if command -v flock >/dev/null; then
  exec {lock}>"$venv.lock"
  flock "$lock"
fi
installed() { "$venv/bin/python" -m pip freeze --all --disable-pip-version-check 2>/dev/null | sha256sum | cut -c1-64; }
if [ -f "$venv/.complete" ] && [ "$(cat "$venv/.complete")" = "$(installed)" ]; then
  echo "ghpkg: using the cached install in $venv"
else
  [ -d "$venv" ] && echo "ghpkg: the cached install in $venv changed since it was made; installing again"
  echo "ghpkg: installing into $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  pip=("$venv/bin/pip" install --quiet --disable-pip-version-check)
  "${pip[@]}" --require-hashes --only-binary :all: -r "$action_path/action/requirements.txt"
  "${pip[@]}" --no-deps --no-build-isolation "$action_path"
  installed > "$venv/.complete"
fi
echo "python=$venv/bin/python" >> "${GITHUB_OUTPUT:?}"
