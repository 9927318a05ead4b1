"""`ghpkg migrate`: every Docker-registry image of a repository, organization or user to the
Container registry, digests kept: a plan, the copy (several images at once, resumable), a report.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ghpkg.errors import GhpkgError, UsageError
from ghpkg.migration import report, shards
from ghpkg.migration.plan import (
    ImagePlan,
    ImageStatus,
    TagPlan,
    bytes_to_send,
    name_clashes,
    render,
)
from ghpkg.migration.run import Mounts, copy_tags, inspect, run_all
from ghpkg.migration.state import MigrationState
from ghpkg.outputs import Log, Result, Unfinished
from ghpkg.progress import bar, size
from ghpkg.reference import container_host
from ghpkg.registry import RegistryClient
from ghpkg.rest import auth
from ghpkg.rest.package_api import PackageApi
from ghpkg.rest.package_list import DockerPackage, PackageLister
from ghpkg.settings import Package, Registry, Remote, Scope
from ghpkg.verbs.connect import client_for, connect, ping_container

Body = Callable[[RegistryClient, RegistryClient], None]


@dataclass(frozen=True)
class MigrateRequest:
    """migrate: whose Docker-registry images move (a repository's, or whole owners'), the names
    they get on the Container registry, how many at once, and where the work is remembered."""

    owner: str
    repository: str = ""  # scope repo: only this repository's images
    scope: Scope = Scope.REPO
    owners: tuple[tuple[Scope, str], ...] = ()  # --org and --user (instead of owner and scope)
    name_map: str = "{image}"  # the Container-registry name of OWNER/REPOSITORY/IMAGE
    jobs: int = 4  # images copied at once
    state_file: Path | None = None  # what is done, for a rerun to continue (None: remember none)
    shards: int = 0  # a dry run splits the owners into this many shards
    shard: str = ""  # the plan's shard this run is, K/N (its report says it)
    dry_run: bool = False  # plan only: copy nothing

    def __post_init__(self) -> None:
        """A scope given as a word (by a library caller) becomes a member."""
        object.__setattr__(self, "scope", Scope(self.scope))
        owners = tuple((Scope(scope), owner) for scope, owner in self.owners)
        object.__setattr__(self, "owners", owners)


def migrate(request: MigrateRequest, remote: Remote, log: Log) -> Result:
    """Plan the move (dry_run stops there), copy every tag, and report what moved."""
    names = (Package(request.owner, request.repository, ""), ())
    source, _ = connect(remote, names, log, "pull")  # reads the Docker registry and the REST API
    if not request.dry_run:  # and writes the Container registry: say so before any plan
        auth.check_token_remotely(
            remote, "push", log.warn, log=log.info, registry=Registry.CONTAINER
        )
    target = container_host(remote.hostname)
    destination = client_for(remote, target, log, digests=True)
    ping_container(destination, "push")
    source.close()  # each worker opens its own clients
    destination.close()
    owners = {owner: _packages(replace(request, scope=scope, owner=owner), remote, log)
              for scope, owner in _owners(request)}  # fmt: skip
    plans = [plan for found in owners.values() for plan in found]
    if not plans:
        log.warn(
            f"{_scope(request)} has no Docker-registry images the token may read; check "
            "--owner, --repository or --scope, and that the token has read:packages and repo"
        )
    name_clashes(plans)
    state = MigrationState(request.state_file)
    if state.warning:
        log.warn(state.warning)
    stop = threading.Event()
    hosts = (source.host, target)
    with log.group(f"Plan: {len(plans)} image(s) of {_scope(request)} to {target}"):
        run_all(plans, request.jobs, lambda plan: _tags(remote, plan, log), stop)
        work = [plan for plan in plans if not plan.problem]
        inspector = _each(remote, hosts, log, lambda p: _inspector(p, state))
        run_all(work, request.jobs, inspector, stop)
        for plan in plans:
            log.info(f"{plan.status}: {_line(plan, target)}")
        blobs, total = bytes_to_send(plans)
        pending = [plan for plan in work if not plan.problem and plan.pending()]
        tags = sum(len(plan.pending()) for plan in pending)
        log.info(f"To copy: {len(pending)} image(s), {tags} tag(s), {blobs} blob(s), "
                 f"{size(total)} at most")  # fmt: skip
    peak = 0
    if pending and not request.dry_run:
        peak = _copy((remote, request.jobs), hosts, pending, state, log, stop)
    sent = sum(plan.sent_bytes for plan in plans)
    counts = {status: sum(p.status is status for p in plans) for status in ImageStatus}
    summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n) or "none found"
    log.info(f"Migrate {_scope(request)}: {len(plans)} image(s): {summary}; "
             f"{size(sent)} sent, at most {peak} image(s) at once")  # fmt: skip
    moved = [p for p in plans if p.status in (ImageStatus.COPIED, ImageStatus.SKIPPED)]
    result = Result(
        images=tuple(f"{target}/{plan.destination}" for plan in moved),
        registry=target,
        package_url=f"https://{remote.hostname}/{request.owner}?tab=packages",
        lines=report.lines(plans, target),
        migration=report.build(plans, target, request.dry_run, sent, peak),
    )
    if (request.shards or request.shard) and result.migration is not None:
        part = _sharded(request, owners, log)
        matrix = json.dumps(part["matrix"]) if "matrix" in part else None
        result = replace(result, migration=replace(result.migration, shards=part), matrix=matrix)
    failure = report.failure(plans, request.dry_run)
    if failure and request.shards:  # the plan of a matrix: its shards report it, the merge fails
        log.warn(f"{failure.partition('; see')[0]}: the shards report it and the merge fails on it")
    elif failure:
        raise Unfinished(failure, result)
    return result


def _copy(
    workers: tuple[Remote, int],
    hosts: tuple[str, str],
    plans: list[ImagePlan],
    state: MigrationState,
    log: Log,
    stop: threading.Event,
) -> int:
    """Copy the pending images, `jobs` at once (`workers`: the remote and jobs), a progress line
    as each ends.

    Blobs are mounted within an owner only: one owner's refusal to mount another's blob must
    not stop the mounts of the rest (each blob goes once per owner)."""
    mounts = {owner: Mounts() for owner in {_owner(plan) for plan in plans}}
    finished = 0
    lock = threading.Lock()

    def body(plan: ImagePlan) -> Body:
        def copy(source: RegistryClient, destination: RegistryClient) -> None:
            nonlocal finished
            copy_tags(source, destination, plan, state, mounts[_owner(plan)], stop)
            with lock:
                finished += 1
                log.info(f"[{finished}/{len(plans)}] {plan.status}: {_line(plan, hosts[1])}")
                if log.terminal:  # and under the lines, one bar for the whole migration
                    images = f"{finished}/{len(plans)} images"
                    log.status(f"Migrating {bar(finished, len(plans), amount=images)}")

        return copy

    remote, jobs = workers
    with log.group(f"Copy {len(plans)} image(s), {jobs} at once"):
        peak = run_all(plans, jobs, _each(remote, hosts, log, body), stop)
    mounted = sum(owner.mounted for owner in mounts.values())
    if mounted:
        log.info(f"{mounted} blob(s) mounted from another image instead of sent")
    return peak


def _owner(plan: ImagePlan) -> str:
    return plan.destination.partition("/")[0]


def _each(
    remote: Remote, hosts: tuple[str, str], log: Log, body: Callable[[ImagePlan], Body]
) -> Callable[[ImagePlan], None]:
    """Run body with a source and a destination client of its own (one worker, one image)."""

    def work(plan: ImagePlan) -> None:
        source = client_for(remote, hosts[0], log)
        destination = client_for(remote, hosts[1], log, digests=True)
        try:
            destination.ping("push")  # learns the token service, which a mount asks for more
            body(plan)(source, destination)
        except GhpkgError as exc:
            plan.stop(ImageStatus.FAILED, f"failed: {exc}")
        finally:
            source.close()
            destination.close()

    return work


def _inspector(plan: ImagePlan, state: MigrationState) -> Body:
    return lambda source, destination: inspect(source, destination, plan, state)


def _tags(remote: Remote, plan: ImagePlan, log: Log) -> None:
    """The image's tags through the REST API (untagged versions cannot be pulled: left out)."""
    owner, _, rest = plan.source.partition("/")
    repository, _, image = rest.partition("/")
    api = PackageApi(remote, owner, repository, image, "pull", log=log.info)
    try:
        versions = api.versions()
    except GhpkgError as exc:
        plan.stop(ImageStatus.FAILED, f"failed: {exc}")
        return
    finally:
        api.close()
    tags = dict.fromkeys(tag for version in versions for tag in version.tags)
    plan.tags = [TagPlan(tag) for tag in tags]


def _owners(request: MigrateRequest) -> tuple[tuple[Scope, str], ...]:
    """The owners whose images move: --org and --user, else the scope's one owner."""
    return request.owners or ((request.scope, request.owner),)


def _sharded(
    request: MigrateRequest, owners: dict[str, list[ImagePlan]], log: Log
) -> dict[str, Any]:
    """The report's matrix part: the plan's shards and matrix (--shards), or the shard this run
    is (--shard), which --merge-reports checks."""
    if request.shard:
        return {"shard": request.shard}
    work = [
        shards.OwnerWork(scope, owner, len(owners[owner]), bytes_to_send(owners[owner])[1])
        for scope, owner in request.owners
    ]
    split = shards.split(work, request.shards)
    if len(split) < request.shards:
        log.info(f"{request.shards} shards asked, {len(work)} owner(s): {len(split)} shard(s)")
    for shard in split:
        part = shard.describe()
        names = ", ".join(f"{owner.scope} {owner.name}" for owner in shard.owners)
        log.info(f"Shard {shard.label}: {names}: {part['images']} image(s), "
                 f"{size(part['bytes'])} to send")  # fmt: skip
    for line in shards.uneven(split):
        log.warn(line)
    return dict(shards.plan_document(split))


def merge_reports(names: list[str], log: Log) -> Result:
    """`--merge-reports`: the shards' reports (files, or folders of *.json) as one; no network."""
    files = [
        found
        for name in names
        for found in (sorted(Path(name).rglob("*.json")) if Path(name).is_dir() else [Path(name)])
    ]
    reports = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the report {path}", str(exc), "check the path") from None
        found = shards.report_in(str(path), text)
        if found is None:
            log.warn(f"{path}: no report (its run failed before it); its shard counts as missing")
        else:
            reports.append(found)
    if not reports:
        raise UsageError(
            "--merge-reports found no report", f"no *.json in {', '.join(names)}", "check the paths"
        )
    merged, failure = shards.merge(reports)
    totals = merged["totals"]
    labels = ", ".join(merged["shards"]["reported"]) or "unnamed"
    log.info(f"Merged {len(reports)} report(s) (shards {labels}): {totals['images']} image(s), "
             f"{totals['copied']} copied, {totals['skipped']} skipped, "
             f"{size(totals['bytes_sent'])} sent")  # fmt: skip
    result = Result(
        images=tuple(
            i.get("destination", "")
            for i in merged["images"]
            if i.get("status") in ("copied", "skipped")
        ),
        lines=shards.rows(merged),
        migration=report.MigrationReport.from_document(merged),
    )
    if failure:
        raise Unfinished(failure, result)
    return result


def _packages(request: MigrateRequest, remote: Remote, log: Log) -> list[ImagePlan]:
    """The plans of the scope's docker packages, GHES's own migration's conflicts noted."""
    lister = PackageLister(remote, request.owner, log=log.info)
    try:
        found = lister.packages({Scope.ORG: "orgs", Scope.USER: "users"}.get(request.scope, ""))
        conflicts = lister.conflicts()
    finally:
        lister.close()
    if request.scope is Scope.REPO:
        found = [p for p in found if p.repository == request.repository]
    if conflicts is None:
        log.info(f"GHES keeps no list of migration conflicts for {request.owner} (HTTP 404)")
    elif conflicts:
        log.info(f"GHES's migration reports conflicts for: {', '.join(conflicts)}")
    log.info(f"{_scope(request)}: {len(found)} Docker-registry image(s)")
    return [_plan(request, package, set(conflicts or ())) for package in found]


def _plan(request: MigrateRequest, package: DockerPackage, conflicts: set[str]) -> ImagePlan:
    name = render(request.name_map, package.owner, package.repository, package.image)
    return ImagePlan(
        source=package.path,
        destination=f"{request.owner}/{name}",
        ghes_conflict=bool({f"{package.repository}/{package.image}", package.image} & conflicts),
    )


def _line(plan: ImagePlan, target: str) -> str:
    return f"{plan.source} -> {target}/{plan.destination}: {report.note(plan)}"


def _scope(request: MigrateRequest) -> str:
    if len(request.owners) > 1:
        return f"{len(request.owners)} owners ({', '.join(f'{s} {o}' for s, o in request.owners)})"
    if request.scope is Scope.REPO:
        return f"repository {request.owner}/{request.repository}"
    return f"{'organization' if request.scope is Scope.ORG else 'user'} {request.owner}"
