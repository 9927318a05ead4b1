"""`ghpkg pull`: one version into the local engine, under its full reference."""

from __future__ import annotations

import docker

from ghpkg import engine
from ghpkg.engine_trust import trusted
from ghpkg.outputs import Log, Result
from ghpkg.progress import EngineProgress
from ghpkg.reference import Reference, is_digest
from ghpkg.settings import Settings
from ghpkg.transports import Pulled
from ghpkg.verbs.connect import prepare


def pull(settings: Settings, log: Log) -> Result:
    """Pull one version into the local engine, under its full reference."""
    _registry, refs, client, transport = prepare(settings, log, "pull")
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
