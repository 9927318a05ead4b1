"""`ghpkg push` and `ghpkg ref`: build or take an image, push every version, read them back."""

from __future__ import annotations

from datetime import datetime, timezone

import docker

from ghpkg import engine
from ghpkg.errors import RegistryError
from ghpkg.manifest import SCHEMA2, parse_schema2, sha256_digest
from ghpkg.outputs import Log, Result
from ghpkg.reference import Reference
from ghpkg.registry import RegistryClient
from ghpkg.settings import Settings
from ghpkg.verbs.connect import prepare


def ref(settings: Settings, log: Log) -> Result:
    """The full references, computed without any network call."""
    isolation = settings.isolation
    if isolation is None:
        if settings.registry == "docker":
            log.info("subdomain isolation 'auto' needs a probe; `ref` assumes it is on")
        isolation = True
    refs = settings.references(isolation)
    return Result(
        images=tuple(str(r) for r in refs),
        registry=refs[0].registry,
        package_url=settings.package_url,
    )


def push(settings: Settings, log: Log) -> Result:
    """Build (or take --source), tag and push every version; verify what the registry serves."""
    registry, refs, client, transport = prepare(settings, log, "push")
    image_id = build_source(settings, client, log)
    for reference in refs:
        engine.tag(client, image_id, str(reference))
    with log.group(f"Push {', '.join(r.version for r in refs)} to {refs[0].name}"):
        transport.push(image_id, refs)
    digest = verify(registry, refs, schema2_only=settings.registry == "docker")
    log.info(f"Pushed {len(refs)} version(s), manifest {digest}")
    return Result(
        images=tuple(str(r) for r in refs),
        digest=digest,
        image_id=image_id,
        registry=refs[0].registry,
        package_url=settings.package_url,
    )


def build_source(settings: Settings, client: docker.DockerClient, log: Log) -> str:
    """The image to push: --source as it is, else a build of the context with ghpkg's labels."""
    if settings.source:
        image_id = engine.image_id_of(client, settings.source)
        log.info(f"Using local image {settings.source} ({image_id})")
        return image_id
    labels = {
        "org.opencontainers.image.source": settings.repository_url,
        "org.opencontainers.image.created": _now(),
    }
    if settings.revision:
        labels["org.opencontainers.image.revision"] = settings.revision
    labels.update(dict(settings.labels))
    from ghpkg.buildkit import build_image  # deferred: only a build needs it

    with log.group(f"Build {settings.context}"):
        image_id = build_image(settings, client, labels, log.info)
    log.info(f"Built {image_id}")
    return image_id


def verify(registry: RegistryClient, refs: list[Reference], schema2_only: bool = True) -> str:
    """Every tag must now serve one manifest (schema 2 on the Docker registry), the same for all."""
    digests = set()
    for reference in refs:
        raw, media_type = registry.get_manifest(reference.path, reference.version)
        if not schema2_only:
            digests.add(sha256_digest(raw))
            continue
        manifest = parse_schema2(raw, media_type, str(reference))
        kind = media_type.split(";")[0].strip()
        if kind != SCHEMA2:
            raise RegistryError(
                f"{reference} was stored as {kind}",
                "the GHES Docker registry handles Docker v2 schema-2 manifests only",
                "push with --transport registry, which always writes schema 2",
            )
        digests.add(manifest.digest)
    if len(digests) != 1:
        raise RegistryError(
            "the versions point at different manifests after the push",
            "another push to the same tags ran at the same time",
            "run the push again",
        )
    return digests.pop()


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
