"""The engine's trust in a registry's certificate: `/etc/docker/certs.d/HOST/*.crt`.

Whether an engine on this machine trusts a host already (`trusts`: a push may then go straight
to it), and, for a digest pull from the Container registry, `--ca-file` put there for that one
call (`trusted`). ghpkg never overwrites a CA someone else put there, and removes what it added
when the call is over.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ghpkg.progress import Lines

CERTS_D = Path("/etc/docker/certs.d")


def trusts(host: str, ca_file: Path | None, certs_d: Path = CERTS_D) -> bool:
    """Whether an engine on this machine trusts host's certificate, as far as ghpkg can tell: a
    CA in its certs.d folder (the engine reads every `*.crt` there, at each connection), or none
    needed (no --ca-file: the certificate is one the system's roots verify)."""
    if ca_file is None:
        return True
    try:
        return any((certs_d / host).glob("*.crt"))
    except OSError:
        return False


@contextmanager
def trusted(
    ca_file: Path | None, host: str, log: Lines, warn: Lines, certs_d: Path = CERTS_D
) -> Iterator[None]:
    """Make the engine trust ca_file for host while the block runs."""
    added: list[Path] = []
    if ca_file is not None:
        target = certs_d / host / "ca.crt"
        try:
            added = _install(ca_file, target, host, log, warn)
        except OSError as exc:
            why = exc.strerror or str(exc)
            warn(f"could not install the CA at {target} ({why}); the engine may not trust {host}")
    try:
        yield
    finally:
        for path in reversed(added):
            with contextlib.suppress(OSError):  # something else was put beside it: leave it
                path.unlink() if path.is_file() else path.rmdir()


def _install(ca_file: Path, target: Path, host: str, log: Lines, warn: Lines) -> list[Path]:
    """Write the CA where it is missing; the paths written, for their removal."""
    wanted = ca_file.read_bytes()
    if target.exists():
        if target.read_bytes() != wanted:
            warn(f"{target} holds another CA: left as it is, so the engine may not trust {host}")
        return []
    added = [folder for folder in (target.parent.parent, target.parent) if not folder.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(wanted)
    log(f"the engine trusts {ca_file} for {host} during this pull ({target})")
    return [*added, target]
