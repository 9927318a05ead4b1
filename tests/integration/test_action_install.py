"""The action's install (action/install.sh, run as the action runs it, no act): a cached venv
is used only while every file in it is what was installed; a poisoned one is built again, and
the poison never runs, neither during the check nor after."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import clean_environment

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def install(cache: Path, tmp_path: Path) -> tuple[str, Path]:
    """Run install.sh; its output and the python it reports."""
    outputs = tmp_path / "outputs"
    outputs.write_text("")
    env = {
        **clean_environment(),
        "GHPKG_ACTION_PATH": str(ROOT),
        "RUNNER_TOOL_CACHE": str(cache),
        "GITHUB_OUTPUT": str(outputs),
    }
    done = subprocess.run(
        ["bash", str(ROOT / "action" / "install.sh")],
        env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, Path(outputs.read_text().strip().split("=", 1)[1])


def site_packages(python: Path) -> Path:
    (found,) = python.parent.parent.glob("lib/python3*/site-packages")
    return found


@pytest.mark.parametrize("poison", ["pth", "sitecustomize", "edited-module", "extra-pyc"])
def test_a_poisoned_cached_venv_is_built_again_and_the_poison_never_runs(
    tmp_path: Path, poison: str
) -> None:
    cache = tmp_path / "toolcache"
    first, python = install(cache, tmp_path)
    assert "installing into" in first
    again, same = install(cache, tmp_path)
    assert "using the cached install" in again
    assert same == python

    ran = tmp_path / "poison-ran"
    payload = f"import pathlib; pathlib.Path({str(ran)!r}).write_text('ran')"
    packages = site_packages(python)
    if poison == "pth":
        (packages / "zz-helper.pth").write_text(payload + "\n")
    elif poison == "sitecustomize":
        (packages / "sitecustomize.py").write_text(payload + "\n")
    elif poison == "edited-module":
        module = packages / "ghpkg" / "__main__.py"
        module.write_text(payload + "\n" + module.read_text())
    else:  # a bytecode file Python would load for a module pip left without one
        cached = packages / "ghpkg" / "__pycache__"
        name = f"__main__.cpython-{sys.version_info.major}{sys.version_info.minor}.pyc"
        (cached / name).write_bytes((cached / name).read_bytes() + b"\0")

    rebuilt, python = install(cache, tmp_path)
    assert "changed since it was made; installing again" in rebuilt
    assert not ran.exists()  # the check ran nothing from the venv
    version = subprocess.run(
        [str(python), "-m", "ghpkg", "--version"], capture_output=True, text=True, check=False
    )
    assert version.returncode == 0, version.stderr
    assert not ran.exists()
    assert "using the cached install" in install(cache, tmp_path)[0]
