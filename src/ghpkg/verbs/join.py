"""`ghpkg join`: one image for many platforms, from the `VERSION-os-arch` tags pushed before.

`VERSION` itself becomes, on the Docker registry (single-platform images only), a copy of the
default platform's manifest; on the Container registry, an OCI index of every platform. A push
for several platforms (`verbs.push`) ends with the same step; `ghpkg join` does it alone, for
matrix jobs that each pushed one platform.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ghpkg.errors import RegistryError
from ghpkg.manifest import CONFIG_MAX, OCI_INDEX, load_object
from ghpkg.outputs import Log, Result
from ghpkg.platforms import Platform, image_index
from ghpkg.reference import Reference
from ghpkg.registry import RegistryClient
from ghpkg.settings import Package, Remote
from ghpkg.verbs.connect import connect


@dataclass(frozen=True)
class JoinRequest:
    """join: the package, its versions, and the platforms whose VERSION-os-arch tags join."""

    package: Package
    versions: tuple[str, ...]
    platforms: tuple[Platform, ...]  # the first is the default a plain pull gets


def join(request: JoinRequest, remote: Remote, log: Log) -> Result:
    """`ghpkg join`: make `VERSION` from the `VERSION-os-arch` tags that matrix jobs pushed."""
    registry, refs = connect(remote, (request.package, request.versions), log, "push")
    platforms = request.platforms
    digest = join_versions(registry, refs, platforms, platforms[0], remote.registry, log)
    return Result(
        images=tuple(str(r) for r in refs),
        digest=digest,
        registry=refs[0].registry,
        package_url=request.package.url(remote.hostname),
    )


def join_versions(
    registry: RegistryClient,
    refs: Sequence[Reference],
    platforms: Sequence[Platform],
    default: Platform,
    kind: str,
    log: Log,
    annotations: Mapping[str, str] | None = None,
) -> str:
    """Point every version at its platforms' images; return the digest the versions now serve.

    On the Container registry that is an OCI index, annotated (where given) as the images are
    labelled, so the package page shows its description, source and licences.
    """
    digests = set()
    for reference in refs:
        children = [(p, *_platform_manifest(registry, reference, p)) for p in platforms]
        if kind == "container":
            raw, media_type = image_index(children, annotations), OCI_INDEX
            what = f"an index of {', '.join(str(p) for p in platforms)}"
        else:
            raw, media_type = next((m, t) for p, m, t in children if p == default)
            what = f"the {default} image (the registry stores one platform a tag)"
        digests.add(registry.put_manifest(reference.path, reference.version, raw, media_type))
        log.info(f"{reference}: {what}")
    return digests.pop() if len(digests) == 1 else ""


def _platform_manifest(
    registry: RegistryClient, reference: Reference, platform: Platform
) -> tuple[bytes, str]:
    """The manifest under `VERSION-os-arch`, once its config says it is that platform."""
    tag = platform.tag(reference.version)
    where = f"{reference.name}:{tag}"
    raw, media_type = registry.get_manifest(reference.path, tag)
    config = load_object(raw, f"the manifest of {where}").get("config")
    digest = config.get("digest") if isinstance(config, dict) else None
    size = config.get("size") if isinstance(config, dict) else None
    if not isinstance(digest, str) or not isinstance(size, int) or not 0 < size <= CONFIG_MAX:
        raise RegistryError(
            f"{where} is not a single-platform image",
            f"its manifest has no usable config ({media_type or 'no media type'})",
            f"push it again with --platform {platform} --platform-tags",
        )
    data = b"".join(registry.open_blob(reference.path, digest, size))
    found = load_object(data, f"the image config of {where}")
    actual = Platform(
        str(found.get("os", "")), str(found.get("architecture", "")), str(found.get("variant", ""))
    )
    if (actual.os, actual.architecture) != (platform.os, platform.architecture):
        raise RegistryError(
            f"{where} holds a {actual} image, not {platform}",
            "its tag names a platform its image config does not have",
            f"push the {platform} build again with --platform {platform} --platform-tags",
        )
    return raw, media_type
