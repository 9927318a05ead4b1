"""Pytest plugin: the session fixture ``engine``, parametrized over the engines under test.

GHPKG_ENGINES picks them: a comma list of matrix names (default ``20.10``), or ``all``.
Engines start lazily on first use; at session end only those this session started are stopped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import docker
import pytest

from testbed import engines


def selected_engines(value: str | None = None) -> list[str]:
    """Engine names from GHPKG_ENGINES (or value): comma list, 'all', default 20.10."""
    raw = os.environ.get("GHPKG_ENGINES", "20.10") if value is None else value
    if raw.strip().lower() == "all":
        return list(engines.ENGINE_NAMES)
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in engines.ENGINE_NAMES]
    if unknown:
        raise pytest.UsageError(
            f"GHPKG_ENGINES: unknown engine(s) {', '.join(unknown)}; "
            f"choose from {', '.join(engines.ENGINE_NAMES)} or 'all'"
        )
    return names or ["20.10"]


@dataclass
class EngineUnderTest:
    """A running engine, a docker-py client connected to it, and how the docker CLI reaches it.

    `env` (DOCKER_HOST, DOCKER_CONFIG) is for processes that run the docker CLI, such as ghpkg:
    its DOCKER_CONFIG holds the buildx plugin exactly when `buildx` is true.
    """

    name: str
    version: str
    base_url: str
    client: docker.DockerClient
    buildx: bool = False
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class EnginePool:
    """Engines this session uses: started on first request, stopped at the end if ours."""

    ready: dict[str, EngineUnderTest] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)

    def get(self, name: str) -> EngineUnderTest:
        """The engine called name, starting it if nothing answers on its socket."""
        if name not in self.ready:
            if engines.running(name) is None:
                self.started.append(name)
            engine = engines.start(name)
            client = docker.DockerClient(base_url=engine.base_url, version="auto")
            config = engines.docker_config(name)
            env = {"DOCKER_HOST": engine.base_url, "DOCKER_CONFIG": str(config)}
            self.ready[name] = EngineUnderTest(
                name,
                engine.version,
                engine.base_url,
                client,
                buildx=name in engines.BUILDX_ENGINES,
                env=env,
            )
        return self.ready[name]

    def close(self) -> None:
        """Close the clients and stop the engines this pool started."""
        for handle in self.ready.values():
            handle.client.close()
        self.ready.clear()
        for name in reversed(self.started):
            engines.stop(name)
        self.started.clear()


@pytest.fixture(scope="session")
def engine_pool() -> Iterator[EnginePool]:
    """The session's engines (see EnginePool)."""
    pool = EnginePool()
    yield pool
    pool.close()


@pytest.fixture(scope="session", params=selected_engines(), ids=str)
def engine(request: pytest.FixtureRequest, engine_pool: EnginePool) -> EngineUnderTest:
    """One engine of the matrix under test (the tests run once per engine)."""
    name: str = request.param
    return engine_pool.get(name)
