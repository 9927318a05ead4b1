"""The children of multi-platform indexes, read from the instance's own Container registry.

`delete` must not remove an image that an index it keeps still names (the index would then fail
to pull). The manifests come from containers.HOST, never from ghcr.io; each must have the digest
it was asked for, and a kept version whose manifest cannot be read stops the run (what it names
is unknown, so nothing may go).
"""

from __future__ import annotations

from ghpkg.errors import RegistryError
from ghpkg.manifest import OCI_INDEX, SCHEMA2_LIST, is_index, load_object, sha256_digest
from ghpkg.outputs import Log
from ghpkg.reference import container_host
from ghpkg.registry import RegistryClient
from ghpkg.retention import PackageVersion
from ghpkg.settings import Package, Remote
from ghpkg.verbs.connect import ping_container

INDEXES = (OCI_INDEX, SCHEMA2_LIST)


def index_children(
    remote: Remote, package: Package, log: Log, versions: list[PackageVersion]
) -> tuple[dict[int, tuple[str, ...]], set[str]]:
    """Version id -> the digests its index names, for each version whose manifest is an index;
    and which of those digests are indexes themselves (by the media type the index gives)."""
    host = container_host(remote.hostname)
    registry = RegistryClient.of(remote, host, log=log.info, digests=True)
    path = f"{package.owner}/{package.image}"
    found: dict[int, tuple[str, ...]] = {}
    nested: set[str] = set()
    try:
        ping_container(registry, "pull")
        for version in versions:
            try:
                raw, media_type = registry.get_manifest(path, version.name)
            except RegistryError as exc:
                if exc.status == 404:
                    raise RegistryError(
                        f"the manifest of {version.label}, which stays, was not found",
                        "without it ghpkg cannot tell which images it names, so none may go",
                        "run delete again (a version deleted meanwhile is then no longer listed)",
                        status=404,
                    ) from None
                raise
            if sha256_digest(raw) != version.name:
                raise RegistryError(
                    f"{registry.host} answered {version.label} with another manifest",
                    f"its digest is {sha256_digest(raw)}, not {version.name}",
                    "nothing was deleted; ask the site administrator to check the registry",
                )
            if not is_index(raw, media_type):
                continue
            entries = load_object(raw, f"the index of {version.label}").get("manifests") or []
            named = [e for e in entries if isinstance(e, dict) and "digest" in e]
            found[version.id] = tuple(str(entry["digest"]) for entry in named)
            nested |= {str(e["digest"]) for e in named if e.get("mediaType") in INDEXES}
    finally:
        registry.close()
    log.info(f"{len(found)} of the {len(versions)} version(s) that stay are multi-platform indexes")
    return found, nested
