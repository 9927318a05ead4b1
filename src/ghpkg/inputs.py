"""argv or INPUT_* variables -> one Settings value. The faces hand their environment in here."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn, TextIO

from ghpkg import __version__, auth
from ghpkg.errors import UsageError
from ghpkg.reference import (
    parse_hostname,
    parse_image_name,
    parse_isolation,
    parse_namespace,
    parse_version,
    split_versions,
)
from ghpkg.secret import Secret
from ghpkg.settings import OPERATIONS, TRANSPORTS, Settings


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


def resolve(raw: RawInputs, env: Mapping[str, str], token: Secret) -> Settings:
    """Check every option and fill defaults from the workflow environment (exit 2 on bad input)."""
    operation = _choice(raw.operation, OPERATIONS, "operation")
    hostname = parse_hostname(raw.hostname or env.get("GITHUB_SERVER_URL", ""))
    isolation = parse_isolation(raw.isolation)
    owner_default, _, repo_default = env.get("GITHUB_REPOSITORY", "").partition("/")
    owner = parse_namespace(raw.owner or owner_default, "owner")
    repository = parse_namespace(raw.repository or repo_default, "repository")
    image = parse_image_name(raw.image)
    versions = tuple(parse_version(v) for v in raw.versions)
    if not versions:
        raise UsageError(
            "no version given", "every image is pushed under a tag", "pass --version 1.0"
        )
    if operation == "pull" and len(versions) > 1:
        raise UsageError("pull takes one version", f"got {len(versions)}", "pass --version once")
    transport = _choice(raw.transport, TRANSPORTS, "transport")
    ca_file = _existing_file(raw.ca_file, "CA file (--ca-file)") if raw.ca_file else None
    workflow_repository = env.get("GITHUB_REPOSITORY", "").lower()
    if operation in ("push", "pull"):
        auth.check_token_locally(token, operation, f"{owner}/{repository}", workflow_repository)
    context = Path(raw.context or ".")
    dockerfile = raw.dockerfile or None
    if operation == "push" and not raw.source:
        _check_build_inputs(context, dockerfile)
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
        workflow_repository=workflow_repository,
        revision=env.get("GITHUB_SHA", ""),
        docker_host=env.get("DOCKER_HOST") or None,
    )


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
    }
    for name, text in helps.items():
        sub = commands.add_parser(name, help=text, description=text)
        _common(sub)
        sub.add_argument("--image", default="", help="image name (lowercase)")
        sub.add_argument("--version", dest="versions", action="append", default=[])
        if name in ("push", "pull"):
            sub.add_argument("--transport", default="auto", help="auto | engine | registry")
            sub.add_argument("--retries", default="4", help="attempts after a temporary failure")
        if name == "push":
            sub.add_argument("--source", default="", help="existing local image ID or name")
            sub.add_argument("--context", default=".", help="build context directory")
            sub.add_argument("--dockerfile", default="", help="Dockerfile path in the context")
            sub.add_argument("--build-arg", dest="build_args", action="append", default=[])
            sub.add_argument("--label", dest="labels", action="append", default=[])
            sub.add_argument("--target", default="", help="build stage")
    return parser


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
    )


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
