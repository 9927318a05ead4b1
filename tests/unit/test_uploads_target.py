"""Target: a blob no sibling would lend is read from the engine, not promised again."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from ghpkg.blobcache import BlobCache
from ghpkg.uploads import Target

DIGEST = "sha256:" + "ab" * 32


class RefusingRegistry:
    """A registry that has no blob here and never mounts (ghcr without the source's scope)."""

    def __init__(self) -> None:
        self.mounts = 0

    def blob_size(self, path: str, digest: str) -> int | None:
        return None

    def mount_blob(self, path: str, digest: str, from_path: str) -> bool:
        self.mounts += 1
        return False

    def open_blob(self, path: str, digest: str, size: int | None = None) -> Iterator[bytes]:
        raise AssertionError("not used")

    def upload_blob(
        self, path: str, chunks: Iterable[bytes] | bytes, digest: str, size: int | None = None
    ) -> None:
        raise AssertionError("not used")

    def upload_file(self, path: str, file: Path, digest: str, size: int) -> None:
        raise AssertionError("not used")

    def put_manifest(self, path: str, tag: str, raw: bytes, media_type: str) -> str:
        raise AssertionError("not used")


def test_a_failed_mount_drops_the_sibling_as_a_source(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    cache.record_pushed("containers.h", "octo-org/sibling", [DIGEST])
    registry = RefusingRegistry()
    target = Target(registry, "containers.h", "octo-org/app", cache)
    assert target.sources(DIGEST) == ["octo-org/sibling"]
    assert target.ensure(DIGEST, 10, lambda _: None) is False
    assert target.sources(DIGEST) == []  # so the next read of the image reads this layer
    assert target.ensure(DIGEST, 10, lambda _: None) is False
    assert registry.mounts == 1


def test_blobs_are_mounted_only_from_repositories_of_the_same_owner(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    cache.record_pushed("docker.h", "other-org/app/img", [DIGEST])
    cache.record_pushed("docker.h", "octo-org/lib/img", [DIGEST])
    target = Target(RefusingRegistry(), "docker.h", "octo-org/app/img", cache)
    assert target.sources(DIGEST) == ["octo-org/lib/img"]
