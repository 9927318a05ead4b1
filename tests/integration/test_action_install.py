"""The action's install (action/install.sh, run as the action runs it, no act), from the
package index and from the release bundle's wheels (unpacked without pip): a cached venv is
used only while every file in it is what was installed; a poisoned one is built again, and the
poison never runs, neither during the check nor after. A damaged bundle is refused."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import clean_environment
from tests.integration.pins import offered_pins

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the action with action/wheels/ for this Python and machine, as the release
    bundle brings them (scripts/bundle_action.py)."""
    tree = tmp_path_factory.mktemp("action")
    for item in ("action", "src"):
        shutil.copytree(ROOT / item, tree / item, ignore=shutil.ignore_patterns("wheels"))
    shutil.copy2(ROOT / "pyproject.toml", tree)
    (tree / "action" / "requirements.txt").write_text(offered_pins())
    python = f"3.{sys.version_info.minor}"
    gathered = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bundle_action.py"), "--wheels",
         str(tree / "action" / "wheels"), "--python", python, "--arch", platform.machine(),
         "--requirements", str(tree / "action" / "requirements.txt")],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert gathered.returncode == 0, gathered.stderr
    return tree


def run_install(cache: Path, tmp_path: Path, action: Path) -> subprocess.CompletedProcess[str]:
    """Run ACTION's install.sh with this Python first on PATH, as the runner runs it."""
    outputs = tmp_path / "outputs"
    outputs.write_text("")
    env = {
        **clean_environment(),
        "PATH": f"{Path(sys.executable).parent}:{clean_environment()['PATH']}",
        "PIP_CONFIG_FILE": "/dev/null",
        "GHPKG_ACTION_PATH": str(action),
        "RUNNER_TOOL_CACHE": str(cache),
        "GITHUB_OUTPUT": str(outputs),
    }
    return subprocess.run(
        ["bash", str(action / "action" / "install.sh")],
        env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip


def install(cache: Path, tmp_path: Path, action: Path = ROOT) -> tuple[str, Path]:
    """Run install.sh; its output and the python it reports."""
    done = run_install(cache, tmp_path, action)
    assert done.returncode == 0, done.stdout + done.stderr
    outputs = (tmp_path / "outputs").read_text()
    return done.stdout, Path(outputs.strip().split("=", 1)[1])


def site_packages(python: Path) -> Path:
    (found,) = python.parent.parent.glob("lib/python3*/site-packages")
    return found


# The check reads the venv's files whatever filled it: every poison on a venv from the bundle
# (unpacked in about a second), one on a venv pip filled from the index (two pip installs) to
# show that one is checked too; the changed .pyc, since pip compiles those itself.
POISONS = ["pth", "sitecustomize", "edited-module", "extra-pyc"]


@pytest.mark.parametrize(
    ("poison", "source"), [*((poison, "bundle") for poison in POISONS), ("extra-pyc", "index")]
)
def test_a_poisoned_cached_venv_is_built_again_and_the_poison_never_runs(
    tmp_path: Path, poison: str, source: str, request: pytest.FixtureRequest
) -> None:
    action = request.getfixturevalue("bundled") if source == "bundle" else ROOT
    cache = tmp_path / "toolcache"
    first, python = install(cache, tmp_path, action)
    assert "installing into" in first
    again, same = install(cache, tmp_path, action)
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

    rebuilt, python = install(cache, tmp_path, action)
    assert "changed since it was made; installing again" in rebuilt
    assert not ran.exists()  # the check ran nothing from the venv
    version = subprocess.run(
        [str(python), "-m", "ghpkg", "--version"], capture_output=True, text=True, check=False
    )
    assert version.returncode == 0, version.stderr
    assert not ran.exists()
    assert "using the cached install" in install(cache, tmp_path, action)[0]


def test_the_bundle_installs_without_pip_and_ghpkg_runs(tmp_path: Path, bundled: Path) -> None:
    output, python = install(tmp_path / "toolcache", tmp_path, bundled)
    assert "from the wheels bundled in" in output
    assert "need pip here" not in output  # unpacked, pip never ran
    packages = site_packages(python)
    assert not list(packages.glob("pip*"))
    assert not list(packages.glob("setuptools*"))
    version = subprocess.run(
        [str(python), "-m", "ghpkg", "--version"], capture_output=True, text=True, check=False
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("ghpkg ")
    assert "not installed" not in version.stdout  # each library's metadata is there
    imports = subprocess.run(
        [str(python), "-c", "import github, docker, yaml, nacl.public, jwt"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert imports.returncode == 0, imports.stderr


def test_a_wheel_that_is_not_the_pinned_file_is_refused(tmp_path: Path, bundled: Path) -> None:
    action = tmp_path / "action"
    shutil.copytree(bundled, action)
    (wheel,) = (action / "action" / "wheels").glob("docker-*.whl")
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    done = run_install(tmp_path / "toolcache", tmp_path, action)
    assert done.returncode == 1
    assert f"error: cannot install ghpkg from the wheels bundled in {action}" in done.stderr
    assert f"{wheel.name} is not the file action/requirements.txt pins" in done.stderr
    assert (tmp_path / "outputs").read_text() == ""


def test_a_bundle_without_a_wheel_for_this_runner_falls_to_pip(
    tmp_path: Path, bundled: Path
) -> None:
    action = tmp_path / "action"
    shutil.copytree(bundled, action)
    for wheel in (action / "action" / "wheels").glob("pyyaml-*.whl"):
        wheel.unlink()
    done = run_install(tmp_path / "toolcache", tmp_path, action)
    assert "no wheel of pyyaml==" in done.stdout  # why the unpacking stepped aside
    assert done.returncode == 1  # pip, with no index, finds no pyyaml either, and says so
    assert "error: cannot install ghpkg's dependencies from the wheels bundled" in done.stderr
