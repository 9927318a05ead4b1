"""What every verb that goes on the network does first: find the registry, check the token,
log in, and (for push and pull) ask the engine which transport suits it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ghpkg import diagnosis
from ghpkg.errors import AuthError, GhpkgError, RegistryError
from ghpkg.outputs import Log
from ghpkg.reference import Reference, container_host, registry_host
from ghpkg.registry import RegistryClient, probe_isolation
from ghpkg.registry import layout as registry_layout
from ghpkg.registry.layout import NoRegistry
from ghpkg.registry.session import new_session
from ghpkg.rest import auth
from ghpkg.settings import EngineAccess, Package, Registry, Remote, Transport
from ghpkg.transports import ImageTransport

if TYPE_CHECKING:
    from ghpkg.engine import Engine, EngineInfo


@dataclass(frozen=True)
class Connected:
    """What a push or pull works with: the registry, the references, the engine, the transport;
    `source`: what a pull moves in place of `refs[0]` (`Lookup`), or None for `refs[0]` itself."""

    registry: RegistryClient
    refs: list[Reference]
    engine: Engine
    transport: ImageTransport
    source: Reference | None = None


# A pull's first read of the repository (its platform tag), asked once logged in and the
# engine's platform known, beside the engine's checks; its refusal is the registry's word.
Lookup = Callable[[RegistryClient, Reference, "EngineInfo"], Reference | None]


def prepare(
    remote: Remote,
    names: tuple[Package, tuple[str, ...]],
    access: EngineAccess,
    log: Log,
    verb: str,
    lookup: Lookup | None = None,
) -> Connected:
    """Log in to the registry and, meanwhile, ask the engine which transport suits it.

    `lookup` (a pull's): its read of the repository, which then also decides the token (the REST
    API only asked when the registry refuses). The registry's verdict comes first when both
    fail: a refused token explains more.
    """
    looking: Future[Reference | None] | None = None
    with ThreadPoolExecutor(2) as pool:
        connecting = pool.submit(connect, remote, names, log, verb, lookup is not None)
        from ghpkg.engine import Engine  # docker-py's import overlaps the registry's answers
        from ghpkg.transports import choice

        try:
            engine = Engine.connect(access)
            info = engine.info()
            if lookup is not None:  # beside the reach probe and the transport's set-up
                looking = pool.submit(look_up, lookup, connecting, info, remote, log)
            chosen = choice.choose(access.transport, verb, info, "")
            # the registry transport needs no engine network: probe it only for the engine's
            if chosen.transport is Transport.ENGINE:
                doubt = access.elsewhere and not choice.shares_network(access.docker_host)
                elsewhere = choice.unreachable(engine, doubt)
                chosen = choice.choose(access.transport, verb, info, elsewhere)
        except GhpkgError:
            connecting.result()
            if looking is not None:
                looking.result()
            raise
        registry, refs = connecting.result()
    where = f"Docker engine {info.version}{store_note(info)}"
    log.info(f"{where}: {verb}ing via {chosen.transport} ({chosen.why})")
    status = log.status if log.terminal else None  # a progress bar on a terminal
    if chosen.transport is Transport.ENGINE:  # each transport's modules only where it is taken
        from ghpkg.shim.scope import Login
        from ghpkg.transports.engine import EngineTransport

        direct = choice.straight(info, registry, remote.ca_file) if verb == "push" else None
        if direct is not None and direct.why:
            log.info(
                f"The engine pushes via ghpkg's loopback registry, not straight to "
                f"{registry.host}: {direct.why}"
            )
        straight = Login(remote.username, remote.token) if direct and direct.go else None
        transport: ImageTransport = EngineTransport(
            registry, engine, log.info, remote.retries, status, straight
        )
    else:
        from ghpkg.transports.registry import RegistryTransport

        transport = RegistryTransport(registry, engine, log.info, access.cache_dir, status)
    source = looking.result() if looking is not None else None
    return Connected(registry, refs, engine, transport, source)


def look_up(
    lookup: Lookup,
    connecting: Future[tuple[RegistryClient, list[Reference]]],
    info: EngineInfo,
    remote: Remote,
    log: Log,
) -> Reference | None:
    """`lookup` once logged in; where the registry refuses, the REST API names a missing scope."""
    registry, refs = connecting.result()
    try:
        return lookup(registry, refs[0], info)
    except AuthError:
        check_token(remote, log, "pull")
        raise


def connect(
    remote: Remote,
    names: tuple[Package, tuple[str, ...]],
    log: Log,
    action: str,
    reads: bool = False,
) -> tuple[RegistryClient, list[Reference]]:
    """Find the registry, check the token and log in, before any build.

    A push to the Docker registry asks the registry itself whether the token may write (an
    upload opened and cancelled in the image's repository), and a pull that `reads` the
    repository at once (`prepare`'s lookup) lets that read decide; the REST API (PyGithub, GET
    /user) only when the registry refuses, to say which scope is missing. Elsewhere (and for
    serve, which names no repository) the REST API's check (advisory) runs beside the layout
    probe and the login; its verdict still comes first, as a refused token explains a refused
    login.
    """
    if (action == "push" or reads) and remote.registry is Registry.DOCKER and names[1]:
        try:
            return login(remote, names, log, action)
        except AuthError:
            check_token(remote, log, action)  # a missing scope, said plainly, if the API says so
            raise
    with ThreadPoolExecutor(1) as pool:
        token_check = pool.submit(check_token, remote, log, action)
        try:
            registry, refs = login(remote, names, log, action)
        except GhpkgError:
            token_check.result()
            raise
        token_check.result()
    return registry, refs


def login(
    remote: Remote, names: tuple[Package, tuple[str, ...]], log: Log, action: str
) -> tuple[RegistryClient, list[Reference]]:
    """Find the registry (the layout probe where asked) and log in to it.

    `names`: the package and its versions, whose references are made on the registry found.
    """
    container = remote.registry is Registry.CONTAINER
    isolation = True if container else remote.isolation
    session = new_session(remote.ca_file)  # the probe's TLS connection is the login's
    if isolation is None:
        try:
            isolation = probe_isolation(
                remote.hostname,
                remote.ca_file,
                remote.timeout,
                log.info,
                remote.retries,
                session=session,
            )
        except NoRegistry as exc:  # say why, as doctor would, from the probe just made
            found = diagnosis.layout_problem(exc.layout, None, remote.ca_file)
            raise (found or exc) from None
    package, versions = names
    refs = package.references(remote, versions, isolation)
    host = (
        container_host(remote.hostname) if container else registry_host(remote.hostname, isolation)
    )
    registry = RegistryClient.of(remote, host, log=log.info, digests=container, session=session)
    if container:
        ping_container(registry, action)
        return registry, refs
    try:
        registry.ping(action)
    except RegistryError as exc:  # say why, as doctor would
        raise diagnosis.diagnose(remote, isolation, exc, registry.host) from None
    if action == "push" and refs:  # the registry's own answer: may this token write here?
        diagnosis.may_write(registry, refs[0].path, remote.token)
    return registry, refs


def check_token(remote: Remote, log: Log, action: str) -> None:
    """Check the token's scopes through the REST API; advisory where the API cannot say."""
    auth.check_token_remotely(remote, action, log.warn, log=log.info, registry=remote.registry)


def ping_container(registry: RegistryClient, action: str) -> None:
    """Log in to the Container registry; no such name, or a web page there: it is not enabled."""
    fix = (
        "GHES serves it only with subdomain isolation, once the site administrator enables it; "
        "ask them, or use the Docker registry (--registry docker)"
    )
    addresses, why = registry_layout.resolve(registry.host)
    if not addresses:
        raise RegistryError(f"no Container registry at {registry.host}", why, fix)
    try:
        registry.ping(action)
    except RegistryError as exc:
        if exc.status != 404:
            raise
        what = f"no Container registry at {registry.host}"
        raise RegistryError(what, exc.cause, fix, status=404) from None


def client_for(remote: Remote, host: str, log: Log, digests: bool = False) -> RegistryClient:
    """A registry client for one host with the remote's token, CA and retries."""
    return RegistryClient.of(remote, host, log=log.info, digests=digests)


def store_note(info: EngineInfo) -> str:
    """How a log line names the containerd image store (nothing for the classic one)."""
    return " (containerd image store)" if info.containerd_store else ""
