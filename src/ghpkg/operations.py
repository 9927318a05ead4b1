"""The verbs: ref, push and pull, as small steps over the reference, token, engine and registry."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import docker

from ghpkg import auth, diagnosis, engine, registry_layout
from ghpkg.engine_trust import trusted
from ghpkg.errors import GhpkgError, RegistryError
from ghpkg.manifest import SCHEMA2, parse_schema2, sha256_digest
from ghpkg.outputs import Log, Result
from ghpkg.packages import PackageApi, PackageVersion, newest_first, to_delete
from ghpkg.progress import EngineProgress
from ghpkg.reference import Reference, container_host, is_digest, registry_host
from ghpkg.registry import RegistryClient, probe_isolation
from ghpkg.settings import Settings
from ghpkg.transports import Pulled, Transport, choice
from ghpkg.transports.engine import EngineTransport
from ghpkg.transports.registry import RegistryTransport


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
    registry, refs, client, transport = _prepare(settings, log, "push")
    image_id = _source_image(settings, client, log)
    for reference in refs:
        engine.tag(client, image_id, str(reference))
    with log.group(f"Push {', '.join(r.version for r in refs)} to {refs[0].name}"):
        transport.push(image_id, refs)
    digest = _verify(registry, refs, schema2_only=settings.registry == "docker")
    log.info(f"Pushed {len(refs)} version(s), manifest {digest}")
    return Result(
        images=tuple(str(r) for r in refs),
        digest=digest,
        image_id=image_id,
        registry=refs[0].registry,
        package_url=settings.package_url,
    )


def pull(settings: Settings, log: Log) -> Result:
    """Pull one version into the local engine, under its full reference."""
    _registry, refs, client, transport = _prepare(settings, log, "pull")
    reference = refs[0]
    with log.group(f"Pull {reference}"):
        if is_digest(reference.version):  # the Container registry: the engine pulls it there
            log.info("pulling via engine (a digest: the Container registry resolves it)")
            pulled = _pull_digest(settings, client, reference, log)
        else:
            pulled = transport.pull(reference)
    return Result(
        images=(str(reference),),
        digest=pulled.digest,
        image_id=pulled.image_id,
        registry=reference.registry,
        package_url=settings.package_url,
    )


def _prepare(
    settings: Settings, log: Log, verb: str
) -> tuple[RegistryClient, list[Reference], docker.DockerClient, Transport]:
    """Log in to the registry and, meanwhile, ask the engine which transport suits it.

    The registry's verdict comes first when both fail: a refused token explains more.
    """
    with ThreadPoolExecutor(1) as pool:
        connecting = pool.submit(connect, settings, log, verb)
        try:
            client = engine.connect(settings.docker_host)
            info = engine.info(client)
            elsewhere = choice.unreachable(client, settings.engine_elsewhere)
            chosen = choice.choose(settings.transport, verb, info, elsewhere)
        except GhpkgError:
            connecting.result()
            raise
        registry, refs = connecting.result()
    log.info(
        f"Docker engine {info.version}{_store(info)}: {verb}ing via {chosen.name} ({chosen.why})"
    )
    if chosen.name == "engine":
        transport: Transport = EngineTransport(registry, client, log.info, settings.retries)
    else:
        transport = RegistryTransport(registry, client, log.info, settings.cache_dir)
    return registry, refs, client, transport


def copy(settings: Settings, log: Log) -> Result:
    """Copy versions from the Docker registry to the Container registry, blob to blob."""
    from ghpkg.copying import copy_image  # deferred: only copy needs it

    source, refs = connect(settings, log, "push")
    targets = settings.copy_destinations()
    destination = _client(settings, targets[0].registry, log, digests=True)
    _ping_container(destination, "push")
    done: set[str] = set()
    digests = []
    with log.group(f"Copy {', '.join(r.version for r in refs)} to {targets[0].name}"):
        for reference, target in zip(refs, targets, strict=True):
            copied = copy_image(source, destination, reference, target, log.info, done)
            digests.append(copied.digest)
    log.info(f"Copied {len(refs)} version(s) to {targets[0].name}, manifest {digests[0]}")
    return Result(
        images=tuple(str(t) for t in targets),
        digest=digests[0],
        registry=targets[0].registry,
        package_url=f"https://{settings.hostname}/{targets[0].owner}?tab=packages",
    )


def versions(settings: Settings, log: Log) -> Result:
    """List the package's versions, newest first, through the REST API."""
    api = _package_api(settings, log, "versions")
    try:
        found = api.versions()
    finally:
        api.close()
    found = newest_first(found)
    log.info(f"{api.name}: {len(found)} version(s)")
    return Result(
        images=(),
        package_url=settings.package_url,
        lines=tuple(v.line() for v in found),
        versions=_json(found),
    )


def delete(settings: Settings, log: Log) -> Result:
    """Delete versions by tag or all but the newest N; the whole list is read before any delete."""
    api = _package_api(settings, log, "delete")
    try:
        found = api.versions()
        doomed = to_delete(found, settings.keep, settings.versions)
        kept = [v for v in newest_first(found) if v not in doomed]
        verb = "would delete" if settings.dry_run else "deleting"
        log.info(f"{api.name}: {len(found)} version(s), {verb} {len(doomed)}, keeping {len(kept)}")
        done: list[PackageVersion] = []
        for version in doomed:
            if settings.dry_run:
                log.info(f"Would delete {version.label}, created {version.created_at}")
                continue
            try:
                api.delete(version)
            except GhpkgError as exc:
                exc.what += f" (deleted before it: {', '.join(v.label for v in done) or 'nothing'})"
                raise
            done.append(version)
            log.info(f"Deleted {version.label}, created {version.created_at}")
    finally:
        api.close()
    shown = doomed if settings.dry_run else done
    return Result(
        images=(),
        package_url=settings.package_url,
        lines=tuple(v.line() for v in shown),
        versions=_json(kept),
        deleted=_json(shown),
    )


def connect(settings: Settings, log: Log, action: str) -> tuple[RegistryClient, list[Reference]]:
    """Find the registry, check the token (REST API, advisory) and log in, before any build.

    The REST API's token check runs beside the layout probe and the login; its verdict still
    comes first, as a refused token explains a refused login.
    """
    with ThreadPoolExecutor(1) as pool:
        token_check = pool.submit(_check_token, settings, log, action)
        try:
            registry, refs = _login(settings, log, action)
        except GhpkgError:
            token_check.result()
            raise
        token_check.result()
    return registry, refs


def _login(settings: Settings, log: Log, action: str) -> tuple[RegistryClient, list[Reference]]:
    """Find the registry (the layout probe where asked) and log in to it."""
    container = settings.registry == "container"
    isolation = True if container else settings.isolation
    if isolation is None:
        try:
            isolation = probe_isolation(
                settings.hostname, settings.ca_file, settings.timeout, log.info, settings.retries
            )
        except RegistryError as exc:  # say why, as doctor would
            raise diagnosis.diagnose(
                settings.hostname, None, settings.ca_file, exc, timeout=settings.timeout
            ) from None
    refs = settings.references(isolation)
    host = (
        container_host(settings.hostname)
        if container
        else registry_host(settings.hostname, isolation)
    )
    registry = _client(settings, host, log, digests=container)
    if container:
        _ping_container(registry, action)
        return registry, refs
    try:
        registry.ping(action)
    except RegistryError as exc:  # say why, as doctor would
        raise diagnosis.diagnose(
            settings.hostname, isolation, settings.ca_file, exc, registry.host, settings.timeout
        ) from None
    return registry, refs


def _check_token(settings: Settings, log: Log, action: str) -> None:
    """Check the token's scopes through the REST API; advisory where the API cannot say."""
    auth.check_token_remotely(
        settings.api_url,
        settings.token,
        action,
        settings.ca_file,
        log.warn,
        timeout=int(settings.timeout),
        retries=settings.retries,
        log=log.info,
    )


def _ping_container(registry: RegistryClient, action: str) -> None:
    """Log in to the Container registry; no such name, or a web page there: it is not enabled."""
    fix = (
        "GHES serves it only with subdomain isolation, once the site administrator enables it; "
        "ask them, or use the Docker registry (--registry docker)"
    )
    addresses, why = registry_layout.resolve(registry.host)
    if not addresses:
        raise RegistryError(f"no Container registry at {registry.host}", why, fix)
    try:
        registry.ping(action)
    except RegistryError as exc:
        if exc.status != 404:
            raise
        what = f"no Container registry at {registry.host}"
        raise RegistryError(what, exc.cause, fix, status=404) from None


def _client(settings: Settings, host: str, log: Log, digests: bool = False) -> RegistryClient:
    """A registry client for one host with the settings' token, CA and retries."""
    return RegistryClient(
        host,
        settings.username,
        settings.token,
        ca_file=settings.ca_file,
        timeout=settings.timeout,
        retries=settings.retries,
        log=log.info,
        digests=digests,
    )


def _package_api(settings: Settings, log: Log, action: str) -> PackageApi:
    """Check the token's scopes (advisory where the API cannot say), then open the package."""
    _check_token(settings, log, action)
    return PackageApi(
        settings.api_url,
        settings.token,
        settings.ca_file,
        settings.owner,
        settings.repository,
        settings.image,
        action,
        timeout=int(settings.timeout),
        retries=settings.retries,
        log=log.info,
    )


def _json(found: list[PackageVersion]) -> str:
    return json.dumps([v.as_json() for v in found], separators=(",", ":"))


def _source_image(settings: Settings, client: docker.DockerClient, log: Log) -> str:
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


def _verify(registry: RegistryClient, refs: list[Reference], schema2_only: bool = True) -> str:
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


def _pull_digest(
    settings: Settings, client: docker.DockerClient, reference: Reference, log: Log
) -> Pulled:
    """`docker pull NAME@DIGEST` from the Container registry itself (it resolves digests)."""
    with trusted(settings.ca_file, reference.registry, log.info, log.warn):
        engine.pull(
            client,
            str(reference),
            settings.username,
            settings.token,
            EngineProgress(log.info),
            retries=settings.retries,
            log=log.info,
        )
    return Pulled(reference.version, engine.image_id_of(client, str(reference)))


def _store(info: engine.EngineInfo) -> str:
    return " (containerd image store)" if info.containerd_store else ""


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
