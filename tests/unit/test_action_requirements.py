"""The composite action installs pinned, hash-checked dependencies: every one pyproject names."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def pins() -> dict[str, list[str]]:
    """Name -> hashes of each `name==version` in action/requirements.txt."""
    found: dict[str, list[str]] = {}
    name = ""
    for line in (ROOT / "action" / "requirements.txt").read_text().splitlines():
        pinned = re.match(r"^([A-Za-z0-9_.-]+)==\S+", line)
        if pinned:
            name = pinned.group(1).lower().replace("_", "-")
            found[name] = []
        hashed = re.search(r"--hash=sha256:([0-9a-f]{64})", line)
        if hashed and name:
            found[name].append(hashed.group(1))
    return found


def test_every_runtime_dependency_is_pinned_with_its_hashes() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    block = text.split("\ndependencies = [", 1)[1].split("]", 1)[0]
    wanted = {re.split(r"[<>=!~\[; ]", dep)[0].lower() for dep in re.findall(r'"([^"]+)"', block)}
    assert wanted >= {"docker", "pygithub", "pyyaml"}
    pinned = pins()
    assert sorted(wanted - set(pinned)) == []
    assert [name for name, hashes in pinned.items() if not hashes] == []


def test_the_install_script_insists_on_the_hashes() -> None:
    script = (ROOT / "action" / "install.sh").read_text()
    assert "--require-hashes" in script
    assert "--no-deps --no-build-isolation" in script
    assert "action/requirements.txt" in script.split("key=", 1)[1].splitlines()[0]
