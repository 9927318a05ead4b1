"""Test images built locally (nothing can be pulled here): FROM scratch, no network needed."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

import docker

from testbed.engines.debs import apt_install

BUSYBOX = Path("/bin/busybox")
_CHUNK = 1 << 20
_MTIME = 946_684_800  # 2000-01-01: layer digests depend on the seed only
_WORDS = [
    *("ghpkg", "registry", "layer", "manifest", "digest", "blob", "upload", "token", "package"),
    *("docker", "engine", "image", "tag", "push", "pull", "config", "schema", "media", "type"),
    *("enterprise", "server", "github", "container", "runtime", "snapshot"),
]


def _busybox_static_installed() -> bool:
    """Whether Debian's busybox-static package (a static /bin/busybox) is installed."""
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", "busybox-static"],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() == "install ok installed"


def busybox_path() -> Path:
    """A statically linked busybox (Debian's busybox-static, installed if missing)."""
    if not (BUSYBOX.exists() and _busybox_static_installed()):
        apt_install("busybox-static")
    return BUSYBOX


def _build(client: docker.DockerClient, context: Path, tag: str) -> str:
    """Build context with the engine's classic builder, offline; return the image ID."""
    image, _logs = client.images.build(
        path=str(context), tag=tag, rm=True, forcerm=True, pull=False, network_mode="none"
    )
    image_id = image.id
    if image_id is None:
        raise RuntimeError(f"build of {tag} returned no image ID")
    return image_id


def build_hello(client: docker.DockerClient, tag: str, greeting: str = "hello from ghpkg") -> str:
    """Build a FROM scratch image with static busybox whose CMD prints greeting; return its ID."""
    with tempfile.TemporaryDirectory(prefix="ghpkg-hello-") as tmp:
        context = Path(tmp)
        shutil.copy2(busybox_path(), context / "busybox")
        cmd = json.dumps(["/bin/busybox", "echo", greeting])
        (context / "Dockerfile").write_text(f"FROM scratch\nCOPY busybox /bin/busybox\nCMD {cmd}\n")
        return _build(client, context, tag)


def _write_random(path: Path, size: int, rng: random.Random) -> None:
    """Write size incompressible (pseudo-random) bytes."""
    with open(path, "wb") as out:
        for offset in range(0, size, _CHUNK):
            out.write(rng.randbytes(min(_CHUNK, size - offset)))


def _write_text(path: Path, size: int, rng: random.Random) -> None:
    """Write size bytes of compressible, text-like lines."""
    with open(path, "wb") as out:
        written = 0
        while written < size:
            words = rng.choices(_WORDS, k=_CHUNK // 6)
            chunk = "\n".join(" ".join(words[i : i + 12]) for i in range(0, len(words), 12))
            data = chunk.encode()[: size - written]
            out.write(data)
            written += len(data)


_WRITERS = {"random": _write_random, "text": _write_text}


def build_layers(
    client: docker.DockerClient, tag: str, layers: list[tuple[str, int]], seed: int = 0
) -> str:
    """Build a FROM scratch image with one file layer per (kind, bytes); return its ID.

    kind is "random" (incompressible) or "text" (compressible); content depends only on seed.
    """
    if not layers:
        raise ValueError("build_layers needs at least one layer")
    with tempfile.TemporaryDirectory(prefix="ghpkg-layers-") as tmp:
        context = Path(tmp)
        lines = ["FROM scratch"]
        for index, (kind, size) in enumerate(layers):
            if kind not in _WRITERS or size < 0:
                raise ValueError(f"layer {index}: want ('random'|'text', bytes >= 0), got {kind!r}")
            name = f"layer{index:03d}-{kind}.bin"
            rng = random.Random(f"{seed}:{index}:{kind}")  # noqa: S311 - test data, not secrets
            _WRITERS[kind](context / name, size, rng)
            os.utime(context / name, (_MTIME, _MTIME))
            lines.append(f"COPY {name} /data/{name}")
        (context / "Dockerfile").write_text("\n".join(lines) + "\n")
        return _build(client, context, tag)
