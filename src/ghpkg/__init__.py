"""ghpkg: publish and install Docker images on the GitHub Packages Docker registry of GHES.

As a library: build a `Settings`, call a verb with it and a `Log`, read the `Result`::

    import ghpkg

    settings = ghpkg.Settings(
        operation=ghpkg.Operation.PUSH, hostname="ghes.example.com", isolation=None,
        owner="octo-org", repository="hello-world", image="app", versions=("1.0",),
        username="octocat", token=ghpkg.Secret(token), source="app:latest",
    )
    result = ghpkg.push(settings, ghpkg.Log())
    print(result.images, result.digest)

Every failure is a `GhpkgError` (what, cause, fix; `exit_code` 1 or 2); doctor and migrate
raise `Unfinished`, which also holds the `result` they reported (the checklist, the table).
"""

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
    from ghpkg.outputs import Log, Result, Unfinished
    from ghpkg.reference import Reference
    from ghpkg.secret import Secret
    from ghpkg.settings import Operation, Registry, Scope, Settings, Transport
    from ghpkg.verbs.copy import copy
    from ghpkg.verbs.doctor import run as doctor
    from ghpkg.verbs.migrate import migrate
    from ghpkg.verbs.package_versions import delete, versions
    from ghpkg.verbs.platforms import join
    from ghpkg.verbs.pull import pull
    from ghpkg.verbs.push import push
    from ghpkg.verbs.ref import ref
    from ghpkg.verbs.serve import run as serve

from ghpkg.version import __version__

__all__ = [
    "AuthError",
    "BuildError",
    "EngineError",
    "GhpkgError",
    "Log",
    "Operation",
    "Reference",
    "Registry",
    "RegistryError",
    "Result",
    "Scope",
    "Secret",
    "Settings",
    "Transport",
    "Unfinished",
    "UsageError",
    "__version__",
    "copy",
    "delete",
    "doctor",
    "join",
    "migrate",
    "pull",
    "push",
    "ref",
    "serve",
    "versions",
]

# Where each public name lives. They are imported on first use (PEP 562), so `import ghpkg`,
# which every `ghpkg` command does first, costs nothing: `ghpkg --help` stays fast.
_HOMES: dict[str, tuple[str, str]] = {
    "Reference": ("ghpkg.reference", "Reference"),
    "Log": ("ghpkg.outputs", "Log"),
    "Result": ("ghpkg.outputs", "Result"),
    "Unfinished": ("ghpkg.outputs", "Unfinished"),
    "Secret": ("ghpkg.secret", "Secret"),
    "Settings": ("ghpkg.settings", "Settings"),
    "Operation": ("ghpkg.settings", "Operation"),
    "Transport": ("ghpkg.settings", "Transport"),
    "Registry": ("ghpkg.settings", "Registry"),
    "Scope": ("ghpkg.settings", "Scope"),
    "push": ("ghpkg.verbs.push", "push"),
    "ref": ("ghpkg.verbs.ref", "ref"),
    "pull": ("ghpkg.verbs.pull", "pull"),
    "copy": ("ghpkg.verbs.copy", "copy"),
    "join": ("ghpkg.verbs.platforms", "join"),
    "migrate": ("ghpkg.verbs.migrate", "migrate"),
    "versions": ("ghpkg.verbs.package_versions", "versions"),
    "delete": ("ghpkg.verbs.package_versions", "delete"),
    "doctor": ("ghpkg.verbs.doctor", "run"),
    "serve": ("ghpkg.verbs.serve", "run"),
} | {name: ("ghpkg.errors", name) for name in __all__ if name.endswith("Error")}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'ghpkg' has no attribute {name!r}")
    import importlib

    module, attribute = _HOMES[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value
