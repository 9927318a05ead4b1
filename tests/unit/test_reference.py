"""The one parser: hostnames, layouts, names and tags."""

from __future__ import annotations

import pytest

from ghpkg.errors import UsageError
from ghpkg.reference import (
    Reference,
    parse_hostname,
    parse_image_name,
    parse_isolation,
    parse_namespace,
    parse_version,
    registry_host,
    split_versions,
)

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ghes.example.com", "ghes.example.com"),
        ("https://ghes.example.com/", "ghes.example.com"),
        ("https://GHES.Example.com", "ghes.example.com"),
        ("ghes.example.com:8443", "ghes.example.com:8443"),
        ("https://ghes.example.com:8443/", "ghes.example.com:8443"),
        ("  ghes.example.com\n", "ghes.example.com"),
    ],
)
def test_hostname_is_normalised(given: str, expected: str) -> None:
    assert parse_hostname(given) == expected


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("https://ghes.example.com/octo/repo", "has a path"),
        ("ghes.example.com/api/v3", "has a path"),
        ("", "hostname is empty"),
        ("https://user:ghp_x@ghes.example.com", "credentials"),
        ("ftp://ghes.example.com", "scheme"),
        ("ghes_example.com", "not a valid host name"),
        ("ghes.example.com:99999", "invalid port"),
    ],
)
def test_bad_hostname_is_refused(given: str, words: str) -> None:
    with pytest.raises(UsageError, match=words) as caught:
        parse_hostname(given)
    assert caught.value.exit_code == 2
    assert "ghp_x" not in str(caught.value)


def test_registry_host_follows_the_layout() -> None:
    assert registry_host("ghes.example.com", True) == "docker.ghes.example.com"
    assert registry_host("ghes.example.com", False) == "ghes.example.com"
    assert registry_host("ghes.example.com:8443", True) == "docker.ghes.example.com:8443"


@pytest.mark.parametrize(("given", "expected"), [("true", True), ("FALSE", False), ("auto", None)])
def test_isolation_values(given: str, expected: bool | None) -> None:
    assert parse_isolation(given) is expected


def test_unknown_isolation_value_is_refused() -> None:
    with pytest.raises(UsageError, match="use true, false or auto"):
        parse_isolation("yes")


def test_owner_and_repository_are_lowercased() -> None:
    assert parse_namespace("Octo-Org", "owner") == "octo-org"
    assert parse_namespace("Hello.World_2", "repository") == "hello.world_2"


def test_image_name_with_capitals_shows_the_lowercase_spelling() -> None:
    with pytest.raises(UsageError) as caught:
        parse_image_name("MyApp")
    assert "capitals" in str(caught.value)
    assert "'myapp'" in str(caught.value)


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("hello@sha256:" + "a" * 64, "digest"),
        ("hello:1.0", "--image hello --version 1.0"),
        ("hello--world-", "not a valid registry name"),
        ("", "image name is empty"),
    ],
)
def test_bad_image_names(given: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        parse_image_name(given)


def test_nested_image_names_are_allowed() -> None:
    assert parse_image_name("tools/builder") == "tools/builder"


@pytest.mark.parametrize("tag", ["1.0", "latest", "v1.2.3-rc.1", "A_B", "x" * 128])
def test_valid_tags(tag: str) -> None:
    assert parse_version(tag) == tag


@pytest.mark.parametrize(
    ("tag", "words"),
    [
        ("sha256:" + "0" * 64, "is a digest"),
        ("hello@sha256:" + "0" * 64, "is a digest"),
        ("", "version is empty"),
        (".hidden", "not a valid tag"),
        ("-x", "not a valid tag"),
        ("x" * 129, "not a valid tag"),
        ("1.0 beta", "not a valid tag"),
    ],
)
def test_invalid_tags(tag: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        parse_version(tag)


def test_versions_split_on_commas_and_newlines() -> None:
    assert split_versions("1.0, latest\n1.0\n\n2") == ["1.0", "latest", "2"]


def test_reference_renders_the_full_path() -> None:
    ref = Reference("docker.ghes.example.com", "octo-org", "hello-world", "hello", "1.0")
    assert str(ref) == "docker.ghes.example.com/octo-org/hello-world/hello:1.0"
    assert ref.path == "octo-org/hello-world/hello"
    assert str(ref.with_version("2")).endswith("hello:2")


def test_parse_version_takes_an_at_digest_when_allowed() -> None:
    assert parse_version(f"@{DIGEST}", digest_ok=True) == DIGEST
    with pytest.raises(UsageError):
        parse_version("sha256:abc", digest_ok=True)


def test_reference_with_a_digest_prints_at() -> None:
    reference = Reference("containers.h", "o", "", "i", DIGEST)
    assert str(reference) == f"containers.h/o/i@{DIGEST}"
    assert str(reference.with_version("1")) == "containers.h/o/i:1"
