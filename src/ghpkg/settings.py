"""The one typed value every operation takes; built by ghpkg.inputs from argv or INPUT_*."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ghpkg.reference import Reference, registry_host
from ghpkg.secret import Secret

OPERATIONS = ("push", "pull", "ref", "versions", "delete")
TRANSPORTS = ("auto", "engine", "registry")


@dataclass(frozen=True)
class Settings:
    """Everything an operation needs, validated; no environment access beyond this."""

    operation: str
    hostname: str
    isolation: bool | None
    owner: str
    repository: str
    image: str
    versions: tuple[str, ...]
    username: str
    token: Secret = field(repr=False)
    ca_file: Path | None = None
    source: str | None = None
    context: Path = Path()
    dockerfile: str | None = None
    build_args: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    target: str | None = None
    transport: str = "auto"
    retries: int = 4
    timeout: float = 60.0
    workflow_repository: str = ""
    revision: str = ""
    docker_host: str | None = None
    keep: int | None = None
    dry_run: bool = False
    version_note: str = ""

    @property
    def api_url(self) -> str:
        """The REST API root of the instance."""
        return f"https://{self.hostname}/api/v3"

    @property
    def repository_url(self) -> str:
        """The repository's page on the instance (the OCI `source` label)."""
        return f"https://{self.hostname}/{self.owner}/{self.repository}"

    @property
    def package_url(self) -> str:
        """Where the repository's packages are listed on the instance."""
        return f"{self.repository_url}/packages"

    def references(self, isolation: bool) -> list[Reference]:
        """One reference per version, under the registry host of the given layout."""
        host = registry_host(self.hostname, isolation)
        return [
            Reference(host, self.owner, self.repository, self.image, version)
            for version in self.versions
        ]
