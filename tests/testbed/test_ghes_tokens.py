"""The bed's token rules are GitHub's: the right token passes, one scope short is refused.

Each rule names its page in testbed/ghes/tokens.py: "About permissions for GitHub Packages" (the
Docker registry), "Deleting and restoring a package", "REST API endpoints for packages" and
"Automatic token authentication" (GITHUB_TOKEN).
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest

from testbed.bed import State, Testbed
from testbed.client import BedClient, Pushed
from testbed.ghes.tokens import (
    DELETE,
    DOCKER_SCOPES,
    NAMES,
    READ,
    REST_SCOPES,
    WRITE,
    Token,
    generate,
    missing,
)

pytestmark = pytest.mark.integration

REPOSITORY = "octo-org/hello-world"


def _id(value: object) -> str:
    """A test id: the token's name, then what it lacks (`nothing` when it may)."""
    if isinstance(value, tuple):
        return "lacks-" + "+".join(value) if value else "allowed"
    return str(value)


def lacks(bed: Testbed, name: str, action: str, rest: bool = False) -> tuple[str, ...]:
    """What the bed's rule says the named token lacks for `action` on octo-org/hello-world."""
    token = Token.from_json(State.load(bed.paths).tokens[name])
    return missing(token, action, REPOSITORY, REST_SCOPES if rest else DOCKER_SCOPES)


@pytest.mark.parametrize(
    ("name", "lacking"),
    [("read", ()), ("write", ()), ("noscope", ("read:packages",))],
    ids=_id,
)
def test_pulling_needs_read_packages(
    bed_client: BedClient, tiny_image: Pushed, name: str, lacking: tuple[str, ...]
) -> None:
    answer = bed_client.get_manifest(tiny_image.name, tiny_image.tag, token=name)
    assert answer.status_code == (403 if lacking else 200)
    assert lacks(bed_client.bed, name, READ) == lacking


@pytest.mark.parametrize(
    ("name", "lacking"),
    [
        ("write", ()),
        ("norepo", ("repo",)),
        ("noscope", ("write:packages",)),
        ("read", ("write:packages", "repo")),
    ],
    ids=_id,
)
def test_pushing_needs_write_packages_and_repo(
    bed_client: BedClient, fresh_image_name: str, name: str, lacking: tuple[str, ...]
) -> None:
    answer = bed_client.request("POST", f"/v2/{fresh_image_name}/blobs/uploads/", name)
    assert answer.status_code == (403 if lacking else 202), answer.text
    assert lacks(bed_client.bed, name, WRITE) == lacking


@pytest.mark.parametrize(
    ("name", "lacking"),
    [
        ("write", ("delete:packages",)),
        ("delete-noread", ("read:packages",)),
        ("delete-norepo", ("repo",)),
        ("delete", ()),
    ],
    ids=_id,
)
def test_deleting_from_the_registry_needs_delete_read_packages_and_repo(
    bed_client: BedClient, tiny_image: Pushed, name: str, lacking: tuple[str, ...]
) -> None:
    path = f"/v2/{tiny_image.name}/manifests/{tiny_image.digest}"
    answer = bed_client.request("DELETE", path, name)
    assert answer.status_code == (403 if lacking else 202), answer.text
    assert lacks(bed_client.bed, name, DELETE) == lacking


def _versions(image: Pushed, space: str = "orgs") -> str:
    owner, repository, name = image.name.split("/")
    return f"/{space}/{owner}/packages/docker/{quote(f'{repository}/{name}', safe='')}/versions"


@pytest.mark.parametrize(
    ("name", "lacking"),
    [("readrepo", ()), ("write", ()), ("read", ("repo",)), ("noscope", ("read:packages",))],
    ids=_id,
)
def test_the_rest_api_lists_versions_with_read_packages_and_repo(
    bed_client: BedClient, tiny_image: Pushed, name: str, lacking: tuple[str, ...]
) -> None:
    answer = bed_client.api(_versions(tiny_image), name)
    assert lacks(bed_client.bed, name, READ, rest=True) == lacking
    if not lacking:
        assert answer.status_code == 200
        names = [version["name"] for version in answer.json()]
        assert names == [tiny_image.tag, "docker-base-layer"]
        return
    assert answer.status_code == 403
    assert answer.json()["message"].endswith(f"missing: {', '.join(lacking)}.")
    assert answer.headers["X-Accepted-OAuth-Scopes"] == "read:packages, repo"


@pytest.mark.parametrize(
    ("name", "lacking"),
    [
        ("write", ("delete:packages",)),
        ("delete-noread", ("read:packages",)),
        ("delete-norepo", ("repo",)),
        ("delete", ()),
    ],
    ids=_id,
)
def test_the_rest_api_deletes_with_delete_read_packages_and_repo(
    bed_client: BedClient, tiny_image: Pushed, name: str, lacking: tuple[str, ...]
) -> None:
    version, _base_layer = bed_client.api(_versions(tiny_image), "readrepo").json()
    url = f"https://{bed_client.bed.hostname}/api/v3{_versions(tiny_image)}/{version['id']}"
    headers = {"Authorization": f"token {bed_client.bed.token(name)}"}
    answer = bed_client.request("DELETE", url, None, headers=headers)
    assert lacks(bed_client.bed, name, DELETE, rest=True) == lacking
    if lacking:
        assert answer.status_code in (403, 404)  # 404: cannot even list it without read:packages
        if answer.status_code == 403:
            assert answer.json()["message"].endswith(f"missing: {', '.join(lacking)}.")
    else:
        assert answer.status_code == 204


def test_a_github_token_with_packages_write_pushes_to_its_repository_only(
    bed_client: BedClient, fresh_image_name: str
) -> None:
    own = bed_client.request("POST", f"/v2/{fresh_image_name}/blobs/uploads/", "actions")
    assert own.status_code == 202
    other = f"octo-org/other-repo/img-{uuid.uuid4().hex[:8]}"
    assert bed_client.request("POST", f"/v2/{other}/blobs/uploads/", "actions").status_code == 403
    assert lacks(bed_client.bed, "actions", WRITE) == ()


def test_a_read_only_github_token_pulls_but_cannot_push(
    bed_client: BedClient, tiny_image: Pushed
) -> None:
    """`permissions: packages: read`: pull and list yes, an upload session no."""
    pulled = bed_client.get_manifest(tiny_image.name, tiny_image.tag, token="actions-read")
    assert pulled.status_code == 200
    upload = bed_client.request("POST", f"/v2/{tiny_image.name}/blobs/uploads/", "actions-read")
    assert upload.status_code == 403
    assert lacks(bed_client.bed, "actions-read", WRITE) == ("packages: write",)
    assert bed_client.api(_versions(tiny_image), "actions-read").status_code == 200


def test_packages_of_a_user_answer_under_users_and_of_an_organization_under_orgs(
    bed_client: BedClient,
) -> None:
    """/orgs/ for a user and /users/ for an organization answer 404, as on GitHub."""
    user_image = bed_client.push(f"octocat/hello-world/img-{uuid.uuid4().hex[:10]}")
    org_image = bed_client.push(f"octo-org/hello-world/img-{uuid.uuid4().hex[:10]}")
    assert bed_client.api(_versions(user_image, "users"), "readrepo").status_code == 200
    assert bed_client.api(_versions(user_image, "orgs"), "readrepo").status_code == 404
    assert bed_client.api(_versions(org_image, "orgs"), "readrepo").status_code == 200
    assert bed_client.api(_versions(org_image, "users"), "readrepo").status_code == 404
    own = f"/user/packages/docker/{quote(user_image.name.split('/', 1)[1], safe='')}/versions"
    assert bed_client.api(own, "write").status_code == 200  # octocat's own


def test_accounts_and_repositories_say_whether_their_owner_is_a_user_or_an_organization(
    bed_client: BedClient,
) -> None:
    assert bed_client.api("/users/octocat").json()["type"] == "User"
    assert bed_client.api("/users/octo-org").json()["type"] == "Organization"
    assert bed_client.api("/orgs/octo-org").status_code == 200
    assert bed_client.api("/orgs/octocat").status_code == 404
    assert bed_client.api("/users/nobody-here").status_code == 404
    owner = bed_client.api("/repos/octocat/hello-world").json()["owner"]
    assert owner["type"] == "User"
    assert bed_client.api("/repos/nobody-here/hello-world").status_code == 404


def test_every_named_token_is_listed_for_the_command_line() -> None:
    """`python -m testbed status` lists NAMES: it must hold every token the bed makes."""
    assert tuple(generate()) == NAMES
