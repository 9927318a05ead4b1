"""The children of multi-platform indexes, read from the instance's own Container registry.

`delete` must not remove an image that an index it keeps still names (the index would then fail
to pull). The manifests come from containers.HOST, never from ghcr.io.
"""

from __future__ import annotations

from ghpkg.errors import RegistryError
from ghpkg.manifest import is_index, load_object
from ghpkg.outputs import Log
from ghpkg.reference import container_host
from ghpkg.retention import PackageVersion
from ghpkg.settings import Settings
from ghpkg.verbs.connect import client_for, ping_container


def index_children(
    settings: Settings, log: Log, versions: list[PackageVersion]
) -> dict[int, tuple[str, ...]]:
    """Version id -> the digests its index names, for each version whose manifest is an index."""
    registry = client_for(settings, container_host(settings.hostname), log, digests=True)
    path = f"{settings.owner}/{settings.image}"
    found: dict[int, tuple[str, ...]] = {}
    try:
        ping_container(registry, "pull")
        for version in versions:
            try:
                raw, media_type = registry.get_manifest(path, version.name)
            except RegistryError as exc:
                if exc.status == 404:  # deleted since it was listed: it names nothing now
                    continue
                raise
            if not is_index(raw, media_type):
                continue
            entries = load_object(raw, f"the index of {version.label}").get("manifests") or []
            found[version.id] = tuple(
                str(entry["digest"])
                for entry in entries
                if isinstance(entry, dict) and "digest" in entry
            )
    finally:
        registry.close()
    log.info(f"{len(found)} of the {len(versions)} version(s) that stay are multi-platform indexes")
    return found
