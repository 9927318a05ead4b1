"""The repository's metadata from the REST API, for the OCI labels (advisory: None if it fails).

`GET /repos/{owner}/{repo}` (https://docs.github.com/enterprise-server@3.14/rest/repos/repos#get-a-repository),
at https://HOST/api/v3 on GHES; the same call docker/metadata-action makes for its labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ghpkg.errors import GhpkgError
from ghpkg.metadata.oci_labels import Repository
from ghpkg.rest.auth import api_client
from ghpkg.settings import Remote

MAX_RETRIES = 2  # advisory: a build does not wait long for its labels


def fetch_repository(
    remote: Remote,
    full_name: str,
    warn: Callable[[str], None],
    log: Callable[[str], None] = lambda _: None,
) -> Repository | None:
    """Its name, description, page, licence and default branch; None (warned) if not read."""
    import github  # deferred: only a build asks the API

    where = f"{remote.api_url}/repos/{full_name}"
    retries = max(0, min(remote.retries, MAX_RETRIES))
    client = api_client(replace(remote, retries=retries), log)
    try:
        _headers, data = client.requester.requestJsonAndCheck("GET", f"/repos/{full_name}")
    except github.GithubException as exc:
        data, status = None, f"HTTP {exc.status}"
    except GhpkgError:  # an answer over the size cap: a hostile instance, not a missing label
        raise
    except Exception as exc:  # advisory: the labels fall back to what the workflow says
        warn(f"could not read {where} for the image's labels ({type(exc).__name__})")
        return None
    finally:
        client.close()
    if not isinstance(data, dict):
        warn(
            f"could not read {where} for the image's labels ({status}); "
            "title, url and source come from the workflow, description and licenses stay empty"
        )
        return None
    return Repository.from_api(data)
