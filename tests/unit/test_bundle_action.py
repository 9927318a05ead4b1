"""scripts/bundle_action.py: which wheels it asks pip for, and what it accepts as a bundle.

Downloading them needs a package index; the integration test builds the machine's own
platform and Python for real (tests/integration/test_action_offline_act.py).
"""

from __future__ import annotations

import hashlib
import re
import tarfile
from pathlib import Path

import pytest
import yaml

from scripts.bundle_action import (
    ARCHES,
    BundleError,
    Target,
    Wheel,
    check,
    chosen,
    covers,
    for_python,
    pins,
    plan,
    supported_pythons,
    targets,
    write_tarball,
)

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "action" / "requirements.txt"


def option_values(command: list[str], option: str) -> list[str]:
    return [command[i + 1] for i, arg in enumerate(command) if arg == option]


def test_the_plan_asks_pip_for_every_supported_python_on_both_architectures() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    floor = re.search(r'requires-python = ">=3\.(\d+)"', pyproject)
    assert floor
    minors = supported_pythons(pyproject)
    assert minors[0] == int(floor.group(1))
    assert minors[-1] >= 13
    commands = plan(targets(minors, ARCHES), REQUIREMENTS, Path("/w"))
    asked = {
        (option_values(c, "--python-version")[0], option_values(c, "--platform")[0])
        for c in commands
    }
    want = {(f"3.{m}", f"manylinux2014_{arch}") for m in minors for arch in ("x86_64", "aarch64")}
    assert asked == want
    assert len(commands) == len(want)


def test_every_download_is_wheels_only_hash_checked_and_from_the_pinned_file() -> None:
    for command in plan(targets([10, 14], ARCHES), REQUIREMENTS, Path("/w")):
        assert command[1:4] == ["-m", "pip", "download"]
        assert "--only-binary=:all:" in command
        assert "--require-hashes" in command
        python = option_values(command, "--python-version")[0]
        assert option_values(command, "-r") == [str(ROOT / "action" / f"requirements-{python}.txt")]
        assert option_values(command, "--dest") == ["/w"]
        assert option_values(command, "--implementation") == ["cp"]
        arch = option_values(command, "--platform")[0].removeprefix("manylinux2014_")
        # oldest glibc first, every platform of the same architecture
        assert option_values(command, "--platform") == [
            f"manylinux2014_{arch}",
            f"manylinux_2_17_{arch}",
            f"manylinux_2_28_{arch}",
        ]


def test_a_python_the_package_does_not_support_is_refused() -> None:
    assert chosen(None, [10, 11]) == [10, 11]
    assert chosen(["3.11"], [10, 11]) == [11]
    with pytest.raises(BundleError, match=r"serves CPython 3\.10 to 3\.11"):
        chosen(["3.9"], [10, 11])
    with pytest.raises(BundleError, match="serves"):
        chosen(["three"], [10, 11])


@pytest.mark.parametrize(
    ("filename", "fits", "misfits"),
    [
        ("certifi-1-py3-none-any.whl", ["3.10 x86_64", "3.14 aarch64"], []),
        (
            "cffi-2-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
            ["3.11 x86_64"],
            ["3.10 x86_64", "3.12 x86_64", "3.11 aarch64"],
        ),
        (
            "cryptography-50-cp311-abi3-manylinux_2_28_aarch64.whl",
            ["3.11 aarch64", "3.14 aarch64"],
            ["3.10 aarch64", "3.11 x86_64"],
        ),
        ("pyyaml-6-cp312-cp312-musllinux_1_1_x86_64.whl", [], ["3.12 x86_64"]),
        ("pyyaml-6-cp312-cp312-win_amd64.whl", [], ["3.12 x86_64"]),
    ],
)
def test_a_wheel_fits_the_runners_pip_would_install_it_on(
    filename: str, fits: list[str], misfits: list[str]
) -> None:
    wheel = Wheel.parse(filename)

    def target(text: str) -> Target:
        python, arch = text.split()
        return Target(int(python.split(".")[1]), arch)

    assert [t for t in fits if wheel.fits(target(t))] == fits
    assert [t for t in misfits if wheel.fits(target(t))] == []


def test_the_glibc_a_wheel_needs_is_its_oldest_manylinux_tag() -> None:
    name = "c-1-cp311-cp311-manylinux1_x86_64.manylinux_2_28_x86_64.manylinux_2_5_x86_64.whl"
    assert Wheel.parse(name).glibc("x86_64") == (2, 5)
    assert Wheel.parse(name).glibc("aarch64") is None
    assert Wheel.parse("c-1-cp311-cp311-manylinux2014_aarch64.whl").glibc("aarch64") == (2, 17)


def wheelhouse(directory: Path, files: dict[str, bytes]) -> str:
    """Write FILES into DIRECTORY; return a requirements file pinning them by hash."""
    directory.mkdir()
    lines: dict[str, list[str]] = {}
    for name, data in files.items():
        (directory / name).write_bytes(data)
        wheel = Wheel.parse(name)
        digest = hashlib.sha256(data).hexdigest()
        lines.setdefault(f"{wheel.name}=={wheel.version} \\", []).append(
            f"    --hash=sha256:{digest} \\"
        )
    text = ""
    for pin, hashes in lines.items():
        text += pin + "\n" + "\n".join(hashes).rstrip(" \\") + "\n    # via -r in\n"
    return text


FILES = {
    "certifi-1-py3-none-any.whl": b"certifi",
    "pyyaml-6-cp311-cp311-manylinux2014_x86_64.whl": b"yaml x86",
    "pyyaml-6-cp311-cp311-manylinux2014_aarch64.manylinux_2_17_aarch64.whl": b"yaml arm",
}


def test_a_wheelhouse_with_every_pin_for_every_target_passes(tmp_path: Path) -> None:
    requirements = wheelhouse(tmp_path / "w", FILES)
    assert set(pins(requirements)) == {"certifi", "pyyaml"}
    assert check(tmp_path / "w", requirements, targets([11], ARCHES)) == []
    assert covers(targets([11], ARCHES), tmp_path / "w") == (
        "CPython 3.11 on Linux x86_64, aarch64 (glibc 2.17 or newer)"
    )


def test_a_pin_without_a_wheel_for_a_target_is_named(tmp_path: Path) -> None:
    requirements = wheelhouse(tmp_path / "w", FILES)
    problems = check(tmp_path / "w", requirements, targets([11, 12], ARCHES))
    assert problems == [
        "no wheel of pyyaml==6 for CPython 3.12 on x86_64",
        "no wheel of pyyaml==6 for CPython 3.12 on aarch64",
    ]


def test_a_file_whose_hash_no_pin_names_is_refused(tmp_path: Path) -> None:
    requirements = wheelhouse(tmp_path / "w", FILES)
    (tmp_path / "w" / "certifi-1-py3-none-any.whl").write_bytes(b"tampered")
    problems = check(tmp_path / "w", requirements, targets([11], ARCHES))
    assert problems == [
        "certifi-1-py3-none-any.whl is not a file action/requirements.txt pins by hash"
    ]


def test_the_real_pins_parse_with_their_hashes() -> None:
    pinned = pins(REQUIREMENTS.read_text())
    assert {"cffi", "cryptography", "pyyaml", "pygithub", "docker", "setuptools"} <= set(pinned)
    assert all(len(hashes) >= 1 for _, hashes in pinned.values())
    assert len(pinned["cffi"][1]) == 10  # its wheel for each of 5 Pythons on 2 architectures


def test_each_python_downloads_the_pins_its_markers_choose() -> None:
    text = REQUIREMENTS.read_text()
    assert pins(text, "3.10")["pycparser"][0] == "3.11"  # 3.12 needs Python 3.11
    assert pins(text, "3.13")["pycparser"][0] == "3.12"
    chosen_310 = for_python(text, "3.10")
    assert "pycparser==3.11 --hash=sha256:" in chosen_310
    assert "pycparser==3.12" not in chosen_310
    assert ";" not in chosen_310  # markers resolved: pip download judges them by its own Python
    assert set(pins(chosen_310)) == set(pins(text, "3.10"))


def test_the_tarball_is_the_same_bytes_for_the_same_tree(tmp_path: Path) -> None:
    tree = tmp_path / "ghpkg-action-1.0.0"
    (tree / "action" / "wheels").mkdir(parents=True)
    (tree / "action" / "wheels" / "COVERS").write_text("CPython 3.11\n")
    first = write_tarball(tree, tmp_path / "a.tar.gz").read_bytes()
    (tree / "action" / "wheels" / "COVERS").touch()  # a newer mtime changes nothing
    second = write_tarball(tree, tmp_path / "b.tar.gz").read_bytes()
    assert first == second
    with tarfile.open(tmp_path / "a.tar.gz") as tar:
        assert tar.getnames() == [
            "ghpkg-action-1.0.0",
            "ghpkg-action-1.0.0/action",
            "ghpkg-action-1.0.0/action/wheels",
            "ghpkg-action-1.0.0/action/wheels/COVERS",
        ]
        assert {member.uid for member in tar.getmembers()} == {0}


def test_the_release_workflow_builds_the_bundle_and_attaches_it() -> None:
    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())["jobs"]
    bundle = jobs["bundle"]
    runs = "\n".join(step.get("run", "") for step in bundle["steps"])
    assert "python3 scripts/bundle_action.py --out dist" in runs
    assert 'asset="ghpkg-action-${GITHUB_REF_NAME#v}.tar.gz"' in runs
    assert '--data-binary "@dist/$asset"' in runs
    assert 'sha256sum "$asset" > "$asset.sha256"' in runs  # its checksum, attached beside it
    assert '--data-binary "@dist/$asset.sha256"' in runs
    assert bundle["permissions"] == {"contents": "write"}
    assert "$GH_TOKEN" not in runs.split("call() {")[1].split("curl", 1)[1].split("\n")[0]
