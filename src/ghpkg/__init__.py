"""ghpkg: publish and install Docker images on the GitHub Packages Docker registry of GHES."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ghpkg.errors import (
        AuthError,
        BuildError,
        EngineError,
        GhpkgError,
        RegistryError,
        UsageError,
    )
    from ghpkg.reference import Reference

__version__ = "0.1.0"

__all__ = [
    "AuthError",
    "BuildError",
    "EngineError",
    "GhpkgError",
    "Reference",
    "RegistryError",
    "UsageError",
    "__version__",
]

# Where each public name lives. They are imported on first use (PEP 562), so `import ghpkg`,
# which every `ghpkg` command does first, costs nothing: `ghpkg --help` stays fast.
_HOMES = {"Reference": "ghpkg.reference"} | {
    name: "ghpkg.errors" for name in __all__ if name.endswith("Error")
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'ghpkg' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value
