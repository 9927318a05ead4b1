"""A real CNCF distribution registry (Debian's /usr/bin/docker-registry) for client tests.

Two listeners share one storage directory: TLS with a private CA for ghpkg's client, and
plain HTTP on 127.0.0.1 for a Docker engine (which allows plain HTTP there).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import requests

from testbed.pki import ensure_pki

REGISTRY_BINARY = Path("/usr/bin/docker-registry")


@dataclass(frozen=True)
class RawRegistry:
    """Where the registry listens, the CA that signs its certificate, and its storage."""

    host: str
    plain_host: str
    ca_file: Path
    storage: Path


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(storage: Path, port: int, tls: tuple[Path, Path] | None) -> str:
    lines = [
        "version: 0.1",
        "log: {level: error, accesslog: {disabled: true}}",
        f"storage: {{filesystem: {{rootdirectory: {storage}}}, delete: {{enabled: true}}}}",
        "http:",
        f"  addr: 127.0.0.1:{port}",
        "  draintimeout: 1s",
    ]
    if tls:
        lines.append(f"  tls: {{certificate: {tls[0]}, key: {tls[1]}}}")
    return "\n".join(lines) + "\n"


def _wait(url: str, verify: str | bool, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"docker-registry exited with {process.returncode}")
        with suppress(requests.RequestException):
            if requests.get(url, verify=verify, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"docker-registry did not answer on {url}")


@contextmanager
def raw_registry(directory: Path) -> Iterator[RawRegistry]:
    """Start the registry (TLS + plain listeners) in directory; stop both on exit."""
    if not REGISTRY_BINARY.exists():
        raise RuntimeError("docker-registry is not installed (apt-get install docker-registry)")
    pki = ensure_pki(directory / "pki", ["localhost"])
    storage = directory / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        hosts = []
        for tls in ((pki.cert_file, pki.key_file), None):
            port = free_port()
            config = directory / f"config-{port}.yml"
            config.write_text(_config(storage, port, tls))
            env = {**os.environ, "OTEL_TRACES_EXPORTER": "none"}
            process = subprocess.Popen(
                [str(REGISTRY_BINARY), "serve", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
            processes.append(process)
            scheme, verify = ("https", str(pki.ca_file)) if tls else ("http", False)
            _wait(f"{scheme}://127.0.0.1:{port}/v2/", verify, process)
            hosts.append(f"127.0.0.1:{port}")
        yield RawRegistry(hosts[0], hosts[1], pki.ca_file, storage)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(storage, ignore_errors=True)
