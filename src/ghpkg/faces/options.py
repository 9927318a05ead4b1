"""The one table of options: the CLI's flags, the action's inputs and the reference come from it.

Adding an input is one `Option` row here (or, for one verb's own, in `ghpkg.faces.verb_options`) and
its use in `inputs.resolve` (and the verb's request); `python3 scripts/options_docs.py --write` then
renders action.yml's inputs and docs/REFERENCE.md.
"""

from __future__ import annotations

from ghpkg.faces.commands import IMAGE, NETWORK, VERBS, Option, only
from ghpkg.faces.verb_options import BUILD_OPTIONS, DELETE_OPTIONS, MIGRATE_OPTIONS
from ghpkg.reference import ISOLATION_CHOICES
from ghpkg.settings import Registry, Transport

__all__ = ["OPTIONS", "action_inputs", "for_verb"]


ALL = frozenset(VERBS)
OPTIONS: tuple[Option, ...] = (
    Option(
        "operation",
        "the verb to run",
        flag=None,
        default="push",
        description="push, pull, ref, versions (list them), delete, migrate (every image of a "
        "repository, organization or user to the Container registry), doctor (check host, TLS, "
        "registry, token and engine; fails if a push would), copy (tags from the Docker "
        "registry to the Container registry, no engine), or join (VERSION from the "
        "VERSION-OS-ARCH tags of matrix jobs, no engine)",
    ),
    Option(
        "hostname",
        "GHES host (default: GITHUB_SERVER_URL, else git remote origin, else "
        "~/.config/ghpkg/config.yml; see `ghpkg config`)",
        ALL,
        verb_help=(("config", "the GHES host to show the defaults and the token for"),),
        description="GHES host (default: the host of GITHUB_SERVER_URL)",
    ),
    Option(
        "isolation",
        "true, false or auto (probe docker.HOSTNAME, then HOSTNAME)",
        ALL,
        default="auto",
        flag="--subdomain-isolation",
        action_input="subdomain-isolation",
        choices=ISOLATION_CHOICES,
    ),
    Option(
        "package_type",
        "docker (the Docker registry) or container (the Container registry), as GitHub's "
        "package_type",
        only("push", "pull", "ref", "join", "versions", "delete"),
        choices=Registry.words(),
        description="docker (the Docker registry, default) or container (the Container "
        "registry: containers.HOSTNAME/OWNER/IMAGE_NAME, needs subdomain isolation), as "
        "GitHub's package_type",
    ),
    Option(
        "registry",
        "the older name of --package-type (docker or container; never a host: that is --hostname)",
        only("push", "pull", "ref", "join", "versions", "delete"),
        metavar="docker|container",
        description="the older name of package-type: docker or container (never a host, as "
        "login-action's registry is: the host is hostname)",
    ),
    Option(
        "to_owner",
        "owner on the Container registry (default: --owner)",
        only("copy"),
        description="copy: owner on the Container registry (default: owner)",
    ),
    Option(
        "to_image",
        "image name on the Container registry (default: --image)",
        only("copy"),
        description="copy: image name on the Container registry (default: image)",
    ),
    Option(
        "owner",
        "owner of the repository (default: from GITHUB_REPOSITORY, else .ghpkg.yml, git remote "
        "origin, ~/.config/ghpkg/config.yml; lowercased)",
        ALL - {"serve"},  # serve forwards any OWNER/REPOSITORY/IMAGE its clients name
        description="owner of the repository (default: from GITHUB_REPOSITORY; lowercased)",
    ),
    Option(
        "repository",
        "repository name (default: from GITHUB_REPOSITORY, else git remote origin; lowercased)",
        ALL - {"serve"},
        description="repository name (default: from GITHUB_REPOSITORY; lowercased)",
    ),
    Option(
        "image",
        "image name (lowercase)",
        IMAGE | only("serve"),
        description="image name (lowercase; doctor needs none)",
    ),
    Option(
        "versions",
        "a tag (repeatable, or comma-separated; default: from the git ref, e.g. tag v1.2.3 gives "
        "1.2.3, 1.2, 1, latest)",
        IMAGE - {"versions"},
        kind="words",
        flag="--version",
        action_input="version",
        metavar="TAG",
        description="one or more tags, newline or comma separated (empty: from the git ref, e.g. "
        "tag v1.2.3 gives 1.2.3, 1.2, 1, latest; delete: the tags to delete)",
        verb_help=(
            (
                "pull",
                "the tag to pull (default: from the git ref, the most specific: tag v1.2.3 "
                "gives 1.2.3; with --sha-tag, sha-<7 hex digits>)",
            ),
            (
                "delete",
                "a tag whose version to delete (repeatable, or comma-separated; no default: "
                "else select with --keep, --older-than or --untagged)",
            ),
            (
                "copy",
                "a tag to copy (repeatable, or comma-separated; default: from the git ref, e.g. "
                "tag v1.2.3 gives 1.2.3, 1.2, 1, latest)",
            ),
            (
                "join",
                "a tag to point at the VERSION-OS-ARCH tags of each --platform (repeatable, or "
                "comma-separated; default: from the git ref)",
            ),
        ),
    ),
    Option(
        "sha_tag",
        "also tag sha-<first 7 hex digits of GITHUB_SHA>",
        only("push", "pull", "ref", "copy"),
        verb_help=(
            (
                "pull",
                "pull sha-<first 7 hex digits of GITHUB_SHA> (the tag a push with --sha-tag "
                "added) when no --version is given",
            ),
            ("copy", "also copy sha-<first 7 hex digits of GITHUB_SHA>"),
        ),
        kind="flag",
        description="true: also tag sha-<first 7 hex digits of the commit>",
    ),
    Option(
        "tags",
        "a docker/metadata-action tag rule, e.g. type=semver,pattern={{major}}.{{minor}}, or "
        "a full reference to this image, as build-push-action's tags (repeatable; instead of "
        "--version)",
        only("push", "ref"),
        kind="lines",
        flag="--tag",
        metavar="RULE",
        description="docker/metadata-action tag rules, or full references to this image as "
        "build-push-action's tags take them (each gives its tag), one a line, instead of version: "
        "type=semver,pattern={{version}}, type=ref,event=branch|tag|pr, type=sha, "
        "type=raw,value=..., type=schedule, type=match, type=edge; prefix=, suffix=, enable=, "
        "priority=",
    ),
    Option(
        "flavor",
        "a docker/metadata-action flavor line: latest=auto|true|false, prefix=..., suffix=... "
        "(repeatable)",
        only("push", "ref"),
        kind="lines",
        metavar="LINE",
        description="docker/metadata-action flavor, one a line: latest=auto|true|false, "
        "prefix=P, suffix=S (each optionally ,onlatest=true)",
    ),
    *DELETE_OPTIONS,
    *MIGRATE_OPTIONS,
    *BUILD_OPTIONS,
    Option(
        "token",
        "GITHUB_TOKEN, or a classic PAT with read:packages / write:packages (delete:packages to "
        "delete)",
        flag=None,
        action_default="${{ github.token }}",
        face=True,
    ),
    Option(
        "password_stdin",
        "read the token from stdin (else GHPKG_TOKEN; in GitHub Actions GITHUB_TOKEN, for the "
        "workflow's own instance; GH_ENTERPRISE_TOKEN, GITHUB_ENTERPRISE_TOKEN; "
        "`gh auth token --hostname HOST`)",
        ALL - {"ref"},  # ref sends nothing
        verb_help=(("config", "say that the token comes from stdin (one line read, never shown)"),),
        kind="flag",
        action_input=None,
        face=True,
    ),
    Option(
        "username",
        "user name for the registry (default: GITHUB_ACTOR)",
        ALL - {"ref", "config"},
        action_default="${{ github.actor }}",
        description="user name for the registry",
    ),
    Option(
        "ca_file",
        "PEM file of the instance's private CA",
        ALL - {"ref"},  # ref opens no connection
        metavar="PEM",
        verb_help=(("config", "PEM file of the instance's private CA (shown with its source)"),),
    ),
    Option(
        "transport",
        "auto, engine or registry",
        only("push", "pull", "doctor"),
        verb_help=(
            (
                "push",
                "how the image travels: engine (docker push through ghpkg's loopback), registry "
                "(ghpkg uploads the layers) or auto (by engine version)",
            ),
            (
                "pull",
                "how the image travels: engine (docker pull through ghpkg's loopback), registry "
                "(ghpkg downloads, then docker load) or auto (by engine version)",
            ),
            ("doctor", "the transport whose path to check: auto, engine or registry"),
        ),
        default="auto",
        choices=Transport.words(),
    ),
    Option(
        "retries",
        "attempts after a temporary failure (0-20)",
        NETWORK,
        default="4",
        metavar="N",
    ),
    Option(
        "timeout",
        "seconds to wait on the network before a request counts as failed (1-3600)",
        NETWORK,
        default="60",
        metavar="SECONDS",
    ),
    Option(
        "listen",
        "loopback address to listen on (default: 127.0.0.1:5050)",
        only("serve"),
        action_input=None,
        metavar="HOST:PORT",
    ),
    Option(
        "allow_push",
        "take pushes too (default: pulls only)",
        only("serve"),
        kind="flag",
        action_input=None,
    ),
    Option(
        "credentials_file",
        "write the login clients use here (JSON, mode 0600, removed at exit; default: a new "
        "private folder)",
        only("serve"),
        action_input=None,
        metavar="FILE",
    ),
    Option(
        "output_file",
        "append the outputs as key=value lines to FILE",
        ALL - {"config"},
        action_input=None,
        metavar="FILE",
        face=True,
    ),
    Option(
        "quiet",
        "print only the result and errors",
        ALL - {"config"},
        kind="flag",
        action_input=None,
        face=True,
    ),
    Option(
        "json",
        "print the result as one JSON document on stdout (logs stay on stderr)",
        ALL,
        kind="flag",
        action_input=None,
        face=True,
    ),
)
BY_NAME = {option.name: option for option in OPTIONS}
RAW_OPTIONS = tuple(option for option in OPTIONS if not option.face)


def for_verb(verb: str) -> tuple[Option, ...]:
    """The options a subcommand takes, in the table's order."""
    return tuple(option for option in OPTIONS if verb in option.verbs and option.cli_flag)


def action_inputs() -> tuple[Option, ...]:
    """The options that are action inputs, in action.yml's order."""
    return tuple(option for option in OPTIONS if option.input_name)
