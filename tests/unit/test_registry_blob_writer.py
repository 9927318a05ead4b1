"""BlobWriter: exists, mount, upload and confirm, each once; a refused mount is not asked again."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

import pytest

from ghpkg.errors import RegistryError
from ghpkg.registry.blob_writer import Blob, BlobWriter
from ghpkg.registry_transport.blobcache import BlobCache

DATA = b"layer bytes"
DIGEST = "sha256:" + hashlib.sha256(DATA).hexdigest()


class Store:
    """Blobs per repository, and every call the writer made."""

    def __init__(self, mounts: bool = True) -> None:
        self.blobs: dict[str, dict[str, bytes]] = {}
        self.calls: list[str] = []
        self.mounts = mounts

    def blob_size(self, path: str, digest: str) -> int | None:
        self.calls.append(f"HEAD {path}")
        blob = self.blobs.get(path, {}).get(digest)
        return None if blob is None else len(blob)

    def mount_blob(self, path: str, digest: str, from_path: str) -> bool:
        self.calls.append(f"MOUNT {path} from {from_path}")
        blob = self.blobs.get(from_path, {}).get(digest)
        if blob is None or not self.mounts:
            return False
        self.blobs.setdefault(path, {})[digest] = blob
        return True

    def upload_stream(
        self, path: str, opener: Callable[[], bytes | Iterable[bytes]], digest: str, size: int
    ) -> None:
        self.calls.append(f"UPLOAD {path}")  # the upload protocol confirms with its own HEAD
        self.blobs.setdefault(path, {})[digest] = _joined(opener())


def test_an_upload_is_asked_about_once_and_not_checked_again() -> None:
    store = Store()
    writer = BlobWriter(store, "o/r/app")
    assert writer.write(Blob.of_bytes(DATA, DIGEST)) == len(DATA)
    assert writer.write(Blob.of_bytes(DATA, DIGEST)) == 0
    assert store.calls == ["HEAD o/r/app", "UPLOAD o/r/app"]


def test_a_file_is_uploaded_from_its_spool(tmp_path: Path) -> None:
    spool = tmp_path / "layer.gz"
    spool.write_bytes(DATA)
    store = Store()
    assert BlobWriter(store, "o/r/app").write(Blob.of_file(spool, DIGEST, len(DATA))) == len(DATA)
    assert store.blobs["o/r/app"][DIGEST] == DATA


def test_a_mount_is_confirmed_by_one_head_and_named_in_the_log(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    cache.record_pushed("containers.h", "octo-org/sibling", [DIGEST])
    store = Store()
    store.blobs["octo-org/sibling"] = {DIGEST: DATA}
    lines: list[str] = []
    sources = partial(cache.siblings, "containers.h", "octo-org/app")
    writer = BlobWriter(store, "octo-org/app", lines.append, sources)
    assert writer.write(Blob.of_bytes(DATA, DIGEST)) == 0
    mounted = "MOUNT octo-org/app from octo-org/sibling"
    assert store.calls == ["HEAD octo-org/app", mounted, "HEAD octo-org/app"]
    assert lines == [f"blob {DIGEST[7:19]}: mounted from octo-org/sibling"]


def test_a_failed_mount_drops_the_sibling_as_a_source(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    cache.record_pushed("containers.h", "octo-org/sibling", [DIGEST])
    store = Store(mounts=False)
    sources = partial(cache.siblings, "containers.h", "octo-org/app")
    writer = BlobWriter(store, "octo-org/app", sources=sources)
    assert writer.sources(DIGEST) == ["octo-org/sibling"]
    assert writer.ensure(DIGEST, 10) is False
    assert writer.sources(DIGEST) == []  # so the next read of the image reads this layer
    assert writer.ensure(DIGEST, 10) is False
    assert sum(call.startswith("MOUNT") for call in store.calls) == 1


def test_blobs_are_mounted_only_from_repositories_of_the_same_owner(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    cache.record_pushed("docker.h", "other-org/app/img", [DIGEST])
    cache.record_pushed("docker.h", "octo-org/lib/img", [DIGEST])
    writer = BlobWriter(
        Store(), "octo-org/app/img", sources=partial(cache.siblings, "docker.h", "octo-org/app/img")
    )
    assert writer.sources(DIGEST) == ["octo-org/lib/img"]


def test_confirm_names_what_head_found() -> None:
    writer = BlobWriter(Store(), "o/r/app")
    with pytest.raises(RegistryError, match="not in o/r/app after its upload"):
        writer.confirm(DIGEST, len(DATA))


def _joined(body: bytes | Iterable[bytes]) -> bytes:
    return body if isinstance(body, bytes) else b"".join(body)
