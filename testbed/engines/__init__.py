"""The Docker engine matrix the integration tests run on: the system engine and three beside it.

`matrix` says which engines there are and where each lives; `install` makes their binaries
present (through `debs`), `buildx` gives the docker CLI its plugin on the buildx engines;
`daemons` starts and stops them (processes in `processes`, questions over the socket in
`probe`); `command` is `python -m testbed engines`. The names below are the public surface.
"""

from testbed.engines.buildx import docker_config
from testbed.engines.command import main
from testbed.engines.daemons import start, stop
from testbed.engines.install import install, installed_version
from testbed.engines.matrix import (
    BUILDX_ENGINES,
    CACHE_DIR,
    ENGINE_NAMES,
    RUN_DIR,
    Engine,
    EngineError,
    base_url,
)
from testbed.engines.probe import running

__all__ = [
    "BUILDX_ENGINES",
    "CACHE_DIR",
    "ENGINE_NAMES",
    "RUN_DIR",
    "Engine",
    "EngineError",
    "base_url",
    "docker_config",
    "install",
    "installed_version",
    "main",
    "running",
    "start",
    "stop",
]
