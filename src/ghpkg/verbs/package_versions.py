"""`ghpkg versions` and `ghpkg delete`: a package's versions through the REST API."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from ghpkg.errors import GhpkgError
from ghpkg.outputs import Log, Result
from ghpkg.rest.package_api import PackageApi, Refused
from ghpkg.retention import LAST_KEPT, Decision, PackageVersion, Rules, newest_first, plan
from ghpkg.settings import Package, Registry, Remote
from ghpkg.verbs.connect import check_token
from ghpkg.verbs.index_children import index_children


@dataclass(frozen=True)
class VersionsRequest:
    """versions: the package whose versions are listed."""

    package: Package


@dataclass(frozen=True)
class DeleteRequest:
    """delete: the package and the rules of which versions go (ghpkg.retention)."""

    package: Package
    tags: tuple[str, ...] = ()  # these tags' versions go
    keep: int | None = None  # the newest N stay
    keep_tags: tuple[str, ...] = ()  # regular expressions of tags that stay
    older_than: str = ""  # only versions older than this may go (e.g. 30d)
    untagged: bool = False  # untagged versions go (the Container registry)
    pause: float = 1.0  # seconds at least between two DELETEs
    dry_run: bool = False  # say what would go, delete nothing


def versions(request: VersionsRequest, remote: Remote, log: Log) -> Result:
    """List the package's versions, newest first, through the REST API."""
    api = _package_api(request.package, remote, log, "versions")
    try:
        found = api.versions()
    finally:
        api.close()
    found = newest_first(found)
    shown = [v for v in found if not v.base_layer]
    log.info(f"{api.name}: {len(shown)} version(s)")
    for version in found:
        if version.base_layer:
            log.info(
                f"Also docker-base-layer (id {version.id}, created {version.created_at}): the "
                "Docker registry's own pseudo-version, not an image; ghpkg never deletes or "
                "migrates it"
            )
    return Result(
        images=(),
        package_url=request.package.url(remote.hostname),
        lines=tuple(v.line() for v in shown),
        versions=tuple(shown),
    )


def delete(request: DeleteRequest, remote: Remote, log: Log) -> Result:
    """Delete what the rules select and no keep rule holds; the whole list is read first.

    The last version (on the Container registry: the last tagged one) and docker-base-layer stay
    and are said to, before any DELETE (ghpkg.retention). A version GitHub refuses (HTTP 400,
    e.g. public and downloaded over 5,000 times) is reported as a warning and the others go on.
    """
    action = "versions" if request.dry_run else "delete"  # a plan only reads
    api = _package_api(request.package, remote, log, action, request.pause)
    try:
        found = api.versions()
        decisions = _plan(request, remote, log, found)
        doomed = [d.version for d in decisions if d.goes]
        kept = [d.version for d in decisions if not d.goes and not d.version.base_layer]
        verb = "would delete" if request.dry_run else "deleting"
        total = len(doomed) + len(kept)
        log.info(f"{api.name}: {total} version(s), {verb} {len(doomed)}, keeping {len(kept)}")
        for decision in decisions:
            if decision.reason.startswith(LAST_KEPT):
                log.warn(f"Keep {decision.version.label}: {decision.reason.removeprefix('kept: ')}")
            elif not decision.goes:
                log.info(f"Keep {decision.version.label}: {decision.reason}")
            elif request.dry_run:
                version = decision.version
                log.info(f"Would delete {version.label}, created {version.created_at}: "
                         f"{decision.reason}")  # fmt: skip
        done, refused = ([], []) if request.dry_run else _delete_all(api, doomed, log)
    finally:
        api.close()
    if refused:
        log.warn(f"GitHub refused {len(refused)}: {', '.join(v.label for v in refused)}")
    shown = doomed if request.dry_run else done
    return Result(
        images=(),
        package_url=request.package.url(remote.hostname),
        lines=tuple(v.line() for v in shown),
        versions=tuple(kept + refused),
        deleted=tuple(shown),
    )


def _delete_all(
    api: PackageApi, doomed: list[PackageVersion], log: Log
) -> tuple[list[PackageVersion], list[PackageVersion]]:
    """Delete one by one (paced); a refused version is a warning, any other failure stops."""
    done: list[PackageVersion] = []
    refused: list[PackageVersion] = []
    for version in doomed:
        try:
            api.delete(version)
        except Refused as exc:
            refused.append(version)
            log.warn(f"{exc.what}: {exc.cause} (GitHub keeps it; the others go on)")
            continue
        except GhpkgError as exc:
            exc.what += f" (deleted before it: {', '.join(v.label for v in done) or 'nothing'})"
            raise
        done.append(version)
        log.info(f"Deleted {version.label}, created {version.created_at}")
    return done, refused


def _plan(
    request: DeleteRequest, remote: Remote, log: Log, found: list[PackageVersion]
) -> list[Decision]:
    """The plan; on the Container registry, children of the indexes that stay stay too."""
    rules = Rules(
        keep=request.keep,
        keep_tags=request.keep_tags,
        older_than=request.older_than,
        untagged=request.untagged,
        tags=request.tags,
    )
    now = datetime.datetime.now(datetime.timezone.utc)
    container = remote.registry is Registry.CONTAINER
    decisions = plan(found, rules, now, last_tagged=container)
    if not container or not any(d.goes for d in decisions):
        return decisions
    children: dict[int, tuple[str, ...]] = {}
    pending = [d.version for d in decisions if not d.goes and d.version.name.startswith("sha256:")]
    read: set[int] = set()
    while pending:  # again only for an index inside an index that stays
        more, nested = index_children(remote, request.package, log, pending)
        children.update(more)
        read |= {v.id for v in pending}
        decisions = plan(found, rules, now, children, last_tagged=True)
        pending = [
            d.version
            for d in decisions
            if not d.goes and d.version.name in nested and d.version.id not in read
        ]
    return decisions


def _package_api(
    package: Package, remote: Remote, log: Log, action: str, pause: float = 1.0
) -> PackageApi:
    """Check the token's scopes (advisory where the API cannot say), then open the package."""
    check_token(remote, log, action)
    return PackageApi(
        remote,
        package.owner,
        package.repository,
        package.image,
        action,
        log=log.info,
        package_type="container" if remote.registry is Registry.CONTAINER else "docker",
        pause=pause,
    )
