"""Git refs -> tags, the table docker/metadata-action users expect."""

from __future__ import annotations

import pytest

from ghpkg.errors import UsageError
from ghpkg.metadata.git_tags import GitRef, is_highest, parse_semver, sanitize, versions_from_git

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("ref", "tags"),
    [
        ("refs/tags/v1.2.3", ["1.2.3", "1.2", "1", "latest"]),
        ("refs/tags/1.2.3", ["1.2.3", "1.2", "1", "latest"]),
        ("refs/tags/v10.20.30+build.7", ["10.20.30", "10.20", "10", "latest"]),
        ("refs/tags/v0.4.1", ["0.4.1", "0.4", "latest"]),
        ("refs/tags/v2.0.0-rc.1", ["2.0.0-rc.1"]),
        ("refs/tags/v1.2", ["v1.2"]),
        ("refs/tags/release/2024 spring", ["release-2024-spring"]),
        ("refs/heads/main", ["main"]),
        ("refs/heads/Feature/ABC-12", ["Feature-ABC-12"]),
        ("refs/heads/fix/ü+ö//x", ["fix-x"]),
        ("refs/heads/-.hidden", ["hidden"]),
        ("refs/pull/42/merge", ["pr-42"]),
        ("refs/pull/7/head", ["pr-7"]),
    ],
)
def test_ref_to_tags(ref: str, tags: list[str]) -> None:
    assert versions_from_git(GitRef(ref=ref, sha=SHA), want_sha=False) == tags


def test_long_branch_is_cut_to_128_characters() -> None:
    tags = versions_from_git(GitRef(ref="refs/heads/" + "b" * 300), want_sha=False)
    assert tags == ["b" * 128]


def test_sha_tag_comes_last_when_asked() -> None:
    tags = versions_from_git(GitRef(ref="refs/heads/main", sha=SHA.upper()), want_sha=True)
    assert tags == ["main", "sha-0123456"]


def test_sha_tag_alone_when_the_ref_gives_nothing() -> None:
    assert versions_from_git(GitRef(ref="refs/notes/x", sha=SHA), want_sha=True) == ["sha-0123456"]


@pytest.mark.parametrize(
    ("name", "tags"),
    [
        ("v1.2.3", ["1.2.3", "1.2", "1", "latest"]),
        ("12/merge", ["pr-12"]),
        ("my/branch", ["my-branch"]),
    ],
)
def test_ref_name_alone_is_read_too(name: str, tags: list[str]) -> None:
    assert versions_from_git(GitRef(ref_name=name), want_sha=False) == tags


def test_latest_only_for_the_highest_release() -> None:
    known = ["v1.0.0", "v1.2.3", "v2.0.0", "v3.0.0-rc.1", "not-a-version"]
    tags = versions_from_git(GitRef(ref="refs/tags/v1.2.3"), False, lambda: known)
    assert tags == ["1.2.3", "1.2", "1"]
    tags = versions_from_git(GitRef(ref="refs/tags/v2.0.0"), False, lambda: known)
    assert tags == ["2.0.0", "2.0", "2", "latest"]


def test_tags_are_not_listed_for_a_prerelease_or_a_branch() -> None:
    def refuse() -> list[str]:
        raise AssertionError("git tags read when not needed")

    versions_from_git(GitRef(ref="refs/tags/v2.0.0-rc.1"), False, refuse)
    versions_from_git(GitRef(ref="refs/heads/main"), False, refuse)


def test_highest_compares_numbers_not_text() -> None:
    version = parse_semver("v1.10.0")
    assert version is not None
    assert is_highest(version, ["1.9.9", "1.10.0"])
    assert not is_highest(version, ["1.11.0"])
    assert is_highest(version, None)


@pytest.mark.parametrize(
    ("ref", "words"),
    [
        (GitRef(), "GITHUB_REF is not set"),
        (GitRef(ref="refs/notes/x"), "refs/notes/x is not a branch, tag or pull request"),
        (GitRef(ref="refs/heads/%%%"), "not a branch, tag or pull request"),
    ],
)
def test_no_usable_ref_is_a_usage_error(ref: GitRef, words: str) -> None:
    with pytest.raises(UsageError, match=words) as caught:
        versions_from_git(ref, want_sha=False)
    assert caught.value.exit_code == 2
    assert "--version" in str(caught.value)


def test_pull_request_target_never_gets_the_base_branch_tag() -> None:
    ref = GitRef(ref="refs/heads/main", event="pull_request_target")
    with pytest.raises(UsageError, match="pr-"):
        versions_from_git(ref, want_sha=False)


def test_sha_tag_without_a_sha_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="GITHUB_SHA is not set"):
        versions_from_git(GitRef(ref="refs/heads/main"), want_sha=True)


def test_sanitize_keeps_capitals_and_valid_characters() -> None:
    assert sanitize("Release_1.x") == "Release_1.x"
