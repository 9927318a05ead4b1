"""`ghpkg serve`: the loopback registry as a command, for containerd, skopeo, nodes, buildx.

It listens on a loopback address only and answers only clients that log in with the login it
makes for the run (written to --credentials-file, mode 0600, removed at exit): whoever has that
login acts with the token. Pulls only, unless --allow-push; --owner/--image narrow what it serves.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from ghpkg.errors import GhpkgError
from ghpkg.outputs import Log, Result
from ghpkg.settings import Package, Remote
from ghpkg.shim.listen import parse_listen
from ghpkg.shim.scope import Login, Reach
from ghpkg.shim.server import Shim
from ghpkg.verbs.connect import connect


@dataclass(frozen=True)
class ServeRequest:
    """serve: where it listens, whether it takes pushes, what it serves, the login file."""

    listen: str = "127.0.0.1:5050"  # the loopback address
    allow_push: bool = False  # take pushes too
    owners: tuple[str, ...] = ()  # only these owners' repositories (empty: any)
    images: tuple[str, ...] = ()  # only these images (empty: any)
    credentials_file: Path | None = None  # where the login clients use is written


def serve(request: ServeRequest, remote: Remote, log: Log) -> Result:
    """Serve until SIGTERM or SIGINT; print the address clients use on stdout."""
    registry, _refs = connect(
        remote, (Package("", "", ""), ()), log, "push" if request.allow_push else "pull"
    )
    scope = Reach(
        paths=None,
        writable=request.allow_push,
        owners=frozenset(request.owners),
        images=frozenset(request.images),
    )
    login = Login.random()
    try:
        shim = Shim(
            registry, listen=parse_listen(request.listen), scope=scope, login=login, log=log.info
        )
    except OSError as exc:
        raise GhpkgError(
            f"cannot listen on {request.listen}",
            exc.strerror or str(exc),
            "choose another port with --listen",
        ) from None
    stop = threading.Event()

    def stopping(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, stopping)
    with shim, written(login, request.credentials_file) as where:
        mode = "pulls and pushes" if request.allow_push else "pulls only"
        log.info(f"serving {registry.host} at http://{shim.address}/ ({mode}); stop with SIGTERM")
        for line in how_to_log_in(shim.address, login.username, where):
            log.info(line)
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
        f"stopped: {activity.requests} request(s), {activity.refused} refused, "
        f"{len(activity.pushed)} tag(s) pushed, {len(activity.failures)} failed"
    )
    return Result(images=(), registry=registry.host)


@contextlib.contextmanager
def written(login: Login, path: Path | None) -> Iterator[Path]:
    """The login as JSON at `path` (default: a new private folder), mode 0600, removed at exit.

    Written beside it and renamed into place, so a link planted at `path` is replaced, not
    followed.
    """
    folder = None
    if path is None:
        folder = Path(tempfile.mkdtemp(prefix="ghpkg-serve-"))
        path = folder / "credentials.json"
    data = {"username": login.username, "password": login.password.reveal()}
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".ghpkg-login-")
    try:
        with os.fdopen(descriptor, "w") as stream:
            json.dump(data, stream)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise GhpkgError(
            f"cannot write the login to {path}",
            exc.strerror or str(exc),
            "check --credentials-file",
        ) from None
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        if folder is not None:
            with contextlib.suppress(OSError):
                folder.rmdir()


def how_to_log_in(address: str, username: str, where: Path) -> list[str]:
    """How docker, containerd and skopeo log in, the password read from `where`, never shown."""
    password = f"$(jq -r .password {where})"
    return [
        f"clients log in as {username!r} with the password in {where} (removed at exit):",
        f"  docker:     jq -r .password {where} | docker login -u {username} --password-stdin "
        f"{address}",
        f"  skopeo:     skopeo copy --src-creds {username}:{password} --src-tls-verify=false ...",
        f"  ctr:        ctr images pull --plain-http --user {username}:{password} {address}/...",
        f'  containerd: certs.d/{address}/hosts.toml: [host."http://{address}".header] '
        f'authorization = "Basic " + base64 of "{username}:PASSWORD"; or CRI '
        f'registry.configs."{address}".auth (username, password), or an imagePullSecret',
    ]
