"""The REST API of the front: the parts of GHES's /api/v3 that ghpkg and its tests call.

Rate limits (RATE_LIMITS, "Rate limits for GitHub Apps", GHES 3.14): "API rate limits are
disabled by default for GitHub Enterprise Server"; such an instance answers GET /rate_limit with
404 "Rate limiting is not enabled." (actions/stale#1227 on GHES 3.15.2; janeklb/gh-search#61).
The switch `rate_limits` turns them on (then /rate_limit answers 200). X-OAuth-Scopes comes with
every answer to a classic PAT, whatever the path or status.

Lists answer 400 past their first 10,000 results (PAGE_CAP: `per_page * page` over 10,000, as
issue 27 reads GitHub's REST reference; no page we could retrieve words it, so the text is the
bed's).

Who may list and delete package versions follows "REST API endpoints for packages" (GHES 3.14,
testbed.ghes.tokens.REST_PACKAGES): read:packages (delete: also delete:packages) and, docker being a
repository-scoped type, repo. Each endpoint exists as /orgs/{org}/... for an organization and
/users/{username}/... for a user: the bed answers 404 to the form that does not fit the owner.
"""

from __future__ import annotations

import datetime
import re
import time
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from testbed.config import GHES_VERSION, Switches
from testbed.ghes import container_packages, docker_packages
from testbed.ghes.package_listing import routes as listing_routes
from testbed.ghes.repo_details import repository_details
from testbed.ghes.tokens import (
    REST_SCOPES,
    Token,
    TokenTable,
    missing,
    owner_type,
)
from testbed.ghes.wire import Request, Response, json_response

DOCS = "https://docs.github.com/enterprise-server@3.14/rest"
PAGE_CAP = 10_000
RATE_LIMITS = (
    "https://docs.github.com/enterprise-server@3.14/apps/creating-github-apps/"
    "setting-up-a-github-app/rate-limits-for-github-apps"
)
_TAGS = "docker/registry/v2/repositories/{name}/_manifests/tags"
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
Answer = tuple[int, object, list[tuple[str, str]]]
Tag = tuple[str, float]  # a tag and when it was last pushed


def handle(request: Request, tokens: TokenTable, storage: Path, switches: Switches) -> Response:
    """Answer one /api/v3 request."""
    header = request.header("Authorization")
    token = tokens.from_api_header(header)
    answer: Answer
    if header and token is None:
        answer = 401, _message("Bad credentials"), []
    elif request.method not in ("GET", "HEAD", "DELETE"):
        answer = 404, _message("Not Found"), []
    else:
        api = _Api(request, token, storage, switches)
        answer = api.route(request.path.removeprefix("/api/v3").rstrip("/") or "/")
    status, data, extra = answer
    headers = [("X-GitHub-Enterprise-Version", GHES_VERSION), ("X-GitHub-Media-Type", "github.v3")]
    if token is not None and token.kind == "classic":
        headers.append(("X-OAuth-Scopes", ", ".join(token.scopes)))
    if status == 204:
        return Response(204, b"", headers + extra)
    return json_response(status, data, headers + extra)


def _message(text: str) -> dict[str, str]:
    return {"message": text, "documentation_url": DOCS}


def _user_id(login: str) -> int:
    return zlib.crc32(login.encode()) % 10_000_000 + 1


class _Api:
    """One request's view of the API: who asks, on which host."""

    def __init__(
        self, request: Request, token: Token | None, storage: Path, switches: Switches
    ) -> None:
        self.request = request
        self.token = token
        self.storage = storage
        self.switches = switches
        self.host = request.header("Host") or "localhost"

    def route(self, path: str) -> Answer:
        """Dispatch on the path below /api/v3."""
        routes: list[tuple[str, Callable[..., Answer]]] = [
            (r"/", self.root),
            (r"/meta", self.meta),
            (r"/rate_limit", self.rate_limit),
            (r"/user", self.user),
            (r"/(users|orgs)/([^/]+)", self.account),
            (r"/repos/([^/]+)/([^/]+)", self.repository),
            (r"/(orgs|users)/([^/]+)/packages/([^/]+)/(.+)/versions", self.versions),
            (r"/(user)/packages/([^/]+)/(.+)/versions", self.own_versions),
            (r"/(orgs|users)/([^/]+)/packages/([^/]+)/(.+)/versions/(\d+)", self.one_version),
            *listing_routes(self),
        ]
        if self.request.method == "GET" and self.beyond_cap():  # PAGE_CAP
            text = f"Pagination is limited to the first {PAGE_CAP} results."
            return 400, _message(text), []
        for pattern, view in routes:
            match = re.fullmatch(pattern, path)
            if match and (self.request.method != "DELETE" or view == self.one_version):
                return view(*(unquote(group) for group in match.groups()))
        return 404, _message("Not Found"), []

    def url(self, path: str) -> str:
        """An absolute URL on this host."""
        return f"https://{self.host}{path}"

    def root(self) -> Answer:
        """GET /api/v3: the index of URLs."""
        api = self.url("/api/v3")
        return 200, {"current_user_url": f"{api}/user", "rate_limit_url": f"{api}/rate_limit"}, []

    def meta(self) -> Answer:
        """GET /meta: the installed GHES version."""
        body = {"installed_version": GHES_VERSION, "verifiable_password_authentication": True}
        return 200, body, []

    def rate_limit(self) -> Answer:
        """GET /rate_limit: 404 on a default instance (RATE_LIMITS), else the limits."""
        if not self.switches.rate_limits:
            return 404, _message("Rate limiting is not enabled."), []
        limit = 60 if self.token is None else 5000
        core = {"limit": limit, "remaining": limit, "reset": int(time.time()) + 3600, "used": 0}
        return 200, {"resources": {"core": {**core, "resource": "core"}}, "rate": core}, []

    def user(self) -> Answer:
        """GET /user: the token's owner; GITHUB_TOKEN is refused."""
        if self.token is None:
            return 401, _message("Requires authentication"), []
        if self.token.kind == "actions":
            return 403, _message("Resource not accessible by integration"), []
        login = self.token.user
        body = {"login": login, "id": _user_id(login), "type": "User", "site_admin": False,
                "html_url": self.url(f"/{login}")}  # fmt: skip
        return 200, body, []

    def account(self, space: str, login: str) -> Answer:
        """GET /users/{login} (a user or an organization) or /orgs/{org} (organizations only)."""
        kind = owner_type(login)
        if kind is None or (space == "orgs" and kind != "Organization"):
            return 404, _message("Not Found"), []
        return 200, {"login": login.lower(), "id": _user_id(login.lower()), "type": kind}, []

    def repository(self, owner: str, name: str) -> Answer:
        """GET /repos/{owner}/{repo}: each repository of a known owner exists and is private."""
        kind = owner_type(owner)
        if kind is None or not self._sees_repository(f"{owner}/{name}"):
            return 404, _message("Not Found"), []
        body = {
            "full_name": f"{owner}/{name}",
            "name": name,
            "private": True,
            "html_url": self.url(f"/{owner}/{name}"),
            "owner": {"login": owner, "type": kind, "id": _user_id(owner)},
        } | repository_details(owner, name)
        return 200, body, []

    def _sees_repository(self, full_name: str) -> bool:
        """Private repositories: a classic PAT needs `repo`, a GITHUB_TOKEN its own repository."""
        if self.token is None:
            return False
        if self.token.kind == "actions":
            return full_name.lower() == (self.token.repository or "").lower()
        return self.token.kind == "fine-grained" or "repo" in self.token.scopes

    def own_versions(self, _: str, package_type: str, name: str) -> Answer:
        """GET /user/packages/{type}/{name}/versions: the token owner's package."""
        if self.token is None:
            return 401, _message("Requires authentication"), []
        return self.versions("users", self.token.user, package_type, name)

    def account_refusal(self, space: str, owner: str) -> Answer | None:
        """401 without a token, 403 for a fine-grained one, 404 for `/orgs/` of a user or
        `/users/` of an organization (REST_PACKAGES lists each endpoint under both forms)."""
        if self.token is None:
            return 401, _message("Requires authentication"), []
        if self.token.kind == "fine-grained":
            return 403, _message("Resource not accessible by personal access token"), []
        if owner_type(owner) != ("Organization" if space == "orgs" else "User"):
            return 404, _message("Not Found"), []
        return None

    def versions(
        self, space: str, owner: str, package_type: str, name: str, everything: bool = False
    ) -> Answer:
        """GET /(orgs|users)/{owner}/packages/{type}/{name}/versions."""
        if package_type == "container":
            return container_packages.versions(self, space, owner, name, everything)
        if package_type == "docker":
            return docker_packages.versions(self, space, owner, name, everything)
        return self.account_refusal(space, owner) or (404, _message("Package not found."), [])

    def one_version(
        self, space: str, owner: str, package_type: str, name: str, number: str
    ) -> Answer:
        """GET or DELETE /(orgs|users)/{owner}/packages/{type}/{name}/versions/{id}."""
        if package_type == "container":
            return container_packages.one_version(self, space, owner, name, number)
        if package_type == "docker":
            return docker_packages.one_version(self, space, owner, name, number)
        return self.account_refusal(space, owner) or (404, _message("Package not found."), [])

    def _refusal(self, action: str, repository: str, doing: str) -> Answer | None:
        """403 when the token may not `action` the packages of `repository` (REST_SCOPES).

        Like GitHub, a classic PAT's refusal carries X-Accepted-OAuth-Scopes; the message names
        what it lacks.
        """
        assert self.token is not None
        lacking = missing(self.token, action, repository, REST_SCOPES)
        if not lacking:
            return None
        if self.token.kind == "actions":
            return 403, _message("Resource not accessible by integration"), []
        needed = REST_SCOPES[action]
        text = f"You need the {', '.join(needed)} scopes to {doing}; missing: {', '.join(lacking)}."
        return 403, _message(text), [("X-Accepted-OAuth-Scopes", ", ".join(needed))]

    def _number(self, name: str, default: int) -> int:
        """A whole-number query parameter, or its default."""
        value = self.request.query.get(name, [""])[0]
        return int(value) if value.isdigit() else default

    def pick(self, listing: Answer, number: str) -> tuple[dict[str, Any] | None, Answer]:
        """Version `number` of a whole listing when it is to be deleted; else (None, the answer:
        the listing's refusal, 404, or the version itself for a GET)."""
        status, listed, _ = listing
        if status != 200 or not isinstance(listed, list):
            return None, (status, listed, [])
        found = [version for version in listed if version["id"] == int(number)]
        if not found:
            return None, (404, _message("Package version not found."), [])
        if self.request.method != "DELETE":
            return None, (200, found[0], [])
        return found[0], (204, None, [])

    def beyond_cap(self) -> bool:
        """Whether ?per_page=&page= asks past the first 10,000 results (PAGE_CAP)."""
        per_page = max(1, min(100, self._number("per_page", 30)))
        return per_page * max(1, self._number("page", 1)) > PAGE_CAP

    def _page(self, items: list[Tag], base: str) -> tuple[list[Tag], list[tuple[str, str]]]:
        """Slice by ?page=&per_page= and give a Link header as GitHub does."""
        per_page = max(1, min(100, self._number("per_page", 30)))
        page = max(1, self._number("page", 1))
        last = max(1, -(-len(items) // per_page))
        links = []
        if page < last:
            link = self.url(f"{base}?per_page={per_page}&page=")
            links.append(("Link", f'<{link}{page + 1}>; rel="next", <{link}{last}>; rel="last"'))
        return items[(page - 1) * per_page : page * per_page], links


def package_version(
    key: str, name: str, created: float, base: str, metadata: Mapping[str, object]
) -> dict[str, object]:
    """One package version in the REST API's shape; its id is stable for its key."""
    version_id = zlib.crc32(key.encode()) % 100_000_000 + 1
    stamp = datetime.datetime.fromtimestamp(created, datetime.timezone.utc)
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": version_id,
        "name": name,
        "url": f"{base}/{version_id}",
        "created_at": when,
        "updated_at": when,
        "metadata": metadata,
    }
