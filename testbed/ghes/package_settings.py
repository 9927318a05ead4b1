"""What GitHub keeps about a package beside its images: visibility, downloads, Actions access.

The registry backends keep none of it, so tests write it (`set_package`) into the bed's state
directory, and the REST API and the Container registry's token service read it per request.
A package is named OWNER/REPOSITORY/IMAGE on the Docker registry, OWNER/IMAGE on the Container
registry (lowercase). What each setting rules, and the page it comes from, is said where it is
applied (testbed.ghes.docker_packages, container_packages, container_registry).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from testbed.config import read_json, write_json

METADATA = "package-settings.json"
_lock = threading.Lock()


def set_package(
    state_dir: Path,
    full_name: str,
    *,
    visibility: str | None = None,
    downloads: dict[str, int] | None = None,
    actions: dict[str, str] | None = None,
    min_delete_gap: float | None = None,
) -> None:
    """Tests: a package's visibility, downloads by tag or digest, and Actions access by
    repository (OWNER/REPO: read, write or admin); `min_delete_gap` is the bed's, not the
    package's (the REST API's secondary rate limit on DELETEs, in seconds; 0 turns it off)."""
    with _lock:
        path = state_dir / METADATA
        data = read_json(path)
        package = data.setdefault("packages", {}).setdefault(full_name.lower(), {})
        if visibility is not None:
            package["visibility"] = visibility
        if downloads is not None:
            package["downloads"] = downloads
        if actions is not None:
            package["actions"] = {repo.lower(): role for repo, role in actions.items()}
        if min_delete_gap is not None:
            data["min_delete_gap"] = min_delete_gap
        write_json(path, data)


def package(state_dir: Path, full_name: str) -> dict[str, Any]:
    """What the bed keeps about one package ({} for none): visibility, downloads, actions."""
    found = (read_json(state_dir / METADATA).get("packages") or {}).get(full_name.lower())
    return found if isinstance(found, dict) else {}


def known(state_dir: Path, full_name: str) -> bool:
    """Whether any setting was written for this package (e.g. a GITHUB_TOKEN created it)."""
    return bool(package(state_dir, full_name))


def is_public(state_dir: Path, full_name: str) -> bool:
    """Whether the package is public (packages are private unless a test says otherwise)."""
    return package(state_dir, full_name).get("visibility") == "public"


def downloads(state_dir: Path, full_name: str, names: list[str]) -> int:
    """The downloads of one version, summed over its names (tags, digest)."""
    counts = package(state_dir, full_name).get("downloads") or {}
    return sum(int(counts.get(name, 0)) for name in names)


def actions_role(state_dir: Path, full_name: str, repository: str) -> str:
    """The role a repository's workflows have on the package ("" for none)."""
    roles = package(state_dir, full_name).get("actions") or {}
    return str(roles.get(repository.lower(), ""))


def min_delete_gap(state_dir: Path) -> float:
    """The bed's secondary rate limit on REST DELETEs, in seconds (0: none)."""
    return float(read_json(state_dir / METADATA).get("min_delete_gap") or 0)
