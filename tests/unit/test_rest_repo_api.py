"""The repository's metadata for the labels: one GET through the instance's PyGithub client."""

from __future__ import annotations

import json

import pytest

from ghpkg.rest.repo_api import fetch_repository
from ghpkg.secret import Secret
from ghpkg.settings import Remote
from tests.unit.registry_fake import Answer, Fake

TOKEN = "ghp_" + "a" * 36
JSON = {"Content-Type": "application/json"}


def _remote(fake: Fake, retries: int = 0) -> Remote:
    return Remote(fake.host, "octocat", Secret(TOKEN), fake.ca_file, timeout=10, retries=retries)


def test_the_repository_is_read_from_the_api(fake: Fake) -> None:
    data = {"name": "hello", "description": "says hi", "license": {"spdx_id": "MIT"}}
    fake.answer(lambda _seen: Answer(200, JSON, json.dumps(data).encode()))
    found = fetch_repository(_remote(fake), "octo/hello", pytest.fail)
    assert found is not None
    assert (found.name, found.description, found.license) == ("hello", "says hi", "MIT")
    assert [(seen.method, seen.path) for seen in fake.seen] == [("GET", "/api/v3/repos/octo/hello")]


def test_a_refusal_is_a_warning_and_no_metadata(fake: Fake) -> None:
    fake.answer(lambda _seen: Answer(404, JSON, b'{"message": "Not Found"}'))
    warnings: list[str] = []
    assert fetch_repository(_remote(fake), "octo/hello", warnings.append) is None
    assert warnings == [
        f"could not read https://{fake.host}/api/v3/repos/octo/hello for the image's labels "
        "(HTTP 404); title, url and source come from the workflow, description and licenses "
        "stay empty"
    ]


def test_it_retries_at_most_twice(fake: Fake) -> None:
    fake.answer(lambda _seen: Answer(503))
    warnings: list[str] = []
    assert fetch_repository(_remote(fake, retries=5), "octo/hello", warnings.append) is None
    assert len(fake.seen) == 3
    assert len(warnings) == 1
