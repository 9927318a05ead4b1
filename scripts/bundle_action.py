"""Build dist/ghpkg-action-VERSION.tar.gz: the action with a wheel of every pinned dependency.

A runner without internet cannot pip-install the action's dependencies; with this bundle it
does not need to: action/install.sh finds action/wheels/ and installs from there with
`pip --no-index --require-hashes`. The wheels cover CPython from pyproject.toml's
requires-python up to NEWEST_PYTHON on Linux x86_64 and aarch64 (glibc), each file one that
action/requirements.txt pins by hash. Usage:

    python3 scripts/bundle_action.py [--python 3.11 ...] [--arch x86_64 ...] [--out dist]
    python3 scripts/bundle_action.py --wheels action/wheels [--python ...] [--arch ...]

The second form only gathers the wheels, for the Dockerfile: the image build installs from
them with `pip --no-index` and asks no index either.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the four actions (root, delete/, migrate/, doctor/) and what they run
ACTION_FILES = (
    *("action.yml", "delete", "migrate", "doctor", "action"),
    *("entrypoint.py", "pyproject.toml", "README.md", "src"),
)
SKIP = ("__pycache__", "*.egg-info", "*.pyc", "wheels")
ARCHES = ("x86_64", "aarch64")
NEWEST_PYTHON = 14  # 3.14: the newest CPython the bundle carries wheels for
# Oldest glibc first: pip takes the first platform a package has a wheel for, and a wheel for
# an older glibc runs on more runners; manylinux_2_28 only where a package has nothing older.
MANYLINUX = ("manylinux2014", "manylinux_2_17", "manylinux_2_28")
COVERS = "COVERS"  # action/wheels/COVERS: one line, what the wheels cover (install.sh shows it)


class BundleError(Exception):
    """What went wrong and what to do, as one line."""


@dataclass(frozen=True)
class Target:
    """One runner the wheels must serve: CPython 3.MINOR on Linux ARCH (glibc)."""

    minor: int
    arch: str

    @property
    def python(self) -> str:
        return f"3.{self.minor}"


@dataclass(frozen=True)
class Wheel:
    """A wheel file name's parts (PEP 427), compressed tag sets expanded."""

    name: str
    version: str
    pythons: frozenset[str]
    abis: frozenset[str]
    platforms: frozenset[str]

    @classmethod
    def parse(cls, filename: str) -> Wheel:
        parts = filename.removesuffix(".whl").split("-")
        if not filename.endswith(".whl") or len(parts) not in (5, 6):
            raise BundleError(f"{filename} is not a wheel file name")
        name, version, pythons, abis, platforms = parts[0], parts[1], *parts[-3:]
        return cls(
            normalize(name),
            version,
            frozenset(pythons.split(".")),
            frozenset(abis.split(".")),
            frozenset(platforms.split(".")),
        )

    def fits(self, target: Target) -> bool:
        """Whether pip on TARGET can install this wheel (given a new enough glibc)."""
        platform = "any" in self.platforms or self.glibc(target.arch) is not None
        ours = f"cp3{target.minor}"
        plain = bool({"py3", f"py3{target.minor}", ours} & self.pythons) and bool(
            {"none", ours} & self.abis
        )
        stable = "abi3" in self.abis and any(
            tag.startswith("cp3") and tag[3:].isdigit() and int(tag[3:]) <= target.minor
            for tag in self.pythons
        )
        return platform and (plain or stable)

    def glibc(self, arch: str) -> tuple[int, int] | None:
        """The oldest glibc any of its manylinux tags for ARCH asks for (None: no such tag)."""
        legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
        found = []
        for tag in self.platforms:
            if not tag.endswith(f"_{arch}"):
                continue
            policy = tag.removesuffix(f"_{arch}")
            perennial = re.fullmatch(r"manylinux_(\d+)_(\d+)", policy)
            if perennial:
                found.append((int(perennial.group(1)), int(perennial.group(2))))
            elif policy in legacy:
                found.append(legacy[policy])
        return min(found, default=None)


def normalize(name: str) -> str:
    """A project name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(requirements: str, python: str = "") -> dict[str, tuple[str, frozenset[str]]]:
    """Name -> (version, sha256 hashes) of each `name==version` in a requirements file; with
    `python` (e.g. "3.10"), only the pins whose `; python_version ...` marker it meets."""
    return {name: (version, hashes) for name, version, hashes, _ in _entries(requirements, python)}


def for_python(requirements: str, python: str) -> str:
    """The requirements a CPython of that version installs, markers resolved (pip download
    judges markers by the Python it runs on, not by --python-version)."""
    return "".join(
        f"{name}=={version} {' '.join(f'--hash=sha256:{h}' for h in sorted(hashes))}\n"
        for name, version, hashes, _ in _entries(requirements, python)
    )


def _entries(requirements: str, python: str) -> list[tuple[str, str, frozenset[str], str]]:
    """(name, version, hashes, marker) of each pin, those whose marker `python` fails left out."""
    found: list[tuple[str, str, set[str], str]] = []
    for line in requirements.splitlines():
        pinned = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)\s*(?:;([^\\]*))?", line)
        if pinned:
            found.append(
                (normalize(pinned.group(1)), pinned.group(2), set(), pinned.group(3) or "")
            )
        for digest in re.findall(r"--hash=sha256:([0-9a-f]{64})", line):
            found[-1][2].add(digest)
    return [
        (name, version, frozenset(hashes), marker)
        for name, version, hashes, marker in found
        if not python or not marker.strip() or _meets(marker, python)
    ]


def _meets(marker: str, python: str) -> bool:
    try:
        from packaging.markers import Marker
    except ImportError:  # pip's own copy: the script runs pip, so it is there
        from pip._vendor.packaging.markers import Marker  # type: ignore[assignment]

    return Marker(marker.strip()).evaluate(
        {"python_version": python, "python_full_version": f"{python}.0"}
    )


def supported_pythons(pyproject: str) -> list[int]:
    """Minor versions of CPython 3 from requires-python's floor up to NEWEST_PYTHON."""
    floor = re.search(r'^requires-python = ">=3\.(\d+)"', pyproject, re.MULTILINE)
    if not floor:
        raise BundleError('pyproject.toml has no requires-python = ">=3.N"; the bundle needs it')
    return list(range(int(floor.group(1)), NEWEST_PYTHON + 1))


def targets(minors: Sequence[int], arches: Sequence[str]) -> list[Target]:
    return [Target(minor, arch) for arch in arches for minor in minors]


def plan(wanted: Sequence[Target], requirements: Path, wheelhouse: Path) -> list[list[str]]:
    """The `pip download` commands that fill WHEELHOUSE for every target, hash-checked."""
    commands = []
    for target in wanted:
        platforms = [
            arg for policy in MANYLINUX for arg in ("--platform", f"{policy}_{target.arch}")
        ]
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
        binary = [
            "--only-binary=:all:",
            "--implementation",
            "cp",
            "--python-version",
            target.python,
        ]
        chosen = requirements.parent / f"{requirements.stem}-{target.python}.txt"
        hashed = ["--require-hashes", "-r", str(chosen), "--dest", str(wheelhouse)]
        commands.append([*pip, *binary, *platforms, *hashed])
    return commands


def check(wheelhouse: Path, requirements: str, wanted: Sequence[Target]) -> list[str]:
    """What is wrong with WHEELHOUSE: a file no pin names by hash, a pin without a wheel for a
    target. Empty when every target installs every pin from it."""
    every = _entries(requirements, "")
    problems = []
    wheels = []
    for path in sorted(wheelhouse.glob("*.whl")):
        wheel = Wheel.parse(path.name)
        hashes = {
            h
            for name, version, pinned, _ in every
            if (name, version) == (wheel.name, wheel.version)
            for h in pinned
        }
        if sha256(path) not in hashes:
            problems.append(f"{path.name} is not a file action/requirements.txt pins by hash")
        wheels.append(wheel)
    for target in wanted:
        for name, (version, _) in pins(requirements, target.python).items():
            if not any(w.name == name and w.version == version and w.fits(target) for w in wheels):
                problems.append(
                    f"no wheel of {name}=={version} for CPython {target.python} on {target.arch}"
                )
    return problems


def covers(wanted: Sequence[Target], wheelhouse: Path) -> str:
    """One line: the Pythons, architectures and oldest glibc the wheels serve."""
    minors = sorted({target.minor for target in wanted})
    arches = list(dict.fromkeys(target.arch for target in wanted))
    wheels = [Wheel.parse(path.name) for path in wheelhouse.glob("*.whl")]
    floors = [floor for w in wheels for arch in arches if (floor := w.glibc(arch))]
    major, minor = max(floors, default=(2, 17))
    pythons = ", ".join(f"3.{python}" for python in minors)
    return f"CPython {pythons} on Linux {', '.join(arches)} (glibc {major}.{minor} or newer)"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def version_of(pyproject: str) -> str:
    found = re.search(r'^version = "([^"]+)"', pyproject, re.MULTILINE)
    if not found:
        raise BundleError('pyproject.toml has no version = "..."')
    return found.group(1)


def gather(requirements: str, wanted: Sequence[Target], wheelhouse: Path) -> None:
    """Fill WHEELHOUSE with a wheel of every pin of REQUIREMENTS for every target, checked
    against the pins' hashes, and write its COVERS line. Wheels already there are reused
    (pip download skips a file it has); wheels no pin names are removed first."""
    wheelhouse.mkdir(parents=True, exist_ok=True)
    every = {h for _, _, hashes, _ in _entries(requirements, "") for h in hashes}
    for old in wheelhouse.glob("*.whl"):
        if sha256(old) not in every:
            old.unlink()
    with tempfile.TemporaryDirectory() as scratch:
        chosen = Path(scratch) / "requirements.txt"  # one file a Python, markers resolved
        for python in {target.python for target in wanted}:
            (Path(scratch) / f"requirements-{python}.txt").write_text(
                for_python(requirements, python)
            )
        for target, command in zip(wanted, plan(wanted, chosen, wheelhouse), strict=True):
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                where = f"CPython {target.python} on {target.arch}"
                raise BundleError(
                    f"pip download for {where} failed: {last} "
                    "(a pin the index no longer offers? `python3 scripts/pins.py check` names it)"
                )
    problems = check(wheelhouse, requirements, wanted)
    if problems:
        raise BundleError(f"the wheels are not what the action needs: {'; '.join(problems)}")
    (wheelhouse / COVERS).write_text(covers(wanted, wheelhouse) + "\n")


def build(root: Path, out: Path, wanted: Sequence[Target], requirements: str) -> Path:
    """Copy the action's files and download its wheels, check them, write the tarball."""
    version = version_of((root / "pyproject.toml").read_text())
    name = f"ghpkg-action-{version}"
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / name
        for item in ACTION_FILES:
            source, copy = root / item, tree / item
            if source.is_dir():
                shutil.copytree(source, copy, ignore=shutil.ignore_patterns(*SKIP))
            else:
                tree.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, copy)
        (tree / "action" / "requirements.txt").write_text(requirements)
        gather(requirements, wanted, tree / "action" / "wheels")
        out.mkdir(parents=True, exist_ok=True)
        return write_tarball(tree, out / f"{name}.tar.gz")


def write_tarball(tree: Path, path: Path) -> Path:
    """TREE as a gzipped tar under its own name, entries sorted and owned by nobody in
    particular, dated SOURCE_DATE_EPOCH (else 0): the same inputs give the same bytes."""
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))

    def normal(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = mtime
        return info

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for item in [tree, *sorted(tree.rglob("*"))]:
            tar.add(
                item,
                arcname=item.relative_to(tree.parent).as_posix(),
                recursive=False,
                filter=normal,
            )
    with (
        path.open("wb") as file,
        gzip.GzipFile(filename="", fileobj=file, mode="wb", mtime=0) as gz,
    ):
        gz.write(raw.getvalue())
    return path


def chosen(asked: Sequence[str] | None, supported: list[int]) -> list[int]:
    """The minor versions --python asks for (all supported ones if none), each supported."""
    if not asked:
        return supported
    minors = [python.removeprefix("3.") for python in asked]
    if not all(minor.isdigit() and int(minor) in supported for minor in minors):
        span = f"3.{supported[0]} to 3.{supported[-1]}"
        raise BundleError(f"--python {' '.join(asked)}: the bundle serves CPython {span}")
    return [int(minor) for minor in minors]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", help="only this 3.N (repeatable)")
    parser.add_argument("--arch", action="append", choices=ARCHES, help="only this (repeatable)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="directory (dist)")
    parser.add_argument(
        "--wheels",
        type=Path,
        metavar="DIR",
        help="only fill DIR with the wheels (e.g. action/wheels, for the Dockerfile); no tarball",
    )
    parser.add_argument(
        "--requirements",
        type=Path,
        default=ROOT / "action" / "requirements.txt",
        help="the pins (default action/requirements.txt)",
    )
    args = parser.parse_args(argv)
    try:
        minors = chosen(args.python, supported_pythons((ROOT / "pyproject.toml").read_text()))
        wanted = targets(minors, args.arch or ARCHES)
        requirements = args.requirements.read_text()
        if args.wheels:
            gather(requirements, wanted, args.wheels)
            path = args.wheels
        else:
            path = build(ROOT, args.out, wanted, requirements)
    except (BundleError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
