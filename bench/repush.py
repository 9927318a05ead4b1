"""The fixed cost of a push: `ghpkg push --source IMAGE` of an image whose blobs are all in the
registry already (a new tag of an image just pushed, the digest cache warm), to the test bed,
on each engine asked, for each `--tree` (a ghpkg src/ folder), the trees taking turns.

    python3 bench/repush.py --tree before=/tmp/base/src --tree after=src --engines 20.10,28.5 \
        --runs 7 --out bench/results/repush-X.json

Needs the bed and the engines running (as the integration tests leave them); starts neither.
`--trust`: the engines trust the bed's CA meanwhile, so 28.5's classic store pushes straight to
the instance (transports.choice.straight) instead of through the shim.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_ROOT), str(_ROOT / "src")]

from bench import timing  # noqa: E402 - after the path set-up above

if TYPE_CHECKING:
    from testbed.bed import Testbed

OWNER, REPOSITORY = "octo-org", "hello-world"


@dataclass(frozen=True)
class Pusher:
    """`python -m ghpkg push --source IMAGE_ID` of one image to the bed, from one engine."""

    python: str
    bed: Testbed
    image: str
    image_id: str
    env: dict[str, str]

    def push(self, src: Path, version: str) -> timing.Child:
        argv = [self.python, "-m", "ghpkg", "push", "--hostname", self.bed.hostname]
        argv += ["--owner", OWNER, "--repository", REPOSITORY, "--image", self.image]
        argv += ["--version", version, "--source", self.image_id]
        argv += ["--ca-file", str(self.bed.ca_file)]
        argv += ["--username", self.bed.user("write"), "--password-stdin"]
        env = self.env | {"PYTHONPATH": str(src)}
        child = timing.run(argv, env, stdin=self.bed.token("write"))
        if child.exit_code != 0:
            raise SystemExit(f"error: {src}: {child.error}")
        return child


def on_engine(
    name: str, bed: Testbed, trees: dict[str, Path], args: argparse.Namespace, loads: list[float]
) -> dict[str, Any]:
    """Push a fresh 4 MB image once, then re-push it RUNS times from each tree, in turns."""
    import docker

    from testbed.engines.probe import running
    from testbed.images import build_layers

    engine = running(name)
    if engine is None:
        raise SystemExit(f"error: engine {name} is not running")
    client = docker.DockerClient(base_url=engine.base_url, version="auto")
    image_id = build_layers(client, f"bench-repush/{uuid.uuid4().hex[:8]}", [("random", 4 << 20)])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DOCKER_"))}
    env |= {"DOCKER_HOST": engine.base_url}
    env |= {"XDG_CACHE_HOME": tempfile.mkdtemp(prefix="ghpkg-bench-cache-")}
    pusher = Pusher(args.python, bed, f"bench-repush-{uuid.uuid4().hex[:6]}", image_id, env)
    try:
        first = pusher.push(next(iter(trees.values())), "1")  # every blob is there from now on
        walls: dict[str, list[float]] = {label: [] for label in trees}
        for run in range(args.runs):
            for label, src in trees.items():
                walls[label].append(round(pusher.push(src, f"r{run}-{label}").wall_s, 4))
                loads.append(os.getloadavg()[0])
    finally:
        client.images.remove(image_id, force=True)
        client.close()
    return {
        "engine": engine.version,
        "transport": timing.transport_used(first.stderr),
        "first_push_s": round(first.wall_s, 4),
        "trees": {
            label: {"runs_s": times, "median_s": timing.median(times)}
            for label, times in walls.items()
        },
    }


def main() -> int:
    """Measure each engine and write the JSON document."""
    from testbed.bed import Testbed

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    timing.tree_option(parser, "a ghpkg src/ folder and its label, e.g. after=src")
    parser.add_argument("--engines", default="20.10,28.5")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--python", default=sys.executable, help="the Python that runs ghpkg")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--trust",
        action="store_true",
        help="the engines trust the bed's CA meanwhile (certs.d): 28.5 pushes straight",
    )
    args = parser.parse_args()
    trees = timing.trees(args.tree)
    bed = Testbed(os.environ.get("GHPKG_TESTBED_DIR") or "/tmp/ghpkg-testbed")
    if not bed.is_up():
        raise SystemExit("error: the test bed is not up; run an integration test first")
    loads = [os.getloadavg()[0]]
    from testbed.certs_d import trusting

    hosts = [bed.registry_host] if args.trust else []
    with trusting(bed.ca_file, *hosts):
        results = {
            name: on_engine(name, bed, trees, args, loads) for name in args.engines.split(",")
        }
    document = {
        "python": platform.python_version(),
        "ghpkg_python": args.python,
        "trees": {label: str(src) for label, src in trees.items()},
        "load_min": min(loads),
        "load_max": max(loads),
        "engines_trust_the_ca": args.trust,
        "engines": results,
    }
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"1-minute load {min(loads):.1f}-{max(loads):.1f}")
    for name, result in results.items():
        for label, tree in result["trees"].items():
            print(f"{name} ({result['transport']}): {label}: median {tree['median_s']:.3f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
