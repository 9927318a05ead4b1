"""The bed's REST API answers as GHES's /api/v3: scopes header, token kinds, repos, packages."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from testbed.bed import Testbed
from testbed.client import BedClient, Pushed
from testbed.ghes.package_settings import set_package

pytestmark = pytest.mark.integration

ENTERPRISE = ("X-GitHub-Enterprise-Version", "3.14.0")


def test_root_answers_without_a_token(bed_client: BedClient) -> None:
    """GET /api/v3 works anonymously and says it is GHES 3.14."""
    answer = bed_client.api("", token=None)
    assert answer.status_code == 200
    assert answer.headers[ENTERPRISE[0]] == ENTERPRISE[1]
    assert answer.json()["current_user_url"] == "https://ghes.test/api/v3/user"
    assert "X-OAuth-Scopes" not in answer.headers


@pytest.mark.parametrize(
    ("token", "scopes"),
    [
        ("write", "read:packages, write:packages, repo"),
        ("read", "read:packages"),
        ("noscope", "repo"),
        ("delete", "delete:packages, read:packages, write:packages, repo"),
    ],
)
def test_classic_tokens_show_their_scopes(bed_client: BedClient, token: str, scopes: str) -> None:
    """Every answer to a classic PAT carries X-OAuth-Scopes, comma and space separated: /user,
    and /rate_limit's 404 on a default instance (rate limits off)."""
    for path, status in (("/user", 200), ("/rate_limit", 404)):
        answer = bed_client.api(path, token=token)
        assert answer.status_code == status
        assert answer.headers["X-OAuth-Scopes"] == scopes
    assert bed_client.api("/user", token=token).json()["login"] == bed_client.bed.user(token)


def test_bearer_and_token_schemes_both_work(bed: Testbed, bed_client: BedClient) -> None:
    """`Authorization: Bearer X` is accepted as well as PyGithub's `token X`."""
    headers = {"Authorization": f"Bearer {bed.token('read')}"}
    answer = bed_client.api("/user", token=None, headers=headers)
    assert answer.status_code == 200
    assert answer.headers["X-OAuth-Scopes"] == "read:packages"


def test_actions_token_has_no_scopes_header_and_no_user(bed_client: BedClient) -> None:
    """ghs_: no X-OAuth-Scopes anywhere; /user 403 for an integration."""
    limits = bed_client.api("/repos/octo-org/hello-world", token="actions")
    assert limits.status_code == 200
    assert "X-OAuth-Scopes" not in limits.headers
    user = bed_client.api("/user", token="actions")
    assert user.status_code == 403
    assert user.json()["message"] == "Resource not accessible by integration"
    assert "X-OAuth-Scopes" not in user.headers


def test_fine_grained_token_is_accepted_without_scopes(bed_client: BedClient) -> None:
    """github_pat_: the API takes it but sends no X-OAuth-Scopes."""
    answer = bed_client.api("/user", token="finegrained")
    assert answer.status_code == 200
    assert "X-OAuth-Scopes" not in answer.headers


def test_unknown_token_is_bad_credentials(bed_client: BedClient) -> None:
    """An unknown token: 401 Bad credentials, even on the root."""
    headers = {"Authorization": "token ghp_" + "0" * 36}
    for path in ("", "/rate_limit", "/user"):
        answer = bed_client.api(path, token=None, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["message"] == "Bad credentials"


def test_repository_is_private_and_owned_by_an_organization(bed_client: BedClient) -> None:
    """GET /repos/o/r: full_name, private, html_url on this host, owner an Organization."""
    answer = bed_client.api("/repos/octo-org/hello-world")
    assert answer.status_code == 200
    body = answer.json()
    assert body["full_name"] == "octo-org/hello-world"
    assert body["name"] == "hello-world"
    assert body["private"] is True
    assert body["html_url"] == "https://ghes.test/octo-org/hello-world"
    assert body["owner"]["login"] == "octo-org"
    assert body["owner"]["type"] == "Organization"


def test_actions_token_sees_only_its_repository(bed_client: BedClient) -> None:
    """ghs_: its own repository answers 200, any other 404 Not Found."""
    assert bed_client.api("/repos/octo-org/hello-world", token="actions").status_code == 200
    other = bed_client.api("/repos/octo-org/other-repo", token="actions")
    assert other.status_code == 404
    assert other.json()["message"] == "Not Found"


def test_private_repository_needs_the_repo_scope(bed_client: BedClient) -> None:
    """A classic PAT without `repo` cannot see a private repository (404), as on GitHub."""
    assert bed_client.api("/repos/octo-org/hello-world", token="read").status_code == 404
    assert bed_client.api("/repos/octo-org/hello-world", token=None).status_code == 404


def test_package_versions_list_the_tags(bed_client: BedClient, tiny_image: Pushed) -> None:
    """GET /orgs/ORG/packages/docker/REPO%2FIMAGE/versions lists every tag."""
    bed_client.push(tiny_image.name, tag="2.0")
    owner, repository, image = tiny_image.name.split("/")
    package = quote(f"{repository}/{image}", safe="")
    answer = bed_client.api(f"/orgs/{owner}/packages/docker/{package}/versions", "readrepo")
    assert answer.status_code == 200
    versions = answer.json()
    assert [version["name"] for version in versions][-1] == "docker-base-layer"  # the oldest
    assert sorted(version["name"] for version in versions) == ["1.0", "2.0", "docker-base-layer"]
    for version in versions:
        tags = [] if version["name"] == "docker-base-layer" else [version["name"]]
        assert version["metadata"] == {"package_type": "docker", "docker": {"tag": tags}}
        assert isinstance(version["id"], int)


def test_package_versions_need_read_packages(bed_client: BedClient, tiny_image: Pushed) -> None:
    """Without read:packages: 403; an unknown package: 404; ghs_ elsewhere: 404."""
    owner, repository, image = tiny_image.name.split("/")
    path = f"/orgs/{owner}/packages/docker/{quote(f'{repository}/{image}', safe='')}/versions"
    assert bed_client.api(path, "noscope").status_code == 403
    assert bed_client.api(path, "actions").status_code == 200
    missing = f"/orgs/{owner}/packages/docker/{repository}%2Fno-such-image/versions"
    assert bed_client.api(missing, "readrepo").status_code == 404
    elsewhere = f"/orgs/{owner}/packages/docker/other-repo%2F{image}/versions"
    assert bed_client.api(elsewhere, "actions").status_code == 404


def test_api_answers_on_the_flat_host_too(bed_client: BedClient) -> None:
    """ghes-flat.test has its own /api/v3, with the same answers."""
    answer = bed_client.api("/user", host=bed_client.bed.flat_hostname)
    assert answer.status_code == 200
    assert answer.headers["X-OAuth-Scopes"] == "read:packages, write:packages, repo"


def _delete(bed_client: BedClient, path: str, token: str) -> int:
    """DELETE https://ghes.test/api/v3/PATH with `Authorization: token X`; the status."""
    url = f"https://{bed_client.bed.hostname}/api/v3{path}"
    headers = {"Authorization": f"token {bed_client.bed.token(token)}"}
    return bed_client.request("DELETE", url, None, headers=headers).status_code


def test_deleting_a_version_removes_its_tag(bed_client: BedClient, tiny_image: Pushed) -> None:
    """DELETE .../versions/{id}: delete:packages needed; 204, then the tag is gone everywhere."""
    bed_client.push(tiny_image.name, tag="2.0")
    owner, repository, image = tiny_image.name.split("/")
    base = f"/orgs/{owner}/packages/docker/{quote(f'{repository}/{image}', safe='')}/versions"
    ids = {v["name"]: v["id"] for v in bed_client.api(base, "readrepo").json()}
    one = f"{base}/{ids['1.0']}"
    assert bed_client.api(one, "readrepo").json()["name"] == "1.0"
    for token in ("write", "read", "actions-read", "delete-collaborator"):
        assert _delete(bed_client, one, token) == 403
    assert _delete(bed_client, f"{base}/1", "delete") == 404
    assert _delete(bed_client, base, "delete") == 404
    assert _delete(bed_client, one, "delete") == 204
    assert [v["name"] for v in bed_client.api(base, "readrepo").json()] == [
        "2.0",
        "docker-base-layer",
    ]
    assert bed_client.get_manifest(tiny_image.name, "1.0").status_code == 404
    assert bed_client.get_manifest(tiny_image.name, "2.0").status_code == 200
    assert _delete(bed_client, one, "delete") == 404


def test_versions_carry_their_times(bed_client: BedClient, tiny_image: Pushed) -> None:
    """created_at and updated_at are UTC timestamps, as GitHub sends them."""
    owner, repository, image = tiny_image.name.split("/")
    base = f"/orgs/{owner}/packages/docker/{quote(f'{repository}/{image}', safe='')}/versions"
    version, _base_layer = bed_client.api(base, "readrepo").json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", version["created_at"])
    assert version["updated_at"] == version["created_at"]


def test_rate_limits_are_off_by_default_and_a_switch_turns_them_on(bed: Testbed) -> None:
    """A default GHES: /rate_limit 404 "Rate limiting is not enabled."; switched on: 200."""
    client = BedClient(bed)
    off = client.api("/rate_limit", token="write")
    assert off.status_code == 404
    assert off.json()["message"] == "Rate limiting is not enabled."
    bed.configure(rate_limits=True)
    on = client.api("/rate_limit", token="write")
    assert on.status_code == 200
    assert on.json()["resources"]["core"]["limit"] == 5000
    assert on.headers["X-OAuth-Scopes"] == "read:packages, write:packages, repo"


def test_a_github_token_deletes_versions_of_its_own_repository(
    bed_client: BedClient, tiny_image: Pushed
) -> None:
    """`packages: write` publishes, installs and deletes (About permissions); read does not."""
    bed_client.push(tiny_image.name, tag="2.0")
    owner, repository, image = tiny_image.name.split("/")
    base = f"/orgs/{owner}/packages/docker/{quote(f'{repository}/{image}', safe='')}/versions"
    ids = {v["name"]: v["id"] for v in bed_client.api(base, "readrepo").json()}
    assert _delete(bed_client, f"{base}/{ids['1.0']}", "actions-read") == 403
    assert _delete(bed_client, f"{base}/{ids['1.0']}", "actions") == 204


def test_the_last_version_and_often_downloaded_public_ones_stay(
    bed: Testbed, bed_client: BedClient, tiny_image: Pushed
) -> None:
    """400 for a public version downloaded over 5,000 times, and for the last version
    (docker-base-layer counted); an admin deletes docker-base-layer while a tag is left."""
    owner, repository, image = tiny_image.name.split("/")
    base = f"/orgs/{owner}/packages/docker/{quote(f'{repository}/{image}', safe='')}/versions"
    ids = {v["name"]: v["id"] for v in bed_client.api(base, "readrepo").json()}
    set_package(bed.paths.root, tiny_image.name, visibility="public", downloads={"1.0": 5001})
    url = f"https://{bed.hostname}/api/v3{base}"
    headers = {"Authorization": f"token {bed.token('delete')}"}
    refused = bed_client.request("DELETE", f"{url}/{ids['1.0']}", None, headers=headers)
    assert refused.status_code == 400
    assert refused.json()["message"].startswith("Publicly visible package versions with more")
    assert _delete(bed_client, f"{base}/{ids['docker-base-layer']}", "delete") == 204
    set_package(bed.paths.root, tiny_image.name, downloads={})
    last = bed_client.request("DELETE", f"{url}/{ids['1.0']}", None, headers=headers)
    assert last.status_code == 400
    assert last.json()["message"] == (
        "You cannot delete the last version of a package. You must delete the package instead."
    )
