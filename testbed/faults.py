"""A fault-injecting HTTPS proxy in front of the bed: scripted 5xx, 429, drops and stalls.

`FaultProxy` listens on a loopback port under host names of its own (`faulty-PID.test` and
`docker.faulty-PID.test`, in /etc/hosts while it runs, with a certificate from the bed's CA)
and forwards each request to the bed's nginx as `ghes.test` / `docker.ghes.test`, unless a
scripted `Fault` matches it first. Upload Locations are rewritten back to the proxy's names.
Everything stays on loopback, and nothing is random: a fault hits the first N matching requests.
What happens to each request is `testbed.fault_relay`'s; this module runs the proxy.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import ssl
import threading
from pathlib import Path

from testbed import certs_d, etc_hosts
from testbed.bed import Testbed
from testbed.fault_relay import Fault, FaultServer, Seen
from testbed.pki import Pki, issue_cert

__all__ = ["Fault", "FaultProxy", "Seen"]

MARKER = "# ghpkg-faults"


class FaultProxy:
    """The proxy: `start()`, `script(*faults)` per test, `seen` to check what happened."""

    def __init__(self, bed: Testbed) -> None:
        self.bed = bed
        self.name = f"faulty-{os.getpid()}.test"
        self.directory = bed.paths.root / f"faults-{os.getpid()}"
        self.seen: list[Seen] = []
        self.stopping = threading.Event()
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._server: FaultServer | None = None
        self._upstream = ssl.create_default_context(cafile=str(bed.ca_file))

    @property
    def port(self) -> int:
        """The loopback port the proxy listens on."""
        assert self._server is not None, "the fault proxy is not started"
        return int(self._server.server_address[1])

    @property
    def hostname(self) -> str:
        """What to pass as --hostname: the proxy's GHES name and port."""
        return f"{self.name}:{self.port}"

    @property
    def registry_host(self) -> str:
        """The registry host behind the proxy (subdomain isolation on)."""
        return f"docker.{self.hostname}"

    def start(self) -> FaultProxy:
        """Issue the certificate, name the host in /etc/hosts, and listen (engines not told)."""
        _remove_stale()
        names = [self.name, f"docker.{self.name}"]
        leaf = issue_cert(Pki(self.bed.paths.pki), names, self.directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(leaf.cert_file, leaf.key_file)
        self._server = FaultServer(self, context)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        etc_hosts.add_line(f"127.0.0.1 {' '.join(names)} {MARKER} {os.getpid()}")
        return self

    def stop(self) -> None:
        """Stop listening, release stalled requests, remove what start() added."""
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        etc_hosts.remove_lines(lambda line: line.endswith(f"{MARKER} {os.getpid()}"))
        shutil.rmtree(self.directory, ignore_errors=True)

    def script(self, *faults: Fault) -> None:
        """Replace the fault schedule and forget what was seen."""
        with self._lock:
            self._faults = list(faults)
            self.seen = []

    def requests(self, method: str = "", path: str = "") -> list[Seen]:
        """The requests seen that match a method and a path regex."""
        with self._lock:
            return [
                s
                for s in self.seen
                if (not method or s.method == method) and re.search(path, s.path) is not None
            ]

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault for this request, used up by one."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def record(self, seen: Seen) -> None:
        """Remember one request."""
        with self._lock:
            self.seen.append(seen)

    def upstream(self, host: str) -> http.client.HTTPSConnection:
        """A connection to the bed's nginx for one of its host names."""
        return http.client.HTTPSConnection(host, 443, timeout=120, context=self._upstream)

    def to_bed(self, host: str) -> str:
        """The bed's name for one of the proxy's host names (port dropped)."""
        return host.split(":", 1)[0].replace(self.name, self.bed.hostname)

    def from_bed(self, url: str) -> str:
        """A URL on the bed rewritten onto the proxy (upload Locations)."""
        return re.sub(
            rf"^https://((?:docker\.)?){re.escape(self.bed.hostname)}(?::443)?(?=/|$)",
            lambda m: f"https://{m.group(1)}{self.hostname}",
            url,
        )


def _remove_stale() -> None:
    """Hosts lines of proxies whose process is gone (and certs.d entries older proxies wrote)."""

    def dead(pid: str) -> bool:
        return pid.isdigit() and not Path(f"/proc/{pid}").exists()

    etc_hosts.remove_lines(lambda line: MARKER in line and dead(line.rsplit(" ", 1)[-1]))
    for folder in certs_d.CERTS_DIR.glob("docker.faulty-*.test:*"):
        if dead(folder.name.split("-", 1)[1].split(".", 1)[0]):
            shutil.rmtree(folder, ignore_errors=True)
