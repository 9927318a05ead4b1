"""ghpkg: publish and install Docker images on the GitHub Packages Docker registry of GHES."""

from ghpkg.errors import AuthError, BuildError, EngineError, GhpkgError, RegistryError, UsageError
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
