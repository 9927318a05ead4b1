"""RegistryClient against a real CNCF distribution registry (TLS with a private CA)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ghpkg.errors import RegistryError, UsageError
from ghpkg.manifest import CONFIG, LAYER_GZIP, SCHEMA2, Descriptor, build_schema2
from ghpkg.registry import RegistryClient, probe_isolation
from ghpkg.registry.blob_writer import Blob, BlobWriter
from ghpkg.secret import Secret
from tests.unit.registry_server import REGISTRY_BINARY, RawRegistry, free_port, raw_registry

pytestmark = pytest.mark.skipif(
    not REGISTRY_BINARY.exists(), reason="needs Debian's docker-registry package"
)
TOKEN = Secret("ghp_" + "a" * 36)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RawRegistry]:
    """A distribution registry for this module."""
    with raw_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


@pytest.fixture
def client(registry: RawRegistry) -> Iterator[RegistryClient]:
    """A client that trusts the registry's CA and never sleeps between retries."""
    lines: list[str] = []
    with RegistryClient(
        registry.host, "octocat", TOKEN, ca_file=registry.ca_file, log=lines.append
    ) as made:
        made.http.sleep = lambda _seconds: None
        yield made


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _blob_file(registry: RawRegistry, digest: str) -> Path:
    hexa = digest.split(":")[1]
    return registry.storage / f"docker/registry/v2/blobs/sha256/{hexa[:2]}/{hexa}/data"


def test_ping(client: RegistryClient) -> None:
    client.ping()


def test_streamed_upload_then_size_then_download(client: RegistryClient) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    digest = _digest(data)
    assert client.blob_size("o/r/stream", digest) is None
    pieces = lambda: (data[i : i + 65536] for i in range(0, len(data), 65536))  # noqa: E731
    client.upload_stream("o/r/stream", pieces, digest, len(data))
    assert client.blob_size("o/r/stream", digest) == len(data)
    chunks = list(client.open_blob("o/r/stream", digest, len(data)))
    assert b"".join(chunks) == data
    assert max(len(chunk) for chunk in chunks) <= 1 << 20


def test_upload_bytes_and_file(client: RegistryClient, tmp_path: Path) -> None:
    small = b"tiny blob"
    client.upload_stream("o/r/bytes", lambda: small, _digest(small), len(small))
    assert client.blob_size("o/r/bytes", _digest(small)) == len(small)
    file = tmp_path / "blob"
    file.write_bytes(os.urandom(2 * 1024 * 1024))
    digest = _digest(file.read_bytes())
    BlobWriter(client, "o/r/file").write(Blob.of_file(file, digest, file.stat().st_size))
    assert client.blob_size("o/r/file", digest) == file.stat().st_size


def test_upload_with_a_wrong_digest_is_refused(client: RegistryClient) -> None:
    with pytest.raises(RegistryError, match="DIGEST_INVALID") as info:
        client.upload_stream("o/r/bad", lambda: iter([b"content"]), _digest(b"other content"), 7)
    assert not info.value.temporary


def test_mount_across_repositories(client: RegistryClient) -> None:
    data = b"shared layer"
    client.upload_stream("o/r/source", lambda: data, _digest(data), len(data))
    assert client.mount_blob("o/other/target", _digest(data), "o/r/source") is True
    assert client.blob_size("o/other/target", _digest(data)) == len(data)
    missing = _digest(b"nowhere")
    assert client.mount_blob("o/other/target", missing, "o/r/source") is False


def test_manifest_by_tag_round_trip(client: RegistryClient) -> None:
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": []}}).encode()
    layer = b"layer"
    client.upload_stream("o/r/img", lambda: config, _digest(config), len(config))
    client.upload_stream("o/r/img", lambda: layer, _digest(layer), len(layer))
    manifest = build_schema2(
        Descriptor(CONFIG, len(config), _digest(config)),
        [Descriptor(LAYER_GZIP, len(layer), _digest(layer))],
    )
    digest = client.put_manifest("o/r/img", "1.0", manifest.raw, SCHEMA2)
    assert digest == manifest.digest
    raw, media_type = client.get_manifest("o/r/img", "1.0")
    assert (raw, media_type) == (manifest.raw, SCHEMA2)


def test_missing_tag_says_what_and_how_to_fix(client: RegistryClient) -> None:
    with pytest.raises(RegistryError) as info:
        client.get_manifest("o/r/img", "nope")
    error = info.value
    assert (error.status, error.temporary) == (404, False)
    assert "MANIFEST_UNKNOWN" in error.codes
    assert str(error).startswith(f"{client.host}/o/r/img:nope was not found: HTTP 404")
    assert "tags are case-sensitive" in str(error)


def test_a_digest_is_never_used_as_a_tag(client: RegistryClient) -> None:
    with pytest.raises(UsageError, match="resolves images only by tag"):
        client.get_manifest("o/r/img", "sha256:" + "0" * 64)


def test_tampered_blob_fails_while_streaming(client: RegistryClient, registry: RawRegistry) -> None:
    data = b"original content " * 1000
    digest = _digest(data)
    client.upload_stream("o/r/tamper", lambda: data, digest, len(data))
    stored = _blob_file(registry, digest)
    stored.write_bytes(b"X" + data[1:])
    with pytest.raises(RegistryError, match="does not match its manifest: its content has digest"):
        b"".join(client.open_blob("o/r/tamper", digest, len(data)))
    with pytest.raises(RegistryError, match=f"more than the {len(data) - 1} bytes"):
        b"".join(client.open_blob("o/r/tamper", digest, len(data) - 1))
    with pytest.raises(RegistryError, match=f"bytes received, the manifest names {len(data) + 1}"):
        b"".join(client.open_blob("o/r/tamper", digest, len(data) + 1))


def test_missing_blob_is_reported_when_opened(client: RegistryClient) -> None:
    with pytest.raises(RegistryError, match="is missing from"):
        client.open_blob("o/r/none", _digest(b"never uploaded"), 14)


def test_ca_file_wins_over_requests_ca_bundle(
    registry: RawRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    RegistryClient(registry.host, "u", TOKEN, ca_file=registry.ca_file).ping()


def test_untrusted_certificate_suggests_ca_file(registry: RawRegistry) -> None:
    client = RegistryClient(registry.host, "u", TOKEN, retries=0)
    with pytest.raises(RegistryError) as info:
        client.ping()
    assert not info.value.temporary
    assert str(info.value).startswith(f"TLS certificate of {registry.host} is not trusted")
    assert str(info.value).endswith("pass --ca-file with your GHES CA (PEM)")


def test_missing_ca_file_is_a_usage_error(registry: RawRegistry, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        RegistryClient(registry.host, "u", TOKEN, ca_file=tmp_path / "none.pem")


def test_probe_falls_back_to_the_host_itself(registry: RawRegistry) -> None:
    lines: list[str] = []
    assert probe_isolation(registry.host, registry.ca_file, log=lines.append) is False
    assert lines == [
        f"registry found at https://{registry.host}/v2/ (HTTP 200 with "
        "Docker-Distribution-API-Version): subdomain isolation off"
    ]


def test_probe_without_any_registry_names_both_urls() -> None:
    host = f"127.0.0.1:{free_port()}"
    with pytest.raises(RegistryError) as info:
        probe_isolation(host, None, timeout=2)
    text = str(info.value)
    assert f"https://docker.{host}/v2/" in text
    assert f"https://{host}/v2/ (Connection refused)" in text
    assert text.endswith(
        "ask the site administrator to enable GitHub Packages' Docker registry, "
        "or pass --subdomain-isolation"
    )


def test_probe_untrusted_certificate_suggests_ca_file(registry: RawRegistry) -> None:
    with pytest.raises(RegistryError, match=r"is not trusted.*--ca-file"):
        probe_isolation(registry.host, None)
