"""What the verbs take: the instance and credentials every verb shares (`Remote`), the package
(`Package`), the engine (`EngineAccess`) and each verb's own request (`PushRequest`, ...), which
ghpkg.faces.inputs builds from argv or INPUT_* and a library caller directly."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from ghpkg.reference import Reference, container_host, registry_host
from ghpkg.secret import Secret

if TYPE_CHECKING:
    from ghpkg.build.options import BuildRequest
    from ghpkg.platforms import Platform  # not imported at run time: hashlib, json, manifest


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
class MigrateRequest:
    """migrate: whose Docker-registry images move (a repository's, or whole owners'), the names
    they get on the Container registry, how many at once, and where the work is remembered."""

    owner: str
    repository: str = ""  # scope repo: only this repository's images
    scope: Scope = Scope.REPO
    owners: tuple[tuple[Scope, str], ...] = ()  # --org and --user (instead of owner and scope)
    name_map: str = "{image}"  # the Container-registry name of OWNER/REPOSITORY/IMAGE
    jobs: int = 4  # images copied at once
    state_file: Path | None = None  # what is done, for a rerun to continue (None: remember none)
    shards: int = 0  # a dry run splits the owners into this many shards
    shard: str = ""  # the plan's shard this run is, K/N (its report says it)
    dry_run: bool = False  # plan only: copy nothing

    def __post_init__(self) -> None:
        """A scope given as a word (by a library caller) becomes a member."""
        object.__setattr__(self, "scope", Scope(self.scope))
        owners = tuple((Scope(scope), owner) for scope, owner in self.owners)
        object.__setattr__(self, "owners", owners)


def _no_options() -> BuildRequest:
    """A build with no options (imported here, when a push is asked: `ghpkg --help` imports this
    module, and builds nothing)."""
    from ghpkg.build.options import BuildRequest

    return BuildRequest()


@dataclass(frozen=True)
class PushRequest:
    """push: the package and its versions, the image (a local one, or a build), its platforms,
    whether it is sent and kept in the engine, and the engine."""

    package: Package
    versions: tuple[str, ...]
    source: str | None = None  # a local image pushed as it is (None: build)
    build: BuildRequest = field(default_factory=_no_options)  # not read with a source
    platforms: tuple[Platform, ...] = ()  # several: each pushed as VERSION-OS-ARCH too
    platform_tags: bool = False  # push VERSION-OS-ARCH only, for a later join
    annotations: tuple[tuple[str, str], ...] = ()  # on a multi-platform Container-registry index
    push: bool = True  # false: build (or take the source) and send nothing
    load: bool = False  # leave the image in the engine under its references
    revision: str = ""  # the commit the image is built from (its OCI revision label)
    engine: EngineAccess = EngineAccess()

    @property
    def multi_platform(self) -> bool:
        """Whether push builds per platform and pushes under VERSION-OS-ARCH."""
        return len(self.platforms) > 1 or self.platform_tags
