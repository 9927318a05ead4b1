"""argv or INPUT_* variables -> the verb's `Call`: the shared `Remote` and the verb's own request.
The faces hand their environment in here.

The options themselves are declared once, in `faces.options`; `faces.argv` and `faces.readers`
read them from argv and INPUT_*; `resolve` checks how they combine and fills the defaults.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ghpkg import tokens
from ghpkg.errors import UsageError
from ghpkg.faces.argv import cli_parser, parse_cli, version_text
from ghpkg.faces.build_inputs import (
    annotations_input,
    check_build_inputs,
    dockerfile_input,
    platforms_input,
    refuse_build_options,
    secret_items,
)
from ghpkg.faces.input_checks import (
    Problems,
    choice,
    count,
    engine_elsewhere,
    existing_file,
    pairs,
    seconds,
)
from ghpkg.faces.migrate_inputs import first_owner, migrate_inputs, skips_repository
from ghpkg.faces.readers import RawInputs, parse_action
from ghpkg.faces.retention_inputs import retention_inputs
from ghpkg.faces.tag_inputs import image_names, revision, versions_input
from ghpkg.faces.token_sources import missing_token, token_from
from ghpkg.reference import (
    is_digest,
    parse_hostname,
    parse_image_name,
    parse_isolation,
    parse_namespace,
    parse_registry,
)
from ghpkg.secret import Secret
from ghpkg.settings import EngineAccess, Operation, Package, Registry, Remote, Transport

if TYPE_CHECKING:  # each verb's request is imported with the verb, only for that verb
    from ghpkg.metadata.git_tags import KnownTags
    from ghpkg.verbs.checklist import DoctorRequest
    from ghpkg.verbs.copy import CopyRequest
    from ghpkg.verbs.join import JoinRequest
    from ghpkg.verbs.migrate import MigrateRequest
    from ghpkg.verbs.package_versions import DeleteRequest, VersionsRequest
    from ghpkg.verbs.pull import PullRequest
    from ghpkg.verbs.push import PushRequest
    from ghpkg.verbs.ref import RefRequest
    from ghpkg.verbs.serve import ServeRequest

    VerbRequest = (
        PushRequest
        | RefRequest
        | PullRequest
        | CopyRequest
        | JoinRequest
        | VersionsRequest
        | DeleteRequest
        | DoctorRequest
        | ServeRequest
        | MigrateRequest
    )

__all__ = [
    "Call",
    "RawInputs",
    "cli_parser",
    "engine_elsewhere",
    "parse_action",
    "parse_cli",
    "resolve",
    "token_from",
    "version_text",
]


class Call(NamedTuple):
    """What the face runs: the verb, the instance and credentials every verb shares, the verb's
    own request, and how the versions were found (logged before the verb runs)."""

    operation: Operation
    remote: Remote
    request: VerbRequest
    version_note: str = ""


_NO_IMAGE = (Operation.DOCTOR, Operation.SERVE, Operation.MIGRATE)  # the verbs that need none


def _unknown_tags() -> None:
    return None


def resolve(
    raw: RawInputs, env: Mapping[str, str], token: Secret, git_tags: KnownTags = _unknown_tags
) -> Call:
    """Check every option and fill defaults from the workflow environment (exit 2 on bad input).

    `git_tags` lists the repository's git tags when asked (None if unknown), to tell whether a
    release tag is the highest and so gets `latest`.
    """
    operation = choice(raw.text("operation"), Operation, "operation")
    found = Problems()  # what is missing or malformed, each on its own: all named at once
    hostname = found.check(
        lambda: parse_hostname(raw.text("hostname") or env.get("GITHUB_SERVER_URL", "")), ""
    )
    if hostname and operation is not Operation.REF:  # the one verb that sends no token
        found.check(lambda: _workflow_token_stays_home(token, hostname, env), None)
    isolation = found.check(lambda: parse_isolation(raw.text("isolation")), None)
    registry = found.check(lambda: _registry(raw, operation, isolation), None)
    owner_default, _, repo_default = env.get("GITHUB_REPOSITORY", "").partition("/")
    serving = operation is Operation.SERVE  # any repository the token may reach
    owner = (
        found.check(
            lambda: parse_namespace(
                raw.text("owner") or first_owner(raw) or owner_default, "owner"
            ),
            "",
        )
        if not serving
        else ""
    )
    repository = ""
    if (
        not serving
        and not skips_repository(raw, repo_default)
        and (registry is not Registry.CONTAINER or raw.text("repository") or repo_default)
    ):
        repository = found.check(
            lambda: parse_namespace(raw.text("repository") or repo_default, "repository"), ""
        )
    image = (
        found.check(lambda: parse_image_name(raw.text("image")), "")
        if not serving and (raw.text("image") or operation not in _NO_IMAGE)
        else ""
    )
    listen = found.check(lambda: _listen(raw, operation), "")
    no_serve: tuple[tuple[str, ...], tuple[str, ...], Path | None] = ((), (), None)
    serve_owners, serve_images, credentials_file = found.check(
        lambda: _serve_inputs(raw, operation), no_serve
    )
    ca_file = (
        found.check(lambda: existing_file(raw.text("ca_file"), "CA file (--ca-file)"), None)
        if raw.text("ca_file")
        else None
    )
    retries = found.check(lambda: count(raw.text("retries")), 0)
    timeout = found.check(lambda: seconds(raw.text("timeout")), 60.0)
    none: tuple[tuple[str, str], ...] = ()
    build_args = found.check(lambda: pairs(raw.items("build_args"), "build-arg"), none)
    labels = found.check(lambda: pairs(raw.items("labels"), "label"), none)
    context = Path(raw.text("context") or ".")
    dockerfile = found.check(lambda: dockerfile_input(raw), None)
    building = operation is Operation.PUSH and not raw.text("source")
    if building:
        found.check(lambda: check_build_inputs(context, dockerfile), None)
    else:
        found.check(lambda: refuse_build_options(raw, operation), None)
    build_only = operation is Operation.PUSH and not raw.flag("push")  # sends nothing
    if not token and operation not in (Operation.REF, Operation.DOCTOR) and not build_only:
        found.errors.append(missing_token(hostname))
    found.raise_them()
    assert registry is not None  # found.raise_them() raised otherwise
    # What depends on the values above: judged once they are sound, the first problem raised.
    container = registry is Registry.CONTAINER
    names = image_names(hostname, isolation, container, (owner, repository, image))
    versions, version_note = versions_input(raw, operation, env, git_tags, container, names)
    retention = retention_inputs(raw, operation, registry, versions)
    transport = _transport(raw, versions)
    workflow_repository = env.get("GITHUB_REPOSITORY", "").lower()
    to_owner, to_image = _copy_target(raw, operation, owner, image)
    if serving:
        tokens.check_token_locally(token, "push" if raw.flag("allow_push") else "pull", "", "")
    elif operation not in (Operation.REF, Operation.DOCTOR) and not build_only:
        # doctor reports a bad token
        action = {"join": "push", "migrate": "pull"}.get(operation, operation)
        if operation is Operation.DELETE and raw.flag("dry_run"):
            action = "versions"  # a plan deletes nothing: reading the versions is enough
        _check_token(token, action, registry, (owner, repository), workflow_repository)
    if operation is Operation.MIGRATE:
        _check_token(token, "push", Registry.CONTAINER, (owner, ""), workflow_repository)
    where = (hostname, owner, repository)
    migration = migrate_inputs(raw, operation, where, env)
    if operation is Operation.COPY:
        _check_token(token, "push", Registry.CONTAINER, (to_owner, ""), workflow_repository)
    platforms = platforms_input(raw, operation, versions)
    annotations = annotations_input(raw, container, platforms) if building else ()
    remote = Remote(
        hostname,
        raw.text("username") or env.get("GITHUB_ACTOR", "") or "ghpkg",
        token,
        ca_file,
        timeout,
        retries,
        isolation,
        registry,
    )
    package = Package(owner, repository, image)
    request: VerbRequest
    if operation is Operation.PUSH:
        from ghpkg.build.options import BuildRequest, clean_environment, parse_cache, parse_secrets
        from ghpkg.verbs.push import PushRequest

        secrets = parse_secrets(secret_items(raw), env)
        build_env = clean_environment(env, token, [s.env for s in secrets if s.env])
        build = BuildRequest(
            context,
            dockerfile,
            build_args,
            labels,
            raw.text("target") or None,
            secrets,
            tuple(parse_cache(item, "from") for item in raw.items("cache_from")),
            tuple(parse_cache(item, "to") for item in raw.items("cache_to")),
            no_cache=raw.flag("no_cache"),
            pull=raw.flag("pull"),
            environment=build_env if building else {},
        )
        request = PushRequest(
            package,
            versions,
            raw.text("source") or None,
            build,
            platforms,
            raw.flag("platform_tags"),
            annotations,
            raw.flag("push"),
            raw.flag("load"),
            revision(env),
            _engine(env, transport),
        )
    elif operation is Operation.REF:
        from ghpkg.verbs.ref import RefRequest

        request = RefRequest(package, versions)
    elif operation is Operation.PULL:
        from ghpkg.verbs.pull import PullRequest

        request = PullRequest(package, versions[0], _engine(env, transport))
    elif operation is Operation.COPY:
        from ghpkg.verbs.copy import CopyRequest

        request = CopyRequest(package, versions, to_owner, to_image)
    elif operation is Operation.JOIN:
        from ghpkg.verbs.join import JoinRequest

        request = JoinRequest(package, versions, platforms)
    elif operation is Operation.VERSIONS:
        from ghpkg.verbs.package_versions import VersionsRequest

        request = VersionsRequest(package)
    elif operation is Operation.DELETE:
        from ghpkg.verbs.package_versions import DeleteRequest

        request = DeleteRequest(
            package,
            tags=versions,
            keep=retention.keep,
            keep_tags=retention.keep_tags,
            older_than=retention.older_than,
            untagged=retention.untagged,
            pause=retention.delete_pause,
            dry_run=raw.flag("dry_run"),
        )
    elif operation is Operation.DOCTOR:
        from ghpkg.verbs.checklist import DoctorRequest

        request = DoctorRequest(package, workflow_repository, _engine(env, transport))
    elif operation is Operation.SERVE:
        allow_push = raw.flag("allow_push")
        from ghpkg.verbs.serve import ServeRequest

        request = ServeRequest(listen, allow_push, serve_owners, serve_images, credentials_file)
    else:
        from ghpkg.verbs.migrate import MigrateRequest

        request = MigrateRequest(
            owner,
            repository,
            migration.scope,
            migration.owners,
            migration.name_map,
            migration.jobs,
            migration.state_file,
            migration.shards,
            migration.shard,
            raw.flag("dry_run"),
        )
    return Call(operation, remote, request, version_note)


def _engine(env: Mapping[str, str], transport: Transport) -> EngineAccess:
    """How push, pull and doctor reach the engine (the other verbs use none)."""
    from ghpkg.registry_transport.blobcache import default_cache_dir

    docker_host = env.get("DOCKER_HOST") or None
    docker_tls = tuple((k, env[k]) for k in ("DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH") if k in env)
    elsewhere = engine_elsewhere(docker_host or "")
    return EngineAccess(docker_host, elsewhere, transport, default_cache_dir(env), docker_tls)


def _listen(raw: RawInputs, operation: Operation) -> str:
    """serve: the loopback HOST:PORT to listen on (checked here, before any network)."""
    if operation is not Operation.SERVE:
        if raw.text("listen") or raw.flag("allow_push"):
            raise UsageError(
                f"--listen/--allow-push are for serve, not {operation}", "", "drop them"
            )
        return ""  # only serve listens
    from ghpkg.shim.listen import DEFAULT_LISTEN, parse_listen  # serve's: not on others' start-up

    host, port = parse_listen(raw.text("listen") or DEFAULT_LISTEN)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _workflow_token_stays_home(token: Secret, hostname: str, env: Mapping[str, str]) -> None:
    """A GITHUB_TOKEN (ghs_) in a workflow goes only to the workflow's own instance."""
    server = env.get("GITHUB_SERVER_URL", "")
    if not token.reveal().startswith("ghs_") or not (server or env.get("GITHUB_ACTIONS")):
        return  # outside a workflow a ghs_ token is a GitHub App's, for the host it was made on
    home = parse_hostname(server) if server else ""
    if hostname != home:
        raise UsageError(
            f"the GITHUB_TOKEN (ghs_) of this workflow belongs to {home or 'an unknown host'}, "
            f"not {hostname}",
            "it is sent only to the instance that ran the workflow (GITHUB_SERVER_URL)",
            f"drop --hostname, or pass a token of {hostname} (e.g. a classic PAT in a secret)",
        )


def _serve_inputs(
    raw: RawInputs, operation: Operation
) -> tuple[tuple[str, ...], tuple[str, ...], Path | None]:
    """serve: the owners and images it serves (comma separated; empty: any) and the login file."""
    if operation is not Operation.SERVE:
        if raw.text("credentials_file"):
            raise UsageError(f"--credentials-file is for serve, not {operation}", "", "drop it")
        return (), (), None
    owners = tuple(parse_namespace(o, "owner") for o in _listed(raw.text("owner")))
    images = tuple(parse_image_name(i) for i in _listed(raw.text("image")))
    given = raw.text("credentials_file")
    if not given:
        return owners, images, None
    path = Path(given)
    if path.is_dir() or not path.parent.is_dir():
        raise UsageError(
            f"--credentials-file {given!r} is not a file in an existing folder",
            "serve writes the login clients use there",
            "name a file in a folder that exists and only you can write",
        )
    return owners, images, path


def _listed(text: str) -> list[str]:
    """Commas and newlines alike, as every list both faces read."""
    return [item.strip() for item in re.split(r"[,\n]", text) if item.strip()]


def _registry(raw: RawInputs, operation: Operation, isolation: bool | None) -> Registry:
    """The registry the operation works on; copy reads the Docker one, writes the Container one."""
    if operation in (Operation.COPY, Operation.MIGRATE):
        parse_registry("container", isolation)  # the destination needs subdomain isolation
        return Registry.DOCKER
    return Registry(parse_registry(_package_type(raw), isolation))


def _package_type(raw: RawInputs) -> str:
    """--package-type, or its older name --registry, which never names a host (login-action's)."""
    new, old = raw.text("package_type").strip(), raw.text("registry").strip()
    if old and old.lower() not in Registry.words():
        raise UsageError(
            f"registry {old!r} is not docker or container",
            "ghpkg's registry (now package-type) picks one of the instance's two registries; "
            "it is not a host, as docker/login-action's registry is",
            "set hostname to the instance's host, and package-type to docker or container",
        )
    if new and old and new.lower() != old.lower():
        raise UsageError(
            f"package-type {new} and registry {old} disagree",
            "registry is package-type's older name",
            "drop registry",
        )
    return new or old


def _transport(raw: RawInputs, versions: tuple[str, ...]) -> Transport:
    """auto, engine or registry; a digest (Container registry) goes through `docker pull`."""
    transport = choice(raw.text("transport"), Transport, "transport")
    if transport is Transport.REGISTRY and any(is_digest(v) for v in versions):
        raise UsageError(
            "a pull by digest goes through the engine",
            "the registry transport loads the image under a tag, and a digest is not one",
            "use --transport engine (or auto), or pull a tag",
        )
    return transport


def _copy_target(raw: RawInputs, operation: Operation, owner: str, image: str) -> tuple[str, str]:
    """copy: the Container registry's owner and image (default: the source's)."""
    if operation is not Operation.COPY:
        if raw.text("to_owner") or raw.text("to_image"):
            raise UsageError(
                f"--to-owner/--to-image are for copy, not {operation}", "", "drop them"
            )
        return "", ""
    to_owner = parse_namespace(raw.text("to_owner"), "owner") if raw.text("to_owner") else owner
    return to_owner, parse_image_name(raw.text("to_image")) if raw.text("to_image") else image


def _check_token(
    token: Secret, action: str, registry: Registry, where: tuple[str, str], workflow_repository: str
) -> None:
    """Check the token locally: a GITHUB_TOKEN is bound to its repository (Container: owner)."""
    owner, repository = where
    if registry is Registry.CONTAINER:
        tokens.check_token_locally(token, action, owner, workflow_repository.partition("/")[0])
    else:
        tokens.check_token_locally(token, action, f"{owner}/{repository}", workflow_repository)
