"""ghpkg's YAML config files: defaults for the host a user works with.

`$XDG_CONFIG_HOME/ghpkg/config.yml` (else `~/.config/ghpkg/config.yml`) for the user, and a
repository's `.ghpkg.yml` (found from the working directory up to the repository's root):

    hostname: ghes.example.com       # the user's file only
    subdomain-isolation: true
    ca-file: ~/certs/ghes-ca.pem     # relative paths: from the file's folder
    owner: octo-org

A repository's file names no hostname: where the token goes is the user's choice (a flag, the
workflow, the origin remote they cloned from, their own file), never a file someone else wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from ghpkg.errors import UsageError

# The keys a config file may hold: the option each gives a default to.
KEYS = {
    "hostname": "hostname",
    "subdomain-isolation": "isolation",
    "ca-file": "ca_file",
    "owner": "owner",
}
REPOSITORY_FILE = ".ghpkg.yml"


class ConfigFile(NamedTuple):
    """One config file's values, by option name, and where it lives."""

    path: Path
    values: Mapping[str, str] = {}


def user_config_path(env: Mapping[str, str]) -> Path | None:
    """`$XDG_CONFIG_HOME/ghpkg/config.yml`, else `$HOME/.config/ghpkg/config.yml`."""
    base = env.get("XDG_CONFIG_HOME", "").strip()
    if base:
        return Path(base) / "ghpkg" / "config.yml"
    home = env.get("HOME", "").strip()
    return Path(home) / ".config" / "ghpkg" / "config.yml" if home else None


def repository_config_path(workspace: Path) -> Path | None:
    """The nearest `.ghpkg.yml` from the workspace up to the repository's root (with `.git`)."""
    for folder in (workspace, *workspace.parents):
        if (folder / REPOSITORY_FILE).is_file():
            return folder / REPOSITORY_FILE
        if (folder / ".git").exists():
            return None
    return None


def read_config(path: Path | None, repository: bool = False) -> ConfigFile | None:
    """The file's values (None when there is no file); exit 2 for what ghpkg cannot read.

    `repository`: a repository's `.ghpkg.yml`, which may not name the hostname.
    """
    if path is None or not path.is_file():
        return None
    import yaml  # only when a file exists: start-up stays short

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise UsageError(
            f"config file {path} cannot be read{line}",
            "it is not a YAML mapping of key: value lines",
            "e.g. `hostname: ghes.example.com`",
        ) from None
    if document is None:
        return ConfigFile(path)
    if not isinstance(document, dict):
        raise UsageError(
            f"config file {path} is not a mapping",
            "it must hold key: value lines",
            "e.g. `hostname: ghes.example.com`",
        )
    unknown = sorted(str(key) for key in document if key not in KEYS)
    if unknown:
        raise UsageError(
            f"config file {path} has unknown key(s): {', '.join(unknown)}",
            f"a config file holds {', '.join(KEYS)}",
            "remove or rename them",
        )
    if repository and "hostname" in document:
        raise UsageError(
            f"config file {path} names a hostname",
            "a repository's file does not choose where your token goes",
            "drop the line; pass --hostname or put it in ~/.config/ghpkg/config.yml",
        )
    values: dict[str, str] = {}
    for key, value in document.items():
        if isinstance(value, (dict, list)) or value is None:
            raise UsageError(f"config file {path}: {key} is not a single value", "", f"{key}: ...")
        text = str(value).lower() if isinstance(value, bool) else str(value).strip()
        if key == "ca-file" and text:
            text = str((path.parent / Path(text).expanduser()).resolve())
        values[KEYS[key]] = text
    return ConfigFile(path, values)
