"""The repository's metadata from the REST API, for the OCI labels (advisory: None if it fails).

`GET /repos/{owner}/{repo}` (https://docs.github.com/enterprise-server@3.14/rest/repos/repos#get-a-repository),
at https://HOST/api/v3 on GHES; the same call docker/metadata-action makes for its labels.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from ghpkg.metadata.oci_labels import Repository
from ghpkg.registry.answers import head
from ghpkg.settings import Remote

ANSWER_MAX = 1 << 20  # a repository's JSON is a few KB
MAX_RETRIES = 2  # advisory: a build does not wait long for its labels


def fetch_repository(
    remote: Remote,
    full_name: str,
    warn: Callable[[str], None],
    log: Callable[[str], None] = lambda _: None,
) -> Repository | None:
    """Its name, description, page, licence and default branch; None (warned) if not read."""
    from requests.adapters import HTTPAdapter

    from ghpkg.registry.session import new_session
    from ghpkg.rest.retry import LoggedRetry

    session = new_session(remote.ca_file)
    retries = max(0, min(remote.retries, MAX_RETRIES))
    retry = LoggedRetry(log, total=retries, respect_retry_after_header=False)
    session.mount("https://", HTTPAdapter(max_retries=retry))
    where = f"{remote.api_url}/repos/{full_name}"
    try:
        with session:
            response = session.get(
                where,
                headers={
                    "Authorization": f"token {remote.token.reveal()}",
                    "Accept": "application/vnd.github+json",
                },
                timeout=int(remote.timeout),
                allow_redirects=False,
                stream=True,
            )
            with response:
                body = head(response, ANSWER_MAX + 1) if response.status_code == 200 else b""
            data = json.loads(body) if body and len(body) <= ANSWER_MAX else None
    except Exception as exc:  # advisory: the labels fall back to what the workflow says
        warn(f"could not read {where} for the image's labels ({type(exc).__name__})")
        return None
    if not isinstance(data, dict):
        warn(
            f"could not read {where} for the image's labels (HTTP {response.status_code}); "
            "title, url and source come from the workflow, description and licenses stay empty"
        )
        return None
    return Repository.from_api(data)
