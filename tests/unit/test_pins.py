"""scripts/pins.py against a package index of our own (a directory of wheels served as a PEP 503
simple index over file://), with every pip configuration of this machine switched off: a pin
the index dropped is named with the one command that fixes it, and that command pins what the
index offers, with the hash of the file pip installs."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scripts.bundle_action import pins, supported_pythons
from scripts.pins import _marker

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "ghpkg-rot-probe"  # a name no real index has


def wheel(directory: Path, version: str) -> Path:
    """A minimal pure-Python wheel of PROJECT at VERSION, as pip reads one."""
    name = PROJECT.replace("-", "_")
    path = directory / f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": "",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {PROJECT}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [
        f"{file},sha256="
        f"{base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()},"
        f"{len(text.encode())}"
        for file, text in files.items()
    ]
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    with zipfile.ZipFile(path, "w") as archive:
        for file, text in files.items():
            archive.writestr(file, text)
    return path


def index_offering(tmp_path: Path, *versions: str) -> tuple[str, dict[str, str]]:
    """A simple index whose only project is PROJECT at VERSIONS: its URL and each file's hash."""
    project = tmp_path / "index" / PROJECT
    project.mkdir(parents=True)
    hashes = {}
    links = []
    for version in versions:
        path = wheel(project, version)
        hashes[version] = hashlib.sha256(path.read_bytes()).hexdigest()
        links.append(f'<a href="{path.name}#sha256={hashes[version]}">{path.name}</a>')
    (project / "index.html").write_text("<html><body>" + "".join(links) + "</body></html>")
    return (tmp_path / "index").as_uri(), hashes


def pins_command(*args: str) -> subprocess.CompletedProcess[str]:
    """scripts/pins.py as a maintainer runs it, pip's configuration of this machine off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "pins.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_pin_the_index_no_longer_offers_is_named_with_the_command_that_fixes_it(
    tmp_path: Path,
) -> None:
    url, _ = index_offering(tmp_path, "2.0")
    pinned = tmp_path / "requirements.txt"
    pinned.write_text(f"{PROJECT}==1.0 \\\n    --hash=sha256:{'0' * 64}\n")
    done = pins_command(
        "check", "--requirements", str(pinned), "--index-url", url, "--python", "3.11"
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines == [
        f"error: {PROJECT}==1.0 is not offered for CPython 3.11 on {arch} by the index "
        "(it offers 2.0); run `python3 scripts/pins.py refresh` to pin what it offers"
        for arch in ("x86_64", "aarch64")
    ]
    assert "Traceback" not in done.stderr


def test_pins_the_index_still_offers_pass(tmp_path: Path) -> None:
    url, hashes = index_offering(tmp_path, "1.0", "2.0")
    pinned = tmp_path / "requirements.txt"
    pinned.write_text(f"{PROJECT}==1.0 \\\n    --hash=sha256:{hashes['1.0']}\n")
    done = pins_command(
        "check", "--requirements", str(pinned), "--index-url", url, "--python", "3.10"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "pins: the index offers every pin for 2 runners\n"


def test_refresh_pins_what_the_index_offers_with_the_hash_of_the_file(tmp_path: Path) -> None:
    url, hashes = index_offering(tmp_path, "1.0", "2.0")
    wanted = tmp_path / "requirements.in"
    wanted.write_text(f"{PROJECT}>=1\n")
    output = tmp_path / "requirements.txt"
    done = pins_command(
        *("refresh", "--requirements-in", str(wanted), "--index-url", url),
        *("--output", str(output)),
    )
    assert done.returncode == 0, done.stderr
    assert pins(output.read_text()) == {PROJECT: ("2.0", frozenset({hashes["2.0"]}))}
    # what it covers is said in its header, and a check of it against the same index passes
    minors = supported_pythons((ROOT / "pyproject.toml").read_text())
    assert f"CPython {', '.join(f'3.{m}' for m in minors)} on Linux" in output.read_text()
    check = pins_command("check", "--requirements", str(output), "--index-url", url)
    assert check.returncode == 0, check.stderr


def test_the_committed_pins_say_they_were_made_for_every_supported_python() -> None:
    header = (ROOT / "action" / "requirements.txt").read_text().split("\n\n", 1)[0]
    minors = supported_pythons((ROOT / "pyproject.toml").read_text())
    made_for = re.search(r"# For CPython ([0-9., ]+) on Linux", header)
    assert made_for, header
    assert made_for.group(1) == ", ".join(f"3.{minor}" for minor in minors)


@pytest.mark.parametrize(
    ("pythons", "marker"),
    [
        ({"3.11", "3.12", "3.13"}, 'python_version >= "3.11"'),
        ({"3.10"}, 'python_version < "3.11"'),
        ({"3.10", "3.11"}, 'python_version < "3.12"'),
        ({"3.11"}, 'python_version == "3.11"'),
    ],
)
def test_a_version_some_pythons_take_gets_the_marker_that_picks_them(
    pythons: set[str], marker: str
) -> None:
    assert _marker(pythons, {"3.10", "3.11", "3.12", "3.13"}) == marker
