"""A docker-py client for the engine as the docker CLI finds it (docker.from_env semantics)."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import docker
import docker.errors
import requests
from docker.utils import kwargs_from_env

from ghpkg.engine.failures import first_line
from ghpkg.errors import EngineError, UsageError

Answers = tuple[dict[str, Any], dict[str, Any] | None]  # the engine's /version and /info


def docker_client(
    base_url: str | None, timeout: int, environment: Mapping[str, str]
) -> tuple[docker.DockerClient, Answers]:
    """The client, the engine's /version answer (asked once: it also proves the engine is there)
    and its /info answer, asked at the same time (None where that failed: ask again, versioned).
    DOCKER_HOST (or base_url), with TLS from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, of
    `environment`: the docker CLI's variables, as the face read them."""
    env = dict(environment)
    if base_url:
        env["DOCKER_HOST"] = base_url
    try:
        client, answers = _client(env, timeout)
    except (docker.errors.DockerException, requests.RequestException) as exc:
        raise EngineError(
            "cannot reach the Docker engine",
            first_line(exc),
            "start dockerd (or set DOCKER_HOST, with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for "
            "a TLS engine) and check you may use its socket",
            temporary=isinstance(exc, requests.RequestException),
        ) from None
    return client, answers


def refuse_unverified(api: docker.APIClient) -> None:
    """UsageError unless credentials reach the engine only it can read: over its socket (unix,
    npipe, ssh), over loopback, or over TLS whose certificate is verified (DOCKER_TLS_VERIFY)."""
    where = urlsplit(str(api.base_url))
    if where.scheme not in ("http", "https") or _loopback(where.hostname or ""):
        return
    if where.scheme == "https" and api.verify:
        return
    how = "plain TCP" if where.scheme == "http" else "TLS without checking its certificate"
    raise UsageError(
        f"the Docker engine at {where.netloc} is reached over {how}",
        "anyone on the way could read the credentials ghpkg would hand it",
        "serve the engine with TLS and set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (its CA), "
        "as for the docker CLI, or use an engine on this machine",
    )


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _client(env: Mapping[str, str], timeout: int) -> tuple[docker.DockerClient, Answers]:
    """docker.from_env(version="auto") that keeps DOCKER_CERT_PATH's CA (see _keep_engine_ca),
    the /version answer it negotiated the API version with, and /info's, asked meanwhile.

    Both unversioned (the engine's own API version), as docker-py asks /version: one round trip,
    not two, before the first versioned call."""
    kwargs = kwargs_from_env(environment=dict(env))
    asking = docker.DockerClient(version="1.24", timeout=timeout, **kwargs)
    _keep_engine_ca(asking)
    details: list[dict[str, Any]] = []
    info = threading.Thread(target=_ask_info, args=(asking.api, details), daemon=True)
    info.start()
    try:
        version: dict[str, Any] = asking.api.version(api_version=False)
    finally:
        info.join()
        asking.close()
    api_version = str(version.get("ApiVersion") or "1.24")
    client = docker.DockerClient(version=api_version, timeout=timeout, **kwargs)  # no request
    _keep_engine_ca(client)
    return client, (version, details[0] if details else None)


def _ask_info(api: docker.APIClient, answers: list[dict[str, Any]]) -> None:
    """The engine's unversioned /info into `answers`; nothing where it fails (`Engine.info`
    asks again, at the negotiated version, and says why it failed)."""
    try:
        answer = api.get(f"{api.base_url}/info", timeout=api.timeout)
        answer.raise_for_status()
        answers.append(answer.json())
    except (docker.errors.DockerException, requests.RequestException, ValueError):
        return


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
