"""GHES's manifest quirks: digest GETs refused, schema 2 only, no foreign or oversized layers."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import requests

from testbed.bed import Testbed
from testbed.client import DOCKER_V2, BedClient, Pushed, digest_of

pytestmark = pytest.mark.integration

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"
FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"


@pytest.fixture
def manifest(bed_client: BedClient, fresh_image_name: str) -> dict[str, Any]:
    """A valid schema-2 manifest whose blobs are uploaded but which is not pushed yet."""
    return bed_client.manifest_for(fresh_image_name)


def assert_invalid(answer: requests.Response, *phrases: str) -> None:
    """400 MANIFEST_INVALID whose message holds every phrase."""
    assert answer.status_code == 400
    assert answer.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    (error,) = answer.json()["errors"]
    assert error["code"] == "MANIFEST_INVALID"
    for phrase in phrases:
        assert phrase in error["message"]


def test_tag_resolves_but_digest_gets_are_refused(
    bed_client: BedClient, tiny_image: Pushed
) -> None:
    """GET by tag gives the manifest, HEAD by tag 405; GET/HEAD by digest 404 MANIFEST_UNKNOWN."""
    by_tag = bed_client.get_manifest(tiny_image.name, tiny_image.tag)
    assert by_tag.status_code == 200
    assert by_tag.content == tiny_image.manifest
    assert by_tag.headers["Docker-Content-Digest"] == tiny_image.digest
    assert by_tag.headers["Content-Type"] == DOCKER_V2
    head = bed_client.get_manifest(tiny_image.name, tiny_image.tag, method="HEAD")
    assert head.status_code == 405  # as an on-prem GHES answered (containerd#5860)
    by_digest = bed_client.get_manifest(tiny_image.name, tiny_image.digest)
    assert by_digest.status_code == 404
    unknown = {"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}
    assert by_digest.json() == {"errors": [unknown]}
    head = bed_client.get_manifest(tiny_image.name, tiny_image.digest, method="HEAD")
    assert head.status_code == 404


def test_digest_gets_need_a_token_first(bed_client: BedClient, tiny_image: Pushed) -> None:
    """The digest 404 comes after auth: anonymous is 401, as for everything else."""
    answer = bed_client.get_manifest(tiny_image.name, tiny_image.digest, token=None)
    assert answer.status_code == 401


def test_the_backend_holds_what_was_pushed(bed: Testbed, tiny_image: Pushed) -> None:
    """The spec-following backend serves the same manifest by digest (tests may check it)."""
    url = f"{bed.backend_url}/v2/{tiny_image.name}/manifests/{tiny_image.digest}"
    answer = requests.get(url, headers={"Accept": DOCKER_V2}, timeout=10)
    assert answer.status_code == 200
    assert digest_of(answer.content) == tiny_image.digest


def test_digest_gets_can_be_allowed(
    bed: Testbed, bed_client: BedClient, tiny_image: Pushed
) -> None:
    """refuse_digest_gets=False: GET by digest answers 200 like a compliant registry."""
    bed.configure(refuse_digest_gets=False)
    answer = bed_client.get_manifest(tiny_image.name, tiny_image.digest)
    assert answer.status_code == 200
    assert answer.content == tiny_image.manifest


@pytest.mark.parametrize(
    ("media_type", "body_changes"),
    [
        (OCI_MANIFEST, {"mediaType": OCI_MANIFEST}),
        (OCI_INDEX, {"mediaType": OCI_INDEX, "manifests": []}),
        (DOCKER_LIST, {"mediaType": DOCKER_LIST, "manifests": []}),
        (SCHEMA1, {"schemaVersion": 1, "mediaType": None}),
    ],
)
def test_only_docker_schema_2_is_accepted(
    bed_client: BedClient,
    fresh_image_name: str,
    manifest: dict[str, Any],
    media_type: str,
    body_changes: dict[str, Any],
) -> None:
    """OCI manifests and indexes, manifest lists and schema 1: 400 naming the media type."""
    body = {k: v for k, v in {**manifest, **body_changes}.items() if v is not None}
    answer = bed_client.put_manifest(fresh_image_name, "1.0", body, media_type=media_type)
    assert_invalid(answer, media_type)
    assert bed_client.get_manifest(fresh_image_name, "1.0").status_code == 404


def test_body_media_type_counts_too(
    bed_client: BedClient, fresh_image_name: str, manifest: dict[str, Any]
) -> None:
    """An OCI body sent with a schema-2 Content-Type is refused for its OCI media type."""
    answer = bed_client.put_manifest(
        fresh_image_name, "1.0", {**manifest, "mediaType": OCI_MANIFEST}
    )
    assert_invalid(answer, OCI_MANIFEST)


@pytest.mark.parametrize(
    "layer_changes",
    [{"mediaType": FOREIGN}, {"urls": ["https://example.com/layer.tar.gz"]}],
    ids=["foreign-media-type", "urls"],
)
def test_foreign_layers_are_refused(
    bed_client: BedClient,
    fresh_image_name: str,
    manifest: dict[str, Any],
    layer_changes: dict[str, Any],
) -> None:
    """A Windows-style foreign layer (its media type, or urls): 400 MANIFEST_INVALID."""
    body = copy.deepcopy(manifest)
    body["layers"][0].update(layer_changes)
    answer = bed_client.put_manifest(fresh_image_name, "1.0", body)
    assert_invalid(answer, "foreign layers are not supported")


def test_layer_size_cap(
    bed: Testbed, bed_client: BedClient, fresh_image_name: str, manifest: dict[str, Any]
) -> None:
    """A layer over layer_size_limit is refused with the limit in the message; at it, accepted."""
    size = manifest["layers"][0]["size"]
    bed.configure(layer_size_limit=size - 1)
    answer = bed_client.put_manifest(fresh_image_name, "1.0", manifest)
    assert_invalid(answer, manifest["layers"][0]["digest"], str(size - 1))
    bed.configure(layer_size_limit=size)
    assert bed_client.put_manifest(fresh_image_name, "1.0", manifest).status_code == 201


def test_default_layer_cap_is_5_gb(
    bed_client: BedClient, fresh_image_name: str, manifest: dict[str, Any]
) -> None:
    """By default a layer declared one byte over 5 GB is refused."""
    body = copy.deepcopy(manifest)
    body["layers"][0]["size"] = 5 * 1024**3 + 1
    assert_invalid(bed_client.put_manifest(fresh_image_name, "1.0", body), str(5 * 1024**3))


def test_manifest_put_answers_like_the_backend(
    bed_client: BedClient, fresh_image_name: str, manifest: dict[str, Any]
) -> None:
    """An accepted PUT is relayed with Location and Docker-Content-Digest on the public host."""
    answer = bed_client.put_manifest(fresh_image_name, "2.0", manifest)
    assert answer.status_code == 201
    digest = answer.headers["Docker-Content-Digest"]
    assert digest == digest_of(json.dumps(manifest).encode())
    location = f"https://{bed_client.bed.registry_host}/v2/{fresh_image_name}/manifests/{digest}"
    assert answer.headers["Location"] == location


def test_manifest_naming_a_missing_blob_is_refused(
    bed_client: BedClient, fresh_image_name: str, manifest: dict[str, Any]
) -> None:
    """The backend's own check still applies: 400 MANIFEST_BLOB_UNKNOWN."""
    body = copy.deepcopy(manifest)
    body["layers"][0]["digest"] = digest_of(b"never uploaded")
    answer = bed_client.put_manifest(fresh_image_name, "1.0", body)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "MANIFEST_BLOB_UNKNOWN"


def test_head_by_tag_answers_when_the_405_is_switched_off(
    bed: Testbed, bed_client: BedClient, tiny_image: Pushed
) -> None:
    bed.configure(manifest_head_405=False)
    head = bed_client.get_manifest(tiny_image.name, tiny_image.tag, method="HEAD")
    assert head.status_code == 200
    assert head.headers["Docker-Content-Digest"] == tiny_image.digest


def test_a_blob_commit_can_answer_a_digest_no_client_parses(
    bed: Testbed, bed_client: BedClient, fresh_image_name: str
) -> None:
    """bad_upload_digest: the commit's Docker-Content-Digest lacks its algorithm; off: whole."""
    for bad in (True, False):
        bed.configure(bad_upload_digest=bad)
        data = f"blob {bad} {fresh_image_name}".encode()
        digest = digest_of(data)
        started = bed_client.request("POST", f"/v2/{fresh_image_name}/blobs/uploads/")
        assert started.status_code == 202
        location = started.headers["Location"]
        sep = "&" if "?" in location else "?"
        done = bed_client.request("PUT", f"{location}{sep}digest={digest}", data=data)
        assert done.status_code == 201
        expected = digest.removeprefix("sha256:") if bad else digest
        assert done.headers["Docker-Content-Digest"] == expected
