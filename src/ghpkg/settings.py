"""What the verbs take: the instance and credentials every verb shares (`Remote`), the package
(`Package`), a request per converted verb (`RefRequest`, `VersionsRequest`, `DeleteRequest`), and
`Settings`, which ghpkg.faces.inputs builds from argv or INPUT_* for the verbs not converted yet."""

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
class RefRequest:
    """ref: the package and its versions (tags); nothing is sent anywhere."""

    package: Package
    versions: tuple[str, ...]


@dataclass(frozen=True)
class VersionsRequest:
    """versions: the package whose versions are listed."""

    package: Package


@dataclass(frozen=True)
class DeleteRequest:
    """delete: the package and the rules of which versions go (ghpkg.retention)."""

    package: Package
    tags: tuple[str, ...] = ()  # these tags' versions go
    keep: int | None = None  # the newest N stay
    keep_tags: tuple[str, ...] = ()  # regular expressions of tags that stay
    older_than: str = ""  # only versions older than this may go (e.g. 30d)
    untagged: bool = False  # untagged versions go (the Container registry)
    pause: float = 1.0  # seconds at least between two DELETEs
    dry_run: bool = False  # say what would go, delete nothing


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


@dataclass(frozen=True)
class DoctorRequest:
    """doctor: the package a push would go to, the workflow's repository and the engine."""

    package: Package
    workflow_repository: str = ""  # OWNER/REPOSITORY a GITHUB_TOKEN belongs to
    engine: EngineAccess = EngineAccess()


@dataclass(frozen=True)
class PullRequest:
    """pull: the package, the one version (tag or digest), the engine it goes into."""

    package: Package
    version: str
    engine: EngineAccess = EngineAccess()


@dataclass(frozen=True)
class CopyRequest:
    """copy: the Docker-registry package, its versions, and the Container-registry name."""

    package: Package
    versions: tuple[str, ...]
    to_owner: str = ""  # default: the package's owner
    to_image: str = ""  # default: the package's image

    def destinations(self, remote: Remote) -> list[Reference]:
        """Where each version goes on the Container registry."""
        host = container_host(remote.hostname)
        owner, image = self.to_owner or self.package.owner, self.to_image or self.package.image
        return [Reference(host, owner, "", image, version) for version in self.versions]


@dataclass(frozen=True)
class JoinRequest:
    """join: the package, its versions, and the platforms whose VERSION-os-arch tags join."""

    package: Package
    versions: tuple[str, ...]
    platforms: tuple[Platform, ...]  # the first is the default a plain pull gets


@dataclass(frozen=True)
class ServeRequest:
    """serve: where it listens, whether it takes pushes, what it serves, the login file."""

    listen: str = "127.0.0.1:5050"  # the loopback address
    allow_push: bool = False  # take pushes too
    owners: tuple[str, ...] = ()  # only these owners' repositories (empty: any)
    images: tuple[str, ...] = ()  # only these images (empty: any)
    credentials_file: Path | None = None  # where the login clients use is written


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
    docker_tls: tuple[tuple[str, str], ...] = ()  # DOCKER_TLS_VERIFY, DOCKER_CERT_PATH if set
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
        """The instance and credentials, as the verbs and the clients take them."""
        return Remote(
            self.hostname,
            self.username,
            self.token,
            self.ca_file,
            self.timeout,
            self.retries,
            self.isolation,
            self.registry,
        )

    @property
    def package(self) -> Package:
        """The image's name on the instance."""
        return Package(self.owner, self.repository, self.image)

    @property
    def names(self) -> tuple[Package, tuple[str, ...]]:
        """The package and its versions: what a verb logs in for."""
        return self.package, self.versions

    @property
    def engine(self) -> EngineAccess:
        """How the engine is reached, and the transport asked for."""
        return EngineAccess(
            self.docker_host, self.engine_elsewhere, self.transport, self.cache_dir, self.docker_tls
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
        return self.package.url(self.hostname)

    def references(self, isolation: bool) -> list[Reference]:
        """One reference per version, under the registry host of the given layout."""
        return self.package.references(self.remote, self.versions, isolation)


_CHOICES: tuple[tuple[str, type[Choice]], ...] = (
    ("operation", Operation),
    ("transport", Transport),
    ("registry", Registry),
    ("scope", Scope),
)
