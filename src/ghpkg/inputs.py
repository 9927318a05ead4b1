"""argv or INPUT_* variables -> one Settings value. The faces hand their environment in here."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn, TextIO
from urllib.parse import urlsplit

from ghpkg import __version__, auth
from ghpkg.blobcache import default_cache_dir
from ghpkg.build_options import clean_environment, parse_cache, parse_platform, parse_secrets
from ghpkg.errors import UsageError
from ghpkg.listen import DEFAULT_LISTEN, parse_listen
from ghpkg.reference import (
    is_digest,
    parse_hostname,
    parse_image_name,
    parse_isolation,
    parse_namespace,
    parse_registry,
    parse_version,
    split_versions,
)
from ghpkg.secret import Secret
from ghpkg.settings import OPERATIONS, TRANSPORTS, Settings
from ghpkg.versions import GitRef, KnownTags, sha_tag, versions_from_git


@dataclass
class RawInputs:
    """Options as the user spelled them, before any check."""

    operation: str = ""
    hostname: str = ""
    isolation: str = "auto"
    owner: str = ""
    repository: str = ""
    image: str = ""
    versions: list[str] = field(default_factory=list)
    username: str = ""
    ca_file: str = ""
    source: str = ""
    context: str = "."
    dockerfile: str = ""
    build_args: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    target: str = ""
    transport: str = "auto"
    retries: str = "4"
    timeout: str = "60"
    sha_tag: bool = False
    keep: str = ""
    dry_run: bool = False
    registry: str = "docker"
    to_owner: str = ""
    to_image: str = ""
    listen: str = ""
    allow_push: bool = False
    secrets: list[str] = field(default_factory=list)
    cache_from: list[str] = field(default_factory=list)
    cache_to: list[str] = field(default_factory=list)
    platform: list[str] = field(default_factory=list)
    no_cache: bool = False
    pull: bool = False


def _unknown_tags() -> None:
    return None


def resolve(
    raw: RawInputs, env: Mapping[str, str], token: Secret, git_tags: KnownTags = _unknown_tags
) -> Settings:
    """Check every option and fill defaults from the workflow environment (exit 2 on bad input).

    `git_tags` lists the repository's git tags when asked (None if unknown), to tell whether a
    release tag is the highest and so gets `latest`.
    """
    operation = _choice(raw.operation, OPERATIONS, "operation")
    hostname = parse_hostname(raw.hostname or env.get("GITHUB_SERVER_URL", ""))
    isolation = parse_isolation(raw.isolation)
    registry = _registry(raw, operation, isolation)
    owner_default, _, repo_default = env.get("GITHUB_REPOSITORY", "").partition("/")
    serving = operation == "serve"  # any repository the token may reach
    owner = parse_namespace(raw.owner or owner_default, "owner") if not serving else ""
    repository = ""
    if not serving and (registry == "docker" or raw.repository or repo_default):
        repository = parse_namespace(raw.repository or repo_default, "repository")
    image = parse_image_name(raw.image) if raw.image or operation not in ("doctor", "serve") else ""
    listen = _listen(raw, operation)
    versions, version_note = _versions(raw, operation, env, git_tags, registry == "container")
    keep = _keep(raw, operation, versions)
    transport = _transport(raw, versions)
    ca_file = _existing_file(raw.ca_file, "CA file (--ca-file)") if raw.ca_file else None
    workflow_repository = env.get("GITHUB_REPOSITORY", "").lower()
    to_owner, to_image = _copy_target(raw, operation, owner, image)
    if serving:
        auth.check_token_locally(token, "push" if raw.allow_push else "pull", "", "")
    elif operation not in ("ref", "doctor"):  # doctor reports a bad token instead
        _check_token(token, operation, registry, (owner, repository), workflow_repository)
    if operation == "copy":
        _check_token(token, "push", "container", (to_owner, ""), workflow_repository)
    context = Path(raw.context or ".")
    dockerfile = raw.dockerfile or None
    building = operation == "push" and not raw.source
    if building:
        _check_build_inputs(context, dockerfile)
    else:
        _refuse_build_options(raw, operation)
    secrets = parse_secrets(raw.secrets, env)
    build_env = clean_environment(env, token, [s.env for s in secrets if s.env])
    return Settings(
        operation=operation,
        hostname=hostname,
        isolation=isolation,
        owner=owner,
        repository=repository,
        image=image,
        versions=versions,
        username=raw.username or env.get("GITHUB_ACTOR", "") or "ghpkg",
        token=token,
        ca_file=ca_file,
        source=raw.source or None,
        context=context,
        dockerfile=dockerfile,
        build_args=_pairs(raw.build_args, "build-arg"),
        labels=_pairs(raw.labels, "label"),
        target=raw.target or None,
        transport=transport,
        retries=_count(raw.retries),
        timeout=_seconds(raw.timeout),
        workflow_repository=workflow_repository,
        revision=env.get("GITHUB_SHA", ""),
        docker_host=env.get("DOCKER_HOST") or None,
        engine_elsewhere=engine_elsewhere(env.get("DOCKER_HOST", "")),
        cache_dir=default_cache_dir(env),
        keep=keep,
        dry_run=bool(raw.dry_run),
        version_note=version_note,
        registry=registry,
        to_owner=to_owner,
        to_image=to_image,
        listen=listen,
        allow_push=bool(raw.allow_push),
        secrets=secrets,
        cache_from=tuple(parse_cache(item, "from") for item in raw.cache_from),
        cache_to=tuple(parse_cache(item, "to") for item in raw.cache_to),
        platform=parse_platform(raw.platform),
        no_cache=bool(raw.no_cache),
        pull=bool(raw.pull),
        build_env=build_env if building else None,
    )


def _listen(raw: RawInputs, operation: str) -> str:
    """serve: the loopback HOST:PORT to listen on (checked here, before any network)."""
    if operation != "serve":
        if raw.listen or raw.allow_push:
            raise UsageError(
                f"--listen/--allow-push are for serve, not {operation}", "", "drop them"
            )
        return DEFAULT_LISTEN
    host, port = parse_listen(raw.listen or DEFAULT_LISTEN)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def engine_elsewhere(docker_host: str) -> bool:
    """Whether the engine may not share this process's loopback (a container, a remote host)."""
    if Path("/.dockerenv").exists() or Path("/run/.containerenv").exists():
        return True
    host = urlsplit(docker_host).hostname if "://" in docker_host else None
    return bool(host) and host not in ("localhost", "::1") and not str(host).startswith("127.")


def _refuse_build_options(raw: RawInputs, operation: str) -> None:
    """Build options without a build (another operation, or push --source) are a mistake."""
    given = [
        flag
        for flag, value in (
            ("secret", raw.secrets),
            ("cache-from", raw.cache_from),
            ("cache-to", raw.cache_to),
            ("platform", raw.platform),
            ("no-cache", raw.no_cache),
            ("pull", raw.pull),
        )
        if value
    ]
    if given:
        raise UsageError(
            f"{', '.join(given)}: build options, but {operation} builds nothing",
            "with --source, push takes an existing image" if raw.source else "only push builds",
            "drop them, or build the context with push",
        )


def _registry(raw: RawInputs, operation: str, isolation: bool | None) -> str:
    """The registry the operation works on; copy reads the Docker one, writes the Container one."""
    if operation == "copy":
        parse_registry("container", isolation)  # the destination needs subdomain isolation
        return "docker"
    registry = parse_registry(raw.registry, isolation)
    if registry == "container" and operation in ("versions", "delete"):
        raise UsageError(
            f"{operation} works on the Docker registry's packages only",
            "the Container registry's package versions are not supported yet",
            "drop --registry container",
        )
    return registry


def _transport(raw: RawInputs, versions: tuple[str, ...]) -> str:
    """auto, engine or registry; a digest (Container registry) goes through `docker pull`."""
    transport = _choice(raw.transport, TRANSPORTS, "transport")
    if transport == "registry" and any(is_digest(v) for v in versions):
        raise UsageError(
            "a pull by digest goes through the engine",
            "the registry transport loads the image under a tag, and a digest is not one",
            "use --transport engine (or auto), or pull a tag",
        )
    return transport


def _copy_target(raw: RawInputs, operation: str, owner: str, image: str) -> tuple[str, str]:
    """copy: the Container registry's owner and image (default: the source's)."""
    if operation != "copy":
        if raw.to_owner or raw.to_image:
            raise UsageError(
                f"--to-owner/--to-image are for copy, not {operation}", "", "drop them"
            )
        return "", ""
    to_owner = parse_namespace(raw.to_owner, "owner") if raw.to_owner else owner
    return to_owner, parse_image_name(raw.to_image) if raw.to_image else image


def _check_token(
    token: Secret, action: str, registry: str, where: tuple[str, str], workflow_repository: str
) -> None:
    """Check the token locally: a GITHUB_TOKEN is bound to its repository (Container: owner)."""
    owner, repository = where
    if registry == "container":
        auth.check_token_locally(token, action, owner, workflow_repository.partition("/")[0])
    else:
        auth.check_token_locally(token, action, f"{owner}/{repository}", workflow_repository)


def _versions(
    raw: RawInputs,
    operation: str,
    env: Mapping[str, str],
    git_tags: KnownTags,
    container: bool = False,
) -> tuple[tuple[str, ...], str]:
    """The tags to use, and how they were found when none was given (empty if given).

    A pull from the Container registry may name a digest instead of a tag.
    """
    digest_ok = container and operation == "pull"
    given = [parse_version(v, digest_ok) for v in raw.versions]
    if operation in ("versions", "delete", "doctor", "serve"):
        if operation == "versions" and given:
            raise UsageError("versions takes no version", "it lists them all", "drop --version")
        return tuple(given), ""
    ref = GitRef.from_env(env)
    note = ""
    if given:
        tags = given + ([sha_tag(ref.sha)] if raw.sha_tag else [])
    else:
        tags = versions_from_git(ref, raw.sha_tag, git_tags)
        if operation == "pull":  # the most specific: this commit's tag, else the ref's first
            tags = tags[-1:] if raw.sha_tag else tags[:1]
        note = f"no version given; from {ref.describe()}: {', '.join(tags)}"
    versions = tuple(dict.fromkeys(parse_version(tag, digest_ok) for tag in tags))
    if operation == "pull" and len(versions) > 1:
        raise UsageError("pull takes one version", f"got {len(versions)}", "pass --version once")
    return versions, note


def _keep(raw: RawInputs, operation: str, versions: tuple[str, ...]) -> int | None:
    """delete: --keep N (N >= 1) or --version V, exactly one of them."""
    text = str(raw.keep).strip()
    if operation != "delete":
        if text:
            raise UsageError(f"--keep is for delete, not {operation}", "", "drop --keep")
        return None
    if bool(text) == bool(versions):
        raise UsageError(
            "delete needs either --keep N or --version V",
            "both given" if text else "neither given",
            "pass --keep 5 to keep the newest five, or --version V for each version to delete",
        )
    if not text:
        return None
    number = int(text) if text.isdigit() else 0
    if number < 1:
        raise UsageError(
            f"keep {text!r} is not a whole number from 1",
            "the newest N versions stay; a package cannot lose its last version",
            "e.g. --keep 5",
        )
    return number


def token_from(env: Mapping[str, str], stdin: TextIO | None) -> Secret:
    """The token: stdin when asked for, else GHPKG_TOKEN, else GITHUB_TOKEN."""
    if stdin is not None:
        return Secret(stdin.readline())
    return Secret(env.get("GHPKG_TOKEN") or env.get("GITHUB_TOKEN") or "")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message, "", f"see `{self.prog} --help`")


def cli_parser() -> argparse.ArgumentParser:
    """The `ghpkg` command line."""
    parser = _Parser(prog="ghpkg", description="Publish and install Docker images on GHES.")
    parser.add_argument("--version", action="version", version=f"ghpkg {__version__}")
    commands = parser.add_subparsers(dest="operation", required=True, parser_class=_Parser)
    helps = {
        "push": "build (or take --source) and push every --version",
        "pull": "pull an image by tag into the local engine",
        "ref": "print the full image reference (no network)",
        "versions": "list the package's versions: tags, id, created (REST API)",
        "delete": "delete package versions by --version or all but the newest --keep N",
        "doctor": "check host, TLS, registry, API, token and engine (exit 1: a push would fail)",
        "copy": "copy versions from the Docker registry to the Container registry (no engine)",
        "serve": "a registry on 127.0.0.1 in front of the instance's, for any client (no token)",
    }
    for name, text in helps.items():
        sub = commands.add_parser(name, help=text, description=text)
        _common(sub)
        if name not in ("doctor", "serve"):
            sub.add_argument("--image", default="", help="image name (lowercase)")
        if name not in ("versions", "doctor", "serve"):
            sub.add_argument("--version", dest="versions", action="append", default=[])
        if name in ("push", "pull", "ref", "copy"):
            sub.add_argument("--sha-tag", action="store_true", help="add sha-<7 hex> of GITHUB_SHA")
        if name in ("push", "pull", "ref"):
            sub.add_argument("--registry", default="docker", help="docker | container")
        if name == "copy":
            sub.add_argument("--to-owner", default="", help="owner on the Container registry")
            sub.add_argument("--to-image", default="", help="image name on the Container registry")
        if name == "serve":
            sub.add_argument("--listen", default="", metavar="HOST:PORT", help="loopback address")
            sub.add_argument("--allow-push", action="store_true", help="take pushes too")
        if name == "delete":
            sub.add_argument("--keep", default="", help="keep the newest N versions")
            sub.add_argument("--dry-run", action="store_true", help="say what would go")
        if name != "ref":  # every operation that goes on the network
            sub.add_argument("--retries", default="4", help="attempts after a temporary failure")
            sub.add_argument("--timeout", default="60", help="seconds to wait on the network")
        if name in ("push", "pull", "doctor"):
            sub.add_argument("--transport", default="auto", help="auto | engine | registry")
        if name == "push":
            sub.add_argument("--source", default="", help="existing local image ID or name")
            sub.add_argument("--context", default=".", help="build context directory")
            sub.add_argument("--dockerfile", default="", help="Dockerfile path in the context")
            sub.add_argument("--build-arg", dest="build_args", action="append", default=[])
            sub.add_argument("--label", dest="labels", action="append", default=[])
            sub.add_argument("--target", default="", help="build stage")
            _build_options(sub)
    return parser


def _build_options(sub: argparse.ArgumentParser) -> None:
    """push's BuildKit options, spelled as `docker buildx build` spells them."""
    sub.add_argument(
        "--secret",
        dest="secrets",
        action="append",
        default=[],
        metavar="id=ID,src=PATH|env=VAR",
        help="secret for RUN --mount=type=secret,id=ID (BuildKit; repeatable)",
    )
    for direction, example in (("from", "src"), ("to", "dest")):
        sub.add_argument(
            f"--cache-{direction}",
            dest=f"cache_{direction}",
            action="append",
            default=[],
            metavar="SPEC",
            help=f"build cache {direction}, e.g. type=local,{example}=DIR (BuildKit; repeatable)",
        )
    sub.add_argument(
        "--platform",
        action="append",
        default=[],
        help="the one platform to build, e.g. linux/arm64",
    )
    sub.add_argument("--no-cache", action="store_true", help="build without the build cache")
    sub.add_argument("--pull", action="store_true", help="always pull the base images")


def _common(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--hostname", default="", help="GHES host (default: GITHUB_SERVER_URL)")
    sub.add_argument("--subdomain-isolation", dest="isolation", default="auto")
    sub.add_argument("--owner", default="")
    sub.add_argument("--repository", default="")
    sub.add_argument("--username", default="")
    sub.add_argument("--password-stdin", action="store_true", help="read the token from stdin")
    sub.add_argument("--ca-file", default="", help="PEM file of the instance's private CA")
    sub.add_argument("--output-file", default="", help="append key=value outputs to FILE")
    sub.add_argument("--quiet", action="store_true", help="print only the result and errors")


def parse_cli(argv: Sequence[str]) -> tuple[RawInputs, argparse.Namespace]:
    """argv -> RawInputs, plus the face-only flags (--password-stdin, --output-file, --quiet)."""
    args = cli_parser().parse_args(list(argv))
    raw = RawInputs()
    for name in vars(raw):
        value = getattr(args, name, None)
        if value is not None:
            setattr(raw, name, value)
    return raw, args


def parse_action(env: Mapping[str, str]) -> RawInputs:
    """INPUT_* variables as GitHub sets them for an action -> RawInputs."""
    if env.get("INPUT_OPERATION", "").strip() == "serve":
        raise UsageError(
            "serve is a command, not an action operation",
            "it runs until it is stopped",
            "run `ghpkg serve &` in a step of its own",
        )

    def get(name: str, default: str = "") -> str:
        return env.get(f"INPUT_{name.upper()}", "").strip() or default

    return RawInputs(
        operation=get("operation", "push"),
        hostname=get("hostname"),
        isolation=get("subdomain-isolation", "auto"),
        owner=get("owner"),
        repository=get("repository"),
        image=get("image"),
        versions=split_versions(get("version")),
        username=get("username"),
        ca_file=get("ca-file"),
        source=get("source"),
        context=get("context", "."),
        dockerfile=get("dockerfile"),
        build_args=_lines(get("build-args")),
        labels=_lines(get("labels")),
        target=get("target"),
        transport=get("transport", "auto"),
        retries=get("retries", "4"),
        timeout=get("timeout", "60"),
        sha_tag=_flag(get("sha-tag", "false"), "sha-tag"),
        keep=get("keep"),
        dry_run=_flag(get("dry-run", "false"), "dry-run"),
        registry=get("registry", "docker"),
        to_owner=get("to-owner"),
        to_image=get("to-image"),
        secrets=_lines(get("secrets")),
        cache_from=_lines(get("cache-from")),
        cache_to=_lines(get("cache-to")),
        platform=_lines(get("platform")),
        no_cache=_flag(get("no-cache", "false"), "no-cache"),
        pull=_flag(get("pull", "false"), "pull"),
    )


def _flag(value: str, what: str) -> bool:
    text = value.lower()
    if text not in ("true", "false"):
        raise UsageError(f"{what} {value!r} is not true or false", "", f"use {what}: true")
    return text == "true"


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _choice(value: str, choices: Sequence[str], what: str) -> str:
    text = value.strip().lower()
    if text not in choices:
        raise UsageError(f"{what} {value!r} is not known", "", f"use one of: {', '.join(choices)}")
    return text


def _pairs(items: list[str], what: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{what} {item!r} is not KEY=VALUE", "", f"e.g. --{what} VERSION=1.0")
        pairs.append((key.strip(), value))
    return tuple(pairs)


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if not 0 <= number <= 20:
        raise UsageError(f"retries {value!r} is not a number from 0 to 20", "", "e.g. --retries 4")
    return number


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 1 <= number <= 3600:
        raise UsageError(
            f"timeout {value!r} is not a number of seconds from 1 to 3600", "", "e.g. --timeout 60"
        )
    return number


def _existing_file(value: str, what: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_file():
        raise UsageError(f"{what} {value!r} does not exist", "", "give the path of a PEM file")
    return path


def _check_build_inputs(context: Path, dockerfile: str | None) -> None:
    if not context.is_dir():
        raise UsageError(
            f"build context {str(context)!r} is not a directory",
            "push builds the context unless --source names an existing image",
            "pass --context DIR or --source IMAGE_ID",
        )
    file = context / (dockerfile or "Dockerfile")
    if dockerfile and Path(dockerfile).is_absolute():
        file = Path(dockerfile)
    if not file.is_file():
        raise UsageError(
            f"Dockerfile {str(file)!r} does not exist",
            "docker build needs a Dockerfile",
            "pass --dockerfile PATH (relative to the context) or add one",
        )
