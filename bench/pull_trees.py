"""Benchmark: `ghpkg pull` of one image by two source trees in turns (a before/after).

    python bench/pull_trees.py --engine 28.5 --tree before=BASE/src --tree after=src --runs 6

Builds one image of the `mixed` workload (--size-mb), pushes it to the test bed with the
registry transport, then pulls it with each tree's ghpkg in alternating order, the image removed
from the engine before every pull. Wall seconds of each child process; the medians printed, the
raw timings as JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(_ROOT), str(_ROOT / "src")]

import docker  # noqa: E402 - after the path set-up above

from bench.workloads import layers  # noqa: E402
from testbed import engines  # noqa: E402
from testbed.bed import Testbed  # noqa: E402
from testbed.images import build_layers  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--engine", default="28.5", choices=engines.ENGINE_NAMES)
    parser.add_argument("--tree", action="append", required=True, help="NAME=SRC_DIR (twice)")
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--transport", default="auto")
    parser.add_argument("--python", default=sys.executable, help="the Python that runs ghpkg")
    parser.add_argument("--out", type=Path, default=_ROOT / "bench" / "results")
    args = parser.parse_args()
    trees = dict(tree.split("=", 1) for tree in args.tree)
    bed = Testbed()
    bed.start()
    token = bed.token("write")
    engine = engines.start(args.engine)
    client = docker.DockerClient(base_url=engine.base_url, version="auto")
    image = f"trees-{uuid.uuid4().hex[:6]}"
    source = build_layers(client, f"bench-src/{image}:1", layers("mixed", args.size_mb), seed=1)

    def ghpkg(src: str, op: str, *extra: str) -> float:
        argv = [args.python, "-m", "ghpkg", op, "--hostname", bed.hostname, "--owner"]
        argv += ["octo-org", "--repository", "hello-world", "--image", image, "--version", "1"]
        argv += ["--ca-file", str(bed.ca_file), "--username", bed.user("write")]
        env = os.environ | {"DOCKER_HOST": engine.base_url, "PYTHONPATH": str(Path(src).resolve())}
        started = time.perf_counter()
        done = subprocess.run(
            [*argv, "--password-stdin", *extra],
            input=token + "\n",
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise SystemExit(f"{op} failed: {done.stderr.strip().splitlines()[-1]}")
        return time.perf_counter() - started

    first = next(iter(trees.values()))
    ghpkg(first, "push", "--transport", "registry", "--source", source)
    client.images.remove(source, force=True)
    reference = f"{bed.registry_host}/octo-org/hello-world/{image}"
    seconds: dict[str, list[float]] = {name: [] for name in trees}
    load_before = list(os.getloadavg())
    for run in range(args.runs):
        for name in list(trees) if run % 2 == 0 else list(reversed(trees)):
            for pulled in client.images.list(name=reference):
                client.images.remove(str(pulled.id), force=True)
            seconds[name].append(ghpkg(trees[name], "pull", "--transport", args.transport))
    for name, values in seconds.items():
        print(f"{name}: median {statistics.median(values):.3f} s, runs {values}")
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    record = {"command": " ".join(sys.argv), "trees": trees, "seconds": seconds}
    record["load"] = {"before": load_before, "after": list(os.getloadavg())}
    record["engine"], record["size_mb"] = args.engine, args.size_mb
    (args.out / f"pull-trees-{stamp}.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
