"""`ghpkg push`: build or take an image, push every version, read them back.

For several platforms (or `--platform-tags`) each is built and pushed under `VERSION-os-arch`,
then joined under `VERSION` (`verbs.join`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ghpkg.errors import RegistryError
from ghpkg.manifest import SCHEMA2, parse_schema2, sha256_digest
from ghpkg.metadata.oci_labels import Repository, oci_labels
from ghpkg.outputs import Log, Result
from ghpkg.platforms import Platform, default_platform
from ghpkg.reference import Reference
from ghpkg.registry import RegistryClient, probe_isolation
from ghpkg.settings import EngineAccess, Package, Registry, Remote
from ghpkg.transports import ReadBack
from ghpkg.verbs.connect import Connected, prepare
from ghpkg.verbs.join import join_versions
from ghpkg.verbs.ref import PushResult

if TYPE_CHECKING:
    from ghpkg.build.options import BuildRequest
    from ghpkg.engine import Engine


def _no_options() -> BuildRequest:
    """A build with no options (imported here, when a push is asked: `ghpkg --help` imports this
    module, and builds nothing)."""
    from ghpkg.build.options import BuildRequest

    return BuildRequest()


@dataclass(frozen=True)
class PushRequest:
    """push: the package and its versions, the image (a local one, or a build), its platforms,
    whether it is sent and kept in the engine, and the engine."""

    package: Package
    versions: tuple[str, ...]
    source: str | None = None  # a local image pushed as it is (None: build)
    build: BuildRequest = field(default_factory=_no_options)  # not read with a source
    platforms: tuple[Platform, ...] = ()  # several: each pushed as VERSION-OS-ARCH too
    platform_tags: bool = False  # push VERSION-OS-ARCH only, for a later join
    annotations: tuple[tuple[str, str], ...] = ()  # on a multi-platform Container-registry index
    push: bool = True  # false: build (or take the source) and send nothing
    load: bool = False  # leave the image in the engine under its references
    revision: str = ""  # the commit the image is built from (its OCI revision label)
    engine: EngineAccess = field(default_factory=EngineAccess)

    @property
    def multi_platform(self) -> bool:
        """Whether push builds per platform and pushes under VERSION-OS-ARCH."""
        return len(self.platforms) > 1 or self.platform_tags


def push(request: PushRequest, remote: Remote, log: Log) -> Result:
    """Build (or take the source), tag and push every version; verify what the registry serves."""
    if not request.push:
        return build_only(request, remote, log)
    names = (request.package, request.versions)
    connected = prepare(remote, names, request.engine, log, "push")
    if request.multi_platform:
        return push_platforms(request, remote, log, connected)
    return publish(request, remote, log, connected)


def publish(request: PushRequest, remote: Remote, log: Log, connected: Connected) -> PushResult:
    """The push once connected: the image, its tags, the transport's push, the registry's word."""
    refs, engine = connected.refs, connected.engine
    labels = {} if request.source else build_labels(request, remote, log)
    platform = request.platforms[0] if request.platforms else None
    image_id = image_to_push(request, remote, (engine, platform), log, labels)
    for reference in refs:
        engine.tag(image_id, str(reference))
    with log.group(f"Push {', '.join(r.version for r in refs)} to {refs[0].name}"):
        read = connected.transport.push(image_id, refs)
    docker = remote.registry is Registry.DOCKER
    digest = verify(connected.registry, refs, schema2_only=docker, read=read)
    log.info(f"Pushed {len(refs)} version(s), manifest {digest}")
    return PushResult(
        images=tuple(str(r) for r in refs),
        digest=digest,
        image_id=image_id,
        registry=refs[0].registry,
        package_url=request.package.url(remote.hostname),
        labels=labels,
    )


def push_platforms(
    request: PushRequest, remote: Remote, log: Log, connected: Connected
) -> PushResult:
    """Build each platform, push it under its platform tags, then join them (unless told not)."""
    registry, refs, engine = connected.registry, connected.refs, connected.engine
    labels = build_labels(request, remote, log)  # once: every platform's image says the same
    pushed: list[str] = []
    image_ids: dict[Platform, str] = {}
    docker = remote.registry is Registry.DOCKER
    for platform in request.platforms:
        image_id = image_to_push(request, remote, (engine, platform), log, labels)
        image_ids[platform] = image_id
        tagged = [r.with_version(platform.tag(r.version)) for r in refs]
        for reference in tagged:
            engine.tag(image_id, str(reference))
        with log.group(f"Push {platform}: {', '.join(r.version for r in tagged)}"):
            read = connected.transport.push(image_id, tagged)
        log.info(f"Pushed {platform} as {verify(registry, tagged, docker, read)}")
        pushed += [str(r) for r in tagged]
    page = request.package.url(remote.hostname)
    if request.platform_tags:
        return PushResult(tuple(pushed), registry=refs[0].registry, package_url=page, labels=labels)
    default = default_platform(request.platforms, *engine.info().platform)
    noted = labels | dict(request.annotations)  # build-push-action's annotations win
    digest = join_versions(registry, refs, request.platforms, default, remote.registry, log, noted)
    for reference in refs:  # locally too, VERSION names what it names on the Docker registry
        engine.tag(image_ids[default], str(reference))
    return PushResult(
        images=tuple(str(r) for r in refs) + tuple(pushed),
        digest=digest,
        image_id=image_ids[default],
        registry=refs[0].registry,
        package_url=page,
        labels=labels,
    )


def build_only(request: PushRequest, remote: Remote, log: Log) -> PushResult:
    """push: false: build (or take the source) and, with load, tag it in the engine; send nothing.

    The references need the registry's layout: `auto` probes it (no token) only to load.
    """
    isolation = remote.isolation
    if isolation is None and request.load and remote.registry is Registry.DOCKER:
        isolation = probe_isolation(
            remote.hostname, remote.ca_file, remote.timeout, log.info, remote.retries
        )
    refs = request.package.references(
        remote, request.versions, True if isolation is None else isolation
    )
    from ghpkg.engine import Engine  # docker-py: imported once the network is under way

    engine = Engine.connect(request.engine)
    labels = {}
    if not request.source:
        labels = build_labels(request, remote, log, ask_api=bool(remote.token))
    platform = request.platforms[0] if len(request.platforms) == 1 else None
    image_id = image_to_push(request, remote, (engine, platform), log, labels)
    if request.load:
        for reference in refs:
            engine.tag(image_id, str(reference))
        log.info(f"push: false; loaded {image_id} as {', '.join(map(str, refs))}")
    else:
        log.info(f"push: false; built {image_id}, left untagged (load: true tags it)")
    return PushResult(
        images=tuple(str(r) for r in refs),
        image_id=image_id,
        registry=refs[0].registry,
        package_url=request.package.url(remote.hostname),
        labels=labels,
    )


def build_labels(
    request: PushRequest, remote: Remote, log: Log, ask_api: bool = True
) -> dict[str, str]:
    """docker/metadata-action's OCI labels from the repository (REST API), then --label's."""
    from ghpkg.rest.repo_api import fetch_repository  # deferred: only a build asks the API

    package = request.package
    full_name = f"{package.owner}/{package.repository}" if package.repository else ""
    found = None
    if full_name and ask_api:
        found = fetch_repository(remote, full_name, log.warn)
    repo = found or Repository.from_workflow(f"https://{remote.hostname}", full_name)
    version = request.versions[0] if request.versions else ""
    extra = [f"{key}={value}" for key, value in request.build.labels]
    return oci_labels(repo, version, request.revision, datetime.now(timezone.utc), extra)


def image_to_push(
    request: PushRequest,
    remote: Remote,
    target: tuple[Engine, Platform | None],
    log: Log,
    labels: dict[str, str],
) -> str:
    """The image to push: the source as it is, else a build of the context with these labels
    (`target`: the engine, and the one platform built for, None for the engine's own)."""
    engine, platform = target
    if request.source:
        image_id = engine.image_id_of(request.source)
        log.info(f"Using local image {request.source} ({image_id})")
        return image_id
    from ghpkg.build.buildkit import build_image  # deferred: only a build needs it

    build = replace(request.build, labels=tuple(labels.items()), platform=platform)
    with log.group(f"Build {build.context}"):
        image_id = build_image(build, engine, log.info, remote.token, request.engine.docker_host)
    log.info(f"Built {image_id}")
    return image_id


def verify(
    registry: RegistryClient,
    refs: list[Reference],
    schema2_only: bool = True,
    read: ReadBack | None = None,
) -> str:
    """Every tag must now serve one manifest (schema 2 on the Docker registry), the same for all.

    `read`: the manifests the transport already read back after its push, by version; the other
    tags are read here (one GET a tag in all)."""
    digests = set()
    for reference in refs:
        if read and reference.version in read:
            raw, media_type = read[reference.version]
        else:
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
