"""What TLS verifies against: --ca-file, else the system's CA bundle (as the Docker engine does)."""

from __future__ import annotations

from pathlib import Path


def trust_store(ca_file: Path | None) -> str | bool:
    """The `verify` value for requests: never off, and the OS's bundle rather than certifi's."""
    if ca_file is not None:
        return str(ca_file)
    import ssl  # deferred: ssl costs `ghpkg --help` (which imports this module) ~10 ms

    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and Path(candidate).is_file():
            return candidate
    return True
