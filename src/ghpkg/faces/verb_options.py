"""The options of one verb each: delete's rules, migrate's, and push's build (`faces.options`).

In the table's order: `options.OPTIONS` takes them where they stand in action.yml.
"""

from __future__ import annotations

from ghpkg.faces.commands import BUILD, PLATFORMS, Option, only
from ghpkg.settings import Scope

DELETE_OPTIONS = (
    Option(
        "keep",
        "keep the newest N tagged versions and delete the rest (instead of --version); what "
        "any keep rule holds stays",
        only("delete"),
        metavar="N",
        description="delete: keep the newest N tagged versions and delete the rest (instead of "
        "version); what any keep rule holds stays",
    ),
    Option(
        "keep_tags",
        "keep every version with a tag that matches this regular expression, e.g. "
        "'^v\\d+\\.\\d+\\.\\d+$' (repeatable)",
        only("delete"),
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
        only("delete"),
        metavar="AGE",
        description="delete: only versions older than this may go, e.g. 30d, 12h, 2w (alone: "
        "every tagged version older than it goes)",
    ),
    Option(
        "untagged",
        "delete versions without a tag too (the Container registry: e.g. images an index "
        "names, old builds whose tag moved); children of the indexes that stay stay",
        only("delete"),
        kind="flag",
        description="delete: true to delete versions without a tag too (the Container registry); "
        "children of the indexes that stay stay",
    ),
    Option(
        "delete_pause",
        "seconds at least between two DELETE requests (GitHub's secondary rate limits)",
        only("delete"),
        default="1",
        metavar="SECONDS",
        description="delete: seconds at least between two DELETE requests (GitHub's secondary "
        "rate limits)",
    ),
    Option(
        "dry_run",
        "only say what would be deleted",
        only("delete", "migrate"),
        verb_help=(("migrate", "only show the plan: what would be copied, and what clashes"),),
        kind="flag",
        description="delete: true to only say what would be deleted; migrate: true to only "
        "show the plan",
    ),
)
MIGRATE_OPTIONS = (
    Option(
        "scope",
        "what to migrate: repo (the --repository's images, the default), org or user (every "
        "image of --owner)",
        only("migrate"),
        choices=Scope.words(),
        description="migrate: repo (the repository's images, the default), org or user (every "
        "Docker-registry image of owner)",
    ),
    Option(
        "org",
        "organizations to migrate every image of, commas or newlines between them (repeatable; "
        "instead of --scope and --owner)",
        only("migrate"),
        kind="words",
        metavar="ORGS",
        description="migrate: organizations whose every image moves, commas or newlines between "
        "them (instead of scope and owner; a matrix entry's org)",
    ),
    Option(
        "user",
        "users to migrate every image of, commas or newlines between them (repeatable)",
        only("migrate"),
        kind="words",
        metavar="USERS",
        description="migrate: users whose every image moves, commas or newlines between them (a "
        "matrix entry's user)",
    ),
    Option(
        "shards",
        "with --dry-run: split the owners into N shards balanced by bytes, for a matrix (the "
        "JSON's matrix)",
        only("migrate"),
        metavar="N",
        description="migrate: with dry-run, split the owners of org and user into N shards "
        "balanced by bytes; the migration output then holds shards and a matrix",
    ),
    Option(
        "shard",
        "the plan's shard this run is, K/N (its matrix entry's shard, org and user); the report "
        "says it, for --merge-reports",
        only("migrate"),
        metavar="K/N",
        description="migrate: the plan's shard this job runs, K/N (the matrix entry's shard, with "
        "its org and user)",
    ),
    Option(
        "merge_reports",
        "merge the shards' reports (files or folders of *.json, commas or newlines between them; "
        "a plan among them checks none is lost) into one; no network",
        only("migrate"),
        kind="words",
        metavar="FILES",
        description="migrate: the shards' report files or folders (and the plan), merged into one "
        "migration output; fails if an image did not move or a shard did not report",
    ),
    Option(
        "name_map",
        "the Container-registry name of OWNER/REPOSITORY/IMAGE: a template of {image}, "
        "{repository}, {owner} (default: {image}, as GHES's own migration names them)",
        only("migrate"),
        metavar="TEMPLATE",
        description="migrate: the Container-registry name of OWNER/REPOSITORY/IMAGE, a template "
        "of {image}, {repository} and {owner}, e.g. {repository}-{image} (default: {image})",
    ),
    Option(
        "jobs",
        "images copied at once (1-32)",
        only("migrate"),
        default="4",
        metavar="N",
        description="migrate: images copied at once (1-32)",
    ),
    Option(
        "state_file",
        "JSON file of what is done, so a rerun continues (default: under the cache directory)",
        only("migrate"),
        flag="--state",
        action_input="state",
        metavar="FILE",
        description="migrate: JSON file of what is done, so a rerun continues (default: under "
        "the cache directory; keep it with actions/cache to resume across runs)",
    ),
)
BUILD_OPTIONS = (
    Option("context", "build context directory", BUILD, default=".", metavar="DIR"),
    Option(
        "file",
        "path to the Dockerfile from the working directory, as docker buildx build -f and "
        "build-push-action's file take it (default: CONTEXT/Dockerfile)",
        BUILD,
        metavar="PATH",
    ),
    Option(
        "dockerfile",
        "Dockerfile path relative to the context (the older spelling of --file)",
        BUILD,
        metavar="PATH",
    ),
    Option(
        "push",
        "push the image (--no-push: build only, as build-push-action's push: false; with "
        "--load the image stays in the engine under its references)",
        BUILD,
        kind="flag",
        default="true",
        description="true (default): push every tag; false: build only, nothing is sent "
        "(build-push-action's push, whose default is false there)",
    ),
    Option(
        "load",
        "leave the image in the engine under its references (docker tag), as "
        "build-push-action's load",
        BUILD,
        kind="flag",
        description="true: leave the image in the engine under its references (a push leaves "
        "them too); with push: false, the build's only output",
    ),
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
    Option(
        "annotations",
        "KEY=VALUE (or index:KEY=VALUE) annotation of the OCI index a multi-platform push "
        "makes on the Container registry (repeatable; build-push-action's annotations)",
        BUILD,
        kind="lines",
        flag="--annotation",
        metavar="KEY=VALUE",
        description="KEY=VALUE (or index:KEY=VALUE) annotations, one a line, as "
        "build-push-action's: on the OCI index a multi-platform push makes on the Container "
        "registry, the one manifest here that holds them",
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
        "secret_envs",
        "secret from an environment variable, ID=VARIABLE, as build-push-action's secret-envs "
        "(repeatable; the same as --secret id=ID,env=VARIABLE)",
        BUILD,
        kind="lines",
        flag="--secret-env",
        metavar="ID=VARIABLE",
        description="BuildKit secrets from environment variables, one a line, ID=VARIABLE, as "
        "build-push-action's secret-envs (the same as secrets: id=ID,env=VARIABLE)",
    ),
    Option(
        "secret_files",
        "secret from a file, ID=PATH, as build-push-action's secret-files (repeatable; the "
        "same as --secret id=ID,src=PATH)",
        BUILD,
        kind="lines",
        flag="--secret-file",
        metavar="ID=PATH",
        description="BuildKit secrets from files, one a line, ID=PATH, as build-push-action's "
        "secret-files (the same as secrets: id=ID,src=PATH)",
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
        "as VERSION-OS-ARCH too",
        PLATFORMS,
        verb_help=(
            (
                "join",
                "a platform whose VERSION-OS-ARCH tag to join, e.g. linux/arm64 (repeatable, or "
                "comma-separated)",
            ),
        ),
        kind="words",
        metavar="OS/ARCH",
        description="the platform to build, e.g. linux/arm64; several, comma or newline "
        "separated: each is pushed under VERSION-OS-ARCH, and VERSION names the runner's "
        "platform (an OCI index on the Container registry); join: the platforms to join",
    ),
    Option(
        "platforms",
        "the platforms to build, as build-push-action's platforms: the same as --platform",
        PLATFORMS,
        kind="words",
        metavar="OS/ARCH",
        description="build-push-action's name for platform: the platforms to build, comma or "
        "newline separated",
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
)
