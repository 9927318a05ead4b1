"""The composite action installs pinned, hash-checked dependencies: every one pyproject names."""

from __future__ import annotations

import re
import subprocess
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


def test_the_install_script_never_asks_an_index_when_the_wheels_are_bundled() -> None:
    script = (ROOT / "action" / "install.sh").read_text()
    assert 'from=(--no-index --find-links "$wheels")' in script
    assert script.count('install --require-hashes --only-binary :all: -r "$requirements"') == 1
    # every pip install goes through install(), which passes "${from[@]}"
    assert script.count('/bin/pip" install') == 1
    assert '${from[@]+"${from[@]}"} "$@"' in script  # bash < 4.4: an empty array is unset


def test_the_image_build_never_asks_an_index() -> None:
    """The Dockerfile installs from the wheels in its build context, hash-checked; its build
    runs without a network (scripts/build-image.sh), which the integration tests do for real."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = re.findall(r"pip --isolated install[^&]*", dockerfile)
    assert len(installs) == 2
    assert all("--no-index" in install for install in installs)
    assert "--require-hashes" in installs[0]
    assert "--network none" in (ROOT / "scripts" / "build-image.sh").read_text()


def test_an_older_python3_gets_one_line_naming_the_version_needed_before_pip_runs(
    tmp_path: Path,
) -> None:
    # A real Python 3.9 as the runner's python3 (the oldest ghpkg supports is 3.10): the machine
    # image's pyenv 3.9.18; nothing of ours installs it, so its absence fails here, by name.
    old = Path("/root/.pyenv/versions/3.9.18/bin")
    assert (old / "python3").exists(), f"this test needs a real Python 3.9 at {old} (pyenv's)"
    floor = re.search(r'requires-python = ">=(3\.\d+)"', (ROOT / "pyproject.toml").read_text())
    assert floor
    env = {
        "PATH": f"{old}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "GHPKG_ACTION_PATH": str(ROOT),
        "RUNNER_TOOL_CACHE": str(tmp_path / "cache"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
    }
    ran = subprocess.run(
        ["bash", str(ROOT / "action" / "install.sh")], env=env, capture_output=True, text=True
    )
    assert ran.returncode == 1
    assert ran.stderr.splitlines() == [
        f"error: ghpkg needs Python {floor.group(1)} or newer, and this runner's python3 is "
        f"Python 3.9.18; install a newer one before this step (actions/setup-python with "
        f"python-version: '{floor.group(1)}' or newer)"
    ]
    assert ran.stdout.startswith("::error::ghpkg needs Python")
    assert not (tmp_path / "cache").exists()  # nothing installed, pip never ran


def test_the_images_default_base_is_pinned_by_digest_and_the_release_builds_on_it() -> None:
    """A tag moved by anyone cannot change what ghpkg's image runs (issue 25)."""
    base = re.search(r"^ARG BASE=(\S+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert base
    assert re.fullmatch(r"python:3\.12-slim@sha256:[0-9a-f]{64}", base.group(1))
    release = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    assert release.count(f"vars.GHPKG_BASE_IMAGE || '{base.group(1)}'") == 2
