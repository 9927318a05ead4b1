"""Plain HTTP against the bed as a registry client sends it, and tiny schema-2 images to push."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from typing import Any

import requests

from testbed.bed import Testbed

DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"
LAYER_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def digest_of(data: bytes) -> str:
    """The sha256 digest of some bytes, as registries write it."""
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def tiny_layer(text: str) -> tuple[bytes, bytes]:
    """A gzipped tar holding one file: (compressed layer, uncompressed tar)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        content = text.encode()
        info = tarfile.TarInfo("hello.txt")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=0), raw.getvalue()


@dataclass
class Pushed:
    """An image pushed to the bed: its name, tag, manifest bytes and digest, layer digest."""

    name: str
    tag: str
    manifest: bytes
    digest: str
    layer_digest: str


class BedClient:
    """Requests against the bed, as a registry client would send them (Basic auth, the CA)."""

    def __init__(self, bed: Testbed) -> None:
        self.bed = bed

    def request(
        self,
        method: str,
        path: str,
        token: str | None = "write",
        host: str | None = None,
        timeout: float = 30,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request to https://HOST/PATH (or a full URL) with the named token."""
        if token and "auth" not in kwargs:
            kwargs["auth"] = (self.bed.user(token), self.bed.token(token))
        url = path if "://" in path else f"https://{host or self.bed.registry_host}{path}"
        ca = str(self.bed.ca_file)
        return requests.request(method, url, verify=ca, timeout=timeout, **kwargs)

    def api(
        self, path: str, token: str | None = "write", host: str | None = None, **kwargs: Any
    ) -> requests.Response:
        """GET https://HOST/api/v3/PATH with `Authorization: token X`, as PyGithub sends it."""
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"token {self.bed.token(token)}"
        url = f"https://{host or self.bed.hostname}/api/v3{path}"
        return self.request("GET", url, None, headers=headers, **kwargs)

    def upload(self, name: str, data: bytes, token: str = "write", host: str | None = None) -> str:
        """Upload a blob monolithically (POST, then PUT with the digest); return the digest."""
        started = self.request("POST", f"/v2/{name}/blobs/uploads/", token, host)
        assert started.status_code == 202, started.text
        digest = digest_of(data)
        done = self.request(
            "PUT",
            started.headers["Location"],
            token,
            params={"digest": digest},
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert done.status_code == 201, done.text
        return digest

    def manifest_for(
        self, name: str, token: str = "write", host: str | None = None
    ) -> dict[str, Any]:
        """Upload a config and a one-file layer; return the schema-2 manifest that names them."""
        layer, tar = tiny_layer(f"hello from {name}\n")
        config = json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "config": {},
                "rootfs": {"type": "layers", "diff_ids": [digest_of(tar)]},
            }
        ).encode()
        return {
            "schemaVersion": 2,
            "mediaType": DOCKER_V2,
            "config": {
                "mediaType": CONFIG_TYPE,
                "size": len(config),
                "digest": self.upload(name, config, token, host),
            },
            "layers": [
                {
                    "mediaType": LAYER_TYPE,
                    "size": len(layer),
                    "digest": self.upload(name, layer, token, host),
                }
            ],
        }

    def put_manifest(
        self,
        name: str,
        reference: str,
        manifest: dict[str, Any],
        media_type: str = DOCKER_V2,
        token: str = "write",
        host: str | None = None,
    ) -> requests.Response:
        """PUT a manifest under a tag (or digest) with the given Content-Type."""
        return self.request(
            "PUT",
            f"/v2/{name}/manifests/{reference}",
            token,
            host,
            data=json.dumps(manifest).encode(),
            headers={"Content-Type": media_type},
        )

    def get_manifest(
        self,
        name: str,
        reference: str,
        token: str | None = "read",
        host: str | None = None,
        method: str = "GET",
    ) -> requests.Response:
        """GET (or HEAD) a manifest, accepting schema 2 as Docker clients do."""
        path = f"/v2/{name}/manifests/{reference}"
        return self.request(method, path, token, host, headers={"Accept": DOCKER_V2})

    def push(
        self, name: str, tag: str = "1.0", token: str = "write", host: str | None = None
    ) -> Pushed:
        """Push a tiny image under NAME:TAG and return what was pushed."""
        manifest = self.manifest_for(name, token, host)
        answer = self.put_manifest(name, tag, manifest, token=token, host=host)
        assert answer.status_code == 201, answer.text
        body = json.dumps(manifest).encode()
        return Pushed(name, tag, body, digest_of(body), manifest["layers"][0]["digest"])
