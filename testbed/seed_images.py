"""Tiny schema-2 images written straight into a bed backend (plain HTTP on 127.0.0.1, no auth),
for tests and benchmarks that need many images fast: no engine, no front, no token rules.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from testbed.client import CONFIG_TYPE, DOCKER_V2, LAYER_TYPE, digest_of, tiny_layer


def upload(session: requests.Session, backend: str, name: str, data: bytes) -> str:
    """Upload one blob monolithically (skipped if the repository has it); return its digest."""
    digest = digest_of(data)
    if session.head(f"{backend}/v2/{name}/blobs/{digest}", timeout=30).status_code == 200:
        return digest
    started = session.post(f"{backend}/v2/{name}/blobs/uploads/", timeout=30)
    started.raise_for_status()
    location = started.headers["Location"]
    url = location if "://" in location else f"{backend}{location}"
    done = session.put(url, params={"digest": digest}, data=data, timeout=60)
    done.raise_for_status()
    return digest


def push(
    session: requests.Session,
    backend: str,
    name: str,
    tag: str,
    texts: list[str],
    labels: dict[str, str] | None = None,
    blobs: dict[str, int] | None = None,
) -> str:
    """Push OWNER/.../IMAGE:TAG with one gzipped one-file layer per text; return the digest.

    `blobs`, if given, receives each blob's digest and size.
    """
    layers = [tiny_layer(text) for text in texts]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Labels": labels or {}},
            "rootfs": {"type": "layers", "diff_ids": [digest_of(tar) for _, tar in layers]},
        },
        sort_keys=True,
    ).encode()
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": DOCKER_V2,
        "config": {
            "mediaType": CONFIG_TYPE,
            "size": len(config),
            "digest": upload(session, backend, name, config),
        },
        "layers": [
            {
                "mediaType": LAYER_TYPE,
                "size": len(layer),
                "digest": upload(session, backend, name, layer),
            }
            for layer, _ in layers
        ],
    }
    if blobs is not None:
        for descriptor in (manifest["config"], *manifest["layers"]):
            blobs[str(descriptor["digest"])] = int(descriptor["size"])
    body = json.dumps(manifest).encode()
    answer = session.put(
        f"{backend}/v2/{name}/manifests/{tag}",
        data=body,
        headers={"Content-Type": DOCKER_V2},
        timeout=30,
    )
    answer.raise_for_status()
    return digest_of(body)
