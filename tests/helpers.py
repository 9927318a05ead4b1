"""Helpers shared by unit and integration tests."""

from __future__ import annotations

import subprocess
from pathlib import Path


def read_outputs(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT-style file (key=value lines and key<<DELIM heredocs)."""
    values: dict[str, str] = {}
    lines = iter(path.read_text().splitlines())
    for line in lines:
        head = line.split("=", 1)[0]
        if "<<" in head:
            key, delimiter = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            values[key] = "\n".join(body)
        else:
            key, _, value = line.partition("=")
            values[key] = value
    return values


def another_ca(folder: Path, name: str) -> Path:
    """A self-signed CA certificate (PEM) of its own, not the bed's: one an engine may be told
    to trust instead."""
    cert = folder / "other-ca.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={name}", "-keyout", str(folder / "other-ca.key"), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert
