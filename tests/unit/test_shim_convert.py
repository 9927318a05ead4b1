"""What the shim stores for a pushed manifest (ghpkg.shim.convert)."""

from __future__ import annotations

import json

import pytest

from ghpkg.errors import RegistryError
from ghpkg.manifest import CONFIG, LAYER_GZIP, OCI_INDEX, OCI_MANIFEST, SCHEMA2, sha256_digest
from ghpkg.shim.convert import for_docker_registry

CONFIG_DIGEST = "sha256:" + "c" * 64
LAYER_DIGEST = "sha256:" + "1" * 64


def oci_manifest(layer_type: str = "application/vnd.oci.image.layer.v1.tar+gzip") -> bytes:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "size": 300,
                "digest": CONFIG_DIGEST,
            },
            "layers": [{"mediaType": layer_type, "size": 1000, "digest": LAYER_DIGEST}],
            "annotations": {"org.opencontainers.image.created": "2026-11-30T00:00:00Z"},
        }
    ).encode()


def index(*entries: dict[str, object]) -> bytes:
    return json.dumps(
        {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": list(entries)}
    ).encode()


def entry(raw: bytes, os: str, arch: str, attestation: bool = False) -> dict[str, object]:
    found: dict[str, object] = {
        "mediaType": OCI_MANIFEST,
        "digest": sha256_digest(raw),
        "size": len(raw),
        "platform": {"os": os, "architecture": arch},
    }
    if attestation:
        found["annotations"] = {"vnd.docker.reference.type": "attestation-manifest"}
    return found


def nothing_held(_digest: str) -> bytes | None:
    return None


def test_a_schema2_manifest_is_stored_byte_for_byte() -> None:
    raw = json.dumps({"schemaVersion": 2, "mediaType": SCHEMA2, "config": {}, "layers": []})
    stored = for_docker_registry(raw.encode(), SCHEMA2, nothing_held)
    assert stored.raw == raw.encode()
    assert stored.note == ""


def test_an_oci_manifest_becomes_schema2_with_the_same_blobs() -> None:
    stored = for_docker_registry(oci_manifest(), OCI_MANIFEST, nothing_held)
    body = json.loads(stored.raw)
    assert body["mediaType"] == SCHEMA2
    assert body["config"] == {"mediaType": CONFIG, "size": 300, "digest": CONFIG_DIGEST}
    assert body["layers"] == [{"mediaType": LAYER_GZIP, "size": 1000, "digest": LAYER_DIGEST}]
    assert "annotations" not in body
    assert stored.note == "converted OCI to schema 2"


def test_an_index_with_attestations_is_reduced_to_its_one_image() -> None:
    image, attestation = oci_manifest(), b'{"schemaVersion": 2}'
    held = {sha256_digest(image): image}
    raw = index(entry(image, "linux", "amd64"), entry(attestation, "unknown", "unknown", True))
    stored = for_docker_registry(raw, OCI_INDEX, held.get)
    assert json.loads(stored.raw)["layers"][0]["digest"] == LAYER_DIGEST
    assert stored.note == (
        "kept the linux/amd64 image of an index, dropped 1 attestation manifest(s), "
        "converted OCI to schema 2"
    )


def test_an_index_of_two_platforms_is_refused_with_the_platforms_named() -> None:
    amd, arm = oci_manifest(), oci_manifest().replace(b"1111", b"2222")
    raw = index(entry(amd, "linux", "amd64"), entry(arm, "linux", "arm64"))
    with pytest.raises(RegistryError) as refused:
        for_docker_registry(raw, OCI_INDEX, {sha256_digest(amd): amd}.get)
    assert "an index of 2 platform images (linux/amd64, linux/arm64)" in str(refused.value)
    assert refused.value.status == 400


def test_an_index_whose_image_was_not_pushed_first_is_refused() -> None:
    raw = index(entry(oci_manifest(), "linux", "amd64"))
    with pytest.raises(RegistryError, match="was not pushed through this shim"):
        for_docker_registry(raw, OCI_INDEX, nothing_held)


@pytest.mark.parametrize(
    ("layer_type", "said"),
    [
        ("application/vnd.oci.image.layer.v1.tar+zstd", "zstd layers"),
        ("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", "foreign layers"),
    ],
)
def test_layers_the_registry_refuses_are_refused_before_the_upload_of_a_manifest(
    layer_type: str, said: str
) -> None:
    with pytest.raises(RegistryError, match=said):
        for_docker_registry(oci_manifest(layer_type), OCI_MANIFEST, nothing_held)


@pytest.mark.parametrize("raw", [b"[]", b"not json", b"[" * 100000])
def test_a_malformed_manifest_is_a_clear_error(raw: bytes) -> None:
    with pytest.raises(RegistryError, match="cannot store"):
        for_docker_registry(raw, OCI_MANIFEST, nothing_held)
