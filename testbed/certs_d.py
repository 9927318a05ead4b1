"""The engines' trust in the bed's CA: `/etc/docker/certs.d/HOST/ca.crt`, never by default.

The bed does not make the engines trust its CA: ghpkg must do that itself where it needs it
(`ghpkg.engine_trust`). A test that sends an engine to the bed on its own (`docker push` of a
fixture image) trusts the CA for the length of a `with trusting(...)` block, which removes
what it wrote.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

CERTS_DIR = Path("/etc/docker/certs.d")


@contextmanager
def trusting(ca_file: Path, *hosts: str, certs_dir: Path = CERTS_DIR) -> Iterator[None]:
    """Let every engine trust ca_file for hosts while the block runs; remove what was added."""
    added: list[Path] = []
    try:
        for host in hosts:
            target = certs_dir / host / "ca.crt"
            if target.exists():
                continue  # someone else's entry (another test's block): theirs to remove
            added += [folder for folder in (certs_dir, target.parent) if not folder.exists()]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(ca_file.read_bytes())
            added.append(target)
        yield
    finally:
        for path in reversed(added):
            with contextlib.suppress(OSError):
                path.unlink() if path.is_file() else path.rmdir()


def remove_ours(ca_file: Path, hosts: Iterable[str], certs_dir: Path = CERTS_DIR) -> None:
    """Remove certs.d entries for hosts that hold ca_file (an earlier bed's, a crashed test's)."""
    ours = ca_file.read_bytes() if ca_file.exists() else None
    for host in hosts:
        cert = certs_dir / host / "ca.crt"
        if ours is not None and cert.is_file() and cert.read_bytes() == ours:
            cert.unlink()
            with contextlib.suppress(OSError):
                cert.parent.rmdir()


def trusted_hosts(ca_file: Path, certs_dir: Path = CERTS_DIR) -> list[str]:
    """The hosts for which certs.d holds ca_file now."""
    if not certs_dir.is_dir() or not ca_file.exists():
        return []
    ours = ca_file.read_bytes()
    return sorted(
        cert.parent.name
        for cert in certs_dir.glob("*/ca.crt")
        if cert.is_file() and cert.read_bytes() == ours
    )
