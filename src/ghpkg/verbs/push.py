"""`ghpkg push`: build or take an image, push every version, read them back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ghpkg.errors import RegistryError
from ghpkg.manifest import SCHEMA2, parse_schema2, sha256_digest
from ghpkg.metadata.oci_labels import Repository, oci_labels
from ghpkg.outputs import Log, Result
from ghpkg.reference import Reference
from ghpkg.registry import RegistryClient, probe_isolation
from ghpkg.settings import Registry, Settings
from ghpkg.verbs.connect import Connected, prepare
from ghpkg.verbs.ref import PushResult

if TYPE_CHECKING:
    from ghpkg.engine import Engine


def push(settings: Settings, log: Log) -> Result:
    """Build (or take --source), tag and push every version; verify what the registry serves."""
    if not settings.push:
        return build_only(settings, log)
    if settings.multi_platform:
        from ghpkg.verbs.platforms import push_platforms  # deferred: one image for many platforms

        return push_platforms(settings, log)
    return publish(
        settings, log, prepare(settings.remote, settings.names, settings.engine, log, "push")
    )


def publish(settings: Settings, log: Log, connected: Connected) -> PushResult:
    """The push once connected: the image, its tags, the transport's push, the registry's word."""
    refs, engine = connected.refs, connected.engine
    labels = {} if settings.source else build_labels(settings, log)
    image_id = build_source(settings, engine, log, labels)
    for reference in refs:
        engine.tag(image_id, str(reference))
    with log.group(f"Push {', '.join(r.version for r in refs)} to {refs[0].name}"):
        connected.transport.push(image_id, refs)
    digest = verify(connected.registry, refs, schema2_only=settings.registry is Registry.DOCKER)
    log.info(f"Pushed {len(refs)} version(s), manifest {digest}")
    return PushResult(
        images=tuple(str(r) for r in refs),
        digest=digest,
        image_id=image_id,
        registry=refs[0].registry,
        package_url=settings.package_url,
        labels=labels,
    )


def build_only(settings: Settings, log: Log) -> PushResult:
    """push: false: build (or take --source) and, with load, tag it in the engine; send nothing.

    The references need the registry's layout: `auto` probes it (no token) only to load.
    """
    isolation = settings.isolation
    if isolation is None and settings.load and settings.registry is Registry.DOCKER:
        isolation = probe_isolation(
            settings.hostname, settings.ca_file, settings.timeout, log.info, settings.retries
        )
    refs = settings.references(True if isolation is None else isolation)
    from ghpkg.engine import Engine  # docker-py: imported once the network is under way

    engine = Engine.connect(settings.engine)
    labels = {} if settings.source else build_labels(settings, log, ask_api=bool(settings.token))
    image_id = build_source(settings, engine, log, labels)
    if settings.load:
        for reference in refs:
            engine.tag(image_id, str(reference))
        log.info(f"push: false; loaded {image_id} as {', '.join(map(str, refs))}")
    else:
        log.info(f"push: false; built {image_id}, left untagged (load: true tags it)")
    return PushResult(
        images=tuple(str(r) for r in refs),
        image_id=image_id,
        registry=refs[0].registry,
        package_url=settings.package_url,
        labels=labels,
    )


def build_labels(settings: Settings, log: Log, ask_api: bool = True) -> dict[str, str]:
    """docker/metadata-action's OCI labels from the repository (REST API), then --label's."""
    from ghpkg.rest.repo_api import fetch_repository  # deferred: only a build asks the API

    full_name = f"{settings.owner}/{settings.repository}" if settings.repository else ""
    found = None
    if full_name and ask_api:
        found = fetch_repository(settings.remote, full_name, log.warn)
    repo = found or Repository.from_workflow(f"https://{settings.hostname}", full_name)
    version = settings.versions[0] if settings.versions else ""
    extra = [f"{key}={value}" for key, value in settings.labels]
    return oci_labels(repo, version, settings.revision, datetime.now(timezone.utc), extra)


def build_source(
    settings: Settings,
    engine: Engine,
    log: Log,
    labels: Mapping[str, str] | None = None,
) -> str:
    """The image to push: --source as it is, else a build of the context with these labels."""
    if settings.source:
        image_id = engine.image_id_of(settings.source)
        log.info(f"Using local image {settings.source} ({image_id})")
        return image_id
    if labels is None:
        labels = build_labels(settings, log)
    from ghpkg.build.buildkit import build_image  # deferred: only a build needs it

    with log.group(f"Build {settings.context}"):
        image_id = build_image(settings, engine, labels, log.info)
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
