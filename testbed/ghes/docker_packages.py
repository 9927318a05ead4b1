"""The REST API's docker packages: their names, versions (tags and `docker-base-layer`), deletes.

GitHub's rules emulated here, each from its page or report:
- Names (NAME_SHAPES): no page documents how the REST API names a docker package. The bed names
  it REPOSITORY/IMAGE by default, or IMAGE alone with the switch `docker_names_with_repository`
  off (the UI shows `metrics` where the API said `reponame/metrics`:
  actions/delete-package-versions#115); a client must work with both.
- `docker-base-layer` (BASE_LAYER): the Docker registry keeps a pseudo-version of that name in
  every image's versions (werf filters it as `gitHubPackagesMetaTag`; a cleanup script keeps it
  because deleting it "triggers a bug in GitHub Packages"; actions/delete-package-versions#24
  deleted it). The bed lists it as the image's oldest version, with no tag, and a DELETE of it
  answers 204 and drops it from the list.
- Deleting a version (testbed.ghes.tokens.DELETING, "Deleting and restoring a package"):
  read:packages, delete:packages and repo, and admin permissions to the repository ("For
  packages that inherit their access permissions from repositories, you can delete a package if
  you have admin permissions to the repository"; the 403's words are the bed's); or a
  GITHUB_TOKEN of the package's repository with `packages: write` (AUTOMATIC_TOKEN: "publish,
  install, delete, and restore packages associated with the workflow repository"). A public
  version downloaded more than 5,000 times stays (400), and so does the last version: 400 "You
  cannot delete the last version of a package. You must delete the package instead."
  (LAST_VERSION), `docker-base-layer` counted, as the REST API lists it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from testbed.config import read_json, write_json
from testbed.ghes import package_settings
from testbed.ghes.container_packages import DOWNLOAD_LIMIT, LAST_VERSION, OVER_DOWNLOAD_LIMIT
from testbed.ghes.tokens import DELETE, READ, role

if TYPE_CHECKING:
    from testbed.ghes.rest_api import Answer, _Api

__all__ = ["BASE_LAYER", "LAST_VERSION", "NAME_SHAPES", "full_name"]

BASE_LAYER = "docker-base-layer"
NAME_SHAPES = "https://github.com/actions/delete-package-versions/issues/115"
DELETED_BASE_LAYERS = "deleted-base-layers.json"
_TAGS = "docker/registry/v2/repositories/{name}/_manifests/tags"
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
Tag = tuple[str, float]  # a tag and when it was last pushed


def package_name(api: _Api, repository: str, image: str) -> str:
    """The REST API's name of REPOSITORY/IMAGE under the switch in force (NAME_SHAPES)."""
    return f"{repository}/{image}" if api.switches.docker_names_with_repository else image


def full_name(api: _Api, owner: str, name: str) -> str | None:
    """OWNER/REPOSITORY/IMAGE of the package `name` of `owner`, None if there is no such package.

    With bare names, the image of that name in the owner's first repository holding one."""
    owner = owner.lower()
    if api.switches.docker_names_with_repository:
        return f"{owner}/{name}".lower() if "/" in name else None
    if "/" in name or not _NAME.fullmatch(name.lower()):
        return None
    found = sorted((api.storage / "docker/registry/v2/repositories" / owner).glob(f"*/{name}"))
    return next((f"{owner}/{p.parent.name}/{p.name}" for p in found if tags(api, _rel(p))), None)


def _rel(image_dir: Path) -> str:
    return f"{image_dir.parent.parent.name}/{image_dir.parent.name}/{image_dir.name}"


def tags(api: _Api, name: str) -> list[Tag]:
    """The backend's tags of OWNER/REPOSITORY/IMAGE, newest first, with their times."""
    parts = name.split("/")
    if len(parts) < 3 or not all(_NAME.fullmatch(part) for part in parts):
        return []
    folder = api.storage / _TAGS.format(name=name)
    links = [tag / "current" / "link" for tag in folder.glob("*")] if folder.is_dir() else []
    found = [(link.parent.parent.name, link.stat().st_mtime) for link in links if link.exists()]
    return sorted(found, key=lambda item: (-item[1], item[0]))


def _versions(api: _Api, name: str) -> list[Tag]:
    """The tags, then `docker-base-layer` as the oldest version unless it was deleted."""
    found = tags(api, name)
    if not found or name in read_json(api.storage.parent / DELETED_BASE_LAYERS):
        return found
    return [*found, (BASE_LAYER, min(created for _, created in found) - 1)]


def versions(api: _Api, space: str, owner: str, name: str, everything: bool = False) -> Answer:
    """GET /(orgs|users)/{owner}/packages/docker/{name}/versions: tags and the base layer."""
    from testbed.ghes.rest_api import _message

    refused = api.account_refusal(space, owner)
    if refused is not None or api.token is None:
        return refused or (401, _message("Requires authentication"), [])
    found_name = full_name(api, owner, name)
    repository = "/".join((found_name or f"{owner}/{name}").lower().split("/")[:2])
    refusal = api._refusal(READ, repository, "list package versions")
    if refusal is not None and api.token.kind == "classic":
        return refusal
    listed = _versions(api, found_name) if found_name else []
    if not listed or refusal is not None or found_name is None:
        return 404, _message("Package not found."), []
    base = f"/api/v3/{space}/{owner}/packages/docker/{quote(name, safe='')}/versions"
    page, links = (listed, []) if everything else api._page(listed, base)
    html = api.url(f"/{repository}/packages")
    body = [_version(found_name, tag, when, api.url(base), html) for tag, when in page]
    return 200, body, links


def one_version(api: _Api, space: str, owner: str, name: str, number: str) -> Answer:
    """GET or DELETE /(orgs|users)/{owner}/packages/docker/{name}/versions/{id}."""
    listing = versions(api, space, owner, name, everything=True)
    version, answer = api.pick(listing, number)
    package = full_name(api, owner, name)
    if version is None or package is None:
        return answer
    assert isinstance(listing[1], list)
    return _delete(api, package, version, len(listing[1]))


def _delete(api: _Api, package: str, version: dict[str, Any], count: int) -> Answer:
    """The DELETE: scopes, the admin role, the 5,000 downloads, the last version; then gone."""
    from testbed.ghes.rest_api import _message

    repository = "/".join(package.split("/")[:2])
    refusal = api._refusal(DELETE, repository, "delete package versions")
    if refusal is not None:
        return refusal
    assert api.token is not None
    if api.token.kind == "classic" and role(api.token, repository) != "admin":
        text = "You must have admin permissions to the repository to delete this package version."
        return 403, _message(text), []
    tag = str(version["name"])
    state_dir = api.storage.parent
    public = package_settings.is_public(state_dir, package)
    if public and package_settings.downloads(state_dir, package, [tag]) > DOWNLOAD_LIMIT:
        return 400, _message(OVER_DOWNLOAD_LIMIT), []
    if count == 1:  # LAST_VERSION
        text = (
            "You cannot delete the last version of a package. You must delete the package instead."
        )
        return 400, _message(text), []
    if tag == BASE_LAYER:
        deleted = read_json(state_dir / DELETED_BASE_LAYERS)
        write_json(state_dir / DELETED_BASE_LAYERS, {**deleted, package: True})
        return 204, None, []
    shutil.rmtree(api.storage / _TAGS.format(name=package) / tag, ignore_errors=True)
    return 204, None, []


def _version(name: str, tag: str, created: float, base: str, html: str) -> dict[str, object]:
    """One Docker-registry package version: a tag (none for `docker-base-layer`)."""
    from testbed.ghes.rest_api import package_version

    docker = {"package_type": "docker", "docker": {"tag": [] if tag == BASE_LAYER else [tag]}}
    return package_version(f"{name}:{tag}", tag, created, base, docker) | {"package_html_url": html}
