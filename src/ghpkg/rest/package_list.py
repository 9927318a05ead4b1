"""An owner's Docker-registry packages and GHES's migration conflicts, through the REST API.

"REST API endpoints for packages" (GHES): `GET /orgs/{org}/packages?package_type=docker` and
`GET /users/{username}/packages?package_type=docker` list an owner's packages;
`GET /orgs/{org}/docker/conflicts` and `GET /users/{username}/docker/conflicts` list those
GHES's own migration stopped on. No page says how a docker package is named: REPOSITORY/IMAGE,
or IMAGE alone with its repository in `repository` (the UI shows `metrics` where the API said
`reponame/metrics`: actions/delete-package-versions#115). Both are read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ghpkg.errors import RegistryError
from ghpkg.rest.package_api import PackageApi
from ghpkg.settings import Remote


@dataclass(frozen=True)
class DockerPackage:
    """One Docker-registry package: OWNER/REPOSITORY/IMAGE as the registry names it."""

    owner: str
    repository: str
    image: str

    @property
    def path(self) -> str:
        """OWNER/REPOSITORY/IMAGE, the registry path."""
        return f"{self.owner}/{self.repository}/{self.image}"

    @classmethod
    def from_api(cls, owner: str, data: Any) -> DockerPackage | None:
        """One element of a packages list: REPOSITORY/IMAGE, or IMAGE and its `repository`;
        None when neither names both."""
        if not isinstance(data, dict):
            return None
        name = str(data.get("name") or "").lower()
        repository, _, image = name.rpartition("/")
        listed = data.get("repository")
        if not repository and isinstance(listed, dict):
            repository = str(listed.get("name") or "").lower()
        if not repository or not image or "/" in repository:
            return None
        return cls(owner.lower(), repository, image)


class PackageLister(PackageApi):
    """The docker packages of one owner (an organization, else a user) and their conflicts."""

    def __init__(
        self, remote: Remote, owner: str, *, log: Callable[[str], None] = lambda _: None
    ) -> None:
        super().__init__(remote, owner, "", "", "pull", log=log)
        self.space = ""

    def packages(self, space: str = "") -> list[DockerPackage]:
        """Every docker package of the owner; `space` orgs or users, else orgs then users."""
        import github

        for candidate in (space,) if space else ("orgs", "users"):
            try:
                listed = self._listing(f"/{candidate}/{self.owner}/packages")
            except github.GithubException as exc:
                if exc.status == 404 and not space:
                    continue
                raise self._error(exc, f"listing the docker packages of {self.owner}") from None
            self.space = candidate
            found = (DockerPackage.from_api(self.owner, item) for item in listed)
            return sorted({p for p in found if p is not None}, key=lambda p: p.path)
        raise RegistryError(
            f"no organization or user {self.owner} on the REST API",
            "GET /orgs/{org}/packages and /users/{username}/packages answered 404",
            "check --owner, and that the token has read:packages and repo",
            status=404,
        )

    def conflicts(self) -> list[str] | None:
        """REPOSITORY/IMAGE names GHES's migration stopped on (IMAGE where GHES names no
        repository); None where GHES has no such list."""
        import github

        try:
            listed = self._listing(f"/{self.space or 'orgs'}/{self.owner}/docker/conflicts")
        except github.GithubException as exc:
            if exc.status == 404:  # before GHES 3.6, or the owner never migrated
                return None
            raise self._error(exc, f"listing the docker conflicts of {self.owner}") from None
        names = set()
        for item in listed:  # GitHub's example lists bare names with no repository: kept bare
            package = DockerPackage.from_api(self.owner, item)
            bare = str(item.get("name") or "").lower()
            names.add(f"{package.repository}/{package.image}" if package else bare)
        return sorted(names - {""})

    def _listing(self, base: str) -> list[dict[str, Any]]:
        """All pages of a list endpoint (docker packages only)."""
        listed = self._items(base, {"package_type": "docker"})
        return [item for item in listed if isinstance(item, dict)]
