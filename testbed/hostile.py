"""A hostile registry double: scripted answers under host names of its own, nothing forwarded.

`HostileRegistry` listens on loopback as `hostile-PID.test` and `docker.hostile-PID.test` (the
instance and its registry) and as `foreign-PID.test` (some other host: a token service or blob
store the registry points at), with a certificate from the bed's CA. Each request is answered by
the first scripted `Rule` that matches its host, method and path, else by a plain registry that
asks for Basic credentials and knows nothing. `seen` records every request with whether it
carried credentials, so a test can prove none reached the foreign host.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import re
import shutil
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from testbed import etc_hosts
from testbed.bed import Testbed
from testbed.pki import Pki, issue_cert
from testbed.tls_server import TlsServer

MARKER = "# ghpkg-hostile"
SCHEMA2 = "application/vnd.docker.distribution.manifest.v2+json"
_API = {"Docker-Distribution-API-Version": "registry/2.0"}


@dataclass
class Rule:
    """Answer requests whose host (`host`: a regex, '' any) and path match, `times` times."""

    path: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    method: str = ""
    host: str = ""
    times: int | None = None  # None: every time; else used up after that many answers
    repeat: bytes = b""  # sent after `body` again and again, chunked, until the client hangs up

    def matches(self, host: str, method: str, path: str) -> bool:
        """Whether this rule answers the request."""
        return (
            (self.times is None or self.times > 0)
            and (not self.method or self.method == method)
            and re.search(self.host, host) is not None
            and re.search(self.path, path) is not None
        )


@dataclass(frozen=True)
class Hit:
    """One request: the host it was sent to, method, path and its Authorization header."""

    host: str
    method: str
    path: str
    authorization: str


@dataclass(frozen=True)
class TinyImage:
    """A one-layer image as bytes: manifest, config and layer, with their digests."""

    manifest: bytes
    config: bytes
    layer: bytes

    @property
    def blobs(self) -> dict[str, bytes]:
        """Blob digest -> bytes."""
        return {_digest(self.config): self.config, _digest(self.layer): self.layer}


def tiny_image(layer: bytes | None = None, config: dict[str, Any] | None = None) -> TinyImage:
    """A valid schema-2 image of one small layer (or of `layer`, and `config`)."""
    data = layer if layer is not None else gzip.compress(b"\0" * 1024, mtime=0)
    body = config or {
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [_digest(gzip.decompress(data))]},
    }
    raw_config = json.dumps(body).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": SCHEMA2,
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": len(raw_config),
            "digest": _digest(raw_config),
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": len(data),
                "digest": _digest(data),
            }
        ],
    }
    return TinyImage(json.dumps(manifest).encode(), raw_config, data)


class HostileRegistry:
    """The double: `start()`, `script(*rules)` per test, `seen` / `hits()` to check."""

    def __init__(self, bed: Testbed) -> None:
        self.bed = bed
        self.name = f"hostile-{os.getpid()}.test"
        self.foreign = f"foreign-{os.getpid()}.test"
        self.directory = bed.paths.root / f"hostile-{os.getpid()}"
        self.seen: list[Hit] = []
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None

    @property
    def port(self) -> int:
        """The loopback port it listens on."""
        assert self._server is not None, "the hostile registry is not started"
        return int(self._server.server_address[1])

    @property
    def hostname(self) -> str:
        """What to pass as --hostname."""
        return f"{self.name}:{self.port}"

    @property
    def registry_host(self) -> str:
        """The registry host (subdomain isolation on)."""
        return f"docker.{self.hostname}"

    def foreign_url(self, path: str = "/") -> str:
        """An https URL on the foreign host."""
        return f"https://{self.foreign}:{self.port}{path}"

    def registry_url(self, path: str = "/", scheme: str = "https") -> str:
        """A URL on the registry host."""
        return f"{scheme}://{self.registry_host}{path}"

    def start(self) -> HostileRegistry:
        """Issue the certificate, name the hosts in /etc/hosts, and listen."""
        names = [self.name, f"docker.{self.name}", f"containers.{self.name}", self.foreign]
        leaf = issue_cert(Pki(self.bed.paths.pki), names, self.directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(leaf.cert_file, leaf.key_file)
        self._server = _Server(self, context)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        etc_hosts.remove_lines(lambda line: MARKER in line and _dead(line.rsplit(" ", 1)[-1]))
        etc_hosts.add_line(f"127.0.0.1 {' '.join(names)} {MARKER} {os.getpid()}")
        return self

    def stop(self) -> None:
        """Stop listening and remove what start() added."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        etc_hosts.remove_lines(lambda line: line.endswith(f"{MARKER} {os.getpid()}"))
        shutil.rmtree(self.directory, ignore_errors=True)

    def script(self, *rules: Rule) -> None:
        """Replace the rules and forget what was seen."""
        with self._lock:
            self._rules = list(rules)
            self.seen = []

    def serve_image(
        self, path: str, tag: str, image: TinyImage, registry: str = "docker"
    ) -> list[Rule]:
        """Rules that serve `image` as PATH:TAG on the docker (or containers) registry host."""
        registry = re.escape(f"{registry}.{self.name}")
        rules = [
            Rule(
                rf"^/v2/{re.escape(path)}/manifests/{re.escape(tag)}$",
                headers={"Content-Type": SCHEMA2, **_API},
                body=image.manifest,
                host=registry,
            )
        ]
        for digest, data in image.blobs.items():
            rules.append(Rule(rf"^/v2/{re.escape(path)}/blobs/{digest}$", body=data, host=registry))
        return rules

    def hits(self, host: str = "") -> list[Hit]:
        """Requests seen whose host starts with `host`."""
        with self._lock:
            return [hit for hit in self.seen if hit.host.startswith(host)]

    def answer(self, host: str, method: str, path: str, authorization: str) -> Rule:
        """Record the request and pick its answer."""
        with self._lock:
            self.seen.append(Hit(host, method, path, authorization))
            for rule in self._rules:
                if rule.matches(host, method, path):
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
        if not authorization:
            challenge = {"WWW-Authenticate": 'Basic realm="GitHub Package Registry"'}
            return Rule("", 401, {**challenge, **_API}, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
        if path == "/v2/":
            return Rule("", 200, dict(_API), b"{}")
        return Rule("", 404, {"Content-Type": "application/json", **_API}, b'{"message":"none"}')


class _Server(TlsServer):
    def __init__(self, double: HostileRegistry, context: ssl.SSLContext) -> None:
        super().__init__(_Handler, context)
        self.double = double


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as front.Handler: no 40 ms stall between head and body
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests look at `seen`."""

    def _serve(self) -> None:
        length = self.headers.get("Content-Length")
        if length and length.isdigit():
            self.rfile.read(int(length))
        elif "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                self.rfile.read(size + 2)
            self.rfile.readline()
        host = self.headers.get("Host", "").split(":", 1)[0]
        rule = self.server.double.answer(
            host, self.command, self.path, self.headers.get("Authorization", "")
        )
        self.send_response_only(rule.status)
        headers = {"Content-Type": "application/octet-stream", **rule.headers}
        for name, value in headers.items():
            self.send_header(name, value.replace("{port}", str(self.server.double.port)))
        if rule.repeat:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._endless(rule.body, rule.repeat)
            return
        self.send_header("Content-Length", str(len(rule.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(rule.body)

    def _endless(self, body: bytes, repeat: bytes) -> None:
        """`body`, then `repeat` forever, as chunks; ends when the client hangs up."""
        self.close_connection = True
        try:
            for chunk in itertools.chain([body] if body else [], itertools.repeat(repeat)):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:  # the client stopped reading: what a bounded reader does
            return

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _dead(pid: str) -> bool:
    return pid.isdigit() and not Path(f"/proc/{pid}").exists()
