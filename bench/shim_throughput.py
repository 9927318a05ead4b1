"""Benchmark: what the loopback shim costs a client, blob by blob.

    python bench/shim_throughput.py --size-mb 1024 --runs 3

Uploads one random blob the way the Docker engine does (POST, one chunked PATCH, PUT ?digest=)
and downloads it again, through `ghpkg serve`'s shim on 127.0.0.1 and, for comparison, straight
to the test bed's front (TLS, nginx, Basic auth), in alternating order. Prints MB/s for each way
and writes the raw timings as JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(_ROOT), str(_ROOT / "src")]

from ghpkg.registry import RegistryClient  # noqa: E402 - after the path set-up above
from ghpkg.registry.session import new_session  # noqa: E402
from ghpkg.secret import Secret  # noqa: E402
from ghpkg.shim.server import Shim  # noqa: E402
from testbed.bed import Testbed  # noqa: E402

PIECE = 32 << 10  # Go's chunked writer sends pieces of about this size


def pieces(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(PIECE):
            yield chunk


def upload(session: requests.Session, base: str, repo: str, blob: Path, digest: str) -> float:
    """POST, one chunked PATCH, PUT ?digest=: seconds."""
    started = time.perf_counter()
    answer = session.post(f"{base}/v2/{repo}/blobs/uploads/", timeout=60)
    answer.raise_for_status()
    location = requests.compat.urljoin(base + "/", answer.headers["Location"])
    answer = session.patch(location, data=pieces(blob), timeout=600)
    answer.raise_for_status()
    location = requests.compat.urljoin(base + "/", answer.headers["Location"])
    joiner = "&" if "?" in location else "?"
    session.put(f"{location}{joiner}digest={digest}", timeout=600).raise_for_status()
    return time.perf_counter() - started


def download(session: requests.Session, base: str, repo: str, digest: str) -> float:
    """GET the blob, every byte read: seconds."""
    started = time.perf_counter()
    with session.get(f"{base}/v2/{repo}/blobs/{digest}", stream=True, timeout=600) as answer:
        answer.raise_for_status()
        for _chunk in answer.iter_content(1 << 20):
            pass
    return time.perf_counter() - started


def options(doc: str, size_mb: int, runs: int) -> argparse.Namespace:
    """--size-mb, --runs and --out, with these defaults."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=size_mb)
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--out", type=Path, default=_ROOT / "bench" / "results")
    return parser.parse_args()


def the_bed() -> tuple[RegistryClient, requests.Session, str]:
    """The bed (started): a registry client for a shim, a session straight to its front, and
    the front's URL; both with the write token."""
    bed = Testbed()
    bed.start()
    token = bed.token("write")
    registry = RegistryClient(bed.registry_host, "octocat", Secret(token), ca_file=bed.ca_file)
    direct = new_session(bed.ca_file)  # its CA wins over REQUESTS_CA_BUNDLE
    direct.auth = ("octocat", token)
    return registry, direct, f"https://{bed.registry_host}"


def main() -> int:
    args = options(__doc__ or "", 1024, 3)
    registry, direct, front = the_bed()
    times: dict[str, list[float]] = {
        f"{way} {kind}": [] for way in ("up", "down") for kind in ("shim", "direct")
    }
    with tempfile.TemporaryDirectory() as scratch, Shim(registry) as shim:
        local = requests.Session()
        local.auth = (shim.login.username, shim.login.password.reveal())  # the shim's own login
        for run in range(args.runs):
            for kind in ("shim", "direct") if run % 2 == 0 else ("direct", "shim"):
                blob = Path(scratch) / "blob"
                blob.write_bytes(os.urandom(args.size_mb << 20))
                digest = "sha256:" + hashlib.sha256(blob.read_bytes()).hexdigest()
                repo = f"octo-org/hello-world/throughput-{uuid.uuid4().hex[:8]}"
                session, base = (
                    (local, f"http://{shim.address}") if kind == "shim" else (direct, front)
                )
                times[f"up {kind}"].append(upload(session, base, repo, blob, digest))
                times[f"down {kind}"].append(download(session, base, repo, digest))
    rates = {name: args.size_mb / statistics.median(values) for name, values in times.items()}
    print("| way | through the shim MB/s | straight to the front MB/s | shim / straight |")
    print("|---|---|---|---|")
    for way in ("up", "down"):
        shim_rate, direct_rate = rates[f"{way} shim"], rates[f"{way} direct"]
        print(
            f"| {way}load | {shim_rate:.0f} | {direct_rate:.0f} | {shim_rate / direct_rate:.2f} |"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    record: dict[str, Any] = {
        "command": " ".join(sys.argv),
        "date": stamp,
        "size_mb": args.size_mb,
        "seconds": times,
        "mb_per_s": rates,
        "load": os.getloadavg(),
    }
    (args.out / f"shim-{stamp}.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
