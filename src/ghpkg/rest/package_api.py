"""Package versions through the REST API: list them, choose which go, delete them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ghpkg import tokens
from ghpkg.errors import AuthError, GhpkgError, RegistryError
from ghpkg.rest import auth
from ghpkg.retention import PackageVersion
from ghpkg.settings import Registry, Remote

__all__ = ["PackageApi", "Refused"]

PER_PAGE = 100
MAX_RESULTS = 10_000  # GitHub answers 400 past `per_page * page` = 10,000 (issue 27's reading)


class Refused(RegistryError):
    """GitHub refused to delete this one version (HTTP 400), e.g. a public one downloaded often."""


class PackageApi:
    """The versions of one package (docker or container), owned by an organization or a user.

    DELETEs go one at a time, `pause` seconds at least apart (PyGithub's seconds_between_writes;
    GitHub's "Best practices for using the REST API": mutating requests serially, a second apart);
    a 403 or 429 secondary rate limit with Retry-After is waited out by the client's retry
    (api_retry.github_retry).
    """

    def __init__(
        self,
        remote: Remote,
        owner: str,
        repository: str,
        image: str,
        action: str,
        *,
        log: Callable[[str], None] = lambda _: None,
        package_type: str = "docker",
        pause: float = 1.0,
    ) -> None:
        self.api_url = remote.api_url
        self.token = remote.token
        self.owner = owner
        self.package_type = package_type
        self.repository = repository.lower()
        self.package = f"{repository}/{image}" if package_type == "docker" else image
        # the names the REST API may give the package: a docker one REPOSITORY/IMAGE or IMAGE
        # alone (no page says which; ghpkg.rest.package_list), a container one IMAGE
        self._names = (self.package, image) if package_type == "docker" else (image,)
        self.action = action
        self._client = auth.api_client(remote, log, pause)
        self._base = ""

    @property
    def name(self) -> str:
        """OWNER/REPOSITORY/IMAGE (a container package: OWNER/IMAGE), for messages."""
        return f"{self.owner}/{self.package}"

    def close(self) -> None:
        """Close the API connection."""
        self._client.close()

    def versions(self) -> list[PackageVersion]:
        """Every version, all pages read before returning (orgs first, then users on 404)."""
        import github

        answered = False  # whether a 404 came from the API (JSON), not a web page
        for space, name in ((s, n) for s in ("orgs", "users") for n in self._names):
            encoded = quote(name, safe="")
            base = f"/{space}/{self.owner}/packages/{self.package_type}/{encoded}/versions"
            try:
                if name != self.package and not self._holds(space, name):
                    continue
                found = self._pages(base)
            except github.GithubException as exc:
                if exc.status != 404:
                    raise self._error(exc, f"listing the versions of {self.name}") from None
                answered = answered or "message" in (exc.data or {})
                continue
            self._base = base
            return found
        if not answered:
            raise RegistryError(
                f"the REST API is not at {self.api_url}",
                "HTTP 404 from a web page, not the API",
                "check --hostname (the API of a GHES instance is https://HOST/api/v3)",
                status=404,
            )
        raise RegistryError(
            f"package {self.name} was not found",
            "the REST API answered 404 for it as an organization's and as a user's package",
            "check --owner, --repository and --image, and that the token has read:packages and repo"
            if self.package_type == "docker"
            else "check --owner and --image, and that the token has read:packages",
            status=404,
        )

    def _holds(self, space: str, name: str) -> bool:
        """Whether the docker package named IMAGE alone is the one of our repository (its
        `repository`): two repositories may each hold an image of that name."""
        path = f"/{space}/{self.owner}/packages/docker/{quote(name, safe='')}"
        _headers, data = self._call("GET", path)
        listed = data.get("repository") if isinstance(data, dict) else None
        return isinstance(listed, dict) and str(listed.get("name", "")).lower() == self.repository

    def delete(self, version: PackageVersion) -> None:
        """Delete one version (after versions(), which finds where the package lives).

        Raises Refused when GitHub refuses this version (HTTP 400) and the others may go on.
        """
        import github

        if not self._base:
            raise GhpkgError("internal error: delete before versions", "", "please report it")
        try:
            self._call("DELETE", f"{self._base}/{version.id}")
        except github.GithubException as exc:
            if exc.status == 404:  # listed a moment ago: gone now, e.g. a retry after a lost 204
                return
            error = self._error(exc, f"deleting {version.label} of {self.name}")
            if exc.status == 400:
                raise Refused(error.what, error.cause, "", status=400) from None
            raise error from None

    def _pages(self, base: str) -> list[PackageVersion]:
        return [PackageVersion.from_api(item) for item in self._items(base, {})]

    def _items(self, base: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every element of a list endpoint, its pages read by PyGithub's PaginatedList."""
        import github
        from github.GithubObject import NonCompletableGithubObject
        from github.PaginatedList import PaginatedList

        class Element(NonCompletableGithubObject):
            """One element of a list, kept as the JSON the API sent (`raw_data`)."""

            def _initAttributes(self) -> None:
                pass

            def _useAttributes(self, attributes: dict[str, Any]) -> None:
                pass

        query = {**params, "per_page": PER_PAGE}
        listing = PaginatedList(Element, self._client.requester, base, query)
        items: list[dict[str, Any]] = []
        try:
            for element in listing:
                if len(items) == MAX_RESULTS:
                    raise self._too_many(base)
                if not isinstance(element.raw_data, dict):
                    raise RegistryError(
                        f"the REST API answered {base} with something other than a list",
                        str(element.raw_data)[:200],
                        "check that --hostname is a GitHub Enterprise Server",
                    )
                items.append(element.raw_data)
        except github.GithubException as exc:
            if exc.status == 400 and len(items) >= MAX_RESULTS:  # GitHub's answer past 10,000
                raise self._too_many(base) from None
            raise
        except GhpkgError:
            raise
        except Exception as exc:
            raise self._unreachable(exc) from None
        return items

    def _too_many(self, base: str) -> RegistryError:
        return RegistryError(
            f"{self.name} has more than {MAX_RESULTS} entries at {base}",
            f"the REST API lists only the first {MAX_RESULTS} (HTTP 400 past them); nothing was "
            "changed",
            "delete the oldest versions in the package's settings on GitHub first",
        )

    def _unreachable(self, exc: Exception) -> RegistryError:
        return RegistryError(
            f"could not reach the REST API at {self.api_url}",
            type(exc).__name__,
            "check the host and the network (--ca-file for a private CA)",
            temporary=True,
        )

    def _call(
        self, verb: str, url: str, params: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], Any]:
        import github

        try:
            return self._client.requester.requestJsonAndCheck(verb, url, parameters=params)
        except (github.GithubException, GhpkgError):
            raise
        except Exception as exc:
            raise self._unreachable(exc) from None

    def _error(self, exc: Any, doing: str) -> RegistryError:
        status = int(getattr(exc, "status", 0) or 0)
        data = getattr(exc, "data", None)
        message = data.get("message", "") if isinstance(data, dict) else ""
        cause = f"HTTP {status}{f' {message}' if message else ''}"
        if status in (401, 403):
            container = Registry.CONTAINER if self.package_type == "container" else Registry.DOCKER
            fix = tokens.refusal_fix(self.token, self.action, container)
            if "admin" in message:  # "Deleting and restoring a package": admin of the repository
                fix = "deleting needs admin permissions to the package's repository: ask an admin"
            return AuthError(f"the REST API refused {doing}", cause, fix, status=status)
        return RegistryError(
            f"{doing} failed",
            cause,
            "run it again" if status >= 500 else "",
            status=status,
            temporary=status >= 500,
        )
