"""The Container registry face (`containers.ghes.test`): Bearer tokens from /token, as on ghcr.

`GET /token` trades Basic `user:PAT` for an opaque token that carries the scopes asked for and
the subset GitHub's rules grant (classic PATs by their scopes, a GITHUB_TOKEN by the package's
Actions access); without credentials it grants pulls of public packages ("Configuring a
package's access control and visibility": a public package "can be accessed anonymously").
nginx asks `/_auth` whether a Bearer token may do a request, and proxies
everything under /v2/ to a second distribution backend: OCI manifests and indexes, digests.
"""

from __future__ import annotations

import datetime
import re
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from testbed.config import CONTAINER_BACKEND_PORT, CONTAINER_HOST, Paths
from testbed.ghes import package_settings
from testbed.ghes.docker_registry import forward
from testbed.ghes.tokens import CONTAINER_SCOPES, DELETE, READ, WRITE, Token, TokenTable, missing
from testbed.ghes.wire import (
    DENIED_MESSAGE,
    DISTRIBUTION_HEADER,
    Request,
    Response,
    json_response,
    registry_error,
)

REALM = f"https://{CONTAINER_HOST}/token"
PING_SCOPE = "repository:user/image:pull"  # what ghcr names in the /v2/ challenge
UNAUTHORIZED = "authentication required"
_ROUTE = re.compile(r"^/v2/(?P<name>.+?)/(?:manifests|blobs|tags)/")
_ACTIONS = {"pull": READ, "push": WRITE, "delete": DELETE}
_REPOSITORIES = "docker/registry/v2/repositories"


@dataclass
class Grant:
    """One issued token: the scopes asked for and those granted, per repository name."""

    user: str
    asked: dict[str, set[str]] = field(default_factory=dict)
    granted: dict[str, set[str]] = field(default_factory=dict)


class Grants:
    """The tokens /token issued, by value (in memory: clients ask again after a restart)."""

    def __init__(self) -> None:
        self._by_value: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def issue(self, grant: Grant) -> str:
        """Store a grant under a fresh opaque value and return the value."""
        value = secrets.token_urlsafe(32)
        with self._lock:
            self._by_value[value] = grant
        return value

    def find(self, authorization: str | None) -> Grant | None:
        """The grant of a `Bearer X` Authorization header, or None."""
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        with self._lock:
            return self._by_value.get(value.strip())


def may(token: Token | None, action: str, name: str, paths: Paths) -> bool:
    """GitHub's rule (ABOUT_PERMISSIONS): a classic PAT by its scopes, `repo` not among them
    (the Container registry's permissions are granular); a GITHUB_TOKEN as far as the job's
    `permissions: packages:` go (AUTOMATIC_TOKEN) and the package's Actions access allows
    (`_actions_may`); anyone may pull a public package, without a token too."""
    state_dir = paths.root
    if action == READ and package_settings.is_public(state_dir, name):
        return True
    if token is None or token.kind == "fine-grained":
        return False
    if token.kind == "actions":
        return _actions_may(token, action, name, paths)
    return not missing(token, action, name, CONTAINER_SCOPES)


def _actions_may(token: Token, action: str, name: str, paths: Paths) -> bool:
    """A GITHUB_TOKEN: its package's Actions access ("Ensuring workflow access to your
    package": a package first pushed by hand gives no workflow access, so a push answers
    "permission_denied: write_package" as reported, tridz-dev/huf#349, actions/runner#1039),
    and a package its workflow creates gives that repository the admin role (the bed's reading:
    the workflow that published a package may manage it)."""
    owner = (token.repository or "").split("/")[0].lower()
    granted = {"write": {READ, WRITE}, "read": {READ}}.get(token.packages, set())
    if name.split("/")[0].lower() != owner or action not in granted:
        return False
    repository = token.repository or ""
    role = package_settings.actions_role(paths.root, name, repository)
    if role:
        return action == READ or role in ("write", "admin")
    exists = (paths.container_storage / _REPOSITORIES / name.lower()).is_dir()
    if exists or package_settings.known(paths.root, name):
        return False
    if action == WRITE:  # the workflow creates the package: its repository gets the admin role
        package_settings.set_package(paths.root, name, actions={repository: "admin"})
    return True


def parse_scopes(values: list[str]) -> dict[str, set[str]]:
    """`repository:NAME:pull,push` (repeatable, space-separated) -> {NAME: {"pull", "push"}}."""
    asked: dict[str, set[str]] = {}
    for scope in " ".join(values).split():
        kind, _, rest = scope.partition(":")
        name, _, actions = rest.rpartition(":")
        if kind == "repository" and name:
            wanted = set(_ACTIONS) if actions == "*" else set(actions.split(",")) & set(_ACTIONS)
            asked.setdefault(name, set()).update(wanted)
    return asked


def token_answer(request: Request, tokens: TokenTable, grants: Grants, paths: Paths) -> Response:
    """GET /token: a Bearer token for valid Basic credentials or none (anonymous), else 401."""
    authorization = request.header("Authorization")
    token = tokens.from_basic(authorization)
    if authorization is not None and (token is None or token.kind == "fine-grained"):
        return _error(401, "UNAUTHORIZED", UNAUTHORIZED)
    asked = parse_scopes(request.query.get("scope", []))
    granted = {
        name: {action for action in actions if may(token, _ACTIONS[action], name, paths)}
        for name, actions in asked.items()
    }
    value = grants.issue(Grant(token.user if token else "", asked, granted))
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"token": value, "access_token": value, "expires_in": 300, "issued_at": now}
    return json_response(200, body)


def challenge(name: str | None, actions: str, insufficient: bool = False) -> str:
    """The WWW-Authenticate value that sends a client to /token for these scopes."""
    scope = f"repository:{name}:{actions}" if name else PING_SCOPE
    value = f'Bearer realm="{REALM}",service="{CONTAINER_HOST}",scope="{scope}"'
    return value + (',error="insufficient_scope"' if insufficient else "")


def authorize(grants: Grants, method: str, target: str, authorization: str | None) -> Response:
    """200 if the Bearer token may do this request; else 401 with a challenge, or 403."""
    url = urlsplit(target)
    grant = grants.find(authorization)
    match = _ROUTE.match(url.path)
    if match is None:  # the ping, the catalog: any token /token issued
        return Response(200) if grant else _unauthorized(challenge(None, "pull"))
    name = match["name"]
    action = "pull" if method in ("GET", "HEAD") else "delete" if method == "DELETE" else "push"
    wanted = "pull,push" if action == "push" else action
    if grant is None:
        return _unauthorized(challenge(name, wanted))
    if action not in grant.asked.get(name, set()):
        return _unauthorized(challenge(name, wanted, insufficient=True))
    if action not in grant.granted.get(name, set()):
        return Response(403)
    return Response(200)


def start_upload(request: Request, grants: Grants) -> Response:
    """POST …/blobs/uploads/; a mount the token may not pull from is a plain upload (202)."""
    answer = authorize(grants, request.method, request.target, request.header("Authorization"))
    if answer.status != 200:
        return _refused(answer)
    url = urlsplit(request.target)
    query = parse_qs(url.query)
    grant = grants.find(request.header("Authorization"))
    source = query.get("from", [""])[0]
    if "mount" in query and grant and "pull" not in grant.granted.get(source, set()):
        return forward(request, CONTAINER_BACKEND_PORT, url.path)
    return forward(request, CONTAINER_BACKEND_PORT)


def auth_answer(request: Request, grants: Grants) -> Response:
    """The answer to nginx's auth_request subrequest for the Container registry's host."""
    method = request.header("X-Original-Method") or "GET"
    target = request.header("X-Original-URI") or "/"
    return authorize(grants, method, target, request.header("Authorization"))


def _refused(answer: Response) -> Response:
    """The registry's 401 or 403 body for an `authorize` refusal."""
    if answer.status == 401:
        body = _error(401, "UNAUTHORIZED", UNAUTHORIZED)
        body.headers += [*answer.headers, DISTRIBUTION_HEADER]
        return body
    return registry_error(403, "DENIED", DENIED_MESSAGE)


def _unauthorized(value: str) -> Response:
    return Response(401, b"", [("WWW-Authenticate", value)])


def _error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"errors": [{"code": code, "message": message}]})
