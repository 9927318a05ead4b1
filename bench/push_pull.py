"""Benchmark: ghpkg's push and pull against the engine's own `docker push` and `docker pull`.

Run as root on the test machine (it starts the GHES-like test bed and the engines it needs):

    python bench/push_pull.py --engines all --size-mb 300

For each engine it builds fresh images (new random content, so nothing is already in the
registry), then measures in the same run: `docker push` to the plain backend registry
(127.0.0.1:5000, a fresh repository each time); ghpkg's registry-transport push to the bed (TLS,
auth) with K versions in one call; a re-push with every blob present, with and without the
digest cache; ghpkg's engine-transport push of another fresh image (`docker push` through the
engine, K versions; where ghpkg refuses that transport, the refusal); then the pull of the image
ghpkg pushed, into an engine that no longer has it: `docker pull` from the plain backend (the
same blobs the bed serves), then ghpkg's registry-transport pull from the bed; the peak RSS of
the pushing and the pulling process. Once: one 1 GB layer pushed and pulled back both ways, with
peak RSS, and the start-up time of `ghpkg --help`. ghpkg runs in a child process (the token goes
to it on stdin), which reports its own time and peak RSS (VmHWM). Prints markdown tables.
"""

from __future__ import annotations

import argparse
import contextlib
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
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import docker

    from ghpkg.reference import Reference
    from ghpkg.registry import RegistryClient
    from ghpkg.secret import Secret

_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(_ROOT), str(_ROOT / "src")]

MB = 1 << 20
BACKEND = "127.0.0.1:5000"
OWNER, REPOSITORY = "octo-org", "hello-world"
# The share of the image each layer takes, and what it holds.
MIX = (("random", 0.35), ("text", 0.25), ("random", 0.25), ("text", 0.15))
ZLIB_ONLY = False  # --zlib: deflate with the standard library even if python-isal is there


@dataclass
class Pulls:
    """One image pulled twice into an engine that lacks it: by ghpkg, and by `docker pull`."""

    docker_s: float
    ghpkg_s: float
    ghpkg_wall_s: float
    rss_mb: float


@dataclass
class Row:
    """One engine's figures."""

    engine: str
    image_mb: float
    docker_s: float
    ghpkg_s: float
    ghpkg_wall_s: float
    engine_s: float | None  # ghpkg --transport engine; None where ghpkg refuses it
    engine_refusal: str
    uploaded_mb: float
    image_gz_mb: float
    versions: int
    repush_cached_s: float
    repush_cached_bytes: int
    repush_uncached_s: float
    repush_uncached_bytes: int
    rss_mb: float
    pulls: Pulls


@dataclass
class Big:
    """One layer of layer_mb pushed by ghpkg, then pulled back by ghpkg and by `docker pull`."""

    engine: str
    layer_mb: int
    gz_mb: float
    push_s: float
    push_rss_mb: float
    pulls: Pulls


# --- the child that runs ghpkg -------------------------------------------------------------------


@dataclass
class Job:
    """What a worker was told (the JSON on its stdin) and what it made of it."""

    spec: dict[str, Any]
    client: docker.DockerClient
    registry: RegistryClient
    refs: list[Reference]
    token: Secret


def worker() -> int:
    """Do one ghpkg operation as told on stdin (JSON, token included); print figures as JSON.

    "push": registry transport, K versions in one call (the digest cache if given); "engine":
    `docker push` through the engine of each version, as `--transport engine` does; "pull":
    registry transport, by tag into `docker load`.
    """
    import docker

    from ghpkg.reference import Reference
    from ghpkg.registry import RegistryClient
    from ghpkg.secret import Secret

    spec = json.loads(sys.stdin.read())
    if spec.get("zlib"):
        import zlib

        from ghpkg import compress

        compress.DEFLATER = zlib
    client = docker.DockerClient(base_url=spec["engine_url"], version="auto", timeout=600)
    token = Secret(spec.pop("token"))
    registry = RegistryClient(spec["host"], spec["username"], token, ca_file=Path(spec["ca_file"]))
    owner, repository, image = spec["path"].split("/", 2)
    refs = [Reference(spec["host"], owner, repository, image, v) for v in spec["versions"]]
    started = time.perf_counter()
    figures = _OPERATIONS[spec["op"]](Job(spec, client, registry, refs, token))
    figures["seconds"] = time.perf_counter() - started
    figures["rss_kb"] = _peak_rss_kb()
    print(json.dumps(figures))
    return 0


def _registry_push(job: Job) -> dict[str, Any]:
    from ghpkg.blobcache import BlobCache
    from ghpkg.pushing import push_image

    cache = BlobCache(Path(job.spec["cache"])) if job.spec.get("cache") else None
    image_id = job.spec["image_id"]
    result = push_image(job.registry, job.client, image_id, job.refs, print, cache=cache)
    return {
        "uploaded": result.uploaded_bytes,
        "skipped": result.skipped_blobs,
        "manifest": json.loads(result.manifest),
    }


def _engine_push(job: Job) -> dict[str, Any]:
    from ghpkg import engine

    for ref in job.refs:
        engine.tag(job.client, job.spec["image_id"], str(ref))
    for ref in job.refs:
        engine.push(job.client, str(ref), job.spec["username"], job.token, lambda _chunk: None)
    return {}


def _pull(job: Job) -> dict[str, Any]:
    from ghpkg.pulling import pull_image

    pulled = pull_image(job.registry, job.client, job.refs[0], print)
    return {"skipped": pulled.skipped, "image_id": pulled.image_id}


_OPERATIONS: dict[str, Callable[[Job], dict[str, Any]]] = {
    "push": _registry_push,
    "engine": _engine_push,
    "pull": _pull,
}


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


def _ghpkg(
    target: Target,
    engine_url: str,
    op: str,
    path: str,
    versions: list[str],
    image_id: str = "",
    cache: Path | None = None,
) -> dict[str, Any]:
    """Run one worker operation (see `worker`) in a child; its figures plus "wall" seconds."""
    job = {
        "op": op,
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
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"ghpkg {op} failed: {last}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["wall"] = wall
    return figures


def _engine_refusal(client: docker.DockerClient) -> str:
    """Why ghpkg refuses `--transport engine` on this engine ('' if it does not)."""
    from ghpkg import diagnosis, engine

    problem = diagnosis.engine_problem(engine.info(client), "engine")
    return "" if problem is None else str(problem)


def _remove(client: docker.DockerClient, image: str) -> None:
    """Remove a local image and every name it has, if it is there."""
    import docker

    with contextlib.suppress(docker.errors.ImageNotFound):
        client.images.remove(image, force=True)


def _docker_pull(client: docker.DockerClient, repo: str, tag: str) -> float:
    """`docker pull repo:tag` into an engine that has none of its layers; seconds."""
    started = time.perf_counter()
    for chunk in client.api.pull(repo, tag=tag, stream=True, decode=True):
        if "error" in chunk:
            raise RuntimeError(f"docker pull failed: {chunk['error']}")
        if chunk.get("status") == "Already exists":
            raise RuntimeError(f"docker pull of {repo}:{tag} found a layer already there")
    return time.perf_counter() - started


def _pulls(
    client: docker.DockerClient, target: Target, engine_url: str, image_id: str, path: str, tag: str
) -> Pulls:
    """Pull path:tag (which is image_id) with `docker pull` from the plain backend behind the bed
    (the same blobs), then with ghpkg from the bed, removing the local image before each.

    `docker pull` goes first: whatever an engine keeps after a removal can then only spare
    ghpkg's `docker load` some writing, never `docker pull` its download.
    """
    _remove(client, image_id)
    docker_s = _docker_pull(client, f"{BACKEND}/{path}", tag)
    _remove(client, f"{BACKEND}/{path}:{tag}")
    _remove(client, image_id)
    pulled = _ghpkg(target, engine_url, "pull", path, [tag])
    if pulled["skipped"]:
        raise RuntimeError(f"ghpkg pull found {image_id} still there")
    _remove(client, pulled["image_id"])
    return Pulls(docker_s, pulled["seconds"], pulled["wall"], pulled["rss_kb"] / 1024)


def _docker_push(client: docker.DockerClient, image_id: str) -> float:
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


def _build_mixed(client: docker.DockerClient, size_mb: int, tag: str) -> str:
    from testbed.images import build_layers

    layers = [(kind, max(1, int(size_mb * share)) * MB) for kind, share in MIX]
    return build_layers(client, tag, layers, seed=random.randrange(1 << 30))  # noqa: S311


def _build_one_layer(client: docker.DockerClient, size_mb: int, tag: str) -> str:
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
    refusal = _engine_refusal(client)
    tag = f"bench/{uuid.uuid4().hex[:8]}"
    images = {
        kind: _build_mixed(client, size_mb, f"{tag}:{kind}")
        for kind in ("docker", "ghpkg", *(() if refusal else ("engine",)))
    }
    image_mb = client.images.get(images["ghpkg"]).attrs["Size"] / MB
    try:
        docker_s = _docker_push(client, images["docker"])
        path = f"{OWNER}/{REPOSITORY}/bench-{uuid.uuid4().hex[:10]}"
        tags = [f"1.{i}" for i in range(versions)]
        with tempfile.TemporaryDirectory(prefix="ghpkg-bench-cache-") as cache_dir:
            cache = Path(cache_dir)
            ghpkg = partial(_ghpkg, target, engine.base_url, image_id=images["ghpkg"])
            first = ghpkg("push", path, tags, cache=cache)
            cached = ghpkg("push", path, ["2.0"], cache=cache)
            uncached = ghpkg("push", path, ["2.1"])
        engine_s = None
        if not refusal:
            pushed = _ghpkg(
                target, engine.base_url, "engine", f"{path}-e", tags, image_id=images["engine"]
            )
            engine_s = pushed["seconds"]
        pulls = _pulls(client, target, engine.base_url, images["ghpkg"], path, tags[0])
    finally:
        for image in images.values():
            _remove(client, image)
        client.close()
    return Row(
        engine=f"{name} ({engine.version.split('+')[0]})",
        image_mb=image_mb,
        docker_s=docker_s,
        ghpkg_s=first["seconds"],
        ghpkg_wall_s=first["wall"],
        engine_s=engine_s,
        engine_refusal=refusal,
        uploaded_mb=first["uploaded"] / MB,
        image_gz_mb=_blob_mb(first["manifest"]),
        versions=versions,
        repush_cached_s=cached["seconds"],
        repush_cached_bytes=cached["uploaded"],
        repush_uncached_s=uncached["seconds"],
        repush_uncached_bytes=uncached["uploaded"],
        rss_mb=first["rss_kb"] / 1024,
        pulls=pulls,
    )


def bench_big_layer(name: str, target: Target, layer_mb: int) -> Big:
    """Push one layer of layer_mb with ghpkg, then pull it back both ways."""
    import docker

    from testbed import engines

    engine = engines.start(name)
    client = docker.DockerClient(base_url=engine.base_url, version="auto", timeout=900)
    image_id = _build_one_layer(client, layer_mb, f"bench/big-{uuid.uuid4().hex[:8]}:1")
    try:
        path = f"{OWNER}/{REPOSITORY}/bench-big-{uuid.uuid4().hex[:8]}"
        pushed = _ghpkg(target, engine.base_url, "push", path, ["1"], image_id=image_id)
        pulls = _pulls(client, target, engine.base_url, image_id, path, "1")
    finally:
        _remove(client, image_id)
        client.close()
    return Big(
        engine=name,
        layer_mb=layer_mb,
        gz_mb=_blob_mb(pushed["manifest"]),
        push_s=pushed["seconds"],
        push_rss_mb=pushed["rss_kb"] / 1024,
        pulls=pulls,
    )


T = TypeVar("T")


def _attempts(measure: Callable[[], T], tries: int = 3) -> T | None:
    """Run a measurement again (from scratch) when the shared bed or an engine hiccups."""
    for attempt in range(1, tries + 1):
        try:
            return measure()
        except Exception as exc:
            print(f"attempt {attempt} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    return None


STARTUP_RUNS = 7


def help_startup() -> tuple[str, float] | None:
    """The ghpkg script beside this Python (else on PATH) and `ghpkg --help`'s median time."""
    beside = Path(sys.executable).parent / "ghpkg"
    ghpkg = str(beside) if beside.is_file() else shutil.which("ghpkg")
    if ghpkg is None:
        return None
    times = []
    for _ in range(STARTUP_RUNS):
        started = time.perf_counter()
        subprocess.run([ghpkg, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return ghpkg, statistics.median(times)


def _deflater_name() -> str:
    from ghpkg import compress

    return str(compress.DEFLATER.__name__)


PUSH_HEADER = (
    "| engine | image MB (gzip MB) | docker push s | ghpkg registry push s (wall) | ratio "
    "| ghpkg engine push s | ratio | K versions: MB sent | re-push cached: s / bytes "
    "| re-push no cache: s / bytes | peak RSS MB |\n" + "|---" * 11 + "|"
)
PULL_HEADER = (
    "| engine | docker pull s | ghpkg pull s (wall) | ratio | peak RSS MB |\n" + "|---" * 5 + "|"
)


def push_line(r: Row) -> str:
    """One engine's row of the push table."""
    engine = (
        "n/a (refused: OCI) | n/a"
        if r.engine_s is None
        else f"{r.engine_s:.2f} | {r.engine_s / r.docker_s:.2f}x"
    )
    return (
        f"| {r.engine} | {r.image_mb:.0f} ({r.image_gz_mb:.0f}) | {r.docker_s:.2f} "
        f"| {r.ghpkg_s:.2f} ({r.ghpkg_wall_s:.2f}) | {r.ghpkg_s / r.docker_s:.2f}x | {engine} "
        f"| K={r.versions}: {r.uploaded_mb:.1f} (image {r.image_gz_mb:.1f}) "
        f"| {r.repush_cached_s:.2f} / {r.repush_cached_bytes} "
        f"| {r.repush_uncached_s:.2f} / {r.repush_uncached_bytes} | {r.rss_mb:.0f} |"
    )


def pull_line(engine: str, p: Pulls) -> str:
    """One engine's row of the pull table."""
    return (
        f"| {engine} | {p.docker_s:.2f} | {p.ghpkg_s:.2f} ({p.ghpkg_wall_s:.2f}) "
        f"| {p.ghpkg_s / p.docker_s:.2f}x | {p.rss_mb:.0f} |"
    )


def table(rows: list[Row], big: Big | None, startup: tuple[str, float] | None) -> str:
    """The figures as markdown tables, and the lines under them."""
    lines = ["Push:", "", PUSH_HEADER, *map(push_line, rows)]
    lines += ["", "Pull (the image ghpkg pushed above):", "", PULL_HEADER]
    lines += [pull_line(r.engine, r.pulls) for r in rows]
    refusals = sorted({r.engine_refusal for r in rows if r.engine_refusal})
    lines += ["", *(f"Engine transport: {text}." for text in refusals)]
    if big is not None:
        p = big.pulls
        lines.append(
            f"One {big.layer_mb} MB layer ({big.engine}, {big.gz_mb:.0f} MB compressed): "
            f"ghpkg push {big.push_s:.1f} s, peak RSS {big.push_rss_mb:.0f} MB; ghpkg pull "
            f"{p.ghpkg_s:.1f} s, peak RSS {p.rss_mb:.0f} MB; docker pull {p.docker_s:.1f} s "
            f"(ratio {p.ghpkg_s / p.docker_s:.2f}x)."
        )
    if startup is not None:
        script, seconds = startup
        lines.append(
            f"`ghpkg --help` ({script}): {seconds * 1000:.0f} ms (median of {STARTUP_RUNS})."
        )
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
    load_at_start = os.getloadavg()
    started = bed.start()
    try:
        target = Target(bed.registry_host, bed.user("write"), bed.token("write"), bed.ca_file)
        rows: list[Row] = []
        for name in names:
            row = _attempts(partial(bench_engine, name, target, args.size_mb, args.versions))
            if row is not None:
                rows.append(row)
                print(push_line(row), file=sys.stderr, flush=True)
                print(pull_line(row.engine, row.pulls), file=sys.stderr, flush=True)
        big = None
        if args.big_layer_mb:
            big = _attempts(partial(bench_big_layer, names[0], target, args.big_layer_mb))
        startup = help_startup()
    finally:
        if started:
            bed.stop()
        for name in ours:
            engines.stop(name)
    print(table(rows, big, startup))
    print()
    deflater = "zlib" if args.zlib else _deflater_name()
    loads = [", ".join(f"{x:.1f}" for x in load) for load in (load_at_start, os.getloadavg())]
    print(
        f"Made by: `python bench/push_pull.py {shlex.join(argv)}` on {os.cpu_count()} cores, "
        f"deflate by {deflater}, load average (1, 5, 15 min) at the start {loads[0]}, "
        f"at the end {loads[1]}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
