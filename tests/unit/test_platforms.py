"""Platforms of a multi-platform push: parsing, the tag each gets, the index of them all."""

from __future__ import annotations

import json

import pytest

from ghpkg.errors import UsageError
from ghpkg.manifest import OCI_INDEX, SCHEMA2, sha256_digest
from ghpkg.platforms import (
    Platform,
    check_tags,
    default_platform,
    engine_tags,
    image_index,
    parse_platform,
    parse_platforms,
)

AMD64 = Platform("linux", "amd64")
ARM64 = Platform("linux", "arm64")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("linux/amd64", AMD64),
        (" Linux/ARM64 ", ARM64),
        ("linux/arm64/v8", ARM64),
        ("linux/arm/v7", Platform("linux", "arm", "v7")),
    ],
)
def test_a_platform_is_read_as_buildkit_names_it(value: str, expected: Platform) -> None:
    assert parse_platform(value) == expected


@pytest.mark.parametrize("value", ["linux", "linux/", "linux/amd64/v2/x", "linux amd64", "../x"])
def test_a_malformed_platform_is_bad_input(value: str) -> None:
    with pytest.raises(UsageError, match="is not os/arch"):
        parse_platform(value)


def test_platforms_come_from_commas_and_lines_once_each_in_order() -> None:
    items = ["linux/arm64, linux/amd64", "linux/arm64\nlinux/arm/v7"]
    assert parse_platforms(items) == (ARM64, AMD64, Platform("linux", "arm", "v7"))


def test_each_platform_gets_a_tag_of_its_own() -> None:
    assert ARM64.tag("1.2.0") == "1.2.0-linux-arm64"
    assert Platform("linux", "arm", "v7").tag("latest") == "latest-linux-arm-v7"


def test_a_version_too_long_for_its_platform_tags_is_bad_input() -> None:
    check_tags(["v" * 100], [AMD64])
    with pytest.raises(UsageError, match="too long for platform tags"):
        check_tags(["v" * 120], [AMD64])


def test_the_plain_version_names_the_engines_platform_else_the_first() -> None:
    assert default_platform([ARM64, AMD64], "linux", "amd64") == AMD64
    assert default_platform([ARM64, Platform("linux", "s390x")], "linux", "amd64") == ARM64


def test_a_pull_looks_for_the_engines_platform_tag() -> None:
    assert engine_tags("1.0", "linux", "amd64") == ["1.0-linux-amd64"]
    assert engine_tags("1.0", "linux", "arm") == ["1.0-linux-arm-v7", "1.0-linux-arm-v6"]


def test_the_index_names_each_manifest_by_digest_size_and_platform() -> None:
    first, second = b'{"a":1}', b'{"b":22}'
    index = json.loads(image_index([(AMD64, first, SCHEMA2), (ARM64, second, SCHEMA2)]))
    assert index["mediaType"] == OCI_INDEX
    assert index["schemaVersion"] == 2
    assert [m["digest"] for m in index["manifests"]] == [
        sha256_digest(first),
        sha256_digest(second),
    ]
    assert [m["size"] for m in index["manifests"]] == [len(first), len(second)]
    assert index["manifests"][1]["platform"] == {"os": "linux", "architecture": "arm64"}
    assert all(m["mediaType"] == SCHEMA2 for m in index["manifests"])


def test_the_index_carries_the_images_labels_as_annotations() -> None:
    labels = {"org.opencontainers.image.source": "https://ghes.example.com/octo-org/app"}
    index = json.loads(image_index([(AMD64, b"{}", SCHEMA2)], labels))
    assert index["annotations"] == labels
    assert "annotations" not in json.loads(image_index([(AMD64, b"{}", SCHEMA2)]))
