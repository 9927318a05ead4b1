"""The REST API's package listings and Docker-migration conflicts, read from the backends' storage.

- "List packages for an organization" / "List packages for a user" / "List packages for the
  authenticated user's namespace" (GHES 3.14, REST API endpoints for packages):
  `GET /orgs/{org}/packages`, `/users/{username}/packages`, `/user/packages`; `package_type` is
  required (422 without it); only packages the token may read are listed, and a docker package,
  being repository-scoped, needs read:packages and repo (testbed.ghes.tokens.REST_SCOPES); paged
  with `per_page`/`page` and a Link header. A docker package is named REPOSITORY/IMAGE, or IMAGE
  alone with the switch off (testbed.ghes.docker_packages.NAME_SHAPES); `repository` names its
  repository either way.
- "Get list of conflicting packages during Docker migration for organization" / "... for user"
  / "... for authenticated-user": `GET /orgs/{org}/docker/conflicts`, `/users/{username}/docker/
  conflicts`, `/user/docker/conflicts`: the packages GHES's own migration stopped on. GHES names a
  migrated image OWNER/IMAGE ("Migrating to the Container registry from the Docker registry"), so
  the bed lists a docker package whose OWNER/IMAGE another docker package of the owner also gets,
  or that the Container registry already holds with a tag pointing elsewhere.
"""

from __future__ import annotations

import datetime
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from testbed.ghes import docker_packages
from testbed.ghes.tokens import READ, owner_type

DOCS = "https://docs.github.com/enterprise-server@3.14/rest/packages/packages"
_REPOSITORIES = "docker/registry/v2/repositories"
Answer = tuple[int, object, list[tuple[str, str]]]


def routes(api: Any) -> list[tuple[str, Callable[..., Answer]]]:
    """The routes this module adds to testbed.ghes.rest_api's table."""
    return [
        (r"/(orgs|users)/([^/]+)/packages", lambda space, owner: listing(api, space, owner)),
        (r"/user/packages", lambda: listing(api, "users", _login(api))),
        (r"/(orgs|users)/([^/]+)/packages/docker/([^/]+)", lambda s, o, n: one(api, s, o, n)),
        (r"/(orgs|users)/([^/]+)/docker/conflicts", lambda s, o: conflicts(api, s, o)),
        (r"/user/docker/conflicts", lambda: conflicts(api, "users", _login(api))),
    ]


def _login(api: Any) -> str:
    return api.token.user if api.token is not None else ""


def _message(text: str, anchor: str = "") -> dict[str, str]:
    return {"message": text, "documentation_url": f"{DOCS}{anchor}"}


def listing(api: Any, space: str, owner: str) -> Answer:
    """GET /(orgs|users)/{owner}/packages?package_type=docker: the packages the token may read."""
    refusal: Answer | None = api.account_refusal(space, owner)
    if refusal is not None:
        return refusal
    package_type = api.request.query.get("package_type", [""])[0]
    if package_type != "docker":
        text = "Invalid argument: package_type" if package_type else "package_type is required"
        return 422, _message(text, "#list-packages-for-an-organization"), []
    owner = owner.lower()
    found = _readable(api, owner)
    if found is None:
        return api._refusal(READ, f"{owner}/-", "list packages")  # type: ignore[no-any-return]
    base = f"/api/v3/{space}/{owner}/packages"
    page, links = api._page(found, base)
    # GitHub's Link URLs keep the query they answer (package_type included)
    links = [
        (name, value.replace("?per_page=", "?package_type=docker&per_page="))
        for name, value in links
    ]
    kind = owner_type(owner)
    body = [_package(api, owner, kind, name, tags) for name, tags in page]
    return 200, body, links


Found = list[tuple[str, list[tuple[str, float]]]]  # REPOSITORY/IMAGE and its tags


def one(api: Any, space: str, owner: str, name: str) -> Answer:
    """GET /(orgs|users)/{owner}/packages/docker/{name}: one package ("Get a package for an
    organization"), named as the switch in force names it."""
    refusal: Answer | None = api.account_refusal(space, owner)
    if refusal is not None:
        return refusal
    found = docker_packages.full_name(api, owner, name)
    if found is None:
        return 404, _message("Package not found."), []
    _, repository, image = found.split("/")
    if api._refusal(READ, f"{owner.lower()}/{repository}", "get a package") is not None:
        return 404, _message("Package not found."), []
    tags = docker_packages.tags(api, found)
    if not tags:
        return 404, _message("Package not found."), []
    package = _package(api, owner.lower(), owner_type(owner), f"{repository}/{image}", tags)
    return 200, package, []


def conflicts(api: Any, space: str, owner: str) -> Answer:
    """GET /(orgs|users)/{owner}/docker/conflicts: names GHES's migration would stop on."""
    refusal: Answer | None = api.account_refusal(space, owner)
    if refusal is not None:
        return refusal
    owner = owner.lower()
    found = _readable(api, owner) or []
    images = Counter(name.split("/", 1)[1] for name, _ in found)
    kind = owner_type(owner)
    clashing = [
        (name, tags)
        for name, tags in found
        if images[name.split("/", 1)[1]] > 1 or _taken(api, owner, name, tags)
    ]
    return 200, [_package(api, owner, kind, name, tags) for name, tags in clashing], []


def _readable(api: Any, owner: str) -> Found | None:
    """REPOSITORY/IMAGE names of the owner with their tags; None if the token may read none."""
    root = Path(api.storage) / _REPOSITORIES / owner
    found = []
    refused = False
    for tags_dir in sorted(root.glob("*/*/_manifests/tags")):
        image_dir = tags_dir.parent.parent
        repository = image_dir.parent.name
        if api._refusal(READ, f"{owner}/{repository}", "list packages") is not None:
            refused = True
            continue
        tags = docker_packages.tags(api, f"{owner}/{repository}/{image_dir.name}")
        if tags:
            found.append((f"{repository}/{image_dir.name}", tags))
    return None if refused and not found else found


def _taken(api: Any, owner: str, name: str, tags: list[tuple[str, float]]) -> bool:
    """Whether the Container registry's OWNER/IMAGE holds one of these tags at another digest."""
    container = Path(api.storage).parent / "containers" / _REPOSITORIES / owner
    image = name.split("/", 1)[1]
    for tag, _ in tags:
        theirs = container / image / "_manifests/tags" / tag / "current/link"
        ours = Path(api.storage) / _REPOSITORIES / owner / name / "_manifests/tags" / tag
        if theirs.exists() and theirs.read_text() != (ours / "current/link").read_text():
            return True
    return False


def _package(
    api: Any, owner: str, kind: str | None, name: str, tags: list[tuple[str, float]]
) -> dict[str, object]:
    """One package in the REST API's shape (its name as the switch in force shapes it)."""
    repository, image = name.split("/", 1)
    shown = docker_packages.package_name(api, repository, image)
    package_id = zlib.crc32(f"{owner}/{name}".encode()) % 100_000_000 + 1
    when = max(created for _, created in tags)
    stamp = datetime.datetime.fromtimestamp(when, datetime.timezone.utc)
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": package_id,
        "name": shown,
        "package_type": "docker",
        "owner": {"login": owner, "type": kind},
        "version_count": len(tags) + 1,  # and docker-base-layer
        "visibility": "private",
        "url": api.url(
            f"/api/v3/{'orgs' if kind == 'Organization' else 'users'}/{owner}"
            f"/packages/docker/{shown.replace('/', '%2F')}"
        ),
        "html_url": api.url(f"/{owner}/{repository}/packages"),
        "repository": {"name": repository, "full_name": f"{owner}/{repository}"},
        "created_at": iso,
        "updated_at": iso,
    }
