"""The REST API's container packages: versions listed from, and deleted in, the Container backend.

GitHub's rules emulated here, each from its page:
- "REST API endpoints for packages" (REST_PACKAGES): /orgs/{org}/packages/container/{name}/versions
  and /users/{username}/...; a version is a manifest, named by its digest, with its tags under
  metadata.container.tags (none for an untagged one, such as an image a multi-platform index
  names); listing needs read:packages, deleting read:packages and delete:packages, and the
  container type is not repository-scoped, so no `repo`.
- "Deleting and restoring a package" (DELETING): "a specific version of a public package, if the
  package version doesn't have more than 5,000 downloads"; the REST answer is HTTP 400 with
  "Publicly visible package versions with more than 5000 downloads cannot be deleted.", as
  api.github.com answers it. Visibility and download counts come from the settings the tests
  write (testbed.ghes.package_settings): the registry backend keeps neither.
- The last tagged version cannot go: HTTP 400. The REST API's refusal of a last version is seen
  in actions/delete-package-versions#231 (LAST_VERSION: "You cannot delete the last version of
  a package. You must delete the package instead."); a container package also has untagged
  versions, and it is its last *tagged* version that GitHub keeps, in words the bed makes by
  analogy ("the last tagged version").
- A GITHUB_TOKEN reaches a container package through the package's Actions access, not its
  owner (ACCESS_CONTROL, "Ensuring workflow access to your package"): listing needs any role,
  deleting the admin role (the REST API's deletes by a workflow are a beta: "The ability for
  GitHub Actions workflows to delete and restore packages using the REST API" DELETING), and a
  package a workflow created gives that workflow's repository the admin role
  (testbed.ghes.container_registry).
- "Rate limits for the REST API" (RATE_LIMITS): a secondary rate limit answers 403 with a
  Retry-After header; the bed applies one to DELETEs closer together than `min_delete_gap`
  (metadata file; 0, the default, turns it off). Each DELETE is logged with its time
  (DELETES_LOG) so tests can see the pacing.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from testbed.config import CONTAINER_BACKEND_PORT, Paths
from testbed.ghes import package_settings
from testbed.ghes.package_settings import set_package
from testbed.ghes.tokens import DELETE, READ, REST_PACKAGES, effective_scopes

if TYPE_CHECKING:
    from testbed.ghes.rest_api import Answer, _Api

_DOCS = "https://docs.github.com/enterprise-server@3.14"
DELETING = f"{_DOCS}/packages/learn-github-packages/deleting-and-restoring-a-package"
RATE_LIMITS = f"{_DOCS}/rest/using-the-rest-api/rate-limits-for-the-rest-api"
ACCESS_CONTROL = (
    f"{_DOCS}/packages/learn-github-packages/configuring-a-packages-access-control-and-visibility"
)
LAST_VERSION = "https://github.com/actions/delete-package-versions/issues/231"
SCOPES = {READ: ("read:packages",), DELETE: ("delete:packages", "read:packages")}
DOWNLOAD_LIMIT = 5000
OVER_DOWNLOAD_LIMIT = (
    "Publicly visible package versions with more than 5000 downloads cannot be deleted. "
    "Contact GitHub support for further assistance."
)
DELETES_LOG = "container-deletes.log"
_REPOS = "docker/registry/v2/repositories"
_lock = threading.Lock()
_last_delete: dict[str, float] = {}


def delete_times(state_dir: Path) -> list[float]:
    """Tests: when each DELETE of a container version arrived (seconds since the epoch)."""
    path = state_dir / DELETES_LOG
    lines = path.read_text().splitlines() if path.exists() else []
    return [float(line.split()[0]) for line in lines]


def _manifests(storage: Path, full_name: str) -> list[tuple[str, float, list[str]]]:
    """(digest, when it was pushed, its tags) of each manifest the backend holds, newest first."""
    root = Paths(storage.parent).container_storage / _REPOS / full_name / "_manifests"
    revisions = root / "revisions" / "sha256"
    tags: dict[str, list[str]] = {}
    for link in sorted((root / "tags").glob("*/current/link")):
        tags.setdefault(link.read_text().strip(), []).append(link.parent.parent.name)
    found = []
    for link in revisions.glob("*/link") if revisions.is_dir() else []:
        digest = f"sha256:{link.parent.name}"
        found.append((digest, link.stat().st_mtime, tags.get(digest, [])))
    return sorted(found, key=lambda item: (-item[1], item[0]))


def _version(full_name: str, manifest: tuple[str, float, list[str]], base: str) -> dict[str, Any]:
    """One Container-registry package version: a manifest, its tags in the metadata."""
    from testbed.ghes.rest_api import package_version

    digest, created, tags = manifest
    container = {"package_type": "container", "container": {"tags": tags}}
    return package_version(f"{full_name}@{digest}", digest, created, base, container)


ROLES = ("read", "write", "admin")


def _refusal(api: _Api, action: str, full_name: str) -> Answer | None:
    """403 when the token may not `action` this container package (SCOPES, ACCESS_CONTROL)."""
    from testbed.ghes.rest_api import _message

    token = api.token
    assert token is not None
    if token.kind == "actions":
        role = package_settings.actions_role(api.storage.parent, full_name, token.repository or "")
        level = {"write": {READ, DELETE}, "read": {READ}}.get(token.packages, set())
        ok = action in level and role in (("admin",) if action == DELETE else ROLES)
        return None if ok else (403, _message("Resource not accessible by integration"), [])
    lacking = [scope for scope in SCOPES[action] if scope not in effective_scopes(token)]
    if not lacking:
        return None
    text = f"You need the {', '.join(SCOPES[action])} scopes; missing: {', '.join(lacking)}."
    return 403, _message(text), [("X-Accepted-OAuth-Scopes", ", ".join(SCOPES[action]))]


def versions(api: _Api, space: str, owner: str, name: str, everything: bool = False) -> Answer:
    """GET /(orgs|users)/{owner}/packages/container/{name}/versions (REST_PACKAGES)."""
    from testbed.ghes.rest_api import _message

    full_name = f"{owner}/{name}".lower()
    refusal = api.account_refusal(space, owner) or _refusal(api, READ, full_name)
    if refusal is not None:
        return refusal
    found = _manifests(api.storage, full_name)
    if not found:
        return 404, _message("Package not found."), []
    base = f"/api/v3/{space}/{owner}/packages/container/{quote(name, safe='')}/versions"
    page, links = found, list[tuple[str, str]]()
    if not everything:  # api._page slices (name, time) pairs: page the indexes, then pick
        shown, links = api._page([(str(i), 0.0) for i in range(len(found))], base)
        page = [found[int(i)] for i, _ in shown]
    return 200, [_version(full_name, item, api.url(base)) for item in page], links


def one_version(api: _Api, space: str, owner: str, name: str, number: str) -> Answer:
    """GET or DELETE /(orgs|users)/{owner}/packages/container/{name}/versions/{id}."""
    listing = versions(api, space, owner, name, everything=True)
    version, answer = api.pick(listing, number)
    if version is None or not isinstance(listing[1], list):
        return answer
    answer = _delete(api, f"{owner}/{name}".lower(), version, listing[1])
    with (api.storage.parent / DELETES_LOG).open("a") as log:
        log.write(f"{time.time():.3f} {answer[0]} {owner}/{name} {number}\n")
    return answer


def _delete(
    api: _Api, full_name: str, version: dict[str, Any], listed: list[dict[str, Any]]
) -> Answer:
    """The DELETE itself: scopes, the secondary rate limit, the 5,000-downloads rule, the last
    tagged version, then gone."""
    from testbed.ghes.rest_api import _message

    refusal = _refusal(api, DELETE, full_name)
    if refusal is not None:
        return refusal
    state_dir = api.storage.parent
    gap = package_settings.min_delete_gap(state_dir)
    assert api.token is not None
    with _lock:
        now = time.monotonic()
        last = _last_delete.get(api.token.user)
        _last_delete[api.token.user] = now
    if gap and last is not None and now - last < gap:  # RATE_LIMITS
        text = "You have exceeded a secondary rate limit. Please wait before you try again."
        return 403, _message(text), [("Retry-After", "1")]
    tags = version["metadata"]["container"]["tags"]
    names = [version["name"], *tags]
    public = package_settings.is_public(state_dir, full_name)
    if public and package_settings.downloads(state_dir, full_name, names) > DOWNLOAD_LIMIT:
        return 400, _message(OVER_DOWNLOAD_LIMIT), []  # DELETING
    tagged = [v for v in listed if v["metadata"]["container"]["tags"]]
    if tags and len(tagged) == 1:  # LAST_VERSION
        text = (
            "You cannot delete the last tagged version of a package. "
            "You must delete the package instead."
        )
        return 400, _message(text), []
    url = f"http://127.0.0.1:{CONTAINER_BACKEND_PORT}/v2/{full_name}/manifests/{version['name']}"
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=30).close()
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            return 500, _message(f"the Container backend answered {exc.code}"), []
    return 204, None, []


__all__ = ["DELETING", "RATE_LIMITS", "REST_PACKAGES", "delete_times", "set_package"]
