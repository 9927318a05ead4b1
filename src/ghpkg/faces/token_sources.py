"""Where the token comes from, in gh's order for an enterprise host (`gh help environment`).

1. `--password-stdin`; 2. `GHPKG_TOKEN`; 3. inside GitHub Actions, `GITHUB_TOKEN` when the
workflow's instance (`GITHUB_SERVER_URL`) is the target; 4. `GH_ENTERPRISE_TOKEN`, then
`GITHUB_ENTERPRISE_TOKEN`; 5. `gh auth token --hostname HOST` when gh is installed.
Outside Actions `GITHUB_TOKEN` is never read: on a laptop it is usually a github.com token.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from typing import NamedTuple, TextIO

from ghpkg.errors import UsageError
from ghpkg.reference import parse_hostname
from ghpkg.secret import Secret

ENTERPRISE_VARIABLES = ("GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")


class FoundToken(NamedTuple):
    """A token and where it was found ("" when nowhere)."""

    token: Secret
    source: str


def find_token(
    env: Mapping[str, str], stdin: TextIO | None, hostname: str, ask_gh: bool = True
) -> FoundToken:
    """The token for `hostname` (normalised; "" means the workflow's own instance)."""
    if stdin is not None:
        return FoundToken(Secret(stdin.readline()), "--password-stdin")
    if env.get("GHPKG_TOKEN", "").strip():
        return FoundToken(Secret(env["GHPKG_TOKEN"]), "GHPKG_TOKEN")
    if (
        in_actions(env)
        and env.get("GITHUB_TOKEN", "").strip()
        and _workflow_instance(env, hostname)
    ):
        return FoundToken(Secret(env["GITHUB_TOKEN"]), "GITHUB_TOKEN")
    for name in ENTERPRISE_VARIABLES:
        if env.get(name, "").strip():
            return FoundToken(Secret(env[name]), name)
    if ask_gh and hostname:
        token = gh_token(hostname, env)
        if token:
            return FoundToken(token, f"gh auth token --hostname {hostname}")
    return FoundToken(Secret(""), "")


def token_from(env: Mapping[str, str], stdin: TextIO | None, hostname: str = "") -> Secret:
    """The token alone (the action's fallback when its `token` input is empty)."""
    return find_token(env, stdin, hostname).token


def in_actions(env: Mapping[str, str]) -> bool:
    """Whether this runs in a GitHub Actions job."""
    return env.get("GITHUB_ACTIONS") == "true"


def _workflow_instance(env: Mapping[str, str], hostname: str) -> bool:
    """Whether `hostname` is the instance the workflow runs on (its GITHUB_TOKEN's issuer)."""
    server = env.get("GITHUB_SERVER_URL", "").strip()
    if not hostname:
        return True
    try:
        return bool(server) and parse_hostname(server) == hostname
    except UsageError:
        return False


def gh_token(hostname: str, env: Mapping[str, str]) -> Secret:
    """What `gh auth token --hostname HOST` prints, if gh is installed and logged in there."""
    import subprocess  # only to ask gh: ref and a given token never do

    gh = shutil.which("gh", path=env.get("PATH"))
    if gh is None:
        return Secret("")
    try:
        done = subprocess.run(
            [gh, "auth", "token", "--hostname", hostname],
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return Secret("")
    return Secret(done.stdout if done.returncode == 0 else "")


def missing_token(hostname: str) -> UsageError:
    """The error for a run that found no token: every place looked, and how to give one."""
    host = hostname or "HOST"
    return UsageError(
        f"no token for {host}",
        "the registry refuses anonymous requests; looked in --password-stdin, GHPKG_TOKEN, "
        f"{', '.join(ENTERPRISE_VARIABLES)} and `gh auth token --hostname {host}` "
        "(GITHUB_TOKEN only inside GitHub Actions, for the workflow's own instance)",
        "set GHPKG_TOKEN or GH_ENTERPRISE_TOKEN to a classic PAT, pass it with --password-stdin, "
        f"or run `gh auth login --hostname {host}`",
    )
