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
  api.github.com answers it. Visibility and download counts come from a metadata file the tests
  write (set_package): the registry backend keeps neither.
- "Rate limits for the REST API" (RATE_LIMITS): a secondary rate limit answers 403 with a
  Retry-After header; the bed applies one to DELETEs closer together than `min_delete_gap`
  (metadata file; 0, the default, turns it off). Each DELETE is logged with its time
  (DELETES_LOG) so tests can see the pacing.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from testbed.config import CONTAINER_BACKEND_PORT, Paths
from testbed.ghes.tokens import DELETE, READ, REST_PACKAGES, effective_scopes

if TYPE_CHECKING:
    from testbed.ghes.rest_api import Answer, _Api

_DOCS = "https://docs.github.com/enterprise-server@3.14"
DELETING = f"{_DOCS}/packages/learn-github-packages/deleting-and-restoring-a-package"
RATE_LIMITS = f"{_DOCS}/rest/using-the-rest-api/rate-limits-for-the-rest-api"
SCOPES = {READ: ("read:packages",), DELETE: ("delete:packages", "read:packages")}
DOWNLOAD_LIMIT = 5000
METADATA = "container-packages.json"
DELETES_LOG = "container-deletes.log"
_REPOS = "docker/registry/v2/repositories"
_lock = threading.Lock()
_last_delete: dict[str, float] = {}


def set_package(
    state_dir: Path,
    full_name: str,
    *,
    visibility: str = "private",
    downloads: dict[str, int] | None = None,
    min_delete_gap: float | None = None,
) -> None:
    """Tests: OWNER/NAME's visibility and downloads by tag or digest (and the rate limit gap)."""
    path = state_dir / METADATA
    data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    data.setdefault("packages", {})[full_name.lower()] = {
        "visibility": visibility,
        "downloads": downloads or {},
    }
    if min_delete_gap is not None:
        data["min_delete_gap"] = min_delete_gap
    path.write_text(json.dumps(data))


def delete_times(state_dir: Path) -> list[float]:
    """Tests: when each DELETE of a container version arrived (seconds since the epoch)."""
    path = state_dir / DELETES_LOG
    lines = path.read_text().splitlines() if path.exists() else []
    return [float(line.split()[0]) for line in lines]


def _metadata(storage: Path) -> dict[str, Any]:
    path = storage.parent / METADATA
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


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


def _refusal(api: _Api, action: str, owner: str) -> Answer | None:
    """403 when the token may not `action` this owner's container packages (SCOPES)."""
    from testbed.ghes.rest_api import _message

    token = api.token
    assert token is not None
    if token.kind == "actions":
        own = (token.repository or "").split("/")[0].lower() == owner.lower()
        level = {"write": {READ, DELETE}, "read": {READ}}.get(token.packages, set())
        ok = own and action in level
        return None if ok else (403, _message("Resource not accessible by integration"), [])
    lacking = [scope for scope in SCOPES[action] if scope not in effective_scopes(token)]
    if not lacking:
        return None
    text = f"You need the {', '.join(SCOPES[action])} scopes; missing: {', '.join(lacking)}."
    return 403, _message(text), [("X-Accepted-OAuth-Scopes", ", ".join(SCOPES[action]))]


def versions(api: _Api, space: str, owner: str, name: str, everything: bool = False) -> Answer:
    """GET /(orgs|users)/{owner}/packages/container/{name}/versions (REST_PACKAGES)."""
    from testbed.ghes.rest_api import _message

    refusal = api.account_refusal(space, owner) or _refusal(api, READ, owner)
    if refusal is not None:
        return refusal
    full_name = f"{owner}/{name}".lower()
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
    from testbed.ghes.rest_api import _message

    status, listed, _ = versions(api, space, owner, name, everything=True)
    if status != 200 or not isinstance(listed, list):
        return status, listed, []
    found = [version for version in listed if version["id"] == int(number)]
    if not found:
        return 404, _message("Package version not found."), []
    if api.request.method != "DELETE":
        return 200, found[0], []
    answer = _delete(api, owner, f"{owner}/{name}".lower(), found[0])
    with (api.storage.parent / DELETES_LOG).open("a") as log:
        log.write(f"{time.time():.3f} {answer[0]} {owner}/{name} {number}\n")
    return answer


def _delete(api: _Api, owner: str, full_name: str, version: dict[str, Any]) -> Answer:
    """The DELETE itself: scopes, the secondary rate limit, the 5,000-downloads rule, then gone."""
    from testbed.ghes.rest_api import _message

    refusal = _refusal(api, DELETE, owner)
    if refusal is not None:
        return refusal
    metadata = _metadata(api.storage)
    gap = float(metadata.get("min_delete_gap") or 0)
    assert api.token is not None
    with _lock:
        now = time.monotonic()
        last = _last_delete.get(api.token.user)
        _last_delete[api.token.user] = now
    if gap and last is not None and now - last < gap:  # RATE_LIMITS
        text = "You have exceeded a secondary rate limit. Please wait before you try again."
        return 403, _message(text), [("Retry-After", "1")]
    package = (metadata.get("packages") or {}).get(full_name) or {}
    names = [version["name"], *version["metadata"]["container"]["tags"]]
    downloads = sum(int((package.get("downloads") or {}).get(n, 0)) for n in names)
    if package.get("visibility") == "public" and downloads > DOWNLOAD_LIMIT:  # DELETING
        text = (
            "Publicly visible package versions with more than 5000 downloads cannot be deleted. "
            "Contact GitHub support for further assistance."
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
