"""The bed's token table, its accounts, and GitHub's rules for what each token may do.

The rules follow GitHub's documentation for GHES 3.14, each named where it is applied:
- ABOUT_PERMISSIONS, "About scopes and permissions for package registries": the Docker
  registry is repository-scoped; `read:packages` downloads, `write:packages` uploads, and
  `repo` is needed "to upload and delete packages (along with write:packages or
  delete:packages)".
- DELETING, "Deleting and restoring a package" (repository-scoped packages): deleting needs
  `delete:packages`, `read:packages` and `repo`.
- REST_PACKAGES, "REST API endpoints for packages", About GitHub Packages: package metadata
  needs `read:packages`, deleting `read:packages` and `delete:packages`, and a registry that
  only supports repository-scoped permissions needs `repo` as well.
- AUTOMATIC_TOKEN, "Automatic token authentication" and "Controlling permissions for
  GITHUB_TOKEN": a GITHUB_TOKEN is limited to the repository of its workflow, and its
  `permissions: packages:` level is read or write ("write includes read"), none when absent.
  ABOUT_PERMISSIONS: "To publish, install, delete, and restore packages associated with the
  workflow repository, use GITHUB_TOKEN": `packages: write` deletes too.
- Roles (ABOUT_PERMISSIONS, DELETING): a repository-scoped package inherits the repository's
  permissions; deleting one needs admin permissions to the repository. The bed's users:
  octocat is an admin of every repository, `collaborator` may write, `reader` may read.
"""

from __future__ import annotations

import base64
import secrets
import string
import zlib
from dataclasses import asdict, dataclass
from typing import Any

READ, WRITE, DELETE = "read", "write", "delete"
ACTIONS_REPOSITORY = "octo-org/hello-world"
_DOCS = "https://docs.github.com/en/enterprise-server@3.14"
ABOUT_PERMISSIONS = f"{_DOCS}/packages/learn-github-packages/about-permissions-for-github-packages"
DELETING = f"{_DOCS}/packages/learn-github-packages/deleting-and-restoring-a-package"
REST_PACKAGES = f"{_DOCS}/rest/packages/packages"
AUTOMATIC_TOKEN = f"{_DOCS}/actions/security-guides/automatic-token-authentication"
# The Docker registry's scopes per operation (ABOUT_PERMISSIONS; DELETING for delete).
DOCKER_SCOPES = {
    READ: ("read:packages",),
    WRITE: ("write:packages", "repo"),
    DELETE: ("delete:packages", "read:packages", "repo"),
}
# The Container registry's scopes: its permissions are granular (per package, not inherited from
# a repository), so a classic PAT needs no `repo` there (ABOUT_PERMISSIONS).
CONTAINER_SCOPES = {
    READ: ("read:packages",),
    WRITE: ("write:packages",),
    DELETE: ("delete:packages", "read:packages"),
}
# The REST API's packages endpoints for a repository-scoped type such as docker (REST_PACKAGES).
REST_SCOPES = {
    READ: ("read:packages", "repo"),
    DELETE: ("delete:packages", "read:packages", "repo"),
}
# GitHub's accounts on the bed: `/orgs/NAME` answers for an organization only, `/users/NAME`
# for a user only (REST_PACKAGES lists each endpoint under both forms); anything else is 404.
# No test fills `reader`'s account but those that migrate an owner whole.
ORGANIZATIONS = ("octo-org", "other-org")
USERS = ("octocat", "reader")
_BASE62 = string.digits + string.ascii_letters


@dataclass(frozen=True)
class Token:
    """One token: its value, its user, its scopes; a GITHUB_TOKEN's repository and level.

    `packages` is a GITHUB_TOKEN's `permissions: packages:` level (AUTOMATIC_TOKEN): read,
    write or none.
    """

    value: str
    user: str
    scopes: tuple[str, ...] = ()
    repository: str | None = None
    packages: str = "none"

    @property
    def kind(self) -> str:
        """`classic` (ghp_), `actions` (ghs_) or `fine-grained` (github_pat_)."""
        if self.value.startswith("ghs_"):
            return "actions"
        if self.value.startswith("github_pat_"):
            return "fine-grained"
        return "classic"

    def to_json(self) -> dict[str, Any]:
        """Return the token as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Token:
        """Rebuild a token saved by `to_json`."""
        level = data.get("packages") or ("write" if data["value"].startswith("ghs_") else "none")
        return cls(
            data["value"], data["user"], tuple(data["scopes"]), data.get("repository"), level
        )


def _base62(number: int, width: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
    return digits.rjust(width, "0")


def _random(length: int) -> str:
    return "".join(secrets.choice(_BASE62) for _ in range(length))


def _github_style(prefix: str) -> str:
    """A token shaped like GitHub's: 30 random base62 characters and a CRC32 checksum."""
    body = _random(30)
    return f"{prefix}{body}{_base62(zlib.crc32(body.encode()), 6)}"


def generate() -> dict[str, Token]:
    """Make a fresh token table with random, realistic values."""
    rw = ("read:packages", "write:packages", "repo")
    return {
        "write": Token(_github_style("ghp_"), "octocat", rw),
        "read": Token(_github_style("ghp_"), "reader", ("read:packages",)),
        "readrepo": Token(_github_style("ghp_"), "reader", ("read:packages", "repo")),
        "norepo": Token(_github_style("ghp_"), "octocat", ("read:packages", "write:packages")),
        "noscope": Token(_github_style("ghp_"), "octocat", ("repo",)),
        "delete": Token(_github_style("ghp_"), "octocat", ("delete:packages", *rw)),
        "delete-noread": Token(_github_style("ghp_"), "octocat", ("delete:packages", "repo")),
        "delete-norepo": Token(
            _github_style("ghp_"), "octocat", ("delete:packages", "read:packages")
        ),
        "delete-collaborator": Token(
            _github_style("ghp_"), "collaborator", ("delete:packages", *rw)
        ),
        "actions": Token(_github_style("ghs_"), "octocat", (), ACTIONS_REPOSITORY, "write"),
        "actions-read": Token(_github_style("ghs_"), "octocat", (), ACTIONS_REPOSITORY, "read"),
        "finegrained": Token(f"github_pat_{_random(22)}_{_random(59)}", "octocat"),
    }


NAMES = ("write", "read", "readrepo", "norepo", "noscope", "delete", "delete-noread",
         "delete-norepo", "delete-collaborator", "actions", "actions-read",
         "finegrained")  # fmt: skip
# Each user's role on the repositories of the bed (ROLES in the docstring); admin otherwise.
ROLES = {"collaborator": "write", "reader": "read"}


def owner_type(login: str) -> str | None:
    """`Organization` or `User` for an account the bed knows, None for any other name."""
    if login.lower() in ORGANIZATIONS:
        return "Organization"
    return "User" if login.lower() in USERS else None


class TokenTable:
    """Looks tokens up by value, as GitHub does (any username goes)."""

    def __init__(self, tokens: dict[str, Token]) -> None:
        self._by_value = {token.value: token for token in tokens.values()}

    def find(self, value: str) -> Token | None:
        """Return the token with this value, or None."""
        return self._by_value.get(value)

    def from_basic(self, header: str | None) -> Token | None:
        """Return the token of a `Basic user:token` Authorization header, or None."""
        scheme, _, credentials = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except ValueError:
            return None
        user, _, value = decoded.partition(":")
        return self.find(value) if user else None

    def from_api_header(self, header: str | None) -> Token | None:
        """Return the token of a `token X`, `Bearer X` or Basic Authorization header."""
        scheme, _, value = (header or "").partition(" ")
        if scheme.lower() in ("token", "bearer"):
            return self.find(value.strip())
        return self.from_basic(header)


def missing(
    token: Token, action: str, repository: str, needs: dict[str, tuple[str, ...]] = DOCKER_SCOPES
) -> tuple[str, ...]:
    """What `token` lacks to do `action` on `repository` (OWNER/REPO); () when it may.

    A classic PAT lacks scopes (`needs`: DOCKER_SCOPES or REST_SCOPES). A GITHUB_TOKEN works
    for its own repository only and lacks `packages: read` or `packages: write` (write also
    deletes: AUTOMATIC_TOKEN, ABOUT_PERMISSIONS).
    """
    if token.kind == "actions":
        own = token.repository is not None and repository.lower() == token.repository.lower()
        if not own:
            return (f"repository {token.repository}",)
        granted = {"write": {READ, WRITE, DELETE}, "read": {READ}}.get(token.packages, set())
        return () if action in granted else (f"packages: {action}",)
    granted = effective_scopes(token)
    return tuple(scope for scope in needs[action] if scope not in granted)


def role(token: Token, repository: str) -> str:
    """The token's user's role on a repository: read, write or admin (a GITHUB_TOKEN: none)."""
    if token.kind == "actions":
        return ""
    return ROLES.get(token.user.lower(), "admin")


def registry_status(token: Token | None, action: str, repository: str) -> int:
    """200 if `token` may do `action` on `repository` (OWNER/REPO), else 401 or 403.

    The Docker registry's rules (ABOUT_PERMISSIONS, DELETING, AUTOMATIC_TOKEN).
    """
    if token is None or token.kind == "fine-grained":
        return 401
    return 403 if missing(token, action, repository) else 200


def effective_scopes(token: Token) -> set[str]:
    """A classic token's scopes, with read:packages implied by write:packages.

    GitHub's form for a classic PAT selects read:packages along with write:packages, so a
    token made there never has one without the other (the bed's reading; no page says more).
    """
    scopes = set(token.scopes)
    return scopes | {"read:packages"} if "write:packages" in scopes else scopes
