"""Benchmark: ghpkg's registry-transport push against the engine's own `docker push`.

Run as root on the test machine (it starts the GHES-like test bed and the engines it needs):

    python bench/push_pull.py --engines 20.10,28.5-containerd --size-mb 300

For each engine it builds fresh images (new random content, so nothing is already in the
registry), then measures in the same run: `docker push` to the plain backend registry
(127.0.0.1:5000, a fresh repository each time) and ghpkg's push to the bed (TLS, auth) with
K versions in one call; a re-push with every blob present, with and without the digest cache;
the peak RSS of the pushing process; and, once, the peak RSS while pushing one 1 GB layer and
the start-up time of `ghpkg --help`. ghpkg pushes run in a child process (the token goes to
it on stdin), which reports its own time and peak RSS. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(_ROOT), str(_ROOT / "src")]

MB = 1 << 20
BACKEND = "127.0.0.1:5000"
OWNER, REPOSITORY = "octo-org", "hello-world"
# The share of the image each layer takes, and what it holds.
MIX = (("random", 0.35), ("text", 0.25), ("random", 0.25), ("text", 0.15))
ZLIB_ONLY = False  # --zlib: deflate with the standard library even if python-isal is there


@dataclass
class Row:
    """One engine's figures."""

    engine: str
    image_mb: float
    docker_s: float
    ghpkg_s: float
    ghpkg_wall_s: float
    uploaded_mb: float
    image_gz_mb: float
    versions: int
    repush_cached_s: float
    repush_cached_bytes: int
    repush_uncached_s: float
    repush_uncached_bytes: int
    rss_mb: float


# --- the child that pushes ---------------------------------------------------------------------


def worker() -> int:
    """Push one image as told on stdin (JSON, token included); print figures as JSON."""
    import docker

    from ghpkg.blobcache import BlobCache
    from ghpkg.pushing import push_image
    from ghpkg.reference import Reference
    from ghpkg.registry import RegistryClient
    from ghpkg.secret import Secret

    job = json.loads(sys.stdin.read())
    if job.get("zlib"):
        import zlib

        from ghpkg import compress

        compress.DEFLATER = zlib
    client = docker.DockerClient(base_url=job["engine_url"], version="auto", timeout=600)
    registry = RegistryClient(
        job["host"], job["username"], Secret(job.pop("token")), ca_file=Path(job["ca_file"])
    )
    owner, repository, image = job["path"].split("/", 2)
    refs = [Reference(job["host"], owner, repository, image, v) for v in job["versions"]]
    cache = BlobCache(Path(job["cache"])) if job.get("cache") else None
    started = time.perf_counter()
    result = push_image(registry, client, job["image_id"], refs, lambda _line: None, cache=cache)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "uploaded": result.uploaded_bytes,
                "skipped": result.skipped_blobs,
                "manifest": json.loads(result.manifest),
                "rss_kb": _peak_rss_kb(),
            }
        )
    )
    return 0


def _peak_rss_kb() -> int:
    """Peak resident set size of this process: VmHWM, else ru_maxrss (KiB on Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


# --- the parent ---------------------------------------------------------------------------


@dataclass
class Target:
    """Where ghpkg pushes: the bed's registry host, a user and token, the CA."""

    host: str
    username: str
    token: str
    ca_file: Path


def _push_child(
    target: Target,
    engine_url: str,
    image_id: str,
    path: str,
    versions: list[str],
    cache: Path | None,
) -> dict[str, Any]:
    job = {
        "engine_url": engine_url,
        "host": target.host,
        "username": target.username,
        "token": target.token,
        "ca_file": str(target.ca_file),
        "path": path,
        "versions": versions,
        "image_id": image_id,
        "cache": str(cache) if cache else None,
        "zlib": ZLIB_ONLY,
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--worker"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=False,
        cwd=_ROOT,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"ghpkg push failed: {done.stderr.strip().splitlines()[-1]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["wall"] = wall
    return figures


def _docker_push(client: Any, image_id: str) -> float:
    """`docker push` through the engine to the plain backend, a fresh repository; seconds."""
    repo = f"{BACKEND}/bench/docker-{uuid.uuid4().hex[:10]}"
    client.api.tag(image_id, repo, "1")
    started = time.perf_counter()
    for chunk in client.api.push(repo, tag="1", stream=True, decode=True):
        if "error" in chunk:
            raise RuntimeError(f"docker push failed: {chunk['error']}")
    seconds = time.perf_counter() - started
    client.api.remove_image(f"{repo}:1")
    return seconds


def _build_mixed(client: Any, size_mb: int, tag: str) -> str:
    from testbed.images import build_layers

    layers = [(kind, max(1, int(size_mb * share)) * MB) for kind, share in MIX]
    return build_layers(client, tag, layers, seed=random.randrange(1 << 30))  # noqa: S311


def _build_one_layer(client: Any, size_mb: int, tag: str) -> str:
    """An image of one layer of size_mb: half incompressible, half text, in one COPY."""
    with tempfile.TemporaryDirectory(prefix="ghpkg-bench-") as tmp:
        context = Path(tmp)
        (context / "data").mkdir()
        half = size_mb * MB // 2
        with (context / "data" / "noise.bin").open("wb") as out:
            for _ in range(half // MB):
                out.write(os.urandom(MB))
        line_rng = random.Random(size_mb)  # noqa: S311 - test data
        with (context / "data" / "words.txt").open("wb") as out:
            written = 0
            while written < half:
                block = b"".join(
                    b"%d %x ghpkg layer text line\n" % (line_rng.randrange(10**6), written + i)
                    for i in range(20000)
                )
                out.write(block)
                written += len(block)
        (context / "Dockerfile").write_text("FROM scratch\nCOPY data /data\n")
        image, _logs = client.images.build(path=str(context), tag=tag, rm=True, network_mode="none")
        return str(image.id)


def _blob_mb(manifest: dict[str, Any]) -> float:
    sizes = {str(d["digest"]): int(d["size"]) for d in [manifest["config"], *manifest["layers"]]}
    return sum(sizes.values()) / MB


def bench_engine(name: str, target: Target, size_mb: int, versions: int) -> Row:
    """Every figure for one engine."""
    import docker

    from testbed import engines

    engine = engines.start(name)
    client = docker.DockerClient(base_url=engine.base_url, version="auto", timeout=900)
    tag = f"bench/{uuid.uuid4().hex[:8]}"
    docker_image = _build_mixed(client, size_mb, f"{tag}:docker")
    ghpkg_image = _build_mixed(client, size_mb, f"{tag}:ghpkg")
    image_mb = client.images.get(ghpkg_image).attrs["Size"] / MB
    try:
        docker_s = _docker_push(client, docker_image)
        path = f"{OWNER}/{REPOSITORY}/bench-{uuid.uuid4().hex[:10]}"
        with tempfile.TemporaryDirectory(prefix="ghpkg-bench-cache-") as cache_dir:
            cache = Path(cache_dir)
            tags = [f"1.{i}" for i in range(versions)]
            first = _push_child(target, engine.base_url, ghpkg_image, path, tags, cache)
            cached = _push_child(target, engine.base_url, ghpkg_image, path, ["2.0"], cache)
            uncached = _push_child(target, engine.base_url, ghpkg_image, path, ["2.1"], None)
    finally:
        for image in (docker_image, ghpkg_image):
            client.images.remove(image, force=True)
        client.close()
    return Row(
        engine=f"{name} ({engine.version.split('+')[0]})",
        image_mb=image_mb,
        docker_s=docker_s,
        ghpkg_s=first["seconds"],
        ghpkg_wall_s=first["wall"],
        uploaded_mb=first["uploaded"] / MB,
        image_gz_mb=_blob_mb(first["manifest"]),
        versions=versions,
        repush_cached_s=cached["seconds"],
        repush_cached_bytes=cached["uploaded"],
        repush_uncached_s=uncached["seconds"],
        repush_uncached_bytes=uncached["uploaded"],
        rss_mb=first["rss_kb"] / 1024,
    )


def bench_big_layer(name: str, target: Target, layer_mb: int) -> tuple[float, float, float]:
    """Peak RSS (MB), seconds and compressed MB while pushing one layer of layer_mb."""
    import docker

    from testbed import engines

    engine = engines.start(name)
    client = docker.DockerClient(base_url=engine.base_url, version="auto", timeout=900)
    image_id = _build_one_layer(client, layer_mb, f"bench/big-{uuid.uuid4().hex[:8]}:1")
    try:
        path = f"{OWNER}/{REPOSITORY}/bench-big-{uuid.uuid4().hex[:8]}"
        figures = _push_child(target, engine.base_url, image_id, path, ["1"], None)
    finally:
        client.images.remove(image_id, force=True)
        client.close()
    return figures["rss_kb"] / 1024, figures["seconds"], _blob_mb(figures["manifest"])


T = TypeVar("T")


def _attempts(measure: Callable[[], T], tries: int = 3) -> T | None:
    """Run a measurement again (from scratch) when the shared bed or an engine hiccups."""
    for attempt in range(1, tries + 1):
        try:
            return measure()
        except Exception as exc:
            print(f"attempt {attempt} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    return None


def help_startup() -> float | None:
    """Median wall time of `ghpkg --help` over 5 runs, if ghpkg is on PATH."""
    ghpkg = shutil.which("ghpkg")
    if ghpkg is None:
        return None
    times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([ghpkg, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _deflater_name() -> str:
    from ghpkg import compress

    return str(compress.DEFLATER.__name__)


def table(
    rows: list[Row], big: tuple[str, int, tuple[float, float, float]] | None, startup: float | None
) -> str:
    """The figures as a markdown table, and the lines under it."""
    lines = [
        "| engine | image MB (gzip MB) | docker push s | ghpkg push s (wall) | ratio "
        "| K versions: MB sent | re-push cached: s / bytes | re-push no cache: s / bytes "
        "| peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.engine} | {r.image_mb:.0f} ({r.image_gz_mb:.0f}) | {r.docker_s:.2f} "
            f"| {r.ghpkg_s:.2f} ({r.ghpkg_wall_s:.2f}) | {r.ghpkg_s / r.docker_s:.2f}x "
            f"| K={r.versions}: {r.uploaded_mb:.1f} (image {r.image_gz_mb:.1f}) "
            f"| {r.repush_cached_s:.2f} / {r.repush_cached_bytes} "
            f"| {r.repush_uncached_s:.2f} / {r.repush_uncached_bytes} | {r.rss_mb:.0f} |"
        )
    if big is not None:
        name, layer_mb, (rss, seconds, gz_mb) = big
        lines.append("")
        lines.append(
            f"One {layer_mb} MB layer ({name}): peak RSS {rss:.0f} MB, push {seconds:.1f} s, "
            f"{gz_mb:.0f} MB compressed."
        )
    if startup is not None:
        lines.append(f"`ghpkg --help`: {startup * 1000:.0f} ms (median of 5).")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Parse options, run the benchmark, print the table."""
    if argv[:1] == ["--worker"]:
        return worker()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="20.10", help="comma list or 'all' (default 20.10)")
    parser.add_argument("--size-mb", type=int, default=300, help="image size (default 300)")
    parser.add_argument("--versions", type=int, default=3, help="K tags in one push (default 3)")
    parser.add_argument(
        "--big-layer-mb", type=int, default=1024, help="one-layer RSS test size; 0 skips it"
    )
    parser.add_argument(
        "--zlib", action="store_true", help="deflate with zlib even if python-isal is installed"
    )
    args = parser.parse_args(argv)
    global ZLIB_ONLY
    ZLIB_ONLY = args.zlib

    from testbed import engines
    from testbed.bed import Testbed

    names = list(engines.ENGINE_NAMES) if args.engines == "all" else args.engines.split(",")
    ours = [name for name in names if engines.running(name) is None]  # stopped at the end
    bed = Testbed(os.environ.get("GHPKG_TESTBED_DIR") or "/tmp/ghpkg-testbed")
    started = bed.start()
    try:
        target = Target(bed.registry_host, bed.user("write"), bed.token("write"), bed.ca_file)
        rows: list[Row] = []
        for name in names:
            row = _attempts(partial(bench_engine, name, target, args.size_mb, args.versions))
            if row is not None:
                rows.append(row)
                print(table([row], None, None).splitlines()[-1], file=sys.stderr, flush=True)
        big = None
        if args.big_layer_mb:
            figures = _attempts(partial(bench_big_layer, names[0], target, args.big_layer_mb))
            big = None if figures is None else (names[0], args.big_layer_mb, figures)
        startup = help_startup()
    finally:
        if started:
            bed.stop()
        for name in ours:
            engines.stop(name)
    print(table(rows, big, startup))
    print()
    deflater = "zlib" if args.zlib else _deflater_name()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"Made by: `python bench/push_pull.py {shlex.join(argv)}` on {os.cpu_count()} cores, "
        f"deflate by {deflater}, load average at the end {load}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
