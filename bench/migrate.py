"""`ghpkg migrate` on the test bed: 50 images x 5 versions from the Docker registry to the
Container registry. Measures the wall time of the run and of a rerun, the blob bytes sent against
the bytes of the distinct blobs (the target: each sent once), and how many images were in flight.

    python bench/migrate.py [--images 50] [--versions 5] [--jobs 4] [--kb 256]

Every image has a layer all images share (a common base image), a layer its versions share and a
layer of its own per version (pseudo-random hex, `--kb` KB each before gzip), pushed straight into
the bed's Docker-registry backend; so a blob is sent once only if mounts work across images. The run
removes what it wrote from both backends afterwards. Raw results: bench/results/migrate-DATE.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.timing import run  # noqa: E402
from testbed.bed import Testbed  # noqa: E402
from testbed.seed_images import push  # noqa: E402

OWNER = "octo-org"


def seed(bed: Testbed, repository: str, images: int, versions: int, kb: int) -> dict[str, int]:
    """Push the images; return every blob's digest and size."""
    blobs: dict[str, int] = {}
    rng = random.Random(repository)  # noqa: S311 - test data
    common = rng.randbytes(kb * 512).hex()
    with requests.Session() as session:
        for number in range(images):
            base = rng.randbytes(kb * 512).hex()  # hex of random bytes: ~half compresses away
            for version in range(versions):
                mine = rng.randbytes(kb * 512).hex()
                name = f"{OWNER}/{repository}/img{number:03d}"
                layers = [common, base, mine]
                push(session, bed.backend_url, name, f"1.{version}", layers, blobs=blobs)
    return blobs


def forget(bed: Testbed, repository: str, images: int) -> None:
    """Remove the benchmark's repositories from both backends."""
    paths = [f"{OWNER}/{repository}", *(f"{OWNER}/{repository}-img{n:03d}" for n in range(images))]
    for storage in (bed.paths.storage, bed.paths.container_storage):
        for path in paths:
            shutil.rmtree(storage / "docker/registry/v2/repositories" / path, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--kb", type=int, default=256)
    options = parser.parse_args()
    bed = Testbed(Path(os.environ.get("GHPKG_TESTBED_DIR") or "/tmp/ghpkg-testbed"))
    bed.start()
    repository = f"bench-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    blobs = seed(bed, repository, options.images, options.versions, options.kb)
    seeded_s = time.monotonic() - started
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    with tempfile.TemporaryDirectory() as tmp:
        argv = [
            sys.executable, "-m", "ghpkg", "migrate", "--hostname", bed.hostname,
            "--ca-file", str(bed.ca_file), "--owner", OWNER, "--repository", repository,
            "--name-map", "{repository}-{image}", "--jobs", str(options.jobs), "--json",
            "--state", f"{tmp}/state.json", "--password-stdin",
        ]  # fmt: skip
        try:
            first = run(argv, env, stdin=bed.token("write"))
            again = run(argv, env, stdin=bed.token("write"))
        finally:
            forget(bed, repository, options.images)
    reports = [json.loads(child.stdout)["migration"] for child in (first, again)]
    totals = [document["totals"] for document in reports]
    distinct = sum(blobs.values())
    result = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git": subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip(),
        "images": options.images,
        "versions": options.versions,
        "jobs": options.jobs,
        "distinct_blobs": len(blobs),
        "distinct_blob_bytes": distinct,
        "seed_s": round(seeded_s, 2),
        "first": {"wall_s": round(first.wall_s, 2), "exit": first.exit_code, **totals[0]},
        "rerun": {"wall_s": round(again.wall_s, 2), "exit": again.exit_code, **totals[1]},
        "sent_over_distinct": round(totals[0]["bytes_sent"] / distinct, 4) if distinct else None,
        "peak_rss_mb": round(first.rss_mb, 1),
        "mounted_line": next((x for x in first.stderr.splitlines() if "mounted" in x), ""),
    }
    out = ROOT / "bench/results" / f"migrate-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    print(f"raw results: {out.relative_to(ROOT)}", file=sys.stderr)
    return 0 if first.exit_code == 0 and again.exit_code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
