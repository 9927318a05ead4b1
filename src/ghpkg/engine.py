"""The Docker engine through docker-py: connect, build, tag, push, pull, save and load.

docker-py reports a failed build, push, pull or load as an `{"error": ...}` chunk in the
JSON stream, not as an exception: every stream here is scanned and turned into EngineError.
Credentials reach the engine only in the X-Registry-Auth header of one API call.
"""

from __future__ import annotations

import os
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import docker
import docker.errors
import requests
import urllib3.exceptions
from docker.models.images import Image
from docker.utils import kwargs_from_env

from ghpkg.errors import BuildError, EngineError
from ghpkg.registry.errors import backoff_delay
from ghpkg.secret import Secret

Progress = Callable[[Mapping[str, Any]], None]
T = TypeVar("T")

_BUILD_TAIL = 12
# What an engine call can raise: docker-py's errors, and requests'/urllib3's when a stream
# breaks or times out (docker-py lets those through), which are worth another try.
_BROKEN = (requests.RequestException, urllib3.exceptions.HTTPError, ConnectionError, TimeoutError)
_ENGINE_ERRORS = (docker.errors.DockerException, *_BROKEN)
# What a registry's trouble looks like in the engine's JSON stream, and what is a refusal.
_TEMPORARY = re.compile(
    r"\b(5\d\d|429)\b|too ?many ?requests|service unavailable|bad gateway|gateway time-?out"
    r"|timeout|timed out|deadline exceeded|connection reset|broken pipe|\bEOF\b"
    r"|connection refused|request canceled",
    re.IGNORECASE,
)
_REFUSED = re.compile(
    r"unauthori[sz]ed|denied|forbidden|authentication required|no basic auth|x509"
    r"|certificate|\b40[0134]\b|not found|unknown|invalid",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class EngineInfo:
    """What ghpkg needs to know about the engine: its version and image store."""

    version: str
    api_version: str
    containerd_store: bool

    @property
    def major(self) -> int:
        """The engine's major version number (20 for 20.10.24)."""
        match = re.match(r"(\d+)", self.version)
        return int(match.group(1)) if match else 0


def connect(
    base_url: str | None = None, timeout: int = 600, environment: Mapping[str, str] | None = None
) -> docker.DockerClient:
    """A client for the engine as the docker CLI finds it (docker.from_env semantics).

    DOCKER_HOST (or base_url), with TLS from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH.
    """
    env = dict(os.environ if environment is None else environment)
    if base_url:
        env["DOCKER_HOST"] = base_url
    try:
        client = _client(env, timeout, "")
        client.ping()
    except (docker.errors.DockerException, requests.RequestException) as exc:
        raise EngineError(
            "cannot reach the Docker engine",
            _first_line(exc),
            "start dockerd (or set DOCKER_HOST, with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for "
            "a TLS engine) and check you may use its socket",
            temporary=isinstance(exc, requests.RequestException),
        ) from None
    return client


def _client(env: Mapping[str, str], timeout: int, version: str) -> docker.DockerClient:
    """docker.from_env(version="auto") that keeps DOCKER_CERT_PATH's CA (see _keep_engine_ca)."""
    kwargs = kwargs_from_env(environment=dict(env))
    client = docker.DockerClient(version=version or "1.24", timeout=timeout, **kwargs)
    _keep_engine_ca(client)
    if version:
        return client
    found = str(client.api.version(api_version=False).get("ApiVersion") or "1.24")
    client.close()
    return _client(env, timeout, found)


def _keep_engine_ca(client: docker.DockerClient) -> None:
    """Verify the engine against DOCKER_CERT_PATH's CA even where REQUESTS_CA_BUNDLE is set.

    requests lets that variable win over a session's CA; the docker CLI does not.
    """
    api = client.api
    merge = api.merge_environment_settings

    def merged(url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        settings = merge(url, proxies, stream, verify, cert)
        settings["verify"] = api.verify if verify is None else verify
        return settings

    api.merge_environment_settings = merged  # type: ignore[method-assign]


def info(client: docker.DockerClient) -> EngineInfo:
    """The engine's version and whether it uses the containerd image store."""
    try:
        version = client.version()
        details = client.info()
    except _ENGINE_ERRORS as exc:
        raise EngineError("cannot query the Docker engine", _first_line(exc), "") from None
    driver_status = details.get("DriverStatus") or []
    containerd_store = any(
        "io.containerd.snapshotter" in str(value) for _key, value in driver_status
    )
    return EngineInfo(
        version=str(version.get("Version", "")),
        api_version=str(version.get("ApiVersion", "")),
        containerd_store=containerd_store,
    )


def platform(client: docker.DockerClient) -> tuple[str, str]:
    """The engine's OS and architecture as image indexes name them, e.g. ("linux", "amd64")."""
    try:
        version = client.version()
    except _ENGINE_ERRORS as exc:
        raise EngineError("cannot query the Docker engine", _first_line(exc), "") from None
    return str(version.get("Os") or "linux"), str(version.get("Arch") or "amd64")


def build(
    client: docker.DockerClient,
    context: Path,
    dockerfile: str | None,
    build_args: Mapping[str, str],
    labels: Mapping[str, str],
    target: str | None,
    log: Callable[[str], None],
    *,
    platform: str | None = None,
    no_cache: bool = False,
    pull: bool = False,
) -> str:
    """Build with the legacy builder and return the image ID; a failure shows the last lines."""
    tail: deque[str] = deque(maxlen=_BUILD_TAIL)
    image_id = ""
    try:
        stream = client.api.build(
            path=str(context),
            dockerfile=dockerfile,
            buildargs=dict(build_args),
            labels=dict(labels),
            target=target,
            platform=platform,
            nocache=no_cache,
            pull=pull,
            rm=True,
            forcerm=True,
            decode=True,
        )
        for chunk in stream:
            if "error" in chunk:
                detail = str(chunk.get("error", "")).strip()
                tail.append(detail)
                raise BuildError(
                    "docker build failed",
                    " | ".join(line for line in tail if line),
                    "fix the Dockerfile or the build context and run again",
                )
            text = str(chunk.get("stream", "")).rstrip()
            if text:
                for line in text.splitlines():
                    tail.append(line)
                    log(line)
            aux = chunk.get("aux")
            if isinstance(aux, dict) and "ID" in aux:
                image_id = str(aux["ID"])
    except docker.errors.APIError as exc:  # the engine refused the build: say what it said
        cause = str(exc.explanation or "").strip() or _first_line(exc)
        raise BuildError("docker build failed", cause, "check the Dockerfile") from None
    except _ENGINE_ERRORS as exc:
        raise BuildError(
            "docker build failed", _first_line(exc), "check the build context"
        ) from None
    if not image_id:
        match = re.search(r"Successfully built ([0-9a-f]+)", "\n".join(tail))
        if not match:
            raise BuildError("docker build ended without an image", " | ".join(tail), "")
        image_id = match.group(1)
    return image_id_of(client, image_id)


def get_image(client: docker.DockerClient, name_or_id: str) -> Image:
    """A local image by ID or name, or an EngineError that says it is missing."""
    try:
        return client.images.get(name_or_id)
    except docker.errors.ImageNotFound:
        raise EngineError(
            f"image {name_or_id!r} is not in the local Docker engine",
            "--source takes the ID or name of an image that exists locally",
            "check `docker images`, or build it first",
        ) from None
    except _ENGINE_ERRORS as exc:
        raise EngineError(f"cannot inspect image {name_or_id!r}", _first_line(exc), "") from None


def image_id_of(client: docker.DockerClient, name_or_id: str) -> str:
    """The full ID (`sha256:...`) of a local image."""
    return str(get_image(client, name_or_id).id)


def find_image(client: docker.DockerClient, name_or_id: str) -> Image | None:
    """A local image, or None when the engine does not have it."""
    try:
        return client.images.get(name_or_id)
    except docker.errors.ImageNotFound:
        return None
    except _ENGINE_ERRORS as exc:
        raise EngineError(f"cannot inspect image {name_or_id!r}", _first_line(exc), "") from None


def tag(client: docker.DockerClient, image_id: str, reference: str) -> None:
    """Tag a local image with a full `name:tag` reference."""
    name, _, version = reference.rpartition(":")
    try:
        ok = client.api.tag(image_id, name, version, force=True)
    except _ENGINE_ERRORS as exc:
        raise EngineError(f"cannot tag {image_id} as {reference}", _first_line(exc), "") from None
    if not ok:
        raise EngineError(f"the engine refused to tag {image_id} as {reference}", "", "")


def untag(client: docker.DockerClient, reference: str) -> None:
    """Remove one name of a local image (never the image's data, nor its other names)."""
    try:
        client.api.remove_image(reference, noprune=True)
    except docker.errors.ImageNotFound:
        return
    except _ENGINE_ERRORS as exc:
        raise EngineError(f"cannot remove the name {reference}", _first_line(exc), "") from None


def _auth(
    client: docker.DockerClient, username: str, token: Secret | None
) -> dict[str, str] | None:
    """The engine's X-Registry-Auth; None for a registry that needs none (the loopback shim).

    Never over plain TCP to another machine: anyone on the way would read the token.
    """
    if not token:
        return None
    where = urlsplit(str(client.api.base_url))
    host = where.hostname or ""
    if where.scheme == "http" and host != "localhost" and not host.startswith("127."):
        raise EngineError(
            f"the Docker engine at {where.netloc} is reached over plain TCP",
            "ghpkg would have to send it the token unencrypted",
            "serve the engine with TLS and set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, "
            "as for the docker CLI",
        )
    return {"username": username, "password": token.reveal()}


def push(
    client: docker.DockerClient,
    reference: str,
    username: str,
    token: Secret | None,
    progress: Progress,
    *,
    retries: int = 0,
    log: Callable[[str], None] = lambda _: None,
) -> str:
    """`docker push` one tag through the engine (again after a temporary registry error)."""
    return _again(
        lambda: _push_once(client, reference, username, token, progress),
        f"docker push of {reference}",
        retries,
        log,
    )


def _push_once(
    client: docker.DockerClient,
    reference: str,
    username: str,
    token: Secret | None,
    progress: Progress,
) -> str:
    """`docker push` one tag through the engine; returns the digest the engine reports."""
    name, _, version = reference.rpartition(":")
    return _follow(
        lambda: client.api.push(
            name, tag=version, stream=True, decode=True, auth_config=_auth(client, username, token)
        ),
        f"docker push of {reference}",
        progress,
    )


def pull(
    client: docker.DockerClient,
    reference: str,
    username: str,
    token: Secret | None,
    progress: Progress,
    *,
    retries: int = 0,
    log: Callable[[str], None] = lambda _: None,
) -> None:
    """`docker pull` one tag or digest through the engine (again after a temporary error)."""
    _again(
        lambda: _pull_once(client, reference, username, token, progress),
        f"docker pull of {reference}",
        retries,
        log,
    )


def _pull_once(
    client: docker.DockerClient,
    reference: str,
    username: str,
    token: Secret | None,
    progress: Progress,
) -> None:
    """`docker pull` one tag (or digest, `NAME@sha256:…`) through the engine."""
    name, by_digest, version = reference.rpartition("@")
    if not by_digest:
        name, _, version = reference.rpartition(":")
    _follow(
        lambda: client.api.pull(
            name, tag=version, stream=True, decode=True, auth_config=_auth(client, username, token)
        ),
        f"docker pull of {reference}",
        progress,
    )


def _follow(start: Callable[[], Iterable[Mapping[str, Any]]], what: str, progress: Progress) -> str:
    """Follow a push's or pull's JSON stream to its end; returns the digest an `aux` chunk gave."""
    digest = ""
    try:
        for chunk in start():
            _raise_stream_error(chunk, f"{what} failed")
            aux = chunk.get("aux")
            if isinstance(aux, dict) and aux.get("Digest"):
                digest = str(aux["Digest"])
            progress(chunk)
    except _ENGINE_ERRORS as exc:
        cause = _first_line(exc)
        temporary = _broken(exc) or temporary_message(cause)
        raise EngineError(f"{what} failed", cause, "", temporary=temporary) from None
    return digest


def save(client: docker.DockerClient, image: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """Stream `docker save IMAGE` (a tar) without holding it in memory."""
    try:
        yield from client.api.get_image(image, chunk_size=chunk_size)
    except _ENGINE_ERRORS as exc:
        raise EngineError(
            f"docker save of {image} failed",
            _first_line(exc),
            "",
            temporary=_broken(exc),
        ) from None


def load(client: docker.DockerClient, tar_stream: Iterable[bytes]) -> list[str]:
    """Stream a `docker save`-format tar into `docker load`; returns the names it loaded."""
    loaded: list[str] = []
    try:
        for chunk in client.api.load_image(tar_stream):  # type: ignore[no-untyped-call]
            _raise_stream_error(chunk, "docker load failed")
            text = str(chunk.get("stream", ""))
            match = re.search(r"Loaded image(?: ID)?: (\S+)", text)
            if match:
                loaded.append(match.group(1))
    except _ENGINE_ERRORS as exc:
        raise EngineError(
            "docker load failed", _first_line(exc), "", temporary=_broken(exc)
        ) from None
    return loaded


def _raise_stream_error(chunk: Mapping[str, Any], what: str) -> None:
    if "error" in chunk:
        detail = chunk.get("errorDetail") or {}
        message = str(detail.get("message") if isinstance(detail, dict) else "") or str(
            chunk["error"]
        )
        raise EngineError(what, message.strip(), "", temporary=temporary_message(message))


def temporary_message(message: str) -> bool:
    """Whether an engine's registry error is worth another try (5xx, 429, resets, timeouts)."""
    return bool(_TEMPORARY.search(message)) and not _REFUSED.search(message)


def _again(attempt: Callable[[], T], what: str, retries: int, log: Callable[[str], None]) -> T:
    """Run `attempt`, again after a temporary error, at most `retries` more times."""
    for number in range(retries + 1):
        try:
            return attempt()
        except EngineError as exc:
            if not exc.temporary or number >= retries:
                if exc.temporary and number:
                    exc.cause += f" (gave up after {number + 1} attempts)"
                raise
            delay = backoff_delay(number)
            log(f"{what}: {exc.cause}; retry {number + 1}/{retries} in {delay:.1f}s")
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _broken(exc: BaseException) -> bool:
    """A connection that broke or timed out (worth another try), not an answer from the engine.

    docker-py's APIError is a requests HTTPError too: an answer, judged by its text instead.
    """
    return isinstance(exc, _BROKEN) and not isinstance(exc, docker.errors.DockerException)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
