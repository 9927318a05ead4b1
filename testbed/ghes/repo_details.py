"""What GET /repos/{owner}/{repo} says about a repository beyond its name: the fields
docker/metadata-action (and ghpkg's labels) read, as "Get a repository" documents them
(https://docs.github.com/enterprise-server@3.14/rest/repos/repos#get-a-repository):
`description` (string or null), `license` (an object with `spdx_id`, or null), `default_branch`.
"""

from __future__ import annotations

# A repository whose name starts with `bare-` has no description and no licence (both null).
BARE_PREFIX = "bare-"


def repository_details(owner: str, name: str) -> dict[str, object]:
    """The bed's answer: each repository is MIT-licensed, on `main`, described by its name."""
    if name.lower().startswith(BARE_PREFIX):
        return {"description": None, "license": None, "default_branch": "main"}
    return {
        "description": f"{owner}/{name} on the ghpkg test bed",
        "license": {"key": "mit", "name": "MIT License", "spdx_id": "MIT"},
        "default_branch": "main",
        "visibility": "private",
    }
