"""Parallel gzip: members any gzip reader joins; stored blocks for data that does not shrink."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import subprocess
import tarfile
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ghpkg.registry_transport import compress
from ghpkg.registry_transport.compress import (
    CHUNK,
    empty_gzip,
    gzip_member,
    gzip_stream,
    shrinks,
    sniff,
)

TEXT = b"".join(b"line %d: the quick brown fox jumps over the lazy dog\n" % i for i in range(60000))
RANDOM = os.urandom(3 * CHUNK + 12345)


def _chunks(data: bytes, size: int = CHUNK) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.fixture(scope="module")
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(2) as executor:
        yield executor


@pytest.fixture(autouse=True, params=["zlib", "isal"])
def deflater(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with stdlib zlib and, when installed, with python-isal deflating."""
    if request.param == "isal":
        isal_zlib = pytest.importorskip("isal.isal_zlib")
        monkeypatch.setattr(compress, "DEFLATER", isal_zlib)
    else:
        monkeypatch.setattr(compress, "DEFLATER", zlib)
    return str(request.param)


def test_member_round_trips_text_and_random() -> None:
    for data in (TEXT, RANDOM, b"x"):
        assert gzip.decompress(gzip_member(data)) == data


def test_text_is_deflated_random_is_stored() -> None:
    assert len(gzip_member(TEXT)) < len(TEXT) // 4
    stored = gzip_member(RANDOM)
    # Stored blocks cost 5 bytes per block (under 64 KiB each), plus gzip header and trailer.
    assert len(RANDOM) < len(stored) <= len(RANDOM) + 5 * (len(RANDOM) // 32768 + 1) + 18
    assert zlib.decompress(stored, 31) == RANDOM


def test_shrinks_tells_text_from_noise() -> None:
    assert shrinks(TEXT)
    assert not shrinks(RANDOM)
    assert not shrinks(b"")


def test_output_is_deterministic() -> None:
    assert gzip_member(TEXT) == gzip_member(TEXT)
    assert gzip_member(TEXT)[4:8] == b"\0\0\0\0"  # mtime 0


def test_stream_is_multi_member_and_in_order(pool: ThreadPoolExecutor) -> None:
    data = TEXT + RANDOM + TEXT
    members = list(gzip_stream(_chunks(data), pool))
    assert len(members) == -(-len(data) // CHUNK)
    assert gzip.decompress(b"".join(members)) == data


def test_stream_mixes_levels_per_chunk(pool: ThreadPoolExecutor) -> None:
    data = TEXT[:CHUNK] + RANDOM[:CHUNK]
    first, second = gzip_stream(_chunks(data), pool)
    assert len(first) < CHUNK // 4
    assert len(second) > CHUNK


@pytest.mark.skipif(shutil.which("gzip") is None, reason="needs gzip(1)")
def test_gzip_tool_reads_the_stream(pool: ThreadPoolExecutor, tmp_path: Path) -> None:
    data = RANDOM + TEXT
    path = tmp_path / "layer.gz"
    path.write_bytes(b"".join(gzip_stream(_chunks(data), pool)))
    subprocess.run(["gzip", "-t", str(path)], check=True)
    out = subprocess.run(["zcat", str(path)], check=True, capture_output=True).stdout
    assert out == data


def test_stream_holds_a_bounded_number_of_chunks(pool: ThreadPoolExecutor) -> None:
    pulled = 0

    def source() -> Iterator[bytes]:
        nonlocal pulled
        for chunk in _chunks(TEXT, 4096):
            pulled += 1
            yield chunk

    yielded = 0
    for _member in gzip_stream(source(), pool, inflight=3):
        yielded += 1
        assert pulled - yielded <= 3
    assert yielded == pulled


def test_empty_input_and_empty_member(pool: ThreadPoolExecutor) -> None:
    assert list(gzip_stream(iter([b"", b""]), pool)) == []
    assert gzip.decompress(empty_gzip()) == b""


def test_level_zero_never_deflates() -> None:
    assert len(gzip_member(TEXT[:CHUNK], level=0)) > CHUNK


def test_sniff() -> None:
    assert sniff(_tar_of(b"alpha " * 1000)[:4096]) == "tar"
    assert sniff(bytes(1024)) == "tar"  # an empty layer: only the end-of-archive blocks
    assert sniff(gzip.compress(b"x")) == "gzip"
    assert sniff(b"\x28\xb5\x2f\xfd....") == "zstd"
    assert sniff(b'{"architecture": "amd64"}' + b" " * 600) == "metadata"


def _tar_of(data: bytes) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        info = tarfile.TarInfo("a")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return out.getvalue()
