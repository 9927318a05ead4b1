"""BuildKit options in `docker buildx build`'s own syntax -> checked values (UsageError, exit 2).

`--secret id=ID,src=PATH|env=VAR`, `--cache-from`/`--cache-to` (`type=local,src=DIR`, a bare
registry reference, ...). Also the environment a build may see: ghpkg's
token never reaches the docker CLI unless a `--secret ...,env=VAR` names its variable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ghpkg.errors import UsageError
from ghpkg.secret import Secret

if TYPE_CHECKING:
    from ghpkg.platforms import Platform  # not at run time: `ref` and `--help` need no hashlib


@dataclass(frozen=True)
class BuildSecret:
    """A BuildKit `--secret`: its id, and the file (src) or environment variable (env) it reads."""

    id: str
    src: Path | None = None
    env: str | None = None

    def argument(self) -> str:
        """The `--secret` value for `docker buildx build` (a path or a name, never the secret)."""
        return f"id={self.id},env={self.env}" if self.env else f"id={self.id},src={self.src}"


@dataclass(frozen=True)
class BuildRequest:
    """A build, as `docker buildx build` takes it: the context, the Dockerfile and the options,
    and the docker CLI's environment (PATH, DOCKER_CONFIG, the variables secrets name)."""

    context: Path = Path()
    dockerfile: str | None = None  # relative to the context unless absolute (None: Dockerfile)
    build_args: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()  # push puts the OCI labels before these
    target: str | None = None
    secrets: tuple[BuildSecret, ...] = ()  # BuildKit only, like cache_from and cache_to
    cache_from: tuple[str, ...] = ()
    cache_to: tuple[str, ...] = ()
    platform: Platform | None = None  # the one platform built for (None: the engine's own)
    no_cache: bool = False
    pull: bool = False  # always pull the base images
    # The docker CLI's environment; ghpkg's token is taken out of it before the build.
    environment: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)


CACHE_TYPES = ("registry", "local", "inline", "gha", "s3", "azblob")
TOKEN_VARIABLES = ("GITHUB_TOKEN", "GHPKG_TOKEN")


def _fields(text: str, what: str, example: str) -> list[tuple[str, str]]:
    """`k=v,k=v` as buildx reads it (CSV, so a value may be quoted); keys lowercased."""
    import csv  # here: `ghpkg --help` imports this module (through settings), not a build

    try:
        cells = next(csv.reader([text]), [])
    except csv.Error:
        raise UsageError(
            f"{what} {text!r} is not valid",
            'a field that starts with " must end with " (then a comma or the end)',
            f"e.g. {example}",
        ) from None
    pairs = []
    for cell in cells:
        key, sep, value = cell.partition("=")
        if not sep or not key.strip():
            raise UsageError(
                f"{what} {text!r} is not valid", f"{cell!r} is not key=value", f"e.g. {example}"
            )
        pairs.append((key.strip().lower(), value))
    return pairs


def parse_secret(text: str, env: Mapping[str, str]) -> BuildSecret:
    """One `--secret`: `id=ID,src=PATH` or `id=ID,env=VAR` (`type=file|env`, `source=` too)."""
    example = "--secret id=npm,src=$HOME/.npmrc or --secret id=token,env=NPM_TOKEN"
    kind = secret_id = src = var = ""
    for key, value in _fields(text, "secret", example):
        if key == "type" and value in ("file", "env"):
            kind = value
        elif key == "id":
            secret_id = value
        elif key in ("src", "source"):
            src = value
        elif key == "env":
            var = value
        else:
            raise UsageError(
                f"secret {text!r} is not valid",
                f"{key}={value} is not one of id=, src=, env=, type=file|env",
                f"e.g. {example}",
            )
    if kind == "env" and not var:
        src, var = "", src
    if not secret_id or bool(src) == bool(var) or (kind == "file" and var):
        raise UsageError(
            f"secret {text!r} is not valid",
            "it needs an id= and exactly one source: src=FILE or env=VARIABLE",
            f"e.g. {example}",
        )
    if var:
        if var not in env:
            raise UsageError(
                f"secret {secret_id!r}: the environment variable {var} is not set",
                "",
                f"set {var}, or pass the secret from a file with src=PATH",
            )
        return BuildSecret(secret_id, env=var)
    path = Path(env.get("HOME", "~"), src[2:]) if src.startswith("~/") else Path(src)
    if not path.is_file():
        raise UsageError(
            f"secret {secret_id!r}: file {src!r} does not exist", "", "give the path of a file"
        )
    return BuildSecret(secret_id, src=path.absolute())


def parse_secrets(items: Iterable[str], env: Mapping[str, str]) -> tuple[BuildSecret, ...]:
    """Every `--secret`, each id once."""
    secrets = tuple(parse_secret(item, env) for item in items)
    ids = [secret.id for secret in secrets]
    twice = sorted({each for each in ids if ids.count(each) > 1})
    if twice:
        raise UsageError(
            f"secret id {', '.join(twice)} given more than once", "", "give each id once"
        )
    return secrets


def parse_cache(text: str, direction: str) -> str:
    """One `--cache-from` or `--cache-to` (direction "from" or "to"), checked, as given."""
    what = f"cache-{direction}"
    path_key = "src" if direction == "from" else "dest"
    example = f"--{what} type=local,{path_key}=DIR or --{what} type=registry,ref=NAME:TAG"
    value = text.strip()
    if "=" not in value and "," not in value and value:
        return value  # a bare registry reference, as buildx takes it
    fields = dict(_fields(value, what, example))
    kind = fields.get("type", "")
    if kind not in CACHE_TYPES:
        raise UsageError(
            f"{what} {text!r} is not valid",
            f"type={kind!r} is not one of {', '.join(CACHE_TYPES)}" if kind else "no type=",
            f"e.g. {example}",
        )
    needed = {"local": path_key, "registry": "ref"}.get(kind)
    if needed and not fields.get(needed):
        raise UsageError(
            f"{what} {text!r} is not valid", f"type={kind} needs {needed}=", f"e.g. {example}"
        )
    return value


def clean_environment(
    env: Mapping[str, str], token: Secret, keep: Iterable[str] = ()
) -> dict[str, str]:
    """env without ghpkg's token: no GITHUB_TOKEN, GHPKG_TOKEN, INPUT_* or value holding it.

    Variables in `keep` (those a `--secret ...,env=VAR` names) stay whatever they hold.
    """
    kept = set(keep)
    value = token.reveal()
    return {
        name: text
        for name, text in env.items()
        if name in kept
        or not (
            name in TOKEN_VARIABLES
            or name.startswith("INPUT_")
            or (len(value) >= 8 and value in text)
        )
    }
