#!/usr/bin/env bash
# Install ghpkg into a virtual environment in the runner's tool cache, keyed by the action's
# own source and its pinned dependencies, so a second run of the same version on the same
# runner installs nothing. Dependencies come from action/requirements.txt, every file checked
# against its hash (pip --require-hashes); a cached venv is used only while every file in it is
# still what was installed (action/venv_manifest.py, run by the runner's python before anything
# in the venv runs: a changed, missing or extra file, such as a .pth or sitecustomize.py that a
# job planted, and it is built again).
# With action/wheels/ (the release's ghpkg-action-VERSION.tar.gz, made by
# scripts/bundle_action.py) the wheels come from there and pip never asks an index: runners
# without internet. Without it, from pip's configured index; if that fails, one error line.
set -euo pipefail
action_path="${GHPKG_ACTION_PATH:?}"
# A python3 older than pyproject's requires-python: one line saying which one is needed, before pip.
needed="$(sed -n 's/^requires-python = ">=\([0-9.]*\)"$/\1/p' "$action_path/pyproject.toml")"
if ! python3 -I -S -c "import sys; sys.exit(sys.version_info[:2] < tuple(map(int, '$needed'.split('.'))))" 2>/dev/null; then
  line="ghpkg needs Python $needed or newer, and this runner's python3 is $(python3 --version 2>/dev/null || echo "missing"); install a newer one before this step (actions/setup-python with python-version: '$needed' or newer)"
  echo "::error::$line"
  echo "error: $line" >&2
  exit 1
fi
cache_root="${RUNNER_TOOL_CACHE:-${HOME}/.cache}/ghpkg"
python="$(command -v python3)"
requirements="$action_path/action/requirements.txt"
wheels="$action_path/action/wheels"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$action_path/pyproject.toml")"
key="$(cd "$action_path" && { "$python" --version; cat pyproject.toml action/requirements.txt; find src -name '*.py' -type f | LC_ALL=C sort | xargs cat; } | sha256sum | cut -c1-16)"
venv="$cache_root/$key"

# The one line an expected failure ends with (as ghpkg's own: ::error:: and error:).
fail() {
  echo "::error::${1//%/%25}"
  echo "error: $1" >&2
  exit 1
}

# pip's output, folded, with workflow commands off (an index's answer cannot issue any).
show() {
  local stop
  stop="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  echo "::group::pip's output"
  echo "::stop-commands::$stop"
  cat "$1"
  echo "::$stop::"
  echo "::endgroup::"
}

# What pip's log says when it could not talk to the index at all.
network="Failed to establish a new connection: [^')]*|Temporary failure in name resolution|Name or service not known|Network is unreachable|No route to host|Connection to [^ ]+ timed out|Read timed out|ProxyError[^')]*|SSLError[^')]*"

# pip install ARGS quietly into the venv; on failure, pip's output and then one error line.
# pip's --log file has what its console leaves out (with retries off, why a page did not come).
install() {
  local log reason runner bundle unreachable
  log="$(mktemp)"
  if "$venv/bin/pip" install --quiet --disable-pip-version-check --log "$log.debug" \
    ${from[@]+"${from[@]}"} "$@" >"$log" 2>&1; then
    rm -f "$log" "$log.debug"
    return
  fi
  show "$log"
  reason="$(grep '^ERROR:' "$log" | tail -n 1 | sed 's/^ERROR: *//')"
  reason="${reason:-pip exited with an error}"
  runner="Python $("$python" -c 'import platform; print(platform.python_version())') on $(uname -m)"
  bundle="ghpkg-action-$version.tar.gz"
  unreachable="$(grep -ohE "$network" "$log" "$log.debug" || true)"
  unreachable="${unreachable%%$'\n'*}"
  rm -f "$log" "$log.debug"
  if [ -n "$bundled" ]; then
    fail "cannot install ghpkg's dependencies from the wheels bundled in $wheels: $reason (they cover $(head -n 1 "$wheels/COVERS" 2>/dev/null || echo 'an unknown set of platforms'); this runner has $runner); use a runner they cover, or download $bundle again from ghpkg's release v$version"
  elif [ -n "$unreachable" ]; then
    fail "cannot install ghpkg's dependencies: the package index is unreachable from this runner (pip: $unreachable) and the action has no bundled wheels (action/wheels); download $bundle from ghpkg's release v$version and publish it as the action your workflows use (README: \"Runners without internet\"), or point pip at a mirror inside your network (PIP_INDEX_URL)"
  else
    fail "cannot install ghpkg's dependencies from the package index: $reason; fix what pip says above, or download $bundle from ghpkg's release v$version, which needs no index (README: \"Runners without internet\")"
  fi
}

if compgen -G "$wheels/*.whl" >/dev/null; then
  bundled=yes
  from=(--no-index --find-links "$wheels")
  origin="the wheels bundled in $wheels (no index)"
else
  bundled=""
  from=()
  origin="pip's package index"
fi
# Jobs that share a tool cache (a matrix on several runners of one host, act) install one at a
# time: the second waits for the first and then uses its venv instead of rebuilding it under it.
mkdir -p "$cache_root"
if command -v flock >/dev/null; then
  exec {lock}>"$venv.lock"
  flock "$lock"
fi
manifest() { "$python" -I -S "$action_path/action/venv_manifest.py" "$1" "$venv"; }
if [ -d "$venv" ] && manifest check; then
  echo "ghpkg: using the cached install in $venv"
else
  [ -d "$venv" ] && echo "ghpkg: the cached install in $venv changed since it was made; installing again"
  echo "ghpkg: installing into $venv from $origin"
  rm -rf "$venv"
  # From the bundle: each hash-checked wheel unpacked straight into the venv, without pip
  # (1.5 s instead of 7-9 s, bench/install.py); where it cannot do what pip would (exit 3, it
  # says why), pip does it.
  unpacked=""
  if [ -n "$bundled" ]; then
    "$python" -m venv --without-pip "$venv"
    status=0
    why="$("$python" -I -S "$action_path/action/install_bundle.py" "$action_path" "$venv" 2>&1)" || status=$?
    case "$status" in
      0) unpacked=yes ;;
      3) echo "$why"; rm -rf "$venv" ;;
      *) fail "cannot install ghpkg from the wheels bundled in $wheels: ${why:-the install failed}; download ghpkg-action-$version.tar.gz again from ghpkg's release v$version" ;;
    esac
  fi
  if [ -z "$unpacked" ]; then
    "$python" -m venv "$venv"
    install --require-hashes --only-binary :all: -r "$requirements"
    install --no-deps --no-build-isolation "$action_path"
    # pip and setuptools never run again in this venv (a changed one is built anew): dropped,
    # the check that comes before each use has 1,600 files fewer to look at.
    "$venv/bin/python" -m pip uninstall --yes --quiet pip setuptools >/dev/null 2>&1 || true
  fi
  manifest write
fi
echo "python=$venv/bin/python" >> "${GITHUB_OUTPUT:?}"
