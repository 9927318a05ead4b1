"""The Docker engine (docker-py): `Engine`, what it is (`EngineInfo`) and how it fails."""

from ghpkg.engine.docker_engine import Engine, EngineInfo, Progress
from ghpkg.engine.failures import temporary_message

__all__ = ["Engine", "EngineInfo", "Progress", "temporary_message"]
