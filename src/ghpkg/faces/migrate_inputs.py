"""migrate's inputs: the scope, the name map, how many images at once, and the state file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ghpkg.errors import UsageError
from ghpkg.faces.input_checks import choice
from ghpkg.faces.readers import RawInputs
from ghpkg.migration.plan import check_name_map
from ghpkg.settings import Operation, Scope

MAX_JOBS = 32


@dataclass(frozen=True)
class MigrateInputs:
    """What migrate takes besides the common options."""

    scope: Scope = Scope.REPO
    name_map: str = "{image}"
    jobs: int = 4
    state_file: Path | None = None


def skips_repository(raw: RawInputs, repo_default: str) -> bool:
    """Whether migrate goes without a repository: a whole owner, or none given (said later)."""
    if raw.text("operation") != Operation.MIGRATE:
        return False
    scope = raw.text("scope").strip().lower()
    return scope not in ("", Scope.REPO) or not (raw.text("repository") or repo_default)


def migrate_inputs(
    raw: RawInputs, operation: Operation, where: tuple[str, str, str], cache_dir: Path
) -> MigrateInputs:
    """Check migrate's options (HOST, OWNER, REPOSITORY in `where`); other verbs take none."""
    given = [name for name in ("scope", "name_map", "state_file") if raw.text(name)]
    if operation is not Operation.MIGRATE:
        if given:
            flags = ", ".join("--" + name.replace("_", "-") for name in given)
            raise UsageError(f"{flags}: options of migrate, not {operation}", "", "drop them")
        return MigrateInputs()
    hostname, owner, repository = where
    scope = choice(raw.text("scope"), Scope, "scope") if raw.text("scope") else Scope.REPO
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
    target = f"-{repository}" if scope is Scope.REPO else ""
    default = cache_dir / "migrate" / f"{hostname}-{scope}-{owner}{target}.json"
    state_file = Path(raw.text("state_file")) if raw.text("state_file") else default
    return MigrateInputs(scope, check_name_map(raw.text("name_map")), jobs, state_file)
