"""`ghpkg serve`: the loopback registry as a command, for containerd, skopeo, nodes, buildx.

It listens on a loopback address only: whoever reaches it acts with the token, so it never
faces the network. Pulls only, unless --allow-push.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

from ghpkg.errors import GhpkgError
from ghpkg.listen import parse_listen
from ghpkg.outputs import Log, Result
from ghpkg.settings import Settings
from ghpkg.shim import Scope, Shim
from ghpkg.verbs.connect import connect


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
