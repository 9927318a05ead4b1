"""The one table of options: the CLI's flags, the action's inputs and the reference come from it.

Adding an input is one `Option` row here and its use in `inputs.resolve` (and `Settings`);
`python3 scripts/options_docs.py --write` then renders action.yml's inputs and docs/REFERENCE.md.
"""

from __future__ import annotations

from ghpkg.commands import BUILD, COMMANDS, IMAGE, NETWORK, PLATFORMS, VERBS, Command, Kind, Option
from ghpkg.reference import ISOLATION_CHOICES, REGISTRY_CHOICES
from ghpkg.settings import TRANSPORTS

__all__ = ["COMMANDS", "OPTIONS", "VERBS", "Command", "Kind", "Option", "action_inputs", "for_verb"]


def _verbs(*names: str) -> frozenset[str]:
    return frozenset(names)


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
        "GHES host (default: GITHUB_SERVER_URL)",
        ALL,
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
        "registry",
        "docker (the Docker registry) or container (the Container registry)",
        _verbs("push", "pull", "ref", "join", "versions", "delete"),
        default="docker",
        choices=REGISTRY_CHOICES,
        description="docker (the Docker registry, default) or container (the Container "
        "registry: containers.HOSTNAME/OWNER/IMAGE_NAME, needs subdomain isolation)",
    ),
    Option(
        "to_owner",
        "owner on the Container registry (default: --owner)",
        _verbs("copy"),
        description="copy: owner on the Container registry (default: owner)",
    ),
    Option(
        "to_image",
        "image name on the Container registry (default: --image)",
        _verbs("copy"),
        description="copy: image name on the Container registry (default: image)",
    ),
    Option(
        "owner",
        "owner of the repository (default: from GITHUB_REPOSITORY; lowercased)",
        ALL,
    ),
    Option(
        "repository",
        "repository name (default: from GITHUB_REPOSITORY; lowercased)",
        ALL,
    ),
    Option(
        "image",
        "image name (lowercase)",
        IMAGE,
        description="image name (lowercase; doctor needs none)",
    ),
    Option(
        "versions",
        "a tag (repeatable; default: from the git ref, e.g. tag v1.2.3 gives 1.2.3, 1.2, 1, "
        "latest)",
        IMAGE - {"versions"},
        kind="words",
        flag="--version",
        action_input="version",
        metavar="TAG",
        description="one or more tags, newline or comma separated (empty: from the git ref, e.g. "
        "tag v1.2.3 gives 1.2.3, 1.2, 1, latest; delete: the tags to delete)",
    ),
    Option(
        "sha_tag",
        "also tag sha-<first 7 hex digits of GITHUB_SHA>",
        _verbs("push", "pull", "ref", "copy"),
        kind="flag",
        description="true: also tag sha-<first 7 hex digits of the commit>",
    ),
    Option(
        "tags",
        "a docker/metadata-action tag rule, e.g. type=semver,pattern={{major}}.{{minor}} "
        "(repeatable; instead of --version)",
        _verbs("push", "ref"),
        kind="lines",
        flag="--tag",
        metavar="RULE",
        description="docker/metadata-action tag rules, one a line, instead of version: "
        "type=semver,pattern={{version}}, type=ref,event=branch|tag|pr, type=sha, "
        "type=raw,value=..., type=schedule, type=match, type=edge; prefix=, suffix=, enable=, "
        "priority=",
    ),
    Option(
        "flavor",
        "a docker/metadata-action flavor line: latest=auto|true|false, prefix=..., suffix=... "
        "(repeatable)",
        _verbs("push", "ref"),
        kind="lines",
        metavar="LINE",
        description="docker/metadata-action flavor, one a line: latest=auto|true|false, "
        "prefix=P, suffix=S (each optionally ,onlatest=true)",
    ),
    Option(
        "keep",
        "keep the newest N tagged versions and delete the rest (instead of --version); what "
        "any keep rule holds stays",
        _verbs("delete"),
        metavar="N",
        description="delete: keep the newest N tagged versions and delete the rest (instead of "
        "version); what any keep rule holds stays",
    ),
    Option(
        "keep_tags",
        "keep every version with a tag that matches this regular expression, e.g. "
        "'^v\\d+\\.\\d+\\.\\d+$' (repeatable)",
        _verbs("delete"),
        kind="lines",
        flag="--keep-tags",
        metavar="REGEX",
        description="delete: regular expressions, one a line; a version with a tag that matches "
        "one stays",
    ),
    Option(
        "older_than",
        "only versions older than this may go, e.g. 30d, 12h, 2w (alone: every tagged version "
        "older than it goes)",
        _verbs("delete"),
        metavar="AGE",
        description="delete: only versions older than this may go, e.g. 30d, 12h, 2w (alone: "
        "every tagged version older than it goes)",
    ),
    Option(
        "untagged",
        "delete versions without a tag too (the Container registry: e.g. images an index "
        "names, old builds whose tag moved); children of the indexes that stay stay",
        _verbs("delete"),
        kind="flag",
        description="delete: true to delete versions without a tag too (the Container registry); "
        "children of the indexes that stay stay",
    ),
    Option(
        "delete_pause",
        "seconds at least between two DELETE requests (GitHub's secondary rate limits)",
        _verbs("delete"),
        default="1",
        metavar="SECONDS",
        description="delete: seconds at least between two DELETE requests (GitHub's secondary "
        "rate limits)",
    ),
    Option(
        "dry_run",
        "only say what would be deleted (migrate: only show the plan)",
        _verbs("delete", "migrate"),
        kind="flag",
        description="delete: true to only say what would be deleted; migrate: true to only "
        "show the plan",
    ),
    Option(
        "scope",
        "what to migrate: repo (the --repository's images, the default), org or user (every "
        "image of --owner)",
        _verbs("migrate"),
        choices=("repo", "org", "user"),
        description="migrate: repo (the repository's images, the default), org or user (every "
        "Docker-registry image of owner)",
    ),
    Option(
        "name_map",
        "the Container-registry name of OWNER/REPOSITORY/IMAGE: a template of {image}, "
        "{repository}, {owner} (default: {image}, as GHES's own migration names them)",
        _verbs("migrate"),
        metavar="TEMPLATE",
        description="migrate: the Container-registry name of OWNER/REPOSITORY/IMAGE, a template "
        "of {image}, {repository} and {owner}, e.g. {repository}-{image} (default: {image})",
    ),
    Option(
        "jobs",
        "images copied at once (1-32)",
        _verbs("migrate"),
        default="4",
        metavar="N",
        description="migrate: images copied at once (1-32)",
    ),
    Option(
        "state_file",
        "JSON file of what is done, so a rerun continues (default: under the cache directory)",
        _verbs("migrate"),
        flag="--state",
        action_input="state",
        metavar="FILE",
        description="migrate: JSON file of what is done, so a rerun continues (default: under "
        "the cache directory; keep it with actions/cache to resume across runs)",
    ),
    Option("context", "build context directory", BUILD, default=".", metavar="DIR"),
    Option("dockerfile", "Dockerfile path relative to the context", BUILD, metavar="PATH"),
    Option(
        "build_args",
        "KEY=VALUE build argument (repeatable)",
        BUILD,
        kind="lines",
        flag="--build-arg",
        metavar="KEY=VALUE",
        description="KEY=VALUE build arguments, one a line",
    ),
    Option(
        "labels",
        "KEY=VALUE image label (repeatable)",
        BUILD,
        kind="lines",
        flag="--label",
        metavar="KEY=VALUE",
        description="KEY=VALUE image labels, one a line",
    ),
    Option("target", "build stage to stop at", BUILD, metavar="STAGE"),
    Option(
        "secrets",
        "secret for RUN --mount=type=secret,id=ID (BuildKit; repeatable)",
        BUILD,
        kind="lines",
        flag="--secret",
        metavar="id=ID,src=PATH|env=VAR",
        description="BuildKit secrets for RUN --mount=type=secret, one a line, as docker buildx "
        "build takes them: id=ID,src=PATH or id=ID,env=VARIABLE (the value never goes into an "
        "argument or the image)",
    ),
    Option(
        "cache_from",
        "build cache source, e.g. type=local,src=DIR (BuildKit; repeatable)",
        BUILD,
        kind="lines",
        metavar="SPEC",
        description="BuildKit cache sources, one a line, e.g. type=local,src=DIR or type=gha",
    ),
    Option(
        "cache_to",
        "build cache export, e.g. type=local,dest=DIR (BuildKit; repeatable)",
        BUILD,
        kind="lines",
        metavar="SPEC",
        description="BuildKit cache exports, one a line, e.g. type=local,dest=DIR,mode=max or "
        "type=inline",
    ),
    Option(
        "platform",
        "platform to build, e.g. linux/arm64; several (linux/amd64,linux/arm64): each is pushed "
        "as VERSION-OS-ARCH too (join: the platforms to join)",
        PLATFORMS,
        kind="words",
        metavar="OS/ARCH",
        description="the platform to build, e.g. linux/arm64; several, comma or newline "
        "separated: each is pushed under VERSION-OS-ARCH, and VERSION names the runner's "
        "platform (an OCI index on the Container registry); join: the platforms to join",
    ),
    Option(
        "platform_tags",
        "push under VERSION-OS-ARCH only, for a later `ghpkg join` (one matrix job a platform)",
        BUILD,
        kind="flag",
        description="true: push under VERSION-OS-ARCH only, for a later join operation (one "
        "matrix job a platform)",
    ),
    Option(
        "no_cache",
        "build without the build cache",
        BUILD,
        kind="flag",
        description="true: build without the build cache",
    ),
    Option(
        "pull",
        "always pull the base images of the build",
        BUILD,
        kind="flag",
        description="true: always pull the base images of the build",
    ),
    Option(
        "source",
        "push an existing local image (ID or name) instead of building",
        BUILD,
        metavar="IMAGE",
    ),
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
        "read the token from stdin (else GHPKG_TOKEN, else GITHUB_TOKEN)",
        ALL,
        kind="flag",
        action_input=None,
        face=True,
    ),
    Option(
        "username",
        "user name for the registry (default: GITHUB_ACTOR)",
        ALL,
        action_default="${{ github.actor }}",
        description="user name for the registry",
    ),
    Option("ca_file", "PEM file of the instance's private CA", ALL, metavar="PEM"),
    Option(
        "transport",
        "auto, engine or registry",
        _verbs("push", "pull", "doctor"),
        default="auto",
        choices=TRANSPORTS,
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
        _verbs("serve"),
        action_input=None,
        metavar="HOST:PORT",
    ),
    Option(
        "allow_push",
        "take pushes too (default: pulls only)",
        _verbs("serve"),
        kind="flag",
        action_input=None,
    ),
    Option(
        "output_file",
        "append the outputs as key=value lines to FILE",
        ALL,
        action_input=None,
        metavar="FILE",
        face=True,
    ),
    Option(
        "quiet",
        "print only the result and errors",
        ALL,
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
