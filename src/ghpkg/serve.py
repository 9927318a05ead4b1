"""`ghpkg serve`: the loopback registry as a command, for containerd, skopeo, nodes, buildx.

It listens on a loopback address only: whoever reaches it acts with the token, so it never
faces the network. Pulls only, unless --allow-push.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

from ghpkg.errors import GhpkgError, UsageError
from ghpkg.operations import connect
from ghpkg.outputs import Log, Result
from ghpkg.settings import Settings
from ghpkg.shim import Scope, Shim

DEFAULT_LISTEN = "127.0.0.1:5050"


def parse_listen(value: str) -> tuple[str, int]:
    """`HOST:PORT` on a loopback address (127.0.0.0/8, localhost or [::1])."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise UsageError(f"--listen {value!r} is not HOST:PORT", "", "e.g. --listen 127.0.0.1:5050")
    if host == "localhost":
        host = "127.0.0.1"
    if not (host.startswith("127.") or host == "::1"):
        raise UsageError(
            f"--listen {value!r} is not a loopback address",
            "whoever reaches the shim acts with the token, so it serves this machine only",
            "listen on 127.0.0.1 (point clients on this machine at it)",
        )
    return host, int(port)


def run(settings: Settings, log: Log) -> Result:
    """Serve until SIGTERM or SIGINT; print the address clients use on stdout."""
    registry, _refs = connect(settings, log, "push" if settings.allow_push else "pull")
    scope = Scope(paths=None, writable=settings.allow_push)
    try:
        shim = Shim(registry, listen=parse_listen(settings.listen), scope=scope, log=log.info)
    except OSError as exc:
        raise GhpkgError(
            f"cannot listen on {settings.listen}",
            exc.strerror or str(exc),
            "choose another port with --listen",
        ) from None
    stop = threading.Event()

    def stopping(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, stopping)
    with shim:
        mode = "pulls and pushes" if settings.allow_push else "pulls only"
        log.info(f"serving {registry.host} at http://{shim.address}/ ({mode}); stop with SIGTERM")
        print(shim.address, file=sys.stdout, flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
    activity = shim.activity
    log.info(
        f"stopped: {activity.requests} request(s), {len(activity.pushed)} tag(s) pushed, "
        f"{len(activity.failures)} failed"
    )
    return Result(images=(), registry=registry.host)
