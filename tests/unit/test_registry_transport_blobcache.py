"""The digest cache: what it keeps, how two writers merge, and that a broken file is no cache."""

from __future__ import annotations

import json
import os
import pwd
import stat
from pathlib import Path

from ghpkg.registry_transport.blobcache import (
    MAX_REPOSITORIES,
    BlobCache,
    CachedBlob,
    default_cache_dir,
)

LAYER = CachedBlob("sha256:" + "b" * 64, 1234, 5678)


def test_default_directory_follows_xdg() -> None:
    assert default_cache_dir({"XDG_CACHE_HOME": "/x", "HOME": "/h"}) == Path("/x/ghpkg")
    assert default_cache_dir({"HOME": "/h"}) == Path("/h/.cache/ghpkg")


def test_without_home_the_cache_is_under_the_users_home_directory() -> None:
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    assert default_cache_dir({}) == home / ".cache" / "ghpkg"


def test_round_trip_and_private_file(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path / "c")
    cache.record_layer("sha256:" + "a" * 64, LAYER)
    cache.record_config("sha256:" + "1" * 64, CachedBlob("sha256:" + "2" * 64, 99))
    cache.record_pushed("docker.ghes.test", "o/r/app", [LAYER.digest])
    cache.save()
    again = BlobCache(tmp_path / "c")
    assert again.layer("sha256:" + "a" * 64) == LAYER
    assert again.config("sha256:" + "1" * 64) == CachedBlob("sha256:" + "2" * 64, 99)
    assert again.repositories("docker.ghes.test", LAYER.digest) == ["o/r/app"]
    assert again.repositories("other.host", LAYER.digest) == []
    assert stat.S_IMODE(again.path.stat().st_mode) == 0o600
    text = again.path.read_text()
    assert set(json.loads(text)) == {"version", "layers", "configs", "repos"}


def test_two_writers_merge(tmp_path: Path) -> None:
    first, second = BlobCache(tmp_path), BlobCache(tmp_path)
    first.record_layer("sha256:1", LAYER)
    second.layer("sha256:1")  # loaded before the first one saved
    first.save()
    second.record_layer("sha256:2", LAYER)
    second.save()
    merged = BlobCache(tmp_path)
    assert merged.layer("sha256:1") == LAYER
    assert merged.layer("sha256:2") == LAYER


def test_repositories_are_bounded_most_recent_first(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    for i in range(MAX_REPOSITORIES + 3):
        cache.record_pushed("h", f"o/r/img{i}", ["sha256:x"])
    cache.save()
    paths = BlobCache(tmp_path).repositories("h", "sha256:x")
    assert len(paths) == MAX_REPOSITORIES
    assert paths[0] == f"o/r/img{MAX_REPOSITORIES + 2}"


def test_broken_or_foreign_file_is_an_empty_cache(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    cache.path.write_text("{not json")
    assert cache.layer("sha256:1") is None
    cache.path.write_text(json.dumps({"version": 99, "layers": {"sha256:1": {}}}))
    assert BlobCache(tmp_path).layer("sha256:1") is None
    cache.path.write_text(json.dumps({"version": 1, "layers": {"sha256:1": {"digest": 3}}}))
    assert BlobCache(tmp_path).layer("sha256:1") is None


def test_unwritable_directory_is_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = BlobCache(blocker / "sub")
    cache.record_layer("sha256:1", LAYER)
    cache.save()  # nothing to write to: only speed is lost
    assert cache.layer("sha256:1") == LAYER
