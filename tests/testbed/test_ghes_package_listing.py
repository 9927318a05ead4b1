"""The bed's package listings and Docker-migration conflicts (testbed.ghes.package_listing),
asked of testbed.ghes.rest_api in-process over a storage tree laid out as the distribution
registry lays it out.
"""

from __future__ import annotations

import json
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from testbed.config import Switches
from testbed.ghes import rest_api
from testbed.ghes.tokens import TokenTable, generate
from testbed.ghes.wire import Request

TOKENS = generate()
TABLE = TokenTable(TOKENS)
DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


def tag(root: Path, name: str, tag_name: str, digest: str) -> None:
    """Lay a tag out as distribution's filesystem driver does."""
    link = root / "docker/registry/v2/repositories" / name / "_manifests/tags" / tag_name
    (link / "current").mkdir(parents=True)
    (link / "current/link").write_text(digest)


def ask(
    storage: Path, target: str, token: str | None = "write", switches: Switches | None = None
) -> tuple[int, Any, str]:
    headers = Message()
    headers["Host"] = "ghes.test"
    if token:
        headers["Authorization"] = f"token {TOKENS[token].value}"
    request = Request("GET", f"/api/v3{target}", headers)
    answer = rest_api.handle(request, TABLE, storage, switches or Switches())
    links = dict(answer.headers).get("Link", "")
    return answer.status, json.loads(answer.body or b"null"), links


@pytest.fixture
def storage(tmp_path: Path) -> Path:
    registry = tmp_path / "registry"
    tag(registry, "octo-org/hello-world/app", "1.0", DIGEST_A)
    tag(registry, "octo-org/hello-world/app", "latest", DIGEST_A)
    tag(registry, "octo-org/other-repo/app", "2.0", DIGEST_B)
    tag(registry, "octo-org/hello-world/web", "1.0", DIGEST_A)
    tag(registry, "octo-org/hello-world/db", "1.0", DIGEST_A)
    tag(registry, "octocat/tools/cli", "0.1", DIGEST_B)
    tag(tmp_path / "containers", "octo-org/db", "1.0", DIGEST_B)  # taken, another digest
    tag(tmp_path / "containers", "octo-org/web", "1.0", DIGEST_A)  # the same image: no clash
    return registry


def test_an_organizations_docker_packages_are_listed_as_repository_slash_image(
    storage: Path,
) -> None:
    status, body, _ = ask(storage, "/orgs/octo-org/packages?package_type=docker")
    assert status == 200
    names = sorted(package["name"] for package in body)
    assert names == ["hello-world/app", "hello-world/db", "hello-world/web", "other-repo/app"]
    app = next(package for package in body if package["name"] == "hello-world/app")
    assert app["version_count"] == 3  # its two tags and docker-base-layer
    assert app["repository"]["full_name"] == "octo-org/hello-world"
    assert app["package_type"] == "docker"


def test_with_bare_names_a_docker_package_is_its_image_and_its_versions_answer_there(
    storage: Path,
) -> None:
    """The other plausible shape (NAME_SHAPES): IMAGE alone, the repository beside it."""
    bare = Switches(docker_names_with_repository=False)
    status, body, _ = ask(storage, "/orgs/octo-org/packages?package_type=docker", switches=bare)
    assert status == 200
    web = next(package for package in body if package["repository"]["name"] == "hello-world"
               and package["name"] == "web")  # fmt: skip
    assert web["url"].endswith("/orgs/octo-org/packages/docker/web")
    status, versions, _ = ask(storage, "/orgs/octo-org/packages/docker/web/versions", switches=bare)
    assert status == 200
    assert [v["name"] for v in versions][-1] == "docker-base-layer"
    nested = "/orgs/octo-org/packages/docker/hello-world%2Fweb/versions"
    assert ask(storage, nested, switches=bare)[0] == 404
    assert ask(storage, nested)[0] == 200
    assert ask(storage, "/orgs/octo-org/packages/docker/web/versions")[0] == 404


def test_lists_end_at_ten_thousand_results(storage: Path) -> None:
    """per_page * page over 10,000 is a 400, up to it an answer (PAGE_CAP)."""
    base = "/orgs/octo-org/packages?package_type=docker&per_page=100&page="
    assert ask(storage, f"{base}100")[0] == 200
    assert ask(storage, f"{base}101")[0] == 400


def test_a_users_packages_answer_under_users_and_user_but_not_orgs(storage: Path) -> None:
    assert ask(storage, "/users/octocat/packages?package_type=docker")[1][0]["name"] == "tools/cli"
    assert ask(storage, "/user/packages?package_type=docker")[1][0]["name"] == "tools/cli"
    assert ask(storage, "/orgs/octocat/packages?package_type=docker")[0] == 404


def test_the_listing_needs_a_package_type_and_a_token_that_may_read(storage: Path) -> None:
    assert ask(storage, "/orgs/octo-org/packages")[0] == 422
    assert ask(storage, "/orgs/octo-org/packages?package_type=docker", None)[0] == 401
    assert ask(storage, "/orgs/octo-org/packages?package_type=docker", "norepo")[0] == 403


def test_the_listing_is_paged_with_a_link_header(storage: Path) -> None:
    status, body, links = ask(storage, "/orgs/octo-org/packages?package_type=docker&per_page=3")
    assert status == 200
    assert len(body) == 3
    assert 'rel="next"' in links
    assert "packages?package_type=docker&per_page=3&page=2>" in links  # the next page answers too


def test_conflicts_are_names_two_images_share_or_the_container_registry_holds_elsewhere(
    storage: Path,
) -> None:
    status, body, _ = ask(storage, "/orgs/octo-org/docker/conflicts")
    assert status == 200
    assert sorted(package["name"] for package in body) == [
        "hello-world/app",
        "hello-world/db",
        "other-repo/app",
    ]
    assert ask(storage, "/users/octocat/docker/conflicts")[1] == []
    assert ask(storage, "/user/docker/conflicts")[0] == 200
