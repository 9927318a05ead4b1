#!/usr/bin/env bash
# The test command: lint, types, then every test on the whole engine matrix against the
# GHES-like test bed (both started by the tests themselves). Run as root on Debian.
set -euo pipefail  # each check on its own line or after `;`: `set -e` ignores a failure before `&&`
cd "$(dirname "$0")/.."
export GHPKG_ENGINES="${GHPKG_ENGINES:-all}"
bash scripts/bootstrap.sh --engines $(echo "$GHPKG_ENGINES" | tr ',' ' ')
# A pin the index no longer offers is said here, never a red run: the tests install what the
# index offers (tests/integration/pins.py); `python3 scripts/pins.py refresh` fixes the pins.
echo "== pins";  python3 scripts/pins.py check || echo "pins: the release would fail; see above"
echo "== ruff";  ruff check --no-cache .; ruff format --check .
echo "== mypy";  mypy
echo "== action";  zizmor --offline --quiet action.yml */action.yml; check-jsonschema --builtin-schema vendor.github-actions action.yml */action.yml
echo "== workflows";  zizmor --offline --quiet .github/workflows/*.yml examples/*.yml; check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml examples/*.yml
echo "== pytest (engines: $GHPKG_ENGINES)"
status=0
python3 -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi
exit "$status"
