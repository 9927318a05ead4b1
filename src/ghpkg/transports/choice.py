"""Which transport a push or pull takes: the user's word, else what is fastest on the engine.

`auto` follows bench/results: the engine's own push is slower than ghpkg's parallel gzip on
Engines before 28 (classic store) and faster from 28 and on the containerd store; the engine's
pull is the faster one everywhere. Where the engine cannot reach ghpkg's loopback (ghpkg runs in
a container, or the engine on another machine), only the registry transport works.

The engine's push goes `straight` to the instance, not through ghpkg's loopback registry, where
nothing needs translating, the engine trusts the instance, and the registry's challenge is Basic
(see `straight`).
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

import docker.errors

from ghpkg.engine import Engine, EngineInfo
from ghpkg.engine.trust import trusts
from ghpkg.errors import EngineError
from ghpkg.registry import RegistryClient
from ghpkg.secret import Secret
from ghpkg.settings import Transport

FASTER_ENGINE_PUSH = 28
FASTER_ENGINE_PULL = 20
DEFAULT_SOCKET = "/var/run/docker.sock"  # the engine when DOCKER_HOST is unset, as docker's


@dataclass(frozen=True)
class ChosenTransport:
    """A transport (engine or registry) and why it was chosen, for the log."""

    transport: Transport
    why: str


@dataclass(frozen=True)
class Straight:
    """Whether the engine's push goes straight to the instance; where the registry's answer
    alone keeps it on the shim, why (for the log)."""

    go: bool
    why: str = ""


def choose(requested: Transport, verb: str, info: EngineInfo, unreachable: str) -> ChosenTransport:
    """The transport for `verb` (push or pull); `unreachable` says why the shim is out of reach."""
    if requested is Transport.REGISTRY:
        return ChosenTransport(Transport.REGISTRY, "as asked")
    if unreachable:
        if requested is Transport.ENGINE:
            raise EngineError(
                "the engine cannot reach ghpkg's loopback registry",
                unreachable,
                "use --transport registry (or auto), which needs no engine network",
            )
        why = f"the engine cannot reach ghpkg's loopback registry: {unreachable}"
        return ChosenTransport(Transport.REGISTRY, why)
    if requested is Transport.ENGINE:
        return ChosenTransport(Transport.ENGINE, "as asked")
    if info.containerd_store:
        return ChosenTransport(Transport.ENGINE, "fastest on the containerd image store")
    threshold = FASTER_ENGINE_PUSH if verb == "push" else FASTER_ENGINE_PULL
    if info.major >= threshold:
        return ChosenTransport(Transport.ENGINE, f"fastest on Engine {threshold}+")
    return ChosenTransport(
        Transport.REGISTRY, f"faster than the engine's own {verb} before Engine {threshold}"
    )


def unreachable(engine: Engine, remote: bool) -> str:
    """Why the engine cannot reach a shim on this machine's loopback, or "" when it can.

    Only where it is in doubt (ghpkg in a container, or DOCKER_HOST naming another host): the
    engine is asked to pull from a shim that serves nothing, and the shim listens for it.
    """
    if not remote:
        return ""
    from ghpkg.shim.scope import Reach  # the shim's modules only for this probe
    from ghpkg.shim.server import Shim

    nowhere = RegistryClient("localhost", "", Secret(""))  # the empty shim never forwards
    with Shim(nowhere, scope=Reach(frozenset(), writable=False)) as shim:
        # Refused by the shim, or it never reached the shim: the shim's request count tells.
        with contextlib.suppress(docker.errors.DockerException):
            engine.client.api.pull(f"{shim.address}/ghpkg/reach", tag="probe")
        if shim.activity.requests:
            return ""
    return (
        "its connection to 127.0.0.1 does not reach this process (a container, or a remote engine)"
    )


def shares_network(docker_host: str | None) -> bool:
    """Whether the engine behind a unix socket is a dockerd in this process's network namespace
    (the same loopback, in or out of a container: no reach probe needed).

    The socket's peer credentials name the process that listens; where that is a dockerd seen
    from here whose network namespace is this one, it reaches ghpkg's loopback. False wherever
    that cannot be told: a TCP engine, a socket mounted from the host (its listener is in
    another PID namespace: pid 0), a proxy or systemd listening in its stead, /proc unreadable.
    """
    host = docker_host or f"unix://{DEFAULT_SOCKET}"
    if not host.startswith("unix://") or not hasattr(socket, "SO_PEERCRED"):  # Linux's only
        return False
    path = host.removeprefix("unix://")
    try:
        with socket.socket(socket.AF_UNIX) as connection:
            connection.settimeout(1)
            connection.connect(path)
            credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        pid = struct.unpack("3i", credentials)[0]
        if pid <= 0 or Path(f"/proc/{pid}/comm").read_text().strip() != "dockerd":
            return False
        return os.readlink(f"/proc/{pid}/ns/net") == os.readlink("/proc/self/ns/net")
    except OSError:
        return False


def straight(info: EngineInfo, registry: RegistryClient, ca_file: Path | None) -> Straight:
    """Whether the engine's push may go straight to the registry (no relay), once the engine
    transport is chosen (so the engine shares this machine's loopback).

    Only the classic image store, whose push is one schema-2 manifest as the GHES registry takes
    it (the containerd store pushes OCI, which the shim translates); only where the engine
    trusts the host's certificate as ghpkg reads its certs.d (where ghpkg reads another certs.d
    than the engine's, ghpkg in a container on the host's network, the engine refuses the
    certificate and the push goes through the shim); and only where the registry asks a client
    without credentials for Basic ones, as the GHES Docker registry does: the engine then sends
    the token to that host alone. A Bearer challenge would send the engine with the token to
    the token service it names, which ghpkg checks only for its own requests: the shim, then.
    """
    if info.containerd_store or not trusts(registry.host, ca_file):
        return Straight(False)
    asked = registry.challenge()  # what the engine's first request will be answered
    if asked.scheme == "basic":
        return Straight(True)
    if asked.scheme == "bearer":  # even one on the instance: the engine follows any realm
        why = f"it names a token service, {asked.realm}, where the engine would send the token"
        return Straight(False, why)
    return Straight(False, "its /v2/ answers a client without credentials with no Basic challenge")
