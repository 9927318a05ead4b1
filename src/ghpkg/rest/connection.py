"""The REST API's connections: PyGithub's, each answer read with a size cap.

PyGithub reads every answer whole (`response.text`): an instance that sends an endless body
would fill the memory. Its connection classes are the one place every answer passes, and
`Requester.injectConnectionClasses` is how PyGithub lets a caller replace them; ours stream the
body and stop past `ANSWER_MAX`. `rest.auth.api_client` installs them.
"""

from __future__ import annotations

from contextlib import closing
from typing import Any

from github.Requester import (
    HTTPRequestsConnectionClass,
    HTTPSRequestsConnectionClass,
    Requester,
    RequestsResponse,
)

from ghpkg.registry.answers import capped, redact_url

# The largest answers ghpkg reads are pages of 100: a package in an owner's listing carries its
# owner and its repository (GitHub's example: about 6 KB, so 0.6 MB a page); a package version
# carries its tags (about 1 KB); a repository is about 7 KB. 4 MiB is six times the largest
# page, and the cap the registry's answers have (tag lists, manifests).
ANSWER_MAX = 4 << 20


class _Answer(RequestsResponse):
    """An answer whose body was read (at most ANSWER_MAX bytes) before PyGithub asks for it."""

    def __init__(self, response: Any, text: str) -> None:
        super().__init__(response)
        self.text = text

    def read(self) -> str:
        """The body, as PyGithub's own answer gives it."""
        return self.text


def _bounded_answer(connection: Any) -> _Answer:
    """Send the request `connection` holds (as PyGithub's getresponse does); read its answer
    up to ANSWER_MAX bytes, refusing a longer one."""
    url = f"{connection.protocol}://{connection.host}:{connection.port}{connection.url}"
    send = getattr(connection.session, connection.verb.lower())
    response = send(
        url,
        headers=connection.headers,
        data=connection.input,
        timeout=connection.timeout,
        verify=connection.verify,
        allow_redirects=False,
        stream=True,
    )
    with closing(response):
        body = capped(
            response,
            ANSWER_MAX,
            f"the REST API's answer to {connection.verb} {redact_url(url)}",
            "the instance sent more than any GitHub API answer holds",
            "check that --hostname is a GitHub Enterprise Server; if it persists, report it to "
            "the site administrator",
        )
    return _Answer(response, body.decode("utf-8", "replace"))


class BoundedHTTPS(HTTPSRequestsConnectionClass):
    """PyGithub's https connection, its answers capped."""

    def getresponse(self) -> RequestsResponse:
        """The answer, read up to ANSWER_MAX bytes."""
        return _bounded_answer(self)


class BoundedHTTP(HTTPRequestsConnectionClass):
    """PyGithub's http connection, its answers capped."""

    def getresponse(self) -> RequestsResponse:
        """The answer, read up to ANSWER_MAX bytes."""
        return _bounded_answer(self)


def install() -> None:
    """Make every PyGithub client of this process read through the bounded connections.

    Process-wide (PyGithub keeps them on its Requester class); every client ghpkg makes comes
    from `rest.auth.api_client`, which calls this.
    """
    Requester.injectConnectionClasses(BoundedHTTP, BoundedHTTPS)
