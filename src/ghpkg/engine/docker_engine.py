"""The Docker engine as ghpkg uses it: one object over docker-py, every failure an EngineError.

Credentials reach the engine only in the X-Registry-Auth header of one push or pull call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import docker
import docker.errors
from docker.models.images import Image

from ghpkg.engine.connection import docker_client, refuse_unverified
from ghpkg.engine.failures import (
    ENGINE_ERRORS,
    again,
    broken,
    first_line,
    raise_stream_error,
    temporary_message,
)
from ghpkg.errors import EngineError
from ghpkg.secret import Secret
from ghpkg.settings import EngineAccess

Progress = Callable[[Mapping[str, Any]], None]


@dataclass(frozen=True)
class EngineInfo:
    """What ghpkg needs to know about the engine: its version, image store and platform."""

    version: str
    api_version: str
    containerd_store: bool
    os: str = "linux"
    arch: str = "amd64"

    @property
    def major(self) -> int:
        """The engine's major version number (20 for 20.10.24)."""
        match = re.match(r"(\d+)", self.version)
        return int(match.group(1)) if match else 0

    @property
    def platform(self) -> tuple[str, str]:
        """The engine's OS and architecture as image indexes name them, e.g. ("linux", "amd64")."""
        return self.os, self.arch


class Engine:
    """One Docker engine: what it is, its images, and its push, pull, save and load."""

    def __init__(
        self,
        client: docker.DockerClient,
        version: Mapping[str, Any] | None = None,
        details: Mapping[str, Any] | None = None,
    ):
        self.client = client  # docker-py's, for what ghpkg does not wrap (probes, tests)
        self._version = version  # the engine's /version answer, if the caller has it already
        self._details = details  # and its /info answer

    @classmethod
    def connect(cls, access: EngineAccess, timeout: int = 600) -> Engine:
        """The engine as the docker CLI finds it: DOCKER_HOST and its TLS, as the face read
        them; asked /version once (that proves it answers), and /info meanwhile."""
        client, (version, details) = docker_client(
            access.docker_host, timeout, dict(access.docker_tls)
        )
        return cls(client, version, details)

    @property
    def base_url(self) -> str:
        """Where the engine's API is (`http+docker://localhost` for a socket)."""
        return str(self.client.api.base_url)

    def close(self) -> None:
        """Close the connection to the engine."""
        self.client.close()

    def info(self) -> EngineInfo:
        """The engine's version, image store and platform (asked once per Engine)."""
        return self._info

    @cached_property
    def _info(self) -> EngineInfo:
        try:
            version = self._version or self.client.version()
            details = self._details or self.client.info()
        except ENGINE_ERRORS as exc:
            raise EngineError("cannot query the Docker engine", first_line(exc), "") from None
        driver_status = details.get("DriverStatus") or []
        containerd_store = any(
            "io.containerd.snapshotter" in str(value) for _key, value in driver_status
        )
        return EngineInfo(
            version=str(version.get("Version", "")),
            api_version=str(version.get("ApiVersion", "")),
            containerd_store=containerd_store,
            os=str(version.get("Os") or "linux"),
            arch=str(version.get("Arch") or "amd64"),
        )

    def get_image(self, name_or_id: str) -> Image:
        """A local image by ID or name, or an EngineError that says it is missing."""
        image = self.find_image(name_or_id)
        if image is None:
            raise EngineError(
                f"image {name_or_id!r} is not in the local Docker engine",
                "--source takes the ID or name of an image that exists locally",
                "check `docker images`, or build it first",
            )
        return image

    def image_id_of(self, name_or_id: str) -> str:
        """The full ID (`sha256:...`) of a local image."""
        return str(self.get_image(name_or_id).id)

    def find_image(self, name_or_id: str) -> Image | None:
        """A local image, or None when the engine does not have it."""
        try:
            return self.client.images.get(name_or_id)
        except docker.errors.ImageNotFound:
            return None
        except ENGINE_ERRORS as exc:
            what = f"cannot inspect image {name_or_id!r}"
            raise EngineError(what, first_line(exc), "") from None

    def tag(self, image_id: str, reference: str) -> None:
        """Tag a local image with a full `name:tag` reference."""
        name, _, version = reference.rpartition(":")
        try:
            ok = self.client.api.tag(image_id, name, version, force=True)
        except ENGINE_ERRORS as exc:
            what = f"cannot tag {image_id} as {reference}"
            raise EngineError(what, first_line(exc), "") from None
        if not ok:
            raise EngineError(f"the engine refused to tag {image_id} as {reference}", "", "")

    def untag(self, reference: str) -> None:
        """Remove one name of a local image (never the image's data, nor its other names)."""
        try:
            self.client.api.remove_image(reference, noprune=True)
        except docker.errors.NotFound:  # no such image, or (removed meanwhile) no such name
            return
        except ENGINE_ERRORS as exc:
            what = f"cannot remove the name {reference}"
            raise EngineError(what, first_line(exc), "") from None

    def push(
        self,
        reference: str,
        username: str,
        token: Secret | None,
        progress: Progress,
        *,
        retries: int = 0,
        log: Callable[[str], None] = lambda _: None,
    ) -> str:
        """`docker push` one tag (again after a temporary error); returns the engine's digest."""
        name, _, version = reference.rpartition(":")
        what = f"docker push of {reference}"
        auth, call = self._auth(username, token), self.client.api.push
        return again(
            lambda: self._follow(call, name, version, auth, what, progress), what, retries, log
        )

    def pull(
        self,
        reference: str,
        username: str,
        token: Secret | None,
        progress: Progress,
        *,
        retries: int = 0,
        log: Callable[[str], None] = lambda _: None,
    ) -> None:
        """`docker pull` one tag or digest (`NAME@sha256:…`), again after a temporary error."""
        name, by_digest, version = reference.rpartition("@")
        if not by_digest:
            name, _, version = reference.rpartition(":")
        what = f"docker pull of {reference}"
        auth, call = self._auth(username, token), self.client.api.pull
        again(lambda: self._follow(call, name, version, auth, what, progress), what, retries, log)

    def save(self, image: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Stream `docker save IMAGE` (a tar) without holding it in memory."""
        try:
            yield from self.client.api.get_image(image, chunk_size=chunk_size)
        except ENGINE_ERRORS as exc:
            what = f"docker save of {image} failed"
            raise EngineError(what, first_line(exc), "", temporary=broken(exc)) from None

    def load(self, tar_stream: Iterable[bytes]) -> list[str]:
        """Stream a `docker save`-format tar into `docker load`; returns the names it loaded."""
        loaded: list[str] = []
        try:
            for chunk in self.client.api.load_image(tar_stream):  # type: ignore[no-untyped-call]
                raise_stream_error(chunk, "docker load failed")
                text = str(chunk.get("stream", ""))
                match = re.search(r"Loaded image(?: ID)?: (\S+)", text)
                if match:
                    loaded.append(match.group(1))
        except ENGINE_ERRORS as exc:
            raise EngineError(
                "docker load failed", first_line(exc), "", temporary=broken(exc)
            ) from None
        return loaded

    def _auth(self, username: str, token: Secret | None) -> dict[str, str] | None:
        """The engine's X-Registry-Auth; None where there is nothing to send.

        Never to an engine reached over plain TCP or unverified TLS: anyone on the way would read
        it (`refuse_unverified`, exit 2 with the fix).
        """
        if not token:
            return None
        refuse_unverified(self.client.api)
        return {"username": username, "password": token.reveal()}

    @staticmethod
    def _follow(
        call: Callable[..., Iterable[Mapping[str, Any]]],
        name: str,
        version: str,
        auth: dict[str, str] | None,
        what: str,
        progress: Progress,
    ) -> str:
        """Follow a push's or pull's JSON stream to its end; returns an `aux` chunk's digest."""
        digest = ""
        try:
            for chunk in call(name, tag=version, stream=True, decode=True, auth_config=auth):
                raise_stream_error(chunk, f"{what} failed")
                aux = chunk.get("aux")
                if isinstance(aux, dict) and aux.get("Digest"):
                    digest = str(aux["Digest"])
                progress(chunk)
        except ENGINE_ERRORS as exc:
            cause = first_line(exc)
            temporary = broken(exc) or temporary_message(cause)
            raise EngineError(f"{what} failed", cause, "", temporary=temporary) from None
        return digest
