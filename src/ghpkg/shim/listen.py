"""Where `ghpkg serve` listens: a literal loopback address only (read before any network)."""

from __future__ import annotations

import ipaddress

from ghpkg.errors import UsageError

DEFAULT_LISTEN = "127.0.0.1:5050"


def parse_listen(value: str) -> tuple[str, int]:
    """`HOST:PORT` where HOST is a literal loopback address (127.0.0.0/8 or [::1]) or localhost.

    A name is never looked up: `127.0.0.1.nip.io` is a host name that may resolve anywhere.
    """
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise UsageError(f"--listen {value!r} is not HOST:PORT", "", "e.g. --listen 127.0.0.1:5050")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise UsageError(
            f"--listen {value!r} is not HOST:PORT",
            "",
            "write an IPv6 address in brackets: [::1]:5050",
        )
    if host == "localhost":
        host = "127.0.0.1"
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise UsageError(
            f"--listen {value!r} is not a loopback address",
            "whoever reaches the shim acts with the token, so it serves this machine only",
            "listen on 127.0.0.1 (point clients on this machine at it)",
        )
    return str(ipaddress.ip_address(host)), int(port)
