"""The pins the tests install: action/requirements.txt while the index offers every pin to
every supported CPython on this machine's architecture, else a fresh lock for those runners.

CI must not go red because an index dropped an old version of a dependency: what says a pin
rotted is `python3 scripts/pins.py check` (scripts/test.sh prints it first), not a red build.
"""

from __future__ import annotations

import functools
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "action" / "requirements.txt"


@functools.cache
def offered_pins() -> str:
    """The text of the requirements file the tests' copies of the action carry."""
    script = [sys.executable, str(ROOT / "scripts" / "pins.py")]
    arch = ["--arch", platform.machine()]
    check = subprocess.run(
        [*script, "check", *arch], capture_output=True, text=True, timeout=600, check=False
    )
    if check.returncode == 0:
        return COMMITTED.read_text()
    fresh = Path(tempfile.mkdtemp(prefix="ghpkg-pins-")) / "requirements.txt"
    subprocess.run(
        [*script, "refresh", *arch, "--output", str(fresh)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    print(f"pins: {check.stderr.strip()}; the tests install a fresh lock", file=sys.stderr)
    return fresh.read_text()


def write(action_dir: Path) -> None:
    """Give the copy of the action in ACTION_DIR the pins the tests install."""
    target = action_dir / "requirements.txt"
    text = offered_pins()
    if target.read_text() != text:
        target.write_text(text)
