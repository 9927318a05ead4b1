"""The cached venv's manifest: every file and link in it, written after the install and checked
before each use by the runner's own python (`python3 -I -S`), so nothing in the venv runs before
it passes. A changed file, a missing one or an extra one (a `.pth`, a `sitecustomize.py`, a
`.pyc`) fails the check, and install.sh builds the venv again.

A file is known by its inode, size and change time (ctime), not by hashing its bytes: any write,
rename or chmod sets the ctime to now, and only root can set it back, so the check costs one
stat a file (about 1,400 in the venv) instead of reading 38 MB.

usage: python3 -I -S venv_manifest.py write|check VENV
"""

from __future__ import annotations

import os
import sys

MANIFEST = ".manifest"


def entries(root: str) -> list[str]:
    """One line per file or link under root: `INODE SIZE CTIME PATH`, `-> TARGET PATH` a link."""
    lines = []
    for folder, subfolders, files in os.walk(root):
        for name in subfolders + files:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, root)
            if relative in (MANIFEST, MANIFEST + ".new"):
                continue
            if os.path.islink(path):
                lines.append(f"-> {os.readlink(path)} {relative}")
            elif not os.path.isdir(path):
                known = os.stat(path)
                lines.append(f"{known.st_ino} {known.st_size} {known.st_ctime_ns} {relative}")
    return sorted(lines)


def main(action: str, root: str) -> int:
    manifest = os.path.join(root, MANIFEST)
    if action == "write":
        with open(manifest + ".new", "w") as stream:
            stream.write("\n".join(entries(root)) + "\n")
        os.replace(manifest + ".new", manifest)
        return 0
    try:
        with open(manifest) as stream:
            recorded = stream.read()
    except OSError:
        return 1
    return 0 if recorded == "\n".join(entries(root)) + "\n" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
