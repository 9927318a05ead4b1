"""The action's pins (action/requirements.txt): are they still offered, and one command that
makes them anew.

    python3 scripts/pins.py check     # which pin the index no longer offers, for which runner
    python3 scripts/pins.py refresh   # resolve action/requirements.in again and write the pins

Both cover every runner the release bundle serves (CPython from requires-python's floor to the
newest, Linux x86_64 and aarch64) and ask the index pip is configured with (`--index-url` for
another). `refresh` resolves requirements.in for each runner with pip's own resolver (a dry run
with `--report`), pins what it chose, with a `python_version` marker where runners differ
(pycparser 3.12 needs 3.11), and the sha256 of each file those runners install; bundle_action.py
then downloads exactly those files. No pip-tools needed: pip is all it runs.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: find scripts/
from scripts.bundle_action import (
    ARCHES,
    MANYLINUX,
    ROOT,
    BundleError,
    Target,
    chosen,
    for_python,
    normalize,
    pins,
    supported_pythons,
    targets,
)

IN_FILE = ROOT / "action" / "requirements.in"
TXT_FILE = ROOT / "action" / "requirements.txt"
REFRESH = "python3 scripts/pins.py refresh"
# pip's words for a requirement no file of the index satisfies
NOT_FOUND = re.compile(
    r"Could not find a version that satisfies the requirement ([A-Za-z0-9_.-]+)==(\S+)"
    r"(?: \(from versions: ([^)]*)\))?"
)


@dataclass(frozen=True)
class Missing:
    """A pin the index does not offer to one runner, and what it offers instead."""

    name: str
    version: str
    target: Target
    offered: str

    def line(self) -> str:
        instead = f"it offers {self.offered}" if self.offered else "it offers no version"
        return (
            f"{self.name}=={self.version} is not offered for CPython {self.target.python} on "
            f"{self.target.arch} by the index ({instead})"
        )


def pip_for(target: Target, index: Sequence[str]) -> list[str]:
    """`pip install --dry-run` as TARGET's runner would resolve: its Python, its wheels."""
    platforms = [arg for p in MANYLINUX for arg in ("--platform", f"{p}_{target.arch}")]
    return [
        *(sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed"),
        *("--disable-pip-version-check", "--quiet", "--only-binary=:all:"),
        *("--implementation", "cp", "--python-version", target.python, *platforms),
        *index,
    ]


def missing(requirements: str, wanted: Sequence[Target], index: Sequence[str]) -> list[Missing]:
    """Every pin some target cannot get from the index (each pin asked of pip without its
    dependencies; a pin pip names is set aside and the rest asked again)."""
    found: list[Missing] = []
    with tempfile.TemporaryDirectory() as scratch:
        for target in wanted:
            left = for_python(requirements, target.python)
            while left.strip():
                listed = Path(scratch) / "pins.txt"
                listed.write_text(left)
                target_dir = Path(scratch) / "target"
                command = [*pip_for(target, index), "--target", str(target_dir), "--no-deps"]
                done = subprocess.run(
                    [*command, "-r", str(listed)], capture_output=True, text=True, check=False
                )
                if done.returncode == 0:
                    break
                named = NOT_FOUND.search(done.stderr)
                if not named:
                    last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                    raise BundleError(f"pip could not check the pins for {target}: {last}")
                name, version, offered = named.groups()
                found.append(Missing(normalize(name), version, target, offered or ""))
                left = "".join(
                    line
                    for line in left.splitlines(keepends=True)
                    if normalize(line.split("==", 1)[0]) != normalize(name)
                )
    return found


def resolve(
    target: Target, requirements_in: Path, index: Sequence[str]
) -> dict[str, tuple[str, str]]:
    """Name -> (version, sha256 of the file pip chose) for one runner, with dependencies."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [*pip_for(target, index), "--target", str(Path(scratch) / "target")]
        done = subprocess.run(
            [*command, "--report", str(report), "-r", str(requirements_in)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise BundleError(f"pip could not resolve {requirements_in.name} for {target}: {last}")
        chosen_files = json.loads(report.read_text())["install"]
    return {
        normalize(item["metadata"]["name"]): (
            item["metadata"]["version"],
            item["download_info"]["archive_info"]["hashes"]["sha256"],
        )
        for item in chosen_files
    }


def lock(wanted: Sequence[Target], requirements_in: Path, index: Sequence[str]) -> str:
    """requirements.txt for every target: one pin per version chosen, a marker naming the
    Pythons that take it where they differ, every chosen file's hash."""
    chosen_by: dict[str, dict[str, tuple[set[str], set[str]]]] = {}
    for target in wanted:
        for name, (version, digest) in resolve(target, requirements_in, index).items():
            pythons, hashes = chosen_by.setdefault(name, {}).setdefault(version, (set(), set()))
            pythons.add(target.python)
            hashes.add(digest)
    every_python = {target.python for target in wanted}
    pythons_served = ", ".join(sorted(every_python, key=_minor))
    arches = ", ".join(dict.fromkeys(target.arch for target in wanted))
    lines = [
        f"# Made by `{REFRESH}` from action/requirements.in. Do not edit by hand.",
        f"# For CPython {pythons_served} on Linux {arches}: the version pip chose",
        "# for each, and the sha256 of each file it installs there.",
    ]
    for name in sorted(chosen_by):
        versions = chosen_by[name]
        for version in sorted(versions):
            pythons, hashes = versions[version]
            marker = "" if pythons == every_python else f" ; {_marker(pythons, every_python)}"
            lines.append(f"{name}=={version}{marker} \\")
            lines += [f"    --hash=sha256:{h} \\" for h in sorted(hashes)]
            lines[-1] = lines[-1].removesuffix(" \\")
    return "\n".join(lines) + "\n"


def _marker(pythons: set[str], every: set[str]) -> str:
    """The python_version marker that picks PYTHONS out of EVERY: `>=` for the newest ones
    (a future Python takes them too), `<` for the oldest, else each one named."""
    ordered = sorted(every, key=_minor)
    ours = sorted(pythons, key=_minor)
    if ours == ordered[len(ordered) - len(ours) :]:
        return f'python_version >= "{ours[0]}"'
    if ours == ordered[: len(ours)]:
        return f'python_version < "{ordered[len(ours)]}"'
    return " or ".join(f'python_version == "{python}"' for python in ours)


def _minor(python: str) -> int:
    return int(python.split(".")[1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("check", "refresh"))
    parser.add_argument("--python", action="append", help="only this 3.N (repeatable)")
    parser.add_argument("--arch", action="append", choices=ARCHES, help="only this (repeatable)")
    parser.add_argument("--index-url", help="ask this index instead of pip's configured one")
    # the files, for the tests: check's pins, refresh's input
    parser.add_argument("--requirements", type=Path, default=TXT_FILE, help=argparse.SUPPRESS)
    parser.add_argument("--requirements-in", type=Path, default=IN_FILE, help=argparse.SUPPRESS)
    parser.add_argument(
        "--output", type=Path, help="refresh: write here (default action/requirements.txt)"
    )
    args = parser.parse_args(argv)
    index = ["--index-url", args.index_url] if args.index_url else []
    try:
        minors = chosen(args.python, supported_pythons((ROOT / "pyproject.toml").read_text()))
        wanted = targets(minors, args.arch or ARCHES)
        if args.command == "refresh":
            output = args.output or TXT_FILE
            output.write_text(lock(wanted, args.requirements_in, index))
            print(f"pins: wrote {len(pins(output.read_text()))} pins to {output}")
            return 0
        gone = missing(args.requirements.read_text(), wanted, index)
    except (BundleError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not gone:
        print(f"pins: the index offers every pin for {len(wanted)} runners")
        return 0
    for item in gone:
        print(f"error: {item.line()}; run `{REFRESH}` to pin what it offers", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
