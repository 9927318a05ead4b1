"""The GitHub Actions face: INPUT_* in, outputs and a step summary out (the runner is cli's).

ghpkg is four actions, one per job, as docker's are (login / build-push / metadata): the root
publishes and installs, `delete/` keeps a package's versions in check, `migrate/` moves images to
the Container registry, `doctor/` checks an instance. Each declares only its verbs' inputs; all
four install with action/install.sh and run this module through entrypoint.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ghpkg.errors import UsageError
from ghpkg.faces.cli import Face, on_sigterm
from ghpkg.faces.commands import Option
from ghpkg.faces.options import OPTIONS
from ghpkg.outputs import Log
from ghpkg.secret import Secret


@dataclass(frozen=True)
class Action:
    """One of ghpkg's actions: its folder ("" for the root) and verbs (the first: the default)."""

    folder: str
    verbs: tuple[str, ...]
    description: str
    operation: str  # the `operation` input's description; "" when the action has one verb
    token: str  # the `token` input's description: what its verbs need of a token

    @property
    def name(self) -> str:
        """How a workflow names it after the repository: `ghpkg`, `ghpkg/delete`."""
        return "/".join(filter(None, ("ghpkg", self.folder)))

    @property
    def path(self) -> str:
        """Its action.yml, relative to the repository's root."""
        return "/".join(filter(None, (self.folder, "action.yml")))


ACTIONS = (
    Action(
        "",
        ("push", "pull", "ref", "join"),
        "Publish and install Docker images on the GitHub Packages Docker registry of GitHub "
        "Enterprise Server",
        "push (build, or take source, and push every tag), pull (into the runner's engine), ref "
        "(the full references, no network) or join (VERSION from the VERSION-OS-ARCH tags of "
        "matrix jobs, no engine)",
        "GITHUB_TOKEN (permissions: packages: write to push, read to pull), or a classic PAT "
        "with write:packages and repo to push, read:packages to pull",
    ),
    Action(
        "delete",
        ("delete", "versions"),
        "Delete a GHES package's versions by tag, or keep the newest N, the recent and the "
        "matching ones",
        "delete (the versions version names, or those the keep rules do not hold) or versions "
        "(list them, delete nothing)",
        "GITHUB_TOKEN (permissions: packages: write), or a classic PAT with delete:packages, "
        "read:packages and repo (versions: read:packages and repo)",
    ),
    Action(
        "migrate",
        ("migrate", "copy"),
        "Move Docker-registry images of a GHES repository, organization or user to the "
        "Container registry, digests kept",
        "migrate (every image of the scope: plan, copy, report; resumable) or copy (the tags "
        "version names of one image, no engine)",
        "GITHUB_TOKEN (permissions: packages: write), or a classic PAT with read:packages and "
        "repo (the Docker registry) and write:packages (the Container registry)",
    ),
    Action(
        "doctor",
        ("doctor",),
        "Check a GHES instance's host, TLS, registry, API, token and engine before a push",
        "",
        "the token a push would use, whose kind and scopes doctor checks: GITHUB_TOKEN, or a "
        "classic PAT",
    ),
)
BY_FOLDER = {action.folder: action for action in ACTIONS}


def inputs_of(action: Action) -> tuple[Option, ...]:
    """The options that are this action's inputs, in the table's order: those of its verbs."""
    verbs = set(action.verbs)
    return tuple(
        option
        for option in OPTIONS
        if option.input_name
        and (verbs & option.verbs or not option.verbs)
        and (option.name != "operation" or len(action.verbs) > 1)
    )


def check_operation(env: Mapping[str, str]) -> None:
    """An operation another of ghpkg's actions runs: exit 2 naming that action."""
    name = env.get("GHPKG_ACTION")  # unset: the container action (Dockerfile) runs every verb
    action = BY_FOLDER.get(name.removeprefix("ghpkg").strip("/")) if name is not None else None
    operation = env.get("INPUT_OPERATION", "").strip()
    if action is None or not operation or operation in action.verbs:
        return
    home = next((other for other in ACTIONS if operation in other.verbs), None)
    if home is None:
        return  # not a verb at all: the reader says which are
    raise UsageError(
        f"operation {operation} is not one of the {action.name} action's "
        f"({', '.join(action.verbs)})",
        f"each job has its own action, and {operation} is {home.name}'s",
        f"use OWNER/{home.name}@VERSION with that job's inputs ({home.path})",
    )


def main() -> int:
    """Run the action with the inputs GitHub set in the environment."""
    from ghpkg.faces import inputs

    on_sigterm()
    env = os.environ
    log = Log(workflow=True)
    face = Face(log, env, Path(env.get("GITHUB_WORKSPACE") or "."), say=log.info)
    face.token = Secret(env.get("INPUT_TOKEN", ""))
    log.mask(face.token.reveal())

    def body() -> int:
        check_operation(env)
        raw = inputs.parse_action(env)
        if not face.token:
            face.token = inputs.token_from(env, None)
            log.mask(face.token.reveal())
        return face.run(raw)

    return face.guarded(body)
