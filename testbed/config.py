"""The bed's fixed names, its switches and the files it keeps in its state directory."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_STATE_DIR = Path("/tmp/ghpkg-testbed")
HOSTNAME = "ghes.test"
FLAT_HOSTNAME = "ghes-flat.test"
REGISTRY_HOST = f"docker.{HOSTNAME}"
CONTAINER_HOST = f"containers.{HOSTNAME}"
BACKEND_PORT = 5000
CONTAINER_BACKEND_PORT = 5001
FRONT_PORT = 443
GHES_VERSION = "3.14.0"
LAYER_SIZE_LIMIT = 5 * 1024**3


@dataclass(frozen=True)
class Switches:
    """How the bed behaves; kept in config.json, read by the front on every request."""

    subdomain_isolation: bool = True
    registry_enabled: bool = True
    api_enabled: bool = True
    layer_size_limit: int = LAYER_SIZE_LIMIT
    refuse_digest_gets: bool = True
    # The Container registry at containers.ghes.test; apart from subdomain_isolation so tests of
    # either never disturb the other (ghes-flat.test, never isolated, has no containers host).
    container_registry: bool = True
    # GHES's REST API rate limits, off on a default instance (testbed.ghes.rest_api.RATE_LIMITS).
    rate_limits: bool = False
    # How the REST API names a docker package: REPOSITORY/IMAGE, else IMAGE alone (no page says;
    # testbed.ghes.package_listing.NAME_SHAPES).
    docker_names_with_repository: bool = True
    # HEAD on a manifest by tag answers 405, as an on-prem GHES did (containerd#5860).
    manifest_head_405: bool = True
    # A blob upload's commit answers a Docker-Content-Digest clients cannot parse
    # (build-push-action#148, werf#3188: docker.pkg.github.com in 2020-21).
    bad_upload_digest: bool = False

    def replace(self, **changes: object) -> Switches:
        """Return a copy with `changes` applied, refusing unknown names and wrong types."""
        defaults = Switches()
        for name, value in changes.items():
            if not hasattr(defaults, name):
                raise TypeError(f"unknown test bed switch {name!r}")
            wanted = type(getattr(defaults, name))
            if type(value) is not wanted:
                raise TypeError(f"switch {name} takes a {wanted.__name__}, not {value!r}")
        limit = changes.get("layer_size_limit")
        if isinstance(limit, int) and limit <= 0:
            raise ValueError("layer_size_limit must be a positive number of bytes")
        merged: dict[str, Any] = {**self.as_dict(), **changes}
        return Switches(**merged)

    def as_dict(self) -> dict[str, Any]:
        """Return the switches as a JSON-ready dict."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Paths:
    """Where each file of a bed lives under its state directory."""

    root: Path

    @property
    def state_file(self) -> Path:
        """Runtime state: process ids, the front's port, the token table (mode 0600)."""
        return self.root / "state.json"

    @property
    def config_file(self) -> Path:
        """The switches."""
        return self.root / "config.json"

    @property
    def lock_file(self) -> Path:
        """Serialises start, stop and configure between processes."""
        return self.root / "lock"

    @property
    def storage(self) -> Path:
        """The backend registry's filesystem storage."""
        return self.root / "registry"

    @property
    def backend_config(self) -> Path:
        """The backend registry's YAML configuration."""
        return self.root / "registry.yml"

    @property
    def container_storage(self) -> Path:
        """The Container registry's backend storage (a second distribution registry)."""
        return self.root / "containers"

    @property
    def container_backend_config(self) -> Path:
        """The Container registry backend's YAML configuration."""
        return self.root / "containers.yml"

    @property
    def nginx(self) -> Path:
        """nginx's prefix directory (config, pid file, logs, temp files)."""
        return self.root / "nginx"

    @property
    def pki(self) -> Path:
        """The private CA and the server certificate."""
        return self.root / "pki"

    @property
    def front_port_file(self) -> Path:
        """Where the front writes the port it bound."""
        return self.root / "front.port"

    def log(self, name: str) -> Path:
        """The log file of one process."""
        return self.root / f"{name}.log"


def read_json(path: Path) -> dict[str, Any]:
    """Read a JSON object, or an empty dict if the file is missing or unreadable."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_json(path: Path, data: dict[str, Any], mode: int = 0o644) -> None:
    """Write a JSON object atomically (readers never see half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=2, sort_keys=True)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def load_switches(paths: Paths) -> Switches:
    """Read the switches, falling back to the defaults for anything missing."""
    saved = read_json(paths.config_file)
    known = {k: v for k, v in saved.items() if k in Switches.__dataclass_fields__}
    try:
        return Switches().replace(**known)
    except (TypeError, ValueError):
        return Switches()
