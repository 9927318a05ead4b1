"""The one typed value every operation takes; built by ghpkg.faces.inputs from argv or INPUT_*."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from ghpkg.platforms import Platform
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
    """The instance and the credentials every registry and REST API client is made with."""

    hostname: str
    username: str
    token: Secret = field(repr=False)
    ca_file: Path | None = None
    timeout: float = 60.0
    retries: int = 4

    @property
    def api_url(self) -> str:
        """The REST API root of the instance."""
        return f"https://{self.hostname}/api/v3"


@dataclass(frozen=True)
class BuildSecret:
    """A BuildKit `--secret`: its id, and the file (src) or environment variable (env) it reads."""

    id: str
    src: Path | None = None
    env: str | None = None

    def argument(self) -> str:
        """The `--secret` value for `docker buildx build` (a path or a name, never the secret)."""
        return f"id={self.id},env={self.env}" if self.env else f"id={self.id},src={self.src}"


@dataclass(frozen=True)
class Settings:
    """Everything an operation needs, validated; no environment access beyond this."""

    operation: Operation
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
    transport: Transport = Transport.AUTO
    retries: int = 4
    timeout: float = 60.0
    workflow_repository: str = ""
    revision: str = ""
    docker_host: str | None = None
    listen: str = "127.0.0.1:5050"  # serve: the loopback address
    allow_push: bool = False  # serve: take pushes too
    credentials_file: Path | None = None  # serve: where the login clients use is written
    serve_owners: tuple[str, ...] = ()  # serve: only these owners' repositories (empty: any)
    serve_images: tuple[str, ...] = ()  # serve: only these images (empty: any)
    engine_elsewhere: bool = False  # ghpkg in a container, or DOCKER_HOST on another machine
    cache_dir: Path | None = None
    keep: int | None = None
    keep_tags: tuple[str, ...] = ()  # delete: regular expressions of tags that stay
    older_than: str = ""  # delete: only versions older than this may go (e.g. 30d)
    untagged: bool = False  # delete: untagged versions go (the Container registry)
    delete_pause: float = 1.0  # delete: seconds at least between two DELETEs
    dry_run: bool = False
    version_note: str = ""
    registry: Registry = (
        Registry.DOCKER
    )  # the Docker registry, or the Container registry (containers.HOST)
    to_owner: str = ""  # copy: the Container registry's owner (default: owner)
    to_image: str = ""  # copy: the Container registry's image name (default: image)
    secrets: tuple[BuildSecret, ...] = ()  # BuildKit only, like cache_from and cache_to
    cache_from: tuple[str, ...] = ()
    cache_to: tuple[str, ...] = ()
    platforms: tuple[Platform, ...] = ()  # several: each pushed as VERSION-OS-ARCH too
    platform_tags: bool = False  # push VERSION-OS-ARCH only, for a later join
    no_cache: bool = False
    pull: bool = False  # always pull the base images of a build
    push: bool = True  # push: false builds (or takes --source) and sends nothing
    load: bool = False  # leave the image in the engine under its references
    annotations: tuple[tuple[str, str], ...] = ()  # on a multi-platform Container-registry index
    scope: Scope = Scope.REPO  # migrate: repo, org or user
    name_map: str = "{image}"  # migrate: the Container-registry name of OWNER/REPOSITORY/IMAGE
    jobs: int = 4  # migrate: images copied at once
    state_file: Path | None = None  # migrate: what is done, for a rerun to continue
    owners: tuple[tuple[Scope, str], ...] = ()  # migrate: --org and --user (instead of scope)
    shards: int = 0  # migrate: a dry run splits the owners into this many shards
    shard: str = ""  # migrate: the plan's shard this run is, K/N (its report says it)
    # The docker CLI's environment for a build, without ghpkg's token (None: this process's).
    build_env: Mapping[str, str] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Choices given as words (by a library caller) become members; ValueError if unknown."""
        for name, kind in _CHOICES:
            object.__setattr__(self, name, kind(getattr(self, name)))

    @property
    def remote(self) -> Remote:
        """The instance and credentials, as the clients take them."""
        return Remote(
            self.hostname, self.username, self.token, self.ca_file, self.timeout, self.retries
        )

    @property
    def build_platform(self) -> str | None:
        """The one platform a build is for (None: the engine's own)."""
        return str(self.platforms[0]) if len(self.platforms) == 1 else None

    @property
    def multi_platform(self) -> bool:
        """Whether push builds per platform and pushes under VERSION-OS-ARCH."""
        return len(self.platforms) > 1 or self.platform_tags

    @property
    def api_url(self) -> str:
        """The REST API root of the instance."""
        return self.remote.api_url

    @property
    def repository_url(self) -> str:
        """The repository's page on the instance (the OCI `source` label)."""
        return f"https://{self.hostname}/{self.owner}/{self.repository}"

    @property
    def package_url(self) -> str:
        """Where the packages are listed on the instance (the owner's, without a repository)."""
        if self.repository:
            return f"{self.repository_url}/packages"
        return f"https://{self.hostname}/{self.owner}?tab=packages"

    def references(self, isolation: bool) -> list[Reference]:
        """One reference per version, under the registry host of the given layout."""
        if self.registry is Registry.CONTAINER:
            return self.container_references(self.owner, self.image)
        host = registry_host(self.hostname, isolation)
        return [
            Reference(host, self.owner, self.repository, self.image, version)
            for version in self.versions
        ]

    def container_references(self, owner: str, image: str) -> list[Reference]:
        """One reference per version on the Container registry: `containers.HOST/OWNER/IMAGE`."""
        host = container_host(self.hostname)
        return [Reference(host, owner, "", image, version) for version in self.versions]

    def copy_destinations(self) -> list[Reference]:
        """copy: where each version goes on the Container registry."""
        return self.container_references(self.to_owner or self.owner, self.to_image or self.image)


_CHOICES: tuple[tuple[str, type[Choice]], ...] = (
    ("operation", Operation),
    ("transport", Transport),
    ("registry", Registry),
    ("scope", Scope),
)
