"""ghpkg: publish and install Docker images on the GitHub Packages Docker registry of GHES.

As a library: each verb (`push`, `ref`, `pull`, `copy`, `join`, `versions`, `delete`, `migrate`,
`doctor`, `serve`) takes its own request, the shared `Remote` (the instance, the credentials,
TLS, retries, layout, registry) and a `Log`, and returns a `Result` of typed fields::

    import ghpkg

    remote = ghpkg.Remote("ghes.example.com", "octocat", ghpkg.Secret(token))
    package = ghpkg.Package("octo-org", "hello-world", "app")
    listed = ghpkg.versions(ghpkg.VersionsRequest(package), remote, ghpkg.Log())
    print([(version.id, version.tags) for version in listed.versions or ()])

Every failure is a `GhpkgError` (what, cause, fix; `exit_code` 1 or 2); doctor and migrate
raise `Unfinished`, which also holds the `result` they reported (the checklist, the table).
"""

from __future__ import annotations

from ghpkg.version import __version__

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (and re): 10 ms

if TYPE_CHECKING:
    from typing import Any

    from ghpkg.build.options import BuildRequest, BuildSecret
    from ghpkg.doctor_report import Check, DoctorReport, Status
    from ghpkg.errors import (
        AuthError,
        BuildError,
        EngineError,
        GhpkgError,
        RegistryError,
        UsageError,
    )
    from ghpkg.migration.plan import ImageStatus, TagStatus
    from ghpkg.migration.report import ImageReport, MigrationReport, TagReport
    from ghpkg.outputs import Log, Result, Unfinished
    from ghpkg.platforms import Platform
    from ghpkg.reference import Reference
    from ghpkg.retention import PackageVersion
    from ghpkg.secret import Secret
    from ghpkg.settings import EngineAccess, Package, Registry, Remote, Scope, Transport
    from ghpkg.verbs.checklist import DoctorRequest
    from ghpkg.verbs.copy import CopyRequest, copy
    from ghpkg.verbs.doctor import doctor
    from ghpkg.verbs.join import JoinRequest, join
    from ghpkg.verbs.migrate import MigrateRequest, migrate
    from ghpkg.verbs.package_versions import DeleteRequest, VersionsRequest, delete, versions
    from ghpkg.verbs.pull import PullRequest, pull
    from ghpkg.verbs.push import PushRequest, push
    from ghpkg.verbs.ref import RefRequest, ref
    from ghpkg.verbs.serve import ServeRequest, serve

__all__ = [
    "AuthError",
    "BuildError",
    "BuildRequest",
    "BuildSecret",
    "Check",
    "CopyRequest",
    "DeleteRequest",
    "DoctorReport",
    "DoctorRequest",
    "EngineAccess",
    "EngineError",
    "GhpkgError",
    "ImageReport",
    "ImageStatus",
    "JoinRequest",
    "Log",
    "MigrateRequest",
    "MigrationReport",
    "Package",
    "PackageVersion",
    "Platform",
    "PullRequest",
    "PushRequest",
    "RefRequest",
    "Reference",
    "Registry",
    "RegistryError",
    "Remote",
    "Result",
    "Scope",
    "Secret",
    "ServeRequest",
    "Status",
    "TagReport",
    "TagStatus",
    "Transport",
    "Unfinished",
    "UsageError",
    "VersionsRequest",
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
    "Transport": ("ghpkg.settings", "Transport"),
    "Registry": ("ghpkg.settings", "Registry"),
    "Scope": ("ghpkg.settings", "Scope"),
    "Remote": ("ghpkg.settings", "Remote"),
    "Package": ("ghpkg.settings", "Package"),
    "Platform": ("ghpkg.platforms", "Platform"),
    "RefRequest": ("ghpkg.verbs.ref", "RefRequest"),
    "VersionsRequest": ("ghpkg.verbs.package_versions", "VersionsRequest"),
    "DeleteRequest": ("ghpkg.verbs.package_versions", "DeleteRequest"),
    "DoctorRequest": ("ghpkg.verbs.checklist", "DoctorRequest"),
    "PullRequest": ("ghpkg.verbs.pull", "PullRequest"),
    "PushRequest": ("ghpkg.verbs.push", "PushRequest"),
    "BuildRequest": ("ghpkg.build.options", "BuildRequest"),
    "BuildSecret": ("ghpkg.build.options", "BuildSecret"),
    "CopyRequest": ("ghpkg.verbs.copy", "CopyRequest"),
    "JoinRequest": ("ghpkg.verbs.join", "JoinRequest"),
    "MigrateRequest": ("ghpkg.verbs.migrate", "MigrateRequest"),
    "ServeRequest": ("ghpkg.verbs.serve", "ServeRequest"),
    "EngineAccess": ("ghpkg.settings", "EngineAccess"),
    "PackageVersion": ("ghpkg.retention", "PackageVersion"),
    "Check": ("ghpkg.doctor_report", "Check"),
    "Status": ("ghpkg.doctor_report", "Status"),
    "DoctorReport": ("ghpkg.doctor_report", "DoctorReport"),
    "MigrationReport": ("ghpkg.migration.report", "MigrationReport"),
    "ImageReport": ("ghpkg.migration.report", "ImageReport"),
    "TagReport": ("ghpkg.migration.report", "TagReport"),
    "ImageStatus": ("ghpkg.migration.plan", "ImageStatus"),
    "TagStatus": ("ghpkg.migration.plan", "TagStatus"),
    "push": ("ghpkg.verbs.push", "push"),
    "ref": ("ghpkg.verbs.ref", "ref"),
    "pull": ("ghpkg.verbs.pull", "pull"),
    "copy": ("ghpkg.verbs.copy", "copy"),
    "join": ("ghpkg.verbs.join", "join"),
    "migrate": ("ghpkg.verbs.migrate", "migrate"),
    "versions": ("ghpkg.verbs.package_versions", "versions"),
    "delete": ("ghpkg.verbs.package_versions", "delete"),
    "doctor": ("ghpkg.verbs.doctor", "doctor"),
    "serve": ("ghpkg.verbs.serve", "serve"),
} | {name: ("ghpkg.errors", name) for name in __all__ if name.endswith("Error")}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'ghpkg' has no attribute {name!r}")
    import importlib

    module, attribute = _HOMES[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value
