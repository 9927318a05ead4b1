"""What an instance answers without credentials: DNS, TLS and `/v2/` on docker.HOST and HOST."""

from __future__ import annotations

import enum
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from ghpkg.errors import GhpkgError, RegistryError
from ghpkg.reference import registry_host
from ghpkg.registry.answers import connection_cause, transport_error
from ghpkg.registry.session import new_session
from ghpkg.retry import TEMPORARY_STATUS, backoff_delay, parse_retry_after, retried, retry_line

# Causes that mean "no server here", not "a server in trouble": the probe moves on at once (a
# name without an address is not temporary at all: `transport_error` says so for every client).
_ABSENT = ("name resolution", "Connection refused")
_ENABLE_FIX = (
    "ask the site administrator to enable GitHub Packages' Docker registry, "
    "or pass --subdomain-isolation"
)


class Seen(enum.Enum):
    """What one host's `/v2/` gave."""

    REGISTRY = "a Docker registry"
    OTHER = "an answer that is not a registry"
    UNRESOLVED = "no address"
    UNTRUSTED = "a certificate that is not trusted"
    FAILED = "no answer"


@dataclass(frozen=True)
class HostAnswer:
    """What `https://HOST/v2/` answered; `error` is the transport error when nothing did."""

    host: str
    seen: Seen
    detail: str
    status: int | None = None
    issuer: str = ""
    error: RegistryError | None = None

    @property
    def url(self) -> str:
        """The URL probed."""
        return f"https://{self.host}/v2/"

    def describe(self) -> str:
        """`https://HOST/v2/ (detail)`, or `HOST (does not resolve)`."""
        if self.seen is Seen.UNRESOLVED:
            return f"{self.host} ({self.detail})"
        return f"{self.url} ({self.detail})"


@dataclass(frozen=True)
class Layout:
    """Both places an instance's Docker registry may live, and what each answered."""

    hostname: str
    isolated: HostAnswer
    flat: HostAnswer

    def answer(self, isolation: bool) -> HostAnswer:
        """The answer of docker.HOST (isolation on) or HOST (off)."""
        return self.isolated if isolation else self.flat

    @property
    def found(self) -> bool | None:
        """The subdomain isolation the registry answers under (on wins), or None: no registry."""
        if self.isolated.seen is Seen.REGISTRY:
            return True
        if self.flat.seen is Seen.REGISTRY:
            return False
        return None


def split_host(host: str) -> tuple[str, int]:
    """`name[:port]` -> (name, port), 443 by default."""
    parts = urlsplit(f"//{host}")
    return parts.hostname or host, parts.port or 443


def resolve(host: str) -> tuple[tuple[str, ...], str]:
    """The host's addresses, or () and why it does not resolve."""
    name, port = split_host(host)
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return (), exc.strerror or str(exc)
    except OSError as exc:
        return (), exc.strerror or type(exc).__name__
    return tuple(dict.fromkeys(str(info[4][0]) for info in infos)), ""


def certificate_issuer(host: str, timeout: float = 10.0) -> str:
    """Who issued the certificate the host presents, read without trusting it ('' if unknown)."""
    name, port = split_host(host)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((name, port), timeout) as sock,
            context.wrap_socket(sock, server_hostname=name) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except OSError:
        return ""
    return _issuer_name(der) if der else ""


def _issuer_name(der: bytes) -> str:
    try:
        from cryptography import x509
        from cryptography.x509.oid import NameOID
    except ImportError:  # pragma: no cover - PyGithub brings cryptography
        return ""
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return ""
    names = cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    issuer = str(names[0].value) if names else cert.issuer.rfc4514_string()
    return f"'{issuer}' (self-signed)" if cert.issuer == cert.subject else f"'{issuer}'"


def probe_host(
    session: requests.Session,
    host: str,
    timeout: float = 10.0,
    retries: int = 0,
    log: Callable[[str], None] = lambda _: None,
    sleep: Callable[[float], None] = time.sleep,
) -> HostAnswer:
    """GET `https://HOST/v2/` without credentials (again after 5xx, 429, resets and timeouts,
    at most `retries` more times) and say what answered.
    """
    url = f"https://{host}/v2/"
    got = _get(session, url, timeout, retries, log, sleep)
    if isinstance(got, requests.RequestException):
        return _no_answer(host, url, got, timeout)
    with got:
        reason = registry_answer(got)
        web_page = "html" in got.headers.get("Content-Type", "")
    if reason:
        return HostAnswer(host, Seen.REGISTRY, reason, got.status_code)
    detail = f"HTTP {got.status_code}" + (", a web page" if web_page else "")
    return HostAnswer(host, Seen.OTHER, detail, got.status_code)


def _no_answer(host: str, url: str, exc: requests.RequestException, timeout: float) -> HostAnswer:
    error = transport_error(host, url, exc)
    untrusted = "certificate verify failed" in str(exc).lower()
    if isinstance(exc, requests.exceptions.SSLError) and untrusted:
        issuer = certificate_issuer(host, timeout)
        return HostAnswer(host, Seen.UNTRUSTED, connection_cause(exc), issuer=issuer, error=error)
    addresses, cause = resolve(host)
    if not addresses:
        return HostAnswer(host, Seen.UNRESOLVED, f"does not resolve: {cause}", error=error)
    return HostAnswer(host, Seen.FAILED, error.cause.split(" (")[0], error=error)


def probe_layout(hostname: str, ca_file: Path | None, timeout: float = 10.0) -> Layout:
    """Probe docker.HOST and HOST, as `--subdomain-isolation auto` would, both of them."""
    session = new_session(ca_file)
    try:
        isolated = probe_host(session, registry_host(hostname, True), timeout)
        flat = probe_host(session, registry_host(hostname, False), timeout)
    finally:
        session.close()
    return Layout(hostname, isolated, flat)


def registry_answer(response: requests.Response) -> str | None:
    """Why a /v2/ response comes from a registry API, or None when it does not."""
    if response.headers.get("Docker-Distribution-API-Version"):
        return f"HTTP {response.status_code} with Docker-Distribution-API-Version"
    challenge = response.headers.get("WWW-Authenticate", "").strip().lower()
    if response.status_code == 401 and challenge.startswith(("basic", "bearer")):
        return f"HTTP 401 asking for {challenge.split()[0].capitalize()} credentials"
    return None  # a 200 without the registry API's header is some other web server


class NoRegistry(RegistryError):
    """`--subdomain-isolation auto` found no registry; `layout` holds what both hosts said."""

    def __init__(self, what: str, cause: str, fix: str, layout: Layout) -> None:
        super().__init__(what, cause, fix)
        self.layout = layout


def probe_isolation(
    hostname: str,
    ca_file: Path | None,
    timeout: float = 10.0,
    log: Callable[[str], None] = lambda _: None,
    retries: int = 2,
    sleep: Callable[[float], None] = time.sleep,
    session: requests.Session | None = None,
) -> bool:
    """Subdomain isolation "auto": True when docker.HOST answers as a registry, False for HOST.

    Otherwise NoRegistry, whose layout is the one probe the error's diagnosis reads. `session`:
    the caller's, left open for its registry client to reuse the connection (else one of its own).
    """
    own = session is None
    session = session or new_session(ca_file)
    answers: list[HostAnswer] = []
    try:
        for isolation in (True, False):
            answer = probe_host(
                session, registry_host(hostname, isolation), timeout, retries, log, sleep
            )
            if answer.seen is Seen.REGISTRY:
                where = "on" if isolation else "off"
                log(
                    f"registry found at {answer.url} ({answer.detail}): subdomain isolation {where}"
                )
                return isolation
            answers.append(answer)
    finally:
        if own:
            session.close()
    layout = Layout(hostname, *answers)
    for answer in answers:
        if answer.seen is Seen.UNTRUSTED and answer.error is not None:
            error = answer.error  # the certificate: the one thing to fix first
            raise NoRegistry(error.what, error.cause, error.fix, layout)
    tried = " and ".join(_tried(answer) for answer in answers)
    raise NoRegistry(
        f"no Docker registry found for {hostname}", f"tried {tried}", _ENABLE_FIX, layout
    )


def _tried(answer: HostAnswer) -> str:
    if answer.seen is Seen.OTHER:
        return f"{answer.url} (HTTP {answer.status}, not a registry)"
    cause = answer.error.cause if answer.error is not None else answer.detail
    return f"{answer.url} ({cause.split(' (')[0]})"


def _get(
    session: requests.Session,
    url: str,
    timeout: float,
    retries: int,
    log: Callable[[str], None],
    sleep: Callable[[float], None],
) -> requests.Response | requests.RequestException:
    """GET url through the one retry loop (`retried`): the last answer, or the last failure.

    A host with no server (no address, connection refused) is not asked again.
    """
    host = urlsplit(url).netloc
    last: list[requests.Response | requests.RequestException] = []

    def attempt() -> requests.Response | requests.RequestException:
        try:
            response = session.get(url, timeout=timeout, allow_redirects=False)
        except requests.RequestException as exc:
            last[:] = [exc]
            error = transport_error(host, url, exc)
            error.temporary = error.temporary and not any(t in error.cause for t in _ABSENT)
            raise error from None
        last[:] = [response]
        if response.status_code not in TEMPORARY_STATUS:
            return response
        response.close()  # its status and headers stay readable
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        cause = f"HTTP {response.status_code}"
        raise RegistryError(f"probe of {url}", cause, temporary=True, retry_after=retry_after)

    def pause(attempt: int, error: GhpkgError) -> None:
        wait = backoff_delay(attempt, getattr(error, "retry_after", None))
        log(retry_line(str(error), attempt, retries, wait))
        sleep(wait)

    try:
        return retried(attempt, retries, pause)
    except RegistryError:
        return last[0]
