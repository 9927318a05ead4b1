"""A small on-disk cache of digests, like the engine's own v2 metadata; never credentials.

It maps a layer's diff_id (uncompressed digest) to the compressed blob ghpkg pushed for it,
a local image ID to its config digest, and a blob to the repositories it was pushed to, so a
re-push can check the registry with HEAD requests instead of running `docker save`.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ghpkg.reference import is_digest

FILE_NAME = "blobs.json"
VERSION = 1
MAX_ENTRIES = 20_000
MAX_REPOSITORIES = 8
MAX_FILE_SIZE = 64 << 20  # far above MAX_ENTRIES' worth; a larger file is not ours


@dataclass(frozen=True)
class CachedBlob:
    """A blob as pushed: its digest and size, and for a layer the uncompressed size."""

    digest: str
    size: int
    diff_size: int | None = None


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """`$XDG_CACHE_HOME/ghpkg`, else `$HOME/.cache/ghpkg` (no HOME: the user's home directory).

    `environ` is the one the face read; without HOME, the password database says where home is
    (as `Path.home()` does, without reading the environment itself).
    """
    home = environ.get("HOME") or pwd.getpwuid(os.getuid()).pw_dir
    return Path(environ.get("XDG_CACHE_HOME") or Path(home) / ".cache") / "ghpkg"


class BlobCache:
    """Digests of what was pushed; changes are kept in memory until save()."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / FILE_NAME
        self._data = _empty()
        self._changes = _empty()
        self._forgotten: set[str] = set()
        self._loaded = False

    def _load(self) -> dict[str, Any]:
        if not self._loaded:
            self._data = _read(self.path)
            self._loaded = True
        return self._data

    def layer(self, diff_id: str) -> CachedBlob | None:
        """The compressed blob last pushed for this diff_id."""
        return _blob(self._load()["layers"].get(diff_id))

    def config(self, image_id: str) -> CachedBlob | None:
        """The config blob of a local image (the image ID is not its digest on containerd)."""
        return _blob(self._load()["configs"].get(image_id))

    def repositories(self, host: str, digest: str) -> list[str]:
        """Repository paths on host where the blob was pushed, most recent first."""
        paths = self._load()["repos"].get(host, {}).get(digest, [])
        return [str(path) for path in reversed(paths)]

    def siblings(self, host: str, path: str, digest: str) -> list[str]:
        """Other repositories of path's owner where the blob was pushed: where to mount from.

        Never another owner's: the cache is a file an earlier job could have written.
        """
        owner = path.split("/", 1)[0] + "/"
        return [p for p in self.repositories(host, digest) if p != path and p.startswith(owner)]

    def record_layer(self, diff_id: str, blob: CachedBlob) -> None:
        """Remember which compressed blob a layer became."""
        for data in (self._load(), self._changes):
            _put(data["layers"], diff_id, _entry(blob))

    def record_config(self, image_id: str, blob: CachedBlob) -> None:
        """Remember a local image's config blob."""
        for data in (self._load(), self._changes):
            _put(data["configs"], image_id, _entry(blob))

    def forget_config(self, image_id: str) -> None:
        """Drop a config entry that did not check out against the local image."""
        self._load()["configs"].pop(image_id, None)
        self._changes["configs"].pop(image_id, None)
        self._forgotten.add(image_id)

    def record_pushed(self, host: str, path: str, digests: Iterable[str]) -> None:
        """Remember that these blobs are in host/path."""
        for data in (self._load(), self._changes):
            repos = data["repos"].setdefault(host, {})
            for digest in digests:
                paths = [p for p in repos.pop(digest, []) if p != path][-(MAX_REPOSITORIES - 1) :]
                repos[digest] = [*paths, path]
                _trim(repos)

    def save(self) -> None:
        """Merge the changes into the file on disk (another process may have written it)."""
        merged = _read(self.path)
        for image_id in self._forgotten - set(self._changes["configs"]):
            merged["configs"].pop(image_id, None)
        for key in ("layers", "configs"):
            for name, value in self._changes[key].items():
                _put(merged[key], name, value)
        for host, blobs in self._changes["repos"].items():
            repos = merged["repos"].setdefault(host, {})
            for digest, paths in blobs.items():
                old = [p for p in repos.pop(digest, []) if p not in paths]
                repos[digest] = [*old, *paths][-MAX_REPOSITORIES:]
                _trim(repos)
        _write(self.path, merged)
        self._data, self._changes, self._loaded = merged, _empty(), True
        self._forgotten = set()


def _empty() -> dict[str, Any]:
    return {"version": VERSION, "layers": {}, "configs": {}, "repos": {}}


def _entry(blob: CachedBlob) -> dict[str, Any]:
    entry: dict[str, Any] = {"digest": blob.digest, "size": blob.size}
    if blob.diff_size is not None:
        entry["diff_size"] = blob.diff_size
    return entry


def _blob(entry: Any) -> CachedBlob | None:
    if not isinstance(entry, dict):
        return None
    try:
        diff_size = entry.get("diff_size")
        if not is_digest(str(entry["digest"])):
            return None
        return CachedBlob(
            str(entry["digest"]), int(entry["size"]), None if diff_size is None else int(diff_size)
        )
    except (KeyError, TypeError, ValueError):
        return None


def _put(table: dict[str, Any], key: str, value: Any) -> None:
    table.pop(key, None)
    table[key] = value
    _trim(table)


def _trim(table: dict[str, Any]) -> None:
    while len(table) > MAX_ENTRIES:
        del table[next(iter(table))]


def _read(path: Path) -> dict[str, Any]:
    """The cache file's content; a missing, unreadable or foreign file is an empty cache."""
    try:
        if path.stat().st_size > MAX_FILE_SIZE:
            return _empty()
        data = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError):
        return _empty()
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return _empty()
    result = _empty()
    for key in ("layers", "configs", "repos"):
        if isinstance(data.get(key), dict):
            result[key] = data[key]
    return result


def _write(path: Path, data: dict[str, Any]) -> None:
    """Write atomically (a temp file renamed over the old one), readable by the user only."""
    import tempfile  # on save only: `ghpkg ref` reads the default folder, never writes

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temp = tempfile.mkstemp(prefix=".blobs-", dir=path.parent)
    except OSError:
        return  # a cache that cannot be written only costs speed
    try:
        with os.fdopen(handle, "w") as out:
            json.dump(data, out, separators=(",", ":"))
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
