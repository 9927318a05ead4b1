"""Token kinds, needed scopes and the advice given when a token is refused."""

from __future__ import annotations

import pytest

from ghpkg import tokens
from ghpkg.secret import Secret
from ghpkg.settings import Registry
from ghpkg.tokens import TokenKind


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("ghp_" + "a" * 36, TokenKind.CLASSIC_PAT),
        ("ghs_" + "a" * 36, TokenKind.GITHUB_TOKEN),
        ("github_pat_" + "a" * 82, TokenKind.FINE_GRAINED),
        ("gho_" + "a" * 36, TokenKind.OAUTH),
        ("0123456789abcdef0123456789abcdef01234567", TokenKind.LEGACY),
        ("something", TokenKind.UNKNOWN),
    ],
)
def test_token_kind_by_prefix(value: str, kind: TokenKind) -> None:
    assert tokens.token_kind(Secret(value)) is kind


def test_write_packages_implies_read_packages() -> None:
    assert not tokens.missing_scopes({"write:packages"}, "read:packages")
    assert tokens.missing_scopes({"repo"}, "read:packages")
    assert tokens.missing_scopes({"read:packages"}, "write:packages")


def test_refusal_advice_names_kind_and_scope() -> None:
    assert tokens.refusal_fix(Secret("ghp_x"), "push").endswith("has write:packages and repo")
    assert tokens.refusal_fix(Secret("ghp_x"), "pull").endswith("has read:packages")
    assert "classic PAT" in tokens.refusal_fix(Secret("ghs_x"), "pull")
    assert "not accepted" in tokens.refusal_fix(Secret("github_pat_x"), "push")


def test_a_refused_github_token_is_told_which_permission_to_add() -> None:
    assert tokens.refusal_fix(Secret("ghs_x"), "push").startswith(
        "add `permissions: packages: write` to the job"
    )
    assert tokens.refusal_fix(Secret("ghs_x"), "pull").startswith(
        "add `permissions: packages: read` to the job"
    )


@pytest.mark.parametrize(
    ("action", "docker", "container"),
    [
        ("push", ("write:packages", "repo"), ("write:packages",)),
        ("pull", ("read:packages",), ("read:packages",)),
        ("versions", ("read:packages", "repo"), ("read:packages",)),
        (
            "delete",
            ("delete:packages", "read:packages", "repo"),
            ("delete:packages", "read:packages"),
        ),
    ],
)
def test_the_docker_registry_is_repository_scoped_so_push_and_delete_need_repo(
    action: str, docker: tuple[str, ...], container: tuple[str, ...]
) -> None:
    """GitHub's "About permissions for GitHub Packages": repo goes with write and delete."""
    assert tokens.needed_scopes(action) == docker
    assert tokens.needed_scopes(action, Registry.CONTAINER) == container


def test_secret_hides_its_value() -> None:
    secret = Secret("ghp_supersecret")
    assert "supersecret" not in repr(secret)
    assert "supersecret" not in f"{secret}"
    assert secret.reveal() == "ghp_supersecret"
