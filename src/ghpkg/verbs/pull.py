"""`ghpkg pull`: one version into the local engine, under its full reference."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ghpkg.errors import RegistryError
from ghpkg.outputs import Log, Result
from ghpkg.platforms import engine_tags
from ghpkg.progress import EngineProgress
from ghpkg.reference import Reference, is_digest
from ghpkg.registry import RegistryClient
from ghpkg.settings import EngineAccess, Package, Registry, Remote
from ghpkg.transports import Pulled
from ghpkg.verbs.connect import Connected, prepare

if TYPE_CHECKING:  # docker-py's import waits for `prepare`, where it overlaps the network
    from ghpkg.engine import Engine, EngineInfo


@dataclass(frozen=True)
class PullRequest:
    """pull: the package, the one version (tag or digest), the engine it goes into."""

    package: Package
    version: str
    engine: EngineAccess = field(default_factory=EngineAccess)


def pull(request: PullRequest, remote: Remote, log: Log) -> Result:
    """Pull one version into the local engine, under its full reference."""
    names = (request.package, (request.version,))
    by_tag = remote.registry is Registry.DOCKER and not is_digest(request.version)
    lookup = platform_tag if by_tag else None  # asked while the engine is checked
    connected = prepare(remote, names, request.engine, log, "pull", lookup)
    return fetch(request, remote, log, connected)


def platform_tag(
    registry: RegistryClient, reference: Reference, info: EngineInfo
) -> Reference | None:
    """`VERSION-os-arch` for the engine's platform where a multi-platform push left one, else
    None. Its manifest GET (404 where there is none) is also the registry's answer to whether
    the token may read the repository."""
    for tag in engine_tags(reference.version, *info.platform):
        try:
            registry.get_manifest(reference.path, tag)
        except RegistryError as exc:
            if exc.status == 404:
                continue
            raise
        return reference.with_version(tag)
    return None


def fetch(request: PullRequest, remote: Remote, log: Log, connected: Connected) -> Result:
    """The pull once connected: by digest, by the engine's platform tag, or by the tag."""
    reference, engine = connected.refs[0], connected.engine
    with log.group(f"Pull {reference}"):
        if is_digest(reference.version):  # the Container registry: the engine pulls it there
            log.info("pulling via engine (a digest: the Container registry resolves it)")
            pulled = _pull_digest(remote, engine, reference, log)
        elif remote.registry is Registry.DOCKER:
            pulled = _pull_for_platform(connected, reference, log)
        else:  # the Container registry: an index gives way to the engine's platform
            pulled = connected.transport.pull(reference)
    return Result(
        images=(str(reference),),
        digest=pulled.digest,
        image_id=pulled.image_id,
        registry=reference.registry,
        package_url=request.package.url(remote.hostname),
    )


def _pull_for_platform(connected: Connected, reference: Reference, log: Log) -> Pulled:
    """Pull `VERSION-os-arch` (`platform_tag`, found while connecting) where there is one."""
    engine, transport, candidate = connected.engine, connected.transport, connected.source
    if candidate is None:
        return transport.pull(reference)
    log.info(
        f"{reference.version} has a tag for this engine's platform: pulling {candidate.version}"
    )
    pulled = transport.pull(candidate)
    engine.tag(pulled.image_id, str(reference))
    engine.untag(str(candidate))
    return pulled


def _pull_digest(remote: Remote, engine: Engine, reference: Reference, log: Log) -> Pulled:
    """`docker pull NAME@DIGEST` from the Container registry itself (it resolves digests)."""
    from ghpkg.engine.trust import trusted

    with trusted(remote.ca_file, reference.registry, log.info, log.warn):
        engine.pull(
            str(reference),
            remote.username,
            remote.token,
            EngineProgress(log.info, status=log.status if log.terminal else None),
            retries=remote.retries,
            log=log.info,
        )
    return Pulled(reference.version, engine.image_id_of(str(reference)))
