"""The bed's Container registry face: Bearer tokens from /token, GitHub's scope rules, OCI."""

from __future__ import annotations

import json
import socket
import uuid
from typing import Any

import pytest
import requests

from testbed.bed import Testbed
from testbed.client import digest_of, tiny_layer
from testbed.ghes.package_settings import set_package

pytestmark = pytest.mark.integration

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


class Face:
    """Plain HTTP against containers.ghes.test, as a registry client sends it."""

    def __init__(self, bed: Testbed) -> None:
        self.bed = bed

    def url(self, path: str) -> str:
        return path if "://" in path else f"https://{self.bed.container_host}{path}"

    def token_answer(self, name: str | None, scope: str) -> requests.Response:
        auth = (self.bed.user(name), self.bed.token(name)) if name else None
        params = {"service": self.bed.container_host, "scope": scope}
        return requests.get(
            self.url("/token"), params=params, auth=auth, verify=str(self.bed.ca_file), timeout=10
        )

    def token(self, name: str, scope: str) -> str:
        answer = self.token_answer(name, scope)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["token"])

    def call(self, method: str, path: str, bearer: str | None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        return requests.request(
            method,
            self.url(path),
            headers=headers,
            verify=str(self.bed.ca_file),
            timeout=30,
            **kwargs,
        )

    def upload(self, name: str, data: bytes, bearer: str) -> requests.Response:
        started = self.call("POST", f"/v2/{name}/blobs/uploads/", bearer)
        if started.status_code != 202:
            return started
        return self.call(
            "PUT",
            started.headers["Location"],
            bearer,
            params={"digest": digest_of(data)},
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )

    def push_oci(self, name: str, tag: str, bearer: str) -> bytes:
        """Push a one-layer OCI image under name:tag; return the manifest bytes."""
        layer, tar = tiny_layer(f"hello from {name}\n")
        config = json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": [digest_of(tar)]},
            }
        ).encode()
        for blob in (config, layer):
            assert self.upload(name, blob, bearer).status_code == 201
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {
                    "mediaType": OCI_CONFIG,
                    "size": len(config),
                    "digest": digest_of(config),
                },
                "layers": [
                    {"mediaType": OCI_LAYER, "size": len(layer), "digest": digest_of(layer)}
                ],
            }
        ).encode()
        put = self.call(
            "PUT",
            f"/v2/{name}/manifests/{tag}",
            bearer,
            data=manifest,
            headers={"Content-Type": OCI_MANIFEST},
        )
        assert put.status_code == 201, put.text
        return manifest


@pytest.fixture
def face(bed: Testbed) -> Face:
    return Face(bed)


@pytest.fixture
def name() -> str:
    """A fresh OWNER/IMAGE under octo-org (no repository segment on the Container registry)."""
    return f"octo-org/cimg-{uuid.uuid4().hex[:10]}"


def challenge(bed: Testbed, scope: str, insufficient: bool = False) -> str:
    value = (
        f'Bearer realm="https://{bed.container_host}/token",'
        f'service="{bed.container_host}",scope="{scope}"'
    )
    return value + (',error="insufficient_scope"' if insufficient else "")


def test_anonymous_ping_is_sent_to_the_token_service(bed: Testbed, face: Face) -> None:
    """GET /v2/ answers 401 with ghcr's Bearer challenge and the spec's error body."""
    answer = face.call("GET", "/v2/", None)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == challenge(bed, "repository:user/image:pull")
    assert answer.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    assert answer.json()["errors"][0]["code"] == "UNAUTHORIZED"


def test_a_token_for_basic_credentials_opens_the_registry(face: Face) -> None:
    """/token trades username:PAT for an opaque token; /v2/ then answers 200."""
    answer = face.token_answer("read", "repository:user/image:pull")
    assert answer.status_code == 200
    body = answer.json()
    assert body["token"] == body["access_token"]
    assert face.call("GET", "/v2/", body["token"]).status_code == 200
    assert face.call("GET", "/v2/", "not-a-token").status_code == 401


def test_fine_grained_credentials_get_no_token(face: Face) -> None:
    assert face.token_answer("finegrained", "repository:octo-org/x:pull").status_code == 401


def test_anyone_pulls_a_public_package_and_nothing_else(bed: Testbed, face: Face) -> None:
    """No credentials: a token that pulls public packages only ("can be accessed anonymously")."""
    public, private = (
        f"octo-org/public-{uuid.uuid4().hex[:8]}",
        f"octo-org/p-{uuid.uuid4().hex[:8]}",
    )
    for name in (public, private):
        face.push_oci(name, "1.0", face.token("write", f"repository:{name}:pull,push"))
    set_package(bed.paths.root, public, visibility="public")
    scope = f"repository:{public}:pull,push repository:{private}:pull"
    anonymous = face.token_answer(None, scope)
    assert anonymous.status_code == 200
    bearer = anonymous.json()["token"]
    accept = {"Accept": OCI_MANIFEST}
    pulled = face.call("GET", f"/v2/{public}/manifests/1.0", bearer, headers=accept)
    assert pulled.status_code == 200
    assert (
        face.call("GET", f"/v2/{private}/manifests/1.0", bearer, headers=accept).status_code == 403
    )
    assert face.call("POST", f"/v2/{public}/blobs/uploads/", bearer).status_code == 403
    bad = requests.get(
        face.url("/token"),
        params={"scope": f"repository:{public}:pull"},
        auth=("octocat", "ghp_" + "0" * 36),
        verify=str(bed.ca_file),
        timeout=10,
    )
    assert bad.status_code == 401


def test_a_github_token_writes_what_its_workflow_created_and_not_what_a_pat_did(
    bed: Testbed, face: Face
) -> None:
    """Per-package Actions access: a package first pushed by hand gives a workflow nothing (403,
    "permission_denied: write_package" in reports); one its workflow created it keeps writing;
    a repository granted write in the package's settings writes too."""
    by_hand = f"octo-org/by-hand-{uuid.uuid4().hex[:8]}"
    face.push_oci(by_hand, "1.0", face.token("write", f"repository:{by_hand}:pull,push"))
    refused = face.token("actions", f"repository:{by_hand}:pull,push")
    assert face.call("POST", f"/v2/{by_hand}/blobs/uploads/", refused).status_code == 403
    created = f"octo-org/by-workflow-{uuid.uuid4().hex[:8]}"
    face.push_oci(created, "1.0", face.token("actions", f"repository:{created}:pull,push"))
    face.push_oci(created, "2.0", face.token("actions", f"repository:{created}:pull,push"))
    set_package(bed.paths.root, by_hand, actions={"octo-org/hello-world": "write"})
    face.push_oci(by_hand, "2.0", face.token("actions", f"repository:{by_hand}:pull,push"))


def test_oci_image_push_and_pull_by_tag_and_digest(face: Face, name: str) -> None:
    """OCI manifests go in and come back by tag and by digest (no GHES 404 rule here)."""
    bearer = face.token("write", f"repository:{name}:pull,push")
    manifest = face.push_oci(name, "1.0", bearer)
    accept = {"Accept": OCI_MANIFEST}
    by_tag = face.call("GET", f"/v2/{name}/manifests/1.0", bearer, headers=accept)
    assert by_tag.content == manifest
    digest = digest_of(manifest)
    by_digest = face.call("GET", f"/v2/{name}/manifests/{digest}", bearer, headers=accept)
    assert by_digest.status_code == 200
    assert by_digest.headers["Docker-Content-Digest"] == digest


def test_an_oci_index_is_accepted(face: Face, name: str) -> None:
    bearer = face.token("write", f"repository:{name}:pull,push")
    manifest = face.push_oci(name, "amd64", bearer)
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": OCI_MANIFEST,
                    "size": len(manifest),
                    "digest": digest_of(manifest),
                    "platform": {"architecture": "amd64", "os": "linux"},
                }
            ],
        }
    ).encode()
    put = face.call(
        "PUT", f"/v2/{name}/manifests/1.0", bearer, data=index, headers={"Content-Type": OCI_INDEX}
    )
    assert put.status_code == 201, put.text


def test_a_token_without_the_scope_is_challenged_again(bed: Testbed, face: Face, name: str) -> None:
    """A token asked for pull, used to push: 401 naming the scope to ask for."""
    bearer = face.token("write", f"repository:{name}:pull")
    answer = face.call("POST", f"/v2/{name}/blobs/uploads/", bearer)
    assert answer.status_code == 401
    expected = challenge(bed, f"repository:{name}:pull,push", insufficient=True)
    assert answer.headers["WWW-Authenticate"] == expected


def test_read_only_pat_can_pull_but_not_push(face: Face, name: str) -> None:
    """read:packages: the token grants pull only; a push is DENIED."""
    face.push_oci(name, "1.0", face.token("write", f"repository:{name}:pull,push"))
    bearer = face.token("read", f"repository:{name}:pull,push")
    accept = {"Accept": OCI_MANIFEST}
    assert face.call("HEAD", f"/v2/{name}/manifests/1.0", bearer, headers=accept).status_code == 200
    denied = face.call("POST", f"/v2/{name}/blobs/uploads/", bearer)
    assert denied.status_code == 403
    assert denied.json()["errors"][0]["code"] == "DENIED"
    noscope = face.token("noscope", f"repository:{name}:pull")
    assert (
        face.call("HEAD", f"/v2/{name}/manifests/1.0", noscope, headers=accept).status_code == 403
    )


def test_github_token_writes_its_own_owners_packages_only(face: Face) -> None:
    """The GITHUB_TOKEN of octo-org/hello-world: any octo-org image, no other owner."""
    own = f"octo-org/actions-{uuid.uuid4().hex[:8]}"
    face.push_oci(own, "1.0", face.token("actions", f"repository:{own}:pull,push"))
    other = f"other-org/actions-{uuid.uuid4().hex[:8]}"
    bearer = face.token("actions", f"repository:{other}:pull,push")
    assert face.call("POST", f"/v2/{other}/blobs/uploads/", bearer).status_code == 403


def test_a_pat_without_repo_pushes_here_as_permissions_are_granular(face: Face, name: str) -> None:
    """The Container registry's permissions are per package: `repo` is not asked for."""
    face.push_oci(name, "1.0", face.token("norepo", f"repository:{name}:pull,push"))
    bearer = face.token("norepo", f"repository:{name}:pull")
    accept = {"Accept": OCI_MANIFEST}
    assert face.call("HEAD", f"/v2/{name}/manifests/1.0", bearer, headers=accept).status_code == 200


def test_a_read_only_github_token_pulls_but_does_not_push(bed: Testbed, face: Face) -> None:
    """`permissions: packages: read`: packages its repository has Actions access to, to read."""
    own = f"octo-org/actions-read-{uuid.uuid4().hex[:8]}"
    face.push_oci(own, "1.0", face.token("write", f"repository:{own}:pull,push"))
    set_package(bed.paths.root, own, actions={"octo-org/hello-world": "write"})
    bearer = face.token("actions-read", f"repository:{own}:pull,push")
    accept = {"Accept": OCI_MANIFEST}
    assert face.call("HEAD", f"/v2/{own}/manifests/1.0", bearer, headers=accept).status_code == 200
    assert face.call("POST", f"/v2/{own}/blobs/uploads/", bearer).status_code == 403


def test_container_storage_is_apart_from_the_docker_registry(
    bed: Testbed, face: Face, name: str
) -> None:
    face.push_oci(name, "1.0", face.token("write", f"repository:{name}:pull,push"))
    own = requests.get(f"{bed.container_backend_url}/v2/{name}/tags/list", timeout=10)
    assert own.json()["tags"] == ["1.0"]
    docker = requests.get(f"{bed.backend_url}/v2/{name}/tags/list", timeout=10)
    assert docker.status_code == 404


def test_the_container_registry_can_be_switched_off(bed: Testbed, face: Face) -> None:
    """container_registry=False: containers.ghes.test is a web 404, as a disabled one would be."""
    bed.configure(container_registry=False)
    answer = face.call("GET", "/v2/", None)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("text/html")


def test_the_face_does_not_follow_the_isolation_switch(bed: Testbed, face: Face) -> None:
    """Tests that flip subdomain_isolation must not break Container registry tests running."""
    bed.configure(subdomain_isolation=False)
    assert face.call("GET", "/v2/", None).status_code == 401


def test_the_flat_instance_has_no_container_host() -> None:
    """ghes-flat.test never has subdomain isolation, so containers.ghes-flat.test has no name."""
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("containers.ghes-flat.test", 443)


def test_a_mount_needs_pull_on_its_source_else_it_is_an_upload(face: Face, name: str) -> None:
    """Mount from a repository the token was granted pull on: 201; otherwise a 202 session."""
    source = f"{name}-src"
    bearer = face.token("write", f"repository:{source}:pull,push")
    layer = json.loads(face.push_oci(source, "1.0", bearer))["layers"][0]["digest"]
    query = {"mount": layer, "from": source}
    narrow = face.token("write", f"repository:{name}:pull,push")
    started = face.call("POST", f"/v2/{name}/blobs/uploads/", narrow, params=query)
    assert started.status_code == 202
    assert face.call("HEAD", f"/v2/{name}/blobs/{layer}", narrow).status_code == 404
    both = face.token("write", f"repository:{name}:pull,push repository:{source}:pull")
    mounted = face.call("POST", f"/v2/{name}/blobs/uploads/", both, params=query)
    assert mounted.status_code == 201
    assert face.call("HEAD", f"/v2/{name}/blobs/{layer}", both).status_code == 200
