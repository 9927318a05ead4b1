"""ghpkg's version: `ghpkg --version` and the User-Agent of every request."""

from __future__ import annotations

import os
import sys

__version__ = "0.1.0"  # pyproject.toml says the same

# What `ghpkg --version` reports besides ghpkg: the libraries whose behaviour a report depends on.
LIBRARIES = (
    ("docker-py", "docker"),
    ("PyGithub", "PyGithub"),
    ("requests", "requests"),
    ("urllib3", "urllib3"),
)


def version_text() -> str:
    """ghpkg's version, its libraries' and Python's, one a line (Python's as sys.version says
    it: `platform` would take 5 ms to import)."""
    found = installed_versions()
    lines = [f"ghpkg {__version__}"]
    for shown, distribution in LIBRARIES:
        lines.append(f"{shown} {found.get(distribution.lower(), 'not installed')}")
    lines.append(f"Python {sys.version.split()[0]}")
    return "\n".join(lines)


def installed_versions() -> dict[str, str]:
    """Lowercased name -> version of each distribution on sys.path (the first one wins, as for
    an import), from its `NAME-VERSION.dist-info` folder's name: importlib.metadata would take
    50 ms to import and read them."""
    found = {}
    for folder in reversed(sys.path):
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            stem, _, kind = name.rpartition(".")
            if kind in ("dist-info", "egg-info") and "-" in stem:
                distribution, version = stem.split("-")[:2]
                found[distribution.lower().replace("_", "-")] = version
    return found
