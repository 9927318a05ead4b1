"""A private CA and a server certificate for the bed's host names, made with the openssl CLI."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_DAYS = "3650"


@dataclass(frozen=True)
class Pki:
    """The files of the bed's PKI."""

    directory: Path

    @property
    def ca_file(self) -> Path:
        """The CA certificate clients must trust (PEM)."""
        return self.directory / "ca.crt"

    @property
    def ca_key(self) -> Path:
        """The CA's private key."""
        return self.directory / "ca.key"

    @property
    def cert_file(self) -> Path:
        """The server certificate, followed by nothing else (the CA is a root)."""
        return self.directory / "server.crt"

    @property
    def key_file(self) -> Path:
        """The server's private key."""
        return self.directory / "server.key"

    @property
    def names_file(self) -> Path:
        """The names the server certificate was made for, one a line."""
        return self.directory / "server.names"


def _openssl(*args: str) -> None:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {result.stderr.strip()}")


def ensure_pki(directory: Path, names: Sequence[str]) -> Pki:
    """Make the CA once, and a server certificate for `names` unless one already covers them."""
    pki = Pki(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not (pki.ca_file.exists() and pki.ca_key.exists()):
        _openssl(
            "req", "-x509", "-new", "-nodes", "-newkey", "rsa:2048", "-sha256", "-days", _DAYS,
            "-subj", "/O=ghpkg test bed/CN=ghpkg test bed CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout", str(pki.ca_key), "-out", str(pki.ca_file),
        )  # fmt: skip
        pki.cert_file.unlink(missing_ok=True)
    wanted = "\n".join(names)
    if pki.cert_file.exists() and pki.names_file.exists() and pki.names_file.read_text() == wanted:
        return pki
    _make_server_cert(pki, names)
    pki.names_file.write_text(wanted)
    return pki


def issue_cert(pki: Pki, names: Sequence[str], directory: Path) -> Pki:
    """A server certificate for other names, signed by the bed's CA, in its own directory."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    leaf = Pki(directory)
    _make_server_cert(pki, names, leaf)
    return leaf


def _make_server_cert(pki: Pki, names: Sequence[str], out: Pki | None = None) -> None:
    """Sign a server certificate with every name (and 127.0.0.1) as a subjectAltName."""
    out = out or pki
    csr = out.directory / "server.csr"
    extensions = out.directory / "server.ext"
    sans = ",".join([*(f"DNS:{name}" for name in names), "IP:127.0.0.1"])
    extensions.write_text(
        f"subjectAltName={sans}\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
    )
    _openssl(
        "req", "-new", "-nodes", "-newkey", "rsa:2048", "-subj", f"/CN={names[0]}",
        "-keyout", str(out.key_file), "-out", str(csr),
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(pki.ca_file), "-CAkey", str(pki.ca_key),
        "-CAcreateserial", "-days", "825", "-sha256", "-extfile", str(extensions),
        "-out", str(out.cert_file),
    )  # fmt: skip
    csr.unlink()
