"""Tags from the git ref when no version is given, as docker/metadata-action users expect."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ghpkg.errors import UsageError

# semver.org's grammar, with an optional leading `v` as release tags are usually spelt.
_SEMVER = re.compile(
    r"v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
_PULL = re.compile(r"refs/pull/(\d+)/(?:merge|head)")
_PULL_NAME = re.compile(r"(\d+)/(?:merge|head)")
_INVALID = re.compile(r"[^A-Za-z0-9_.-]+")
_SHA = re.compile(r"[0-9a-fA-F]{7,64}")
MAX_TAG = 128

KnownTags = Callable[[], Sequence[str] | None]


@dataclass(frozen=True)
class SemVer:
    """A parsed semantic version; build metadata is dropped, as a tag cannot hold `+`."""

    major: int
    minor: int
    patch: int
    prerelease: str = ""

    @property
    def core(self) -> tuple[int, int, int]:
        """MAJOR, MINOR, PATCH for ordering releases."""
        return self.major, self.minor, self.patch

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        return f"{text}-{self.prerelease}" if self.prerelease else text


@dataclass(frozen=True)
class GitRef:
    """What the workflow says about the commit: GITHUB_REF, _REF_NAME, _SHA, _EVENT_NAME."""

    ref: str = ""
    ref_name: str = ""
    sha: str = ""
    event: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitRef:
        """Read the four variables from an environment mapping (the face passes it in)."""
        return cls(
            env.get("GITHUB_REF", "").strip(),
            env.get("GITHUB_REF_NAME", "").strip(),
            env.get("GITHUB_SHA", "").strip(),
            env.get("GITHUB_EVENT_NAME", "").strip(),
        )

    def describe(self) -> str:
        """How the ref is named in a message."""
        return self.ref or self.ref_name or "no git ref"


def parse_semver(text: str) -> SemVer | None:
    """`v1.2.3`, `1.2.3-rc.1`, `1.2.3+build` -> SemVer; anything else -> None."""
    match = _SEMVER.fullmatch(text.strip())
    if match is None:
        return None
    major, minor, patch, prerelease = match.groups()
    return SemVer(int(major), int(minor), int(patch), prerelease or "")


def sanitize(name: str) -> str:
    """A branch or tag name as a valid Docker tag: runs of invalid characters become `-`."""
    return _INVALID.sub("-", name).lstrip(".-")[:MAX_TAG]


def is_highest(version: SemVer, known: Sequence[str] | None) -> bool:
    """Whether no release among the known git tags is above `version` (unknown: yes)."""
    if version.prerelease:
        return False
    releases = [v for v in map(parse_semver, known or ()) if v and not v.prerelease]
    return all(other.core <= version.core for other in releases)


def release_tags(version: SemVer, known: Sequence[str] | None) -> list[str]:
    """`1.2.3` -> 1.2.3, 1.2, 1 (no `0` for 0.y.z) and latest if highest; a prerelease alone."""
    if version.prerelease:
        return [str(version)]
    tags = [str(version), f"{version.major}.{version.minor}"]
    if version.major > 0:
        tags.append(str(version.major))
    if is_highest(version, known):
        tags.append("latest")
    return tags


def sha_tag(sha: str) -> str:
    """`sha-` and the first 7 hex digits of the commit."""
    if not _SHA.fullmatch(sha):
        raise UsageError(
            "sha-tag needs the commit",
            f"GITHUB_SHA is {'not set' if not sha else 'not a commit hash'}",
            "run in a workflow, set GITHUB_SHA, or drop --sha-tag / sha-tag",
        )
    return f"sha-{sha[:7].lower()}"


def ref_tags(ref: GitRef, known: KnownTags = lambda: None) -> list[str]:
    """The tags for a ref: a release tag's versions, a branch's name or `pr-N`; [] if none."""
    if ref.event in ("pull_request", "pull_request_target") and not _PULL.fullmatch(ref.ref):
        raise UsageError(
            f"no version given on a {ref.event} event whose ref is {ref.describe()}",
            "that ref is the base branch, and tagging a pull request's image with it would "
            "overwrite the branch's image",
            "pass version: pr-${{ github.event.number }}",
        )
    if ref.ref:
        return _tags_of_ref(ref.ref, known)
    if ref.ref_name:
        return _tags_of_name(ref.ref_name, known)
    return []


def _tags_of_ref(ref: str, known: KnownTags) -> list[str]:
    pull = _PULL.fullmatch(ref)
    if pull:
        return [f"pr-{pull[1]}"]
    if ref.startswith("refs/tags/"):
        return _tag_versions(ref.removeprefix("refs/tags/"), known)
    if ref.startswith("refs/heads/"):
        return _nonempty(sanitize(ref.removeprefix("refs/heads/")))
    return []


def _tags_of_name(name: str, known: KnownTags) -> list[str]:
    """GITHUB_REF_NAME alone: `N/merge` is a pull request, a semver a release, else a branch."""
    pull = _PULL_NAME.fullmatch(name)
    if pull:
        return [f"pr-{pull[1]}"]
    return _tag_versions(name, known)


def _tag_versions(name: str, known: KnownTags) -> list[str]:
    version = parse_semver(name)
    if version is None:
        return _nonempty(sanitize(name))
    return release_tags(version, None if version.prerelease else known())


def _nonempty(tag: str) -> list[str]:
    return [tag] if tag else []


def versions_from_git(ref: GitRef, want_sha: bool, known: KnownTags = lambda: None) -> list[str]:
    """Every tag a push without a version gets; exit 2 when the ref gives none."""
    tags = ref_tags(ref, known)
    if want_sha:
        tags.append(sha_tag(ref.sha))
    if not tags:
        cause = (
            f"{ref.describe()} is not a branch, tag or pull request"
            if ref.ref or ref.ref_name
            else "GITHUB_REF is not set (not in a workflow)"
        )
        raise UsageError(
            "no version given", cause, "pass --version 1.0 (action input: version), or --sha-tag"
        )
    return tags
