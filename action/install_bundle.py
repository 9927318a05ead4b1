"""Install ghpkg into a new venv from the action's bundled wheels without pip: each wheel that
action/requirements.txt pins for this Python is checked against its pinned sha256 and unpacked
straight into site-packages (a wheel is a zip of what goes there), ghpkg's own source is copied
beside them, and all of it is compiled to bytecode on every core. pip's resolver, its build of
ghpkg (setuptools) and its own install into the venv are what made the cold install take 7-9 s;
this takes about 1.5 s (bench/install.py).

It does only what it can do exactly as pip would. Anything else (a marker it does not read, a
pin without a wheel for this runner, a wheel with a `.data` folder, not CPython on glibc) makes
it exit 3 before writing anything, and install.sh installs with pip, which says what is wrong.
A wheel whose bytes are not the pinned ones exits 1: the bundle is damaged.

Left out, as install.sh's pip install leaves them out afterwards: setuptools (it only builds
ghpkg for pip) and pip itself. The action runs `python entrypoint.py`, so there is no `ghpkg`
command in the venv's bin/ either.

usage: python3 -I -S install_bundle.py ACTION_PATH VENV
"""

from __future__ import annotations

import compileall
import hashlib
import os
import platform
import re
import shutil
import sys
import zipfile

NOT_INSTALLED = {"setuptools"}  # builds ghpkg for pip; nothing runs it afterwards
CANNOT = 3  # exit code: not something this script does; pip should


class Cannot(Exception):
    """This runner or bundle needs pip: why, in a few words."""


class Damaged(Exception):
    """A wheel in the bundle is not the file its pin names."""


def normalize(name: str) -> str:
    """A project name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(requirements: str) -> dict[str, tuple[str, set[str]]]:
    """Name -> (version, sha256 hashes) of each pin this Python installs (markers read)."""
    found: dict[str, tuple[str, set[str]]] = {}
    hashes: set[str] = set()
    for line in requirements.splitlines():
        pinned = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)\s*(?:;([^\\]*))?", line)
        if pinned:
            hashes = set()
            if meets(pinned.group(3) or ""):
                found[normalize(pinned.group(1))] = (pinned.group(2), hashes)
        hashes.update(re.findall(r"--hash=sha256:([0-9a-f]{64})", line))
    return found


def meets(marker: str) -> bool:
    """Whether this Python meets a marker of `python_version OP "X.Y"` clauses joined by `and`
    (the only kind scripts/pins.py writes); any other marker: Cannot."""
    ours = sys.version_info[:2]
    compare = {
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
    }
    for clause in filter(None, (part.strip() for part in marker.split(" and "))):
        parts = re.fullmatch(r'python_version\s*(<=|>=|==|!=|<|>)\s*"(\d+)\.(\d+)"', clause)
        if not parts:
            raise Cannot(f"a marker it does not read: {clause}")
        wanted = (int(parts.group(2)), int(parts.group(3)))
        if not compare[parts.group(1)](ours, wanted):
            return False
    return True


def fits(filename: str) -> bool:
    """Whether pip would install this wheel here: CPython 3.MINOR, this machine, this glibc."""
    *_, pythons, abis, platforms = filename.removesuffix(".whl").split("-")
    minor = sys.version_info.minor
    ours = f"cp3{minor}"
    python_abi = bool({"py3", f"py3{minor}", ours} & set(pythons.split("."))) and bool(
        {"none", ours} & set(abis.split("."))
    )
    stable = "abi3" in abis.split(".") and any(
        tag.startswith("cp3") and tag[3:].isdigit() and int(tag[3:]) <= minor
        for tag in pythons.split(".")
    )
    return (python_abi or stable) and any(runs_here(tag) for tag in platforms.split("."))


def runs_here(platform_tag: str) -> bool:
    """`any`, or a manylinux tag for this machine whose glibc floor this runner's glibc meets."""
    if platform_tag == "any":
        return True
    machine = platform.machine()
    legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
    policy = platform_tag.removesuffix(f"_{machine}")
    if policy == platform_tag:
        return False
    perennial = re.fullmatch(r"manylinux_(\d+)_(\d+)", policy)
    floor = (int(perennial[1]), int(perennial[2])) if perennial else legacy.get(policy)
    return floor is not None and floor <= glibc()


def glibc() -> tuple[int, int]:
    """This runner's glibc version; Cannot on another C library."""
    try:
        found = re.fullmatch(r"glibc (\d+)\.(\d+).*", os.confstr("CS_GNU_LIBC_VERSION") or "")
    except (ValueError, OSError):
        found = None
    if not found:
        raise Cannot("not a glibc runner")
    return int(found[1]), int(found[2])


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def chosen(requirements: str, wheels: str) -> list[str]:
    """The wheel file of each pin for this runner, each checked against its pinned hashes."""
    if sys.implementation.name != "cpython":
        raise Cannot(f"{platform.python_implementation()}, not CPython")
    files = sorted(name for name in os.listdir(wheels) if name.endswith(".whl"))
    paths = []
    for name, (version, hashes) in pins(requirements).items():
        if name in NOT_INSTALLED:
            continue
        candidates = [
            filename
            for filename in files
            if filename.count("-") in (4, 5)
            and normalize(filename.split("-")[0]) == name
            and filename.split("-")[1] == version
            and fits(filename)
        ]
        if not candidates:
            raise Cannot(f"no wheel of {name}=={version} for this runner")
        path = os.path.join(wheels, candidates[0])
        if sha256(path) not in hashes:
            raise Damaged(f"{candidates[0]} is not the file action/requirements.txt pins")
        check_members(path)
        paths.append(path)
    return paths


def check_members(path: str) -> None:
    """A wheel whose files all go to site-packages, as unpacking it puts them."""
    with zipfile.ZipFile(path) as wheel:
        for member in wheel.namelist():
            parts = member.split("/")
            if member.startswith("/") or ".." in parts:
                raise Damaged(f"{os.path.basename(path)} names a file outside site-packages")
            if parts[0].endswith(".data"):
                raise Cannot(f"{os.path.basename(path)} has a .data folder")


def copy_ghpkg(action: str, site: str) -> None:
    """ghpkg's source and its metadata (`importlib.metadata` finds its version)."""
    with open(os.path.join(action, "pyproject.toml")) as stream:
        version = re.search(r'^version = "(.+)"$', stream.read(), re.MULTILINE)
    if not version:
        raise Cannot("pyproject.toml has no version")
    shutil.copytree(
        os.path.join(action, "src", "ghpkg"),
        os.path.join(site, "ghpkg"),
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    info = os.path.join(site, f"ghpkg-{version[1]}.dist-info")
    os.mkdir(info)
    with open(os.path.join(info, "METADATA"), "w") as stream:
        stream.write(f"Metadata-Version: 2.1\nName: ghpkg\nVersion: {version[1]}\n")


def main(action: str, venv: str) -> int:
    site = os.path.join(
        venv, "lib", f"python{sys.version_info.major}.{sys.version_info.minor}", "site-packages"
    )
    wheels = os.path.join(action, "action", "wheels")
    try:
        with open(os.path.join(action, "action", "requirements.txt")) as stream:
            paths = chosen(stream.read(), wheels)
        for path in paths:
            with zipfile.ZipFile(path) as wheel:
                wheel.extractall(site)
        copy_ghpkg(action, site)
    except Cannot as reason:
        print(f"ghpkg: the bundle's wheels need pip here ({reason})", file=sys.stderr)
        return CANNOT
    except Damaged as damage:
        print(damage, file=sys.stderr)
        return 1
    # as pip leaves an install: every module compiled, so that nothing writes in the venv later
    if not compileall.compile_dir(site, quiet=1, workers=0):
        print("a module would not compile", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
