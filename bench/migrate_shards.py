"""`ghpkg migrate` of whole owners on the test bed: one process against the plan's shards run side
by side (as a matrix's jobs would), each blob to be sent once per owner.

    python bench/migrate_shards.py [--images 300] [--tags 3] [--shards 3] [--jobs 4] [--kb 16]

The images are split between the three owners the bed's write token may fill without sweeping in
hundreds of other tests' images (the organization other-org and the users octocat and reader;
octo-org holds those), so `--shards 3` makes three shards, one owner each. Every owner's images
share a base layer, each image has a layer its tags share and one of its own per tag
(pseudo-random hex, `--kb` KB before gzip). The single run goes first; its images are then
removed from both registries, a second set of the same shape (other bytes) is pushed, planned,
and the plan's shards run, one process each, at the same time, and their reports are merged.
The owners' other images (other tests', a handful) move in the first run and are skipped in the
second. Each way says the load average at its start and end, the bytes sent for the benchmark's
images per owner beside the owner's distinct blob bytes, and whether every blob went once per
owner (every image copied, bytes sent equal to the distinct bytes for each owner): the exit code
is 1 if not, or if a run failed.
Raw results: bench/results/migrate-shards-DATE.json.
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
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.timing import run  # noqa: E402
from testbed.bed import Testbed  # noqa: E402
from testbed.seed_images import push  # noqa: E402

OWNERS = {"other-org": "--org", "octocat": "--user", "reader": "--user"}
REPOSITORIES = "docker/registry/v2/repositories"
WAYS = ("one_process", "shards_side_by_side")


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes), as `uptime` says them."""
    return " ".join(f"{average:.2f}" for average in os.getloadavg())


def seed(bed: Testbed, repository: str, images: int, tags: int, kb: int) -> dict[str, int]:
    """Push the images, spread over the owners; each owner's distinct blob bytes."""
    owned: dict[str, int] = {}
    rng = random.Random(repository)  # noqa: S311 - test data
    with requests.Session() as session:
        for owner in OWNERS:
            blobs: dict[str, int] = {}
            common = rng.randbytes(kb * 512).hex()
            for number in range(images // len(OWNERS)):
                base = rng.randbytes(kb * 512).hex()
                for tag in range(tags):
                    layers = [common, base, rng.randbytes(kb * 512).hex()]
                    name = f"{owner}/{repository}/img{number:03d}"
                    push(session, bed.backend_url, name, f"1.{tag}", layers, blobs=blobs)
            owned[owner] = sum(blobs.values())
    return owned


def forget(bed: Testbed, repository: str, images: int, docker_too: bool) -> None:
    """Remove the benchmark's copies from the Container registry (and its images, `docker_too`)."""
    storages = [bed.paths.container_storage] + ([bed.paths.storage] if docker_too else [])
    for storage in storages:
        for owner in OWNERS:
            shutil.rmtree(storage / REPOSITORIES / owner / repository, ignore_errors=True)
            for number in range(images // len(OWNERS)):
                path = storage / REPOSITORIES / owner / f"{repository}-img{number:03d}"
                shutil.rmtree(path, ignore_errors=True)


def mine(report: dict[str, Any], repository: str, owned: dict[str, int]) -> dict[str, object]:
    """What the report says of the benchmark's own images: bytes sent (per owner, beside the
    owner's distinct blob bytes), statuses, failures, and whether each blob went once per owner."""
    images = [i for i in report["images"] if f"/{repository}/" in i["source"]]
    statuses = [i["status"] for i in images]
    sent = {
        owner: sum(i["bytes_sent"] for i in images if i["source"].startswith(f"{owner}/"))
        for owner in owned
    }
    return {
        "bytes_sent_mine": sum(sent.values()),
        "bytes_sent_mine_per_owner": sent,
        "sent_over_distinct_per_owner": {
            owner: round(sent[owner] / owned[owner], 4) for owner in owned
        },
        "every_blob_once_per_owner": sent == owned and statuses == ["copied"] * len(images),
        "mine": {status: statuses.count(status) for status in sorted(set(statuses))},
        "first_failures_mine": [i["note"] for i in images if i["status"] == "failed"][:3],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--tags", type=int, default=3)
    parser.add_argument("--shards", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--kb", type=int, default=16)
    options = parser.parse_args()
    bed = Testbed(Path(os.environ.get("GHPKG_TESTBED_DIR") or "/tmp/ghpkg-testbed"))
    bed.start()
    first, second = (f"bench-{uuid.uuid4().hex[:8]}" for _ in range(2))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    token = bed.token("write")
    owners = [arg for owner, flag in OWNERS.items() for arg in (flag, owner)]
    with tempfile.TemporaryDirectory() as tmp:
        common = [
            sys.executable, "-m", "ghpkg", "migrate", "--hostname", bed.hostname,
            "--ca-file", str(bed.ca_file), "--name-map", "{repository}-{image}",
            "--jobs", str(options.jobs), "--json", "--password-stdin",
        ]  # fmt: skip
        try:  # each run moves whole owners: the first run's images are gone before the second's
            owned = seed(bed, first, options.images, options.tags, options.kb)
            single_load = [load()]
            single = run([*common, *owners, "--state", f"{tmp}/single.json"], env, token)
            single_load.append(load())
            forget(bed, first, options.images, docker_too=True)
            owned_second = seed(bed, second, options.images, options.tags, options.kb)
            plan = run([*common, *owners, "--dry-run", "--shards", str(options.shards)], env, token)
            matrix = json.loads(plan.stdout)["matrix"]["include"]
            sharded_load = [load()]
            started = time.monotonic()
            processes = []
            for entry in matrix:
                number = entry["shard"].split("/")[0]
                argv = [*common, "--shard", entry["shard"], "--state", f"{tmp}/s{number}.json"]
                argv += ["--org", entry["org"]] if entry["org"] else []
                argv += ["--user", entry["user"]] if entry["user"] else []
                with Path(f"{tmp}/report-{number}.json").open("w") as sink:
                    child = subprocess.Popen(
                        argv, env=env, stdin=subprocess.PIPE, stdout=sink,
                        stderr=subprocess.DEVNULL, text=True,
                    )  # fmt: skip
                assert child.stdin is not None
                child.stdin.write(token)
                child.stdin.close()
                processes.append(child)
            codes = [child.wait() for child in processes]
            sharded_s = time.monotonic() - started
            sharded_load.append(load())
            reports = [f"{tmp}/report-{entry['shard'].split('/')[0]}.json" for entry in matrix]
            merged = run([*common[:4], "--merge-reports", ",".join(reports), "--json"], env, "")
        finally:
            for repository in (first, second):
                forget(bed, repository, options.images, docker_too=True)
    alone = json.loads(single.stdout)["migration"]
    together = json.loads(merged.stdout)["migration"]
    result = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git": subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip(),
        "images": options.images,
        "tags": options.tags,
        "shards_asked": options.shards,
        "matrix": matrix,
        "jobs_per_process": options.jobs,
        "plan": {"wall_s": round(plan.wall_s, 2), "exit": plan.exit_code},
        "one_process": {
            "wall_s": round(single.wall_s, 2),
            "exit": single.exit_code,
            "load_start_end": single_load,
            "distinct_blob_bytes_per_owner": owned,
            **mine(alone, first, owned),
            **alone["totals"],
        },
        "shards_side_by_side": {
            "wall_s": round(sharded_s, 2),
            "exits": codes,
            "merge_exit": merged.exit_code,
            "load_start_end": sharded_load,
            "distinct_blob_bytes_per_owner": owned_second,
            **mine(together, second, owned_second),
            **together["totals"],
        },
    }
    for key in WAYS:
        part = result[key]
        assert isinstance(part, dict)
        distinct = sum(part["distinct_blob_bytes_per_owner"].values())
        part["sent_over_distinct"] = round(part["bytes_sent_mine"] / distinct, 4)
    out = ROOT / "bench/results" / f"migrate-shards-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    print(f"raw results: {out.relative_to(ROOT)}", file=sys.stderr)
    once = {key: result[key]["every_blob_once_per_owner"] for key in WAYS}
    print(f"every blob sent once per owner: {once}", file=sys.stderr)
    ran = single.exit_code == 0 and not any(codes) and merged.exit_code == 0
    return 0 if ran and all(once.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
