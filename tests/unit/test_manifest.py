"""Manifests: telling an index from an image, and the image an index gives for a platform."""

from __future__ import annotations

import json

import pytest

from ghpkg.errors import RegistryError
from ghpkg.manifest import SCHEMA2, choose_platform, is_index

INDEX = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"digest": "sha256:" + "1" * 64, "platform": {"os": "linux", "architecture": "arm64"}},
            {"digest": "sha256:" + "2" * 64, "platform": {"os": "linux", "architecture": "amd64"}},
            {
                "digest": "sha256:" + "3" * 64,
                "platform": {"os": "unknown", "architecture": "unknown"},
            },
        ],
    }
).encode()


def test_an_index_gives_the_image_of_the_engine_platform() -> None:
    assert is_index(INDEX, "")
    assert not is_index(b'{"schemaVersion": 2, "config": {}, "layers": []}', SCHEMA2)
    assert choose_platform(INDEX, "linux", "amd64", "x:1") == "sha256:" + "2" * 64
    with pytest.raises(RegistryError, match="no image for linux/s390x") as caught:
        choose_platform(INDEX, "linux", "s390x", "x:1")
    assert "linux/arm64, linux/amd64, unknown/unknown" in str(caught.value)
