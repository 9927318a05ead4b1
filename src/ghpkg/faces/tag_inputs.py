"""The versions: given, from the `tags` and `flavor` rules, or from the git ref.

A face's helper: it reads GITHUB_* and the event payload (GITHUB_EVENT_PATH), as
docker/metadata-action's context does, and hands pure values to `tag_rules` and `tag_eval`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ghpkg.errors import UsageError
from ghpkg.faces.readers import RawInputs
from ghpkg.reference import container_host, parse_version, registry_host
from ghpkg.settings import Operation

if TYPE_CHECKING:  # the tag rules' modules are imported only where rules are given
    from datetime import datetime

    from ghpkg.metadata.git_tags import KnownTags
    from ghpkg.metadata.tag_eval import TagContext

# The verbs that take no tags from the git ref or rules: they name versions, or none.
_NAMING = (
    Operation.VERSIONS,
    Operation.DELETE,
    Operation.DOCTOR,
    Operation.SERVE,
    Operation.MIGRATE,
)


def versions_input(
    raw: RawInputs,
    operation: Operation,
    env: Mapping[str, str],
    git_tags: KnownTags,
    container: bool = False,
    names: Sequence[str] = (),
) -> tuple[tuple[str, ...], str]:
    """The tags to use, and how they were found when none was given (empty if given).

    A pull from the Container registry may name a digest instead of a tag. `names` are this
    image's full names (without a tag) that a reference in `tags` may use.
    """
    digest_ok = container and operation is Operation.PULL
    given = [parse_version(v, digest_ok) for v in raw.items("versions")]
    rule_lines, referenced = split_references(raw.items("tags"), names)
    rules = rule_versions(rule_lines, raw.items("flavor"), operation, bool(given), env)
    if referenced:
        rules = _with_references(rules, referenced, operation, bool(given))
    if operation in _NAMING:
        if operation is Operation.VERSIONS and given:
            raise UsageError("versions takes no version", "it lists them all", "drop --version")
        return tuple(given), ""
    if rules is None and given and not raw.flag("sha_tag"):  # the tags given, as they are
        return _checked(given, operation, digest_ok), ""
    from ghpkg.metadata.git_tags import GitRef, sha_tag, versions_from_git

    ref = GitRef.from_env(env)
    note = ""
    if rules is not None:
        tags, note = rules[0] + ([sha_tag(ref.sha)] if raw.flag("sha_tag") else []), rules[1]
    elif given:
        tags = given + ([sha_tag(ref.sha)] if raw.flag("sha_tag") else [])
    else:
        tags = versions_from_git(ref, raw.flag("sha_tag"), git_tags)
        if operation is Operation.PULL:  # the most specific: this commit's tag, else the ref's
            tags = tags[-1:] if raw.flag("sha_tag") else tags[:1]
        note = f"no version given; from {ref.describe()}: {', '.join(tags)}"
    return _checked(tags, operation, digest_ok), note


def _checked(tags: list[str], operation: Operation, digest_ok: bool) -> tuple[str, ...]:
    """Each tag once, in order, each a valid tag (or digest); a pull takes one."""
    versions = tuple(dict.fromkeys(parse_version(tag, digest_ok) for tag in tags))
    if operation is Operation.PULL and len(versions) > 1:
        raise UsageError("pull takes one version", f"got {len(versions)}", "pass --version once")
    return versions


def image_names(
    hostname: str, isolation: bool | None, container: bool, path: tuple[str, str, str]
) -> list[str]:
    """This image's full names without a tag: each layout `auto` may find, or the Container
    registry's (`path`: owner, repository, image)."""
    owner, repository, image = path
    if container:
        return [f"{container_host(hostname)}/{owner}/{image}"]
    layouts = (True, False) if isolation is None else (isolation,)
    return [f"{registry_host(hostname, on)}/{owner}/{repository}/{image}" for on in layouts]


def split_references(lines: Sequence[str], names: Sequence[str]) -> tuple[list[str], list[str]]:
    """`tags` lines as build-push-action takes them: full references (`HOST/PATH:TAG`) give their
    tag when they name this image (one of `names`); the other lines are metadata-action rules.

    A reference to another host or image is bad input naming both: ghpkg publishes one image.
    """
    rules, tags = [], []
    for line in lines:
        text = line.strip()
        if "=" in text or not ("/" in text or ":" in text) or text.startswith("#"):
            rules.append(line)
            continue
        name, colon, tag = text.rpartition(":")
        if not colon or "/" in tag:  # no tag, or the colon was a port's: docker's latest
            name, tag = text, "latest"
        if name.lower() not in names:
            ours = " or ".join(names) or "this image"
            raise UsageError(
                f"tags {text!r} names {name}, not the image this run publishes ({ours})",
                "ghpkg publishes one image, named by hostname, owner, repository and image",
                "write the tag alone (e.g. 1.2.3) or this image's full reference, or set image, "
                f"owner and repository so that they name {name}",
            )
        tags.append(tag)
    return rules, tags


def _with_references(
    rules: tuple[list[str], str] | None,
    referenced: list[str],
    operation: Operation,
    versions_given: bool,
) -> tuple[list[str], str]:
    """The rules' tags (if any) and those of the full references in `tags`, in that order."""
    if operation not in (Operation.PUSH, Operation.REF):
        raise UsageError(f"tags are for push and ref, not {operation}", "", "drop tags")
    if versions_given:
        raise UsageError(
            "both version and tags given",
            "the tags give the versions",
            "drop version (or --version), or tags",
        )
    found, note = rules or ([], "")
    tags = list(dict.fromkeys([*found, *referenced]))
    note = note or f"tags from the references given: {', '.join(referenced)}"
    return tags, note


def tags_from_rules(
    rules: Sequence[str], flavor: Sequence[str], env: Mapping[str, str], now: datetime
) -> tuple[list[str], str]:
    """The tags `rules` give for this workflow run, and the log line saying so; exit 2 if none."""
    from ghpkg.metadata.tag_eval import evaluate  # 10 ms: only a run with rules pays for them
    from ghpkg.metadata.tag_rules import parse_flavor, parse_rules

    parsed_rules, parsed_flavor = parse_rules(rules), parse_flavor(flavor)  # bad lines first
    ctx = tag_context(env, now)
    version = evaluate(parsed_rules, parsed_flavor, ctx)
    tags = version.tags(parsed_flavor)
    if not tags:
        why = "; ".join(version.notes) or "no rule applies to this event and ref"
        where = f"{ctx.event or 'no event'} {ctx.ref or '(no GITHUB_REF)'}"
        raise UsageError(
            f"the tags rules give no tag on {where}",
            why,
            "add a rule that always applies, e.g. type=sha or type=raw,value=edge",
        )
    notes = f" ({'; '.join(version.notes)})" if version.notes else ""
    return tags, f"tags from the rules on {ctx.ref}: {', '.join(tags)}{notes}"


def tag_context(env: Mapping[str, str], now: datetime) -> TagContext:
    """GITHUB_EVENT_NAME, _REF, _SHA, _BASE_REF and what the event payload adds.

    DOCKER_METADATA_PR_HEAD_SHA=true on a pull request: the pull request's head commit instead
    of the merge commit GitHub made (metadata-action's variable, with its meaning).
    """
    from ghpkg.metadata.git_tags import GitRef
    from ghpkg.metadata.tag_eval import TagContext

    git = GitRef.from_env(env)
    payload = _payload(env.get("GITHUB_EVENT_PATH", ""))
    number = payload.get("number")
    ctx = TagContext.from_git_ref(git, now, str(number) if isinstance(number, int) else "")
    ctx = replace(ctx, sha=revision(env, payload))
    repository = payload.get("repository")
    default = repository.get("default_branch") if isinstance(repository, dict) else None
    base = env.get("GITHUB_BASE_REF", "").strip() or _text(payload.get("base_ref"))
    return TagContext(
        ctx.event,
        ctx.ref,
        ctx.sha,
        now,
        base_ref=base,
        default_branch=_text(default),
        commit_date=_commit_date(payload, ctx.sha),
    )


def _payload(path: str) -> dict[str, object]:
    """The event's JSON; {} when there is none or it cannot be read (the rules know less)."""
    if not path:
        return {}
    import json  # the event payload's alone: a ref or push without rules reads none

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def revision(env: Mapping[str, str], payload: Mapping[str, object] | None = None) -> str:
    """The commit the image is of: GITHUB_SHA, or with DOCKER_METADATA_PR_HEAD_SHA=true on a
    pull request its head commit rather than GitHub's merge commit (metadata-action's variable,
    for its `type=sha` and `org.opencontainers.image.revision` alike)."""
    sha = env.get("GITHUB_SHA", "").strip()
    wanted = "true" in env.get("DOCKER_METADATA_PR_HEAD_SHA", "").lower()
    if not wanted or "pull_request" not in env.get("GITHUB_EVENT_NAME", ""):
        return sha
    if payload is None:
        payload = _payload(env.get("GITHUB_EVENT_PATH", ""))
    pull_request = payload.get("pull_request")
    head = pull_request.get("head") if isinstance(pull_request, dict) else None
    return (_text(head.get("sha")) if isinstance(head, dict) else "") or sha


def _commit_date(payload: Mapping[str, object], sha: str) -> datetime | None:
    """The pushed commit's timestamp from the payload (`commits`, `head_commit`), if it says."""
    commits = payload.get("commits")
    candidates = list(commits) if isinstance(commits, list) else []
    candidates.append(payload.get("head_commit"))
    from datetime import datetime  # only with a payload's commits: not on ref's start-up

    for commit in candidates:
        if isinstance(commit, dict) and commit.get("id") == sha:
            try:
                return datetime.fromisoformat(str(commit.get("timestamp")).replace("Z", "+00:00"))
            except ValueError:
                return None
    return None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def rule_versions(
    rules: Sequence[str],
    flavor: Sequence[str],
    operation: Operation,
    versions_given: bool,
    env: Mapping[str, str],
) -> tuple[list[str], str] | None:
    """The tags the `tags`/`flavor` inputs give (None if neither is set); exit 2 if misused."""
    rules = [line for line in rules if line.strip() and not line.lstrip().startswith("#")]
    flavor = [line for line in flavor if line.strip() and not line.lstrip().startswith("#")]
    if not rules and not flavor:
        return None
    if operation not in (Operation.PUSH, Operation.REF):
        raise UsageError(
            f"tags and flavor are for push and ref, not {operation}", "", "drop tags and flavor"
        )
    if versions_given:
        raise UsageError(
            "both version and tags given",
            "the tags rules make the versions",
            "drop version (or --version), or the tags rules",
        )
    from datetime import datetime, timezone

    return tags_from_rules(rules, flavor, env, datetime.now(timezone.utc))
