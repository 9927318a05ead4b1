"""What the verbs share: the instance and credentials (`Remote`), the package (`Package`), the
engine (`EngineAccess`) and the words of their choices. Each verb's own request (`PushRequest`,
...) lives with the verb (`ghpkg.verbs.push`, ...), so a verb's start-up builds only its own;
ghpkg.faces.inputs builds them from argv or INPUT_*, a library caller directly."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from ghpkg.reference import Reference, container_host, registry_host
from ghpkg.secret import Secret


class Choice(str, Enum):
    """One of a few words: equal to its word, and printed as it (`auto`, not `Transport.AUTO`)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    @classmethod
    def words(cls) -> tuple[str, ...]:
        """The words, in declaration order (the options table's choices)."""
        return tuple(member.value for member in cls)


class Operation(Choice):
    """The verb to run."""

    PUSH = "push"
    PULL = "pull"
    REF = "ref"
    VERSIONS = "versions"
    DELETE = "delete"
    COPY = "copy"
    JOIN = "join"
    DOCTOR = "doctor"
    SERVE = "serve"
    MIGRATE = "migrate"


class Transport(Choice):
    """How an image travels: through the engine (the loopback shim) or the registry API."""

    AUTO = "auto"
    ENGINE = "engine"
    REGISTRY = "registry"


class Registry(Choice):
    """The Docker registry (docker.HOST or HOST), or the Container registry (containers.HOST)."""

    DOCKER = "docker"
    CONTAINER = "container"


class Scope(Choice):
    """migrate: one repository's images, or every image of an organization or a user."""

    REPO = "repo"
    ORG = "org"
    USER = "user"


@dataclass(frozen=True)
class Remote:
    """The instance and the credentials every verb and every registry and REST API client is
    made with: host, token, TLS, the retry policy's numbers, the layout and the registry."""

    hostname: str
    username: str
    token: Secret = field(repr=False)
    ca_file: Path | None = None
    timeout: float = 60.0
    retries: int = 4
    isolation: bool | None = None  # the Docker registry's layout (None: probe it)
    registry: Registry = Registry.DOCKER  # the Docker registry, or the Container registry

    def __post_init__(self) -> None:
        """A registry given as a word (by a library caller) becomes a member."""
        object.__setattr__(self, "registry", Registry(self.registry))

    @property
    def api_url(self) -> str:
        """The REST API root of the instance."""
        return f"https://{self.hostname}/api/v3"


@dataclass(frozen=True)
class Package:
    """An image's name on the instance: OWNER/REPOSITORY/IMAGE (Container registry: OWNER/IMAGE)."""

    owner: str
    repository: str
    image: str

    def url(self, hostname: str) -> str:
        """Where the packages are listed on the instance (the owner's, without a repository)."""
        if self.repository:
            return f"https://{hostname}/{self.owner}/{self.repository}/packages"
        return f"https://{hostname}/{self.owner}?tab=packages"

    def references(
        self, remote: Remote, versions: tuple[str, ...], isolation: bool
    ) -> list[Reference]:
        """One reference per version, under the registry host of the given layout."""
        if remote.registry is Registry.CONTAINER:
            host = container_host(remote.hostname)
            return [Reference(host, self.owner, "", self.image, v) for v in versions]
        host = registry_host(remote.hostname, isolation)
        return [Reference(host, self.owner, self.repository, self.image, v) for v in versions]


@dataclass(frozen=True)
class EngineAccess:
    """How ghpkg reaches the Docker engine, and which transport it asks for."""

    docker_host: str | None = None  # the engine (None: the default socket)
    elsewhere: bool = False  # ghpkg in a container, or DOCKER_HOST on another machine
    transport: Transport = Transport.AUTO
    cache_dir: Path | None = None  # the registry transport's cache of layers
    docker_tls: tuple[tuple[str, str], ...] = ()  # DOCKER_TLS_VERIFY, DOCKER_CERT_PATH if set

    def __post_init__(self) -> None:
        """A transport given as a word (by a library caller) becomes a member."""
        object.__setattr__(self, "transport", Transport(self.transport))
