"""Benchmark: what hashing each relayed blob costs the shim's download path.

    python bench/shim_relay.py --size-mb 200 --runs 5

One random blob, stored once in the test bed; then downloaded in turns through `ghpkg serve`'s
shim as it relays now (unhashed: the client checks the digest), through the shim with the hash
it had before (every piece through sha256, the last held back until it matches), and straight
from the bed's front. Wall and CPU seconds of this process (the shim and the client both run in
it), medians; raw timings as JSON under bench/results/.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import statistics
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import requests

_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(_ROOT), str(_ROOT / "src")]

from bench.shim_throughput import download, options, the_bed, upload  # noqa: E402 - after the path set-up above
from ghpkg.shim.routes import Handler  # noqa: E402
from ghpkg.shim.server import Shim  # noqa: E402


def hashed(chunks: Iterator[bytes], digest: str) -> Iterator[bytes]:
    """The relay's check before: each piece hashed, the last held back until the whole matches."""
    hasher, previous = hashlib.sha256(), None
    for chunk in chunks:
        hasher.update(chunk)
        if previous is not None:
            yield previous
        previous = chunk
    if "sha256:" + hasher.hexdigest() != digest:
        raise ValueError(f"blob {digest} does not match its digest")
    if previous is not None:
        yield previous


def cpu() -> float:
    times = os.times()
    return times.user + times.system


def main() -> int:
    args = options(__doc__ or "", 200, 5)
    registry, direct, front = the_bed()
    repo = f"octo-org/hello-world/relay-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as scratch:
        blob = Path(scratch) / "blob"
        blob.write_bytes(os.urandom(args.size_mb << 20))
        digest = "sha256:" + hashlib.sha256(blob.read_bytes()).hexdigest()
        upload(direct, front, repo, blob, digest)
    relay = Handler._relay

    def hashed_relay(self: Handler, chunks: Iterator[bytes], path: str, blob: str) -> None:
        relay(self, hashed(chunks, blob), path, blob)

    seconds: dict[str, list[tuple[float, float]]] = {"now": [], "hashed": [], "direct": []}
    with Shim(registry) as shim:
        local = requests.Session()
        local.auth = (shim.login.username, shim.login.password.reveal())
        ways: dict[str, Callable[[], float]] = {
            "now": lambda: download(local, f"http://{shim.address}", repo, digest),
            "hashed": lambda: download(local, f"http://{shim.address}", repo, digest),
            "direct": lambda: download(direct, front, repo, digest),
        }
        for run in range(args.runs):
            order = list(ways) if run % 2 == 0 else list(reversed(ways))
            for way in order:
                setattr(Handler, "_relay", hashed_relay if way == "hashed" else relay)  # noqa: B010
                started = cpu()
                wall = ways[way]()
                seconds[way].append((wall, cpu() - started))
    setattr(Handler, "_relay", relay)  # noqa: B010
    print("| relay | wall s | CPU s (shim + client) |")
    print("|---|---|---|")
    for way, values in seconds.items():
        wall = statistics.median(v[0] for v in values)
        used = statistics.median(v[1] for v in values)
        print(f"| {way} | {wall:.3f} | {used:.3f} |")
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    record = {"command": " ".join(sys.argv), "size_mb": args.size_mb, "seconds": seconds}
    record["load"] = list(os.getloadavg())
    (args.out / f"relay-{stamp}.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
