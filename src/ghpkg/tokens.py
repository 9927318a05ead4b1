"""Tokens: their kind by prefix, the scopes an operation needs, and the fix for a refusal.

Both HTTP stacks (the registry's and the REST API's) and the faces read these.
"""

from __future__ import annotations

import enum
import re

from ghpkg.errors import UsageError
from ghpkg.secret import Secret
from ghpkg.settings import Registry

READ = "read:packages"
WRITE = "write:packages"
DELETE = "delete:packages"
REPO = "repo"
# A scope that grants another: GitHub treats write:packages as including read:packages.
_IMPLIED = {WRITE: {READ}, DELETE: set[str]()}
# The scopes of a classic PAT per operation, from GitHub's "About permissions for GitHub
# Packages" and "REST API endpoints for packages": the Docker registry is repository-scoped, so
# upload and delete need `repo` too, and so does its REST API (versions, delete); the Container
# registry has granular permissions and needs no `repo`.
_DOCKER_SCOPES = {
    "push": (WRITE, REPO),
    "pull": (READ,),
    "versions": (READ, REPO),
    "delete": (DELETE, READ, REPO),
}
_CONTAINER_SCOPES = {
    "push": (WRITE,),
    "pull": (READ,),
    "versions": (READ,),
    "delete": (DELETE, READ),
}
_VERBS = {"versions": "list the versions of", "delete": "delete versions of"}


class TokenKind(enum.Enum):
    """What a token is, told by its prefix."""

    CLASSIC_PAT = "classic personal access token (ghp_)"
    GITHUB_TOKEN = "GITHUB_TOKEN (ghs_)"
    FINE_GRAINED = "fine-grained personal access token (github_pat_)"
    OAUTH = "OAuth token (gho_)"
    USER_TO_SERVER = "GitHub App user token (ghu_)"
    LEGACY = "personal access token (40 hex)"
    UNKNOWN = "token of unknown kind"


_PREFIXES = (
    ("github_pat_", TokenKind.FINE_GRAINED),
    ("ghp_", TokenKind.CLASSIC_PAT),
    ("ghs_", TokenKind.GITHUB_TOKEN),
    ("gho_", TokenKind.OAUTH),
    ("ghu_", TokenKind.USER_TO_SERVER),
)


_TOKEN_SHAPE = re.compile(r"(?:github_pat_|gh[pousr]_)[A-Za-z0-9_]{8,}|\b[0-9a-f]{40}\b")


def redact_tokens(text: str) -> str:
    """Text with anything shaped like a GitHub token (any kind) replaced by ***."""
    return _TOKEN_SHAPE.sub("***", text)


def token_kind(token: Secret) -> TokenKind:
    """Tell a token's kind from its prefix (the value itself is never shown)."""
    value = token.reveal()
    for prefix, kind in _PREFIXES:
        if value.startswith(prefix):
            return kind
    if re.fullmatch(r"[0-9a-f]{40}", value):
        return TokenKind.LEGACY
    return TokenKind.UNKNOWN


def needed_scope(action: str) -> str:
    """The packages scope an operation needs: push write:packages, delete delete:packages."""
    return {"push": WRITE, "delete": DELETE}.get(action, READ)


def needed_scopes(action: str, registry: Registry = Registry.DOCKER) -> tuple[str, ...]:
    """Every classic-PAT scope an operation needs on the Docker (or the Container) registry."""
    table = _CONTAINER_SCOPES if registry is Registry.CONTAINER else _DOCKER_SCOPES
    return table.get(action, (READ,))


def scope_list(action: str, registry: Registry = Registry.DOCKER) -> str:
    """`write:packages and repo`: the scopes an operation needs, for a message."""
    return " and ".join(needed_scopes(action, registry))


def packages_permission(action: str) -> str:
    """The `permissions: packages:` level a GITHUB_TOKEN needs for an operation."""
    return "write" if action in ("push", "delete") else "read"


def check_token_locally(token: Secret, action: str, target: str, workflow_repository: str) -> None:
    """Refuse what is wrong before any network call: a missing, fine-grained or misbound token."""
    if not token:
        raise UsageError(
            "no token",
            "the GHES Docker registry refuses anonymous requests, even for public images",
            "pass it with --password-stdin or set GHPKG_TOKEN (in a workflow: GITHUB_TOKEN)",
        )
    kind = token_kind(token)
    if kind is TokenKind.FINE_GRAINED:
        raise UsageError(
            "the token is a fine-grained personal access token",
            "GitHub Packages' Docker registry accepts only classic personal access tokens",
            f"create a classic PAT (ghp_) with {scope_list(action)}",
        )
    if kind is TokenKind.GITHUB_TOKEN and workflow_repository and target != workflow_repository:
        raise UsageError(
            f"GITHUB_TOKEN cannot {_VERBS.get(action, action)} {target}",
            f"a GITHUB_TOKEN works only for its own workflow's repository ({workflow_repository})",
            f"use a classic PAT with {scope_list(action)} for another repository",
        )


def refusal_fix(token: Secret, action: str, registry: Registry = Registry.DOCKER) -> str:
    """What to do when the registry or API answers 401/403 to this token.

    A GITHUB_TOKEN's reach, as "About permissions for GitHub Packages" gives it: on the Docker
    registry the packages of its workflow's repository ("publish, install, delete, and restore"),
    as far as `permissions: packages:` goes; on the Container registry also the package's own
    Actions access (a package first pushed by hand gives workflows none until its settings do).
    """
    kind = token_kind(token)
    scopes = scope_list(action, registry)
    if kind is TokenKind.GITHUB_TOKEN and registry is Registry.CONTAINER:
        role = "admin" if action == "delete" else packages_permission(action)
        return (
            f"add `permissions: packages: {packages_permission(action)}` to the job and give "
            f"the workflow's repository the {role} role in the package's settings (Manage "
            f"Actions access); or use a classic PAT with {scopes}"
        )
    if kind is TokenKind.GITHUB_TOKEN:
        return (
            f"add `permissions: packages: {packages_permission(action)}` to the job (a "
            f"{kind.value} works only for its own workflow's repository; for another one use a "
            f"classic PAT with {scopes})"
        )
    if kind is TokenKind.FINE_GRAINED:
        return f"fine-grained tokens are not accepted; use a classic PAT (ghp_) with {scopes}"
    return f"check that the {kind.value} is valid, not expired, and has {scopes}"


def missing_scopes(granted: set[str], needed: str) -> bool:
    """Whether `needed` is absent from the granted scopes, implied scopes included."""
    effective = set(granted)
    for scope in granted:
        effective |= _IMPLIED.get(scope, set())
    return needed not in effective
