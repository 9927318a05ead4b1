"""migrate's inputs: the scope (or the owners), the name map, how many images at once, the state
file, and the matrix's shards."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from ghpkg.errors import UsageError
from ghpkg.faces.input_checks import choice
from ghpkg.faces.readers import RawInputs
from ghpkg.reference import parse_namespace
from ghpkg.settings import Operation, Scope

MAX_JOBS = 32


class MigrateInputs(NamedTuple):
    """What migrate takes besides the common options."""

    scope: Scope = Scope.REPO
    name_map: str = "{image}"
    jobs: int = 4
    state_file: Path | None = None
    owners: tuple[tuple[Scope, str], ...] = ()
    shards: int = 0
    shard: str = ""


OWNER_LISTS = {"org": Scope.ORG, "user": Scope.USER}
_MIGRATE_ONLY = ("scope", "name_map", "state_file", "org", "user", "shards", "shard")


def first_owner(raw: RawInputs) -> str:
    """The first of --org and --user, which stands for --owner when that is not given."""
    if raw.text("operation") != Operation.MIGRATE:
        return ""
    return next((item for name in OWNER_LISTS for item in raw.items(name)), "")


def _owners(raw: RawInputs) -> tuple[tuple[Scope, str], ...]:
    """--org and --user: each owner once, checked as a registry path's part."""
    found = [
        (scope, parse_namespace(item, name))
        for name, scope in OWNER_LISTS.items()
        for item in raw.items(name)
    ]
    if found and (raw.text("scope") or raw.text("repository")):
        raise UsageError(
            "--org and --user name whole owners; --scope and --repository name one scope",
            "both were given",
            "drop --scope, --owner and --repository, or drop --org and --user",
        )
    return tuple(dict.fromkeys(found))


def _shards(raw: RawInputs, owners: tuple[tuple[Scope, str], ...]) -> tuple[int, str]:
    """--shards N (a dry run's split) and --shard K/N (one shard's run): checked, or (0, "")."""
    from ghpkg.migration.shards import shard_count, shard_label  # migrate only, as below

    count = shard_count(raw.text("shards")) if raw.text("shards") else 0
    label = "{}/{}".format(*shard_label(raw.text("shard"))) if raw.text("shard") else ""
    if (count or label) and not owners:
        raise UsageError(
            "--shards and --shard split owners among matrix jobs",
            "no --org or --user was given",
            "name the owners with --org and --user (commas or newlines between them)",
        )
    if count and (label or not raw.flag("dry_run")):
        raise UsageError(
            "--shards belongs to the plan: a dry run that splits the owners",
            "--shard was given or --dry-run was not",
            "plan with --dry-run --shards N, then run each shard with its --shard K/N",
        )
    return count, label


def skips_repository(raw: RawInputs, repo_default: str) -> bool:
    """Whether migrate goes without a repository: a whole owner, or none given (said later)."""
    if raw.text("operation") != Operation.MIGRATE:
        return False
    if first_owner(raw):
        return True
    scope = raw.text("scope").strip().lower()
    return scope not in ("", Scope.REPO) or not (raw.text("repository") or repo_default)


def migrate_inputs(
    raw: RawInputs, operation: Operation, where: tuple[str, str, str], env: Mapping[str, str]
) -> MigrateInputs:
    """Check migrate's options (HOST, OWNER, REPOSITORY in `where`); other verbs take none."""
    given = [name for name in _MIGRATE_ONLY if raw.given(name)]
    if operation is not Operation.MIGRATE:
        if given:
            flags = ", ".join("--" + name.replace("_", "-") for name in given)
            raise UsageError(f"{flags}: options of migrate, not {operation}", "", "drop them")
        return MigrateInputs()
    import hashlib  # migrate's alone: the other verbs' start-up imports none of these

    from ghpkg.migration.plan import check_name_map
    from ghpkg.registry_transport.blobcache import default_cache_dir

    hostname, owner, repository = where
    scope = choice(raw.text("scope"), Scope, "scope") if raw.text("scope") else Scope.REPO
    owners = _owners(raw)
    if owners:
        scope = owners[0][0]
    if scope is Scope.REPO and not repository:
        raise UsageError(
            "migrate needs a repository or a whole owner",
            "no --repository given and no GITHUB_REPOSITORY to take it from",
            "pass --repository R, or --scope org / --scope user with --owner",
        )
    if scope is not Scope.REPO and raw.text("repository"):
        raise UsageError(
            f"--scope {scope} takes every image of {owner}, not one repository's",
            f"--repository {raw.text('repository')} was given too",
            "drop --repository, or drop --scope to migrate that repository's images",
        )
    text = raw.text("jobs").strip() or "4"
    jobs = int(text) if text.isdigit() else 0
    if not 1 <= jobs <= MAX_JOBS:
        raise UsageError(f"jobs {text!r} is not a number from 1 to {MAX_JOBS}", "", "e.g. --jobs 4")
    shards, shard = _shards(raw, owners)
    target = f"{scope}-{owner}" + (f"-{repository}" if scope is Scope.REPO else "")
    if len(owners) > 1:  # one file a set of owners: a shard's run continues its own
        names = ",".join(f"{scope}:{name}" for scope, name in sorted(owners))
        target = "owners-" + hashlib.sha256(names.encode()).hexdigest()[:12]
    default = default_cache_dir(env) / "migrate" / f"{hostname}-{target}.json"
    state_file = Path(raw.text("state_file")) if raw.text("state_file") else default
    name_map = check_name_map(raw.text("name_map"))
    return MigrateInputs(scope, name_map, jobs, state_file, owners, shards, shard)
