"""Where `ghpkg serve` listens: a loopback address only (read before any network)."""

from __future__ import annotations

from ghpkg.errors import UsageError

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
