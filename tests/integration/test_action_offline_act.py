"""The action on a runner without a package index, run by `act` against the test bed.

Every pip configuration of this machine is switched off inside the job (PIP_CONFIG_FILE is
/dev/null: no index or find-links from pip.conf) and the index is a closed port, so the only
wheels there are the ones the bundle brings. The bundle is built for real by
scripts/bundle_action.py, for this machine's platform and Python only (all of them would take
CI a minute it need not spend; the unit tests check the plan for the others).
"""

from __future__ import annotations

import hashlib
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
from pathlib import Path

import pytest

from scripts.bundle_action import COVERS, Wheel, check, pins, targets
from testbed.bed import Testbed
from tests.integration.act import ROOT, act_workspace, commit, run_act
from tests.integration.pins import offered_pins
from tests.integration.test_push_cli import digest_of, stored_manifest

pytestmark = pytest.mark.integration

VERSION = re.search(r'^version = "(.+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
BUNDLE = f"ghpkg-action-{VERSION.group(1) if VERSION else '?'}"
# pip's configuration off and the index a closed port, for the whole job
OFFLINE = {
    "PIP_CONFIG_FILE": "/dev/null",
    "PIP_INDEX_URL": "http://127.0.0.1:9/",
    "PIP_FIND_LINKS": "",
    "PIP_RETRIES": "0",  # a closed port answers at once; retrying it only costs CI time
}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The action's bundle for the python3 act's steps run and this machine, extracted."""
    minor = subprocess.run(
        ["python3", "-c", "import sys; print(sys.version_info.minor)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    out = tmp_path_factory.mktemp("bundle")
    started = time.monotonic()
    own = ["--python", f"3.{minor}", "--arch", platform.machine()]
    requirements = out / "requirements.txt"  # the pins an index still offers
    requirements.write_text(offered_pins())
    own += ["--requirements", str(requirements)]
    built = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bundle_action.py"), "--out", str(out), *own],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    print(
        f"bundle for CPython 3.{minor} on {platform.machine()}: {time.monotonic() - started:.1f}s"
    )
    tarball = Path(built.stdout.strip())
    assert tarball == out / f"{BUNDLE}.tar.gz"
    with tarfile.open(tarball) as tar:
        tar.extractall(out, filter="data")
    return out / BUNDLE


def workspace_with(tmp_path: Path, bed: Testbed, action: Path | None) -> tuple[Path, Path, str]:
    """A workspace whose ./ghpkg is ACTION (None: the working tree's action, no wheels)."""
    image = f"offline-{uuid.uuid4().hex[:8]}"
    steps = {"push": {"image": image, "version": "1.0", "context": "app"}}
    workspace, result = act_workspace(
        tmp_path, bed, "publish", steps, {"DIGEST": "push.digest"}, "offline", OFFLINE
    )
    if action is not None:  # the bundle in place of the working tree's copy
        shutil.rmtree(workspace / "ghpkg")
        shutil.copytree(action, workspace / "ghpkg")
    # act gives every run the same tool cache (a job's RUNNER_TOOL_CACHE does not win), where
    # another test may have installed this very source: a line in pyproject.toml makes the
    # install's key this test's own, so it installs instead of finding that venv.
    with (workspace / "ghpkg" / "pyproject.toml").open("a") as pyproject:
        pyproject.write(f"# {image}\n")
    commit(workspace, bed.hostname)
    return workspace, result, image


def run_offline(workspace: Path, bed: Testbed) -> str:
    """Run the workflow; return its output, after removing the venv it installed."""
    run = run_act(workspace, bed.hostname, {"GITHUB_TOKEN": bed.token("actions")})
    output = run.stdout + run.stderr + f"\nexit status {run.returncode}"
    for venv in re.findall(r"ghpkg: installing into (/\S+/ghpkg/[0-9a-f]{16}) ", output):
        shutil.rmtree(venv, ignore_errors=True)
        Path(f"{venv}.lock").unlink(missing_ok=True)
    return output


def test_the_bundle_holds_a_wheel_pinned_by_hash_for_every_requirement(bundle: Path) -> None:
    wheels = bundle / "action" / "wheels"
    requirements = offered_pins()
    minor = int(re.findall(r"CPython 3\.(\d+)", (wheels / COVERS).read_text())[0])
    assert check(wheels, requirements, targets([minor], [platform.machine()])) == []
    pinned = pins(requirements)
    files = sorted(wheels.glob("*.whl"))
    assert {Wheel.parse(path.name).name for path in files} == set(pinned)
    for path in files:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest in pinned[Wheel.parse(path.name).name][1], path.name
    for name in (
        "action.yml",
        "delete/action.yml",
        "migrate/action.yml",
        "doctor/action.yml",
        "entrypoint.py",
        "pyproject.toml",
        "action/install.sh",
    ):
        assert (bundle / name).read_bytes() == (ROOT / name).read_bytes()
    assert (bundle / "src" / "ghpkg" / "__init__.py").is_file()


def test_without_the_bundle_and_without_an_index_the_install_fails_in_one_line(
    bed: Testbed, tmp_path: Path
) -> None:
    workspace, result, _ = workspace_with(tmp_path, bed, None)
    output = run_offline(workspace, bed)
    assert not output.endswith("exit status 0"), output[-4000:]
    errors = [line for line in output.splitlines() if "cannot install ghpkg's" in line]
    assert errors, output[-4000:]
    # one message, shown as the annotation and as the step's last line; pip's own output is
    # folded away above it with its commands off, so nothing else is an error annotation
    assert len({line.split("cannot install", 1)[1] for line in errors}) == 1, errors
    assert len([line for line in output.splitlines() if "::error::" in line]) == 1
    message = errors[0]
    assert "the package index is unreachable from this runner" in message
    assert "Connection refused" in message
    assert f"download {BUNDLE}.tar.gz from ghpkg's release" in message
    assert "Traceback" not in output
    assert not result.exists()


def test_with_the_bundle_and_without_an_index_the_action_installs_and_pushes(
    bed: Testbed, tmp_path: Path, bundle: Path
) -> None:
    workspace, result, image = workspace_with(tmp_path, bed, bundle)
    output = run_offline(workspace, bed)
    assert output.endswith("exit status 0"), output[-4000:]
    assert "from the wheels bundled in" in output
    assert "(no index)" in output
    assert "127.0.0.1:9" not in output  # pip never tried the index
    assert bed.token("actions") not in output
    (digest,) = result.read_text().splitlines()
    raw, _ = stored_manifest(bed, f"octo-org/hello-world/{image}", "1.0")
    assert digest_of(raw) == digest
