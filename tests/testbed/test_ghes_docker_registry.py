"""The bed's registry answers as GHES's: Basic auth, token kinds and scopes, names, blobs."""

from __future__ import annotations

import base64

import pytest
import requests

from testbed.client import BedClient, Pushed, digest_of
from testbed.ghes.wire import DENIED_MESSAGE, UNAUTHORIZED_MESSAGE

pytestmark = pytest.mark.integration

OTHER_REPO = "octo-org/other-repo"


def assert_unauthorized(answer: requests.Response) -> None:
    """401 with GitHub's realm, the distribution header and the UNAUTHORIZED error body."""
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="GitHub Package Registry"'
    assert answer.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    if answer.request.method != "HEAD":
        error = {"code": "UNAUTHORIZED", "message": UNAUTHORIZED_MESSAGE}
        assert answer.json() == {"errors": [error]}


def assert_denied(answer: requests.Response) -> None:
    """403 with the distribution header and the DENIED error body."""
    assert answer.status_code == 403
    assert answer.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    assert answer.json() == {"errors": [{"code": "DENIED", "message": DENIED_MESSAGE}]}


def test_ping_without_credentials_asks_for_basic_auth(bed_client: BedClient) -> None:
    """GET /v2/ anonymous: 401 with `Basic realm="GitHub Package Registry"`."""
    assert_unauthorized(bed_client.request("GET", "/v2/", token=None))


def test_ping_with_a_good_token_and_any_username(bed_client: BedClient) -> None:
    """GET /v2/ with a valid token answers 200 {} whatever the username."""
    answer = bed_client.request("GET", "/v2/", auth=("anyone-at-all", bed_client.bed.token("read")))
    assert answer.status_code == 200
    assert answer.json() == {}
    assert answer.headers["Docker-Distribution-API-Version"] == "registry/2.0"


def test_unknown_token_is_unauthorized(bed_client: BedClient) -> None:
    """A well-formed but unknown classic PAT gets 401 on the ping and on a pull."""
    fake = "ghp_" + "a" * 36
    assert_unauthorized(bed_client.request("GET", "/v2/", token=None, auth=("octocat", fake)))
    path = "/v2/octo-org/hello-world/x/manifests/1.0"
    assert_unauthorized(bed_client.request("GET", path, token=None, auth=("octocat", fake)))


def test_fine_grained_token_is_refused_everywhere(
    bed_client: BedClient, tiny_image: Pushed
) -> None:
    """github_pat_ tokens get 401 from the registry, even to ping."""
    assert_unauthorized(bed_client.request("GET", "/v2/", token="finegrained"))
    path = f"/v2/{tiny_image.name}/manifests/{tiny_image.tag}"
    assert_unauthorized(bed_client.request("GET", path, token="finegrained"))
    assert_unauthorized(bed_client.request("HEAD", path, token="finegrained"))


def test_bearer_is_not_basic(bed_client: BedClient) -> None:
    """The registry takes Basic auth only: a Bearer header is as good as none."""
    headers = {"Authorization": f"Bearer {bed_client.bed.token('write')}"}
    assert_unauthorized(bed_client.request("GET", "/v2/", token=None, headers=headers))


@pytest.mark.parametrize(
    ("token", "pull", "push"),
    [
        ("write", 200, 202),
        ("read", 200, 403),
        ("noscope", 403, 403),
        ("delete", 200, 202),
        ("actions", 200, 202),
    ],
)
def test_scopes_decide_pull_and_push(
    bed_client: BedClient, tiny_image: Pushed, token: str, pull: int, push: int
) -> None:
    """read:packages pulls; write:packages (with repo) pushes; ghs_ does both in its repo."""
    pulled = bed_client.get_manifest(tiny_image.name, tiny_image.tag, token)
    assert pulled.status_code == pull
    started = bed_client.request("POST", f"/v2/{tiny_image.name}/blobs/uploads/", token=token)
    assert started.status_code == push
    for answer in (pulled, started):
        if answer.status_code == 403:
            assert_denied(answer)


def test_actions_token_is_bound_to_its_repository(bed_client: BedClient) -> None:
    """The ghs_ token is refused (403) on another repository, for pulls and pushes."""
    name = f"{OTHER_REPO}/img"
    other = bed_client.push(name, token="write")
    assert_denied(bed_client.get_manifest(name, other.tag, "actions"))
    assert_denied(bed_client.request("POST", f"/v2/{name}/blobs/uploads/", token="actions"))
    blob = f"/v2/{name}/blobs/{other.layer_digest}"
    assert bed_client.request("HEAD", blob, token="actions").status_code == 403


def test_actions_token_matches_its_repository_case_insensitively(bed_client: BedClient) -> None:
    """GitHub names are case-insensitive: the ghs_ token's repository compares lowercased."""
    auth = ("x", bed_client.bed.token("actions"))
    answer = bed_client.request("GET", "/v2/", token=None, auth=auth)
    assert answer.status_code == 200
    # A capitalised path is refused for its capitals, not for the token.
    path = "/v2/Octo-Org/Hello-World/img/manifests/1.0"
    refused = bed_client.request("GET", path, token="actions")
    assert refused.status_code == 400


def test_delete_needs_delete_packages(bed_client: BedClient, tiny_image: Pushed) -> None:
    """DELETE of a manifest: 403 with write:packages, accepted with delete:packages."""
    path = f"/v2/{tiny_image.name}/manifests/{tiny_image.digest}"
    assert_denied(bed_client.request("DELETE", path, token="write"))
    assert bed_client.request("DELETE", path, token="delete").status_code == 202
    gone = bed_client.get_manifest(tiny_image.name, tiny_image.tag)
    assert gone.status_code == 404


def test_blobs_stream_through_nginx_with_auth(bed_client: BedClient, tiny_image: Pushed) -> None:
    """Blob HEAD/GET go to the backend: right bytes and digest with a token, 401 without."""
    path = f"/v2/{tiny_image.name}/blobs/{tiny_image.layer_digest}"
    head = bed_client.request("HEAD", path, token="read")
    assert head.status_code == 200
    assert head.headers["Docker-Content-Digest"] == tiny_image.layer_digest
    got = bed_client.request("GET", path, token="read")
    assert got.status_code == 200
    assert digest_of(got.content) == tiny_image.layer_digest
    assert_unauthorized(bed_client.request("GET", path, token=None))
    assert_unauthorized(bed_client.request("HEAD", path, token=None))


def test_chunked_upload_reaches_the_backend(bed_client: BedClient, fresh_image_name: str) -> None:
    """POST, PATCH a chunk, PUT with the digest: the blob lands (nginx streams it through)."""
    data = b"x" * 100_000
    started = bed_client.request("POST", f"/v2/{fresh_image_name}/blobs/uploads/")
    assert started.status_code == 202
    patched = bed_client.request(
        "PATCH",
        started.headers["Location"],
        data=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert patched.status_code == 202
    done = bed_client.request(
        "PUT", patched.headers["Location"], params={"digest": digest_of(data)}
    )
    assert done.status_code == 201
    stored = bed_client.request(
        "GET", f"{bed_client.bed.backend_url}/v2/{fresh_image_name}/blobs/{digest_of(data)}"
    )
    assert stored.content == data


def test_cross_repository_mount_needs_read_on_the_source(
    bed_client: BedClient, fresh_image_name: str
) -> None:
    """?mount=&from=OTHER needs read on OTHER: 403 for the ghs_ token, 201 for a PAT."""
    source = bed_client.push(f"{OTHER_REPO}/mount-source")
    query = {"mount": source.layer_digest, "from": source.name}
    path = f"/v2/{fresh_image_name}/blobs/uploads/"
    assert_denied(bed_client.request("POST", path, token="actions", params=query))
    mounted = bed_client.request("POST", path, token="write", params=query)
    assert mounted.status_code == 201
    assert mounted.headers["Docker-Content-Digest"] == source.layer_digest


def test_catalog_is_not_supported(bed_client: BedClient) -> None:
    """GET /v2/_catalog answers 404."""
    assert bed_client.request("GET", "/v2/_catalog").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v2/Octo-Org/hello-world/img/manifests/1.0"),
        ("PUT", "/v2/octo-org/hello-world/MyImage/manifests/1.0"),
        ("POST", "/v2/octo-org/Hello-World/img/blobs/uploads/"),
        ("GET", "/v2/octo-org/hello-world/Img/tags/list"),
    ],
)
def test_capitals_in_the_name_are_refused(bed_client: BedClient, method: str, path: str) -> None:
    """A name with capitals: 400 NAME_INVALID "repository name must be lowercase"."""
    answer = bed_client.request(method, path, token="write", data=b"{}")
    assert answer.status_code == 400
    assert answer.json() == {
        "errors": [{"code": "NAME_INVALID", "message": "repository name must be lowercase"}]
    }


def test_capitals_in_a_tag_are_fine(bed_client: BedClient, fresh_image_name: str) -> None:
    """Tags may have capitals; only the name must be lowercase."""
    bed_client.push(fresh_image_name, tag="Release-1.0")
    answer = bed_client.get_manifest(fresh_image_name, "Release-1.0")
    assert answer.status_code == 200


def test_basic_header_must_decode(bed_client: BedClient) -> None:
    """A Basic header that is not base64 of user:token is unauthorized, not an error."""
    headers = {"Authorization": "Basic !!!not-base64"}
    assert_unauthorized(bed_client.request("GET", "/v2/", token=None, headers=headers))
    token_only = base64.b64encode(bed_client.bed.token("write").encode()).decode()
    headers = {"Authorization": f"Basic {token_only}"}
    assert_unauthorized(bed_client.request("GET", "/v2/", token=None, headers=headers))
