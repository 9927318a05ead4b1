"""Where the instance and repository come from when the command line does not say.

For each of hostname, subdomain isolation, owner, repository and CA file, the first that has it:
the flag; the workflow (`GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`); the repository's `.ghpkg.yml`
(never the hostname: see `faces.config_file`); `git remote get-url origin` (outside GitHub
Actions; owner and repository only when its host is the target); the user's `config.yml`.
`ghpkg config` prints the outcome and each value's source.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from ghpkg.errors import UsageError
from ghpkg.faces.config_file import (
    ConfigFile,
    read_config,
    repository_config_path,
    user_config_path,
)
from ghpkg.faces.options import BY_NAME
from ghpkg.faces.readers import RawInputs
from ghpkg.faces.token_sources import in_actions
from ghpkg.faces.workspace_git import origin
from ghpkg.reference import parse_hostname

FIELDS = ("hostname", "isolation", "owner", "repository", "ca_file")


class Origin(NamedTuple):
    """A value and where it came from ("" and "" when nothing gave it)."""

    value: str
    source: str


def fill_defaults(
    raw: RawInputs, env: Mapping[str, str], workspace: Path
) -> tuple[RawInputs, dict[str, Origin]]:
    """The options with the instance's and repository's defaults filled in, and their sources."""
    named = all(raw.given(name) for name in ("hostname", "owner", "repository"))
    git_remote = None if in_actions(env) or named else origin(workspace, env)  # named: it'd lose
    flags = {name: Origin(raw.text(name), str(BY_NAME[name].cli_flag)) for name in FIELDS}
    layers = [  # most specific first; the git remote's layer (3) gains owner and repository below
        {name: flag for name, flag in flags.items() if raw.given(name)},
        _workflow(env),
        _file(read_config(repository_config_path(workspace), repository=True)),
        {"hostname": Origin(git_remote.host, _GIT)} if git_remote else {},
        _file(read_config(user_config_path(env))),
    ]
    found = {name: _first(layers, name) for name in FIELDS}
    if git_remote is not None and _same_host(found["hostname"].value, git_remote.host):
        layers[3] |= {"owner": Origin(git_remote.owner, _GIT)}
        layers[3] |= {"repository": Origin(git_remote.repository, _GIT)}
        found = {name: _first(layers, name) for name in FIELDS}
    filled = raw.replaced(**{name: found[name].value for name in FIELDS if found[name].value})
    return filled, found


_GIT = "git remote origin"


def _workflow(env: Mapping[str, str]) -> dict[str, Origin]:
    values = {}
    if env.get("GITHUB_SERVER_URL", "").strip():
        values["hostname"] = Origin(env["GITHUB_SERVER_URL"], "GITHUB_SERVER_URL")
    owner, _, repository = env.get("GITHUB_REPOSITORY", "").partition("/")
    if owner and repository:
        values["owner"] = Origin(owner, "GITHUB_REPOSITORY")
        values["repository"] = Origin(repository, "GITHUB_REPOSITORY")
    return values


def _file(config: ConfigFile | None) -> dict[str, Origin]:
    if config is None:
        return {}
    return {name: Origin(value, str(config.path)) for name, value in config.values.items()}


def _first(layers: list[dict[str, Origin]], name: str) -> Origin:
    found = next((layer[name] for layer in layers if name in layer), None)
    if found is not None:
        return found
    default = BY_NAME[name].default
    return Origin(default, "default" if default else "")


def _same_host(hostname: str, remote_host: str) -> bool:
    """Whether the target is the remote's instance (an ssh remote names no web port)."""
    try:
        target, remote = parse_hostname(hostname), parse_hostname(remote_host)
    except UsageError:
        return False
    return target == remote or (":" not in remote and target.split(":")[0] == remote)


def target_host(raw: RawInputs) -> str:
    """The normalised host the options name ("" when none or not valid: resolve says why)."""
    try:
        return parse_hostname(raw.text("hostname")) if raw.text("hostname") else ""
    except UsageError:
        return ""


def describe(origins: Mapping[str, Origin], token_source: str) -> list[str]:
    """`ghpkg config`'s lines: `hostname: ghes.example.com (git remote origin)`."""
    lines = []
    for name, found in origins.items():
        flag = flag_name(name)
        lines.append(f"{flag}: {found.value} ({found.source})" if found.value else f"{flag}: -")
    lines.append(f"token: from {token_source}" if token_source else "token: none found")
    return lines


def flag_name(name: str) -> str:
    """An option's name as the user writes it: `subdomain-isolation`, `ca-file`."""
    return str(BY_NAME[name].cli_flag).removeprefix("--")
