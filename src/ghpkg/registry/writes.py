"""Writing blobs: POST an upload session, one streamed PATCH (one PUT where the registry
refuses that), PUT ?digest=, then a HEAD to confirm it stuck; a session that failed is cancelled."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from ghpkg.errors import RegistryError
from ghpkg.registry.answers import short
from ghpkg.registry.blobs import blob_size
from ghpkg.registry.http import Http, with_query
from ghpkg.retry import retried

_PATCH_REFUSED = frozenset({400, 404, 405})


class Uploads:
    """The upload protocol against one registry host (it remembers a refused PATCH)."""

    def __init__(self, http: Http) -> None:
        self._http = http
        self._patch_refused = False

    def again(self, path: str, body: Callable[[], Any], digest: str, size: int) -> None:
        """Upload; after a temporary failure, start a new upload session from the first byte."""
        http = self._http
        what = f"upload of {short(digest)} to {path}"  # restarts from its first byte
        retried(
            lambda: self.once(path, body, digest, size, retry=False),
            http.retries,
            lambda attempt, exc: http.pause(attempt, exc.retry_after, what, exc),
        )

    def once(
        self,
        path: str,
        body: Callable[[], Any],
        digest: str,
        size: int | None,
        *,
        retry: bool = True,
    ) -> None:
        """One upload: a streamed PATCH and a PUT, or one PUT where PATCH is refused."""
        http = self._http
        what = f"upload of {short(digest)} to {path}"
        location = self.start(path, what, retry)
        if not self._patch_refused:
            with self._dropped_on_failure(path, location):
                response = http.call(
                    "PATCH",
                    location,
                    path=path,
                    action="push",
                    what=what,
                    ok=range(200, 500),
                    data=body(),
                    retry=False,
                    headers={"Content-Type": "application/octet-stream"},
                )
            response.close()
            if response.status_code in (202, 204):
                location = response.headers.get("Location") or location
                with self._dropped_on_failure(path, location):
                    self._finish(path, location, digest, None, what)
                self._confirm(path, digest, size, what)
                return
            if response.status_code not in _PATCH_REFUSED:
                raise http.status_error(response, what, "push")
            self.cancel(path, location)
            self._patch_refused = True
            http.log(
                f"{http.host} refused a streamed upload (HTTP {response.status_code}); "
                "sending blobs in one PUT"
            )
            location = self.start(path, what, retry)
        with self._dropped_on_failure(path, location):
            self._finish(path, location, digest, body(), what, retry=retry)
        self._confirm(path, digest, size, what)

    def cancel(self, path: str, location: str) -> None:
        """Drop an upload session (best effort)."""
        with contextlib.suppress(RegistryError):
            self._http.call(
                "DELETE",
                location,
                path=path,
                action="push",
                what="cancel upload",
                ok=range(200, 600),
                retry=False,
            ).close()

    @contextlib.contextmanager
    def _dropped_on_failure(self, path: str, location: str) -> Iterator[None]:
        """Cancel an upload session whose bytes did not all arrive: it is never resumed."""
        try:
            yield
        except RegistryError:
            self.cancel(path, location)
            raise

    def start(self, path: str, what: str, retry: bool = True) -> str:
        """POST a new upload session; its Location."""
        response = self._http.call(
            "POST",
            f"/v2/{path}/blobs/uploads/",
            path=path,
            action="push",
            what=what,
            ok=(202,),
            retry=retry,  # False inside again(), which retries the whole upload
        )
        response.close()
        location = response.headers.get("Location")
        if not location:
            raise RegistryError(f"{what} failed", "the registry gave no upload Location", "")
        return location

    def _finish(
        self, path: str, location: str, digest: str, data: Any, what: str, *, retry: bool = False
    ) -> None:
        self._http.call(
            "PUT",
            with_query(location, digest=digest),
            path=path,
            action="push",
            what=what,
            ok=(201, 204),
            data=data,
            retry=retry,
            headers={"Content-Type": "application/octet-stream"},
        ).close()

    def _confirm(self, path: str, digest: str, size: int | None, what: str) -> None:
        stored = blob_size(self._http, path, digest)
        if stored is None or (size is not None and stored not in (size, -1)):
            raise RegistryError(
                f"{what} did not stick",
                f"the registry reports {'no blob' if stored is None else f'{stored} bytes'}"
                + (f", expected {size}" if size is not None else ""),
                "run again; if it persists, report it to the site administrator",
                temporary=True,
            )
