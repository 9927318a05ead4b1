"""push's build inputs: the context and Dockerfile, the platforms, and no build option elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ghpkg.errors import UsageError
from ghpkg.faces.readers import RawInputs
from ghpkg.settings import Operation

if TYPE_CHECKING:
    from ghpkg.platforms import Platform


def dockerfile_input(raw: RawInputs) -> str | None:
    """--file (from the working directory, as buildx's -f) or --dockerfile (from the context)."""
    file, dockerfile = raw.text("file"), raw.text("dockerfile")
    if file and dockerfile:
        raise UsageError(
            "both file and dockerfile given",
            "dockerfile is file's older spelling, relative to the context",
            "drop dockerfile",
        )
    return str(Path(file).absolute()) if file else dockerfile or None


def secret_items(raw: RawInputs) -> list[str]:
    """--secret's items, then build-push-action's secret-envs and secret-files as such."""
    items = raw.items("secrets")
    for name, key in (("secret_envs", "env"), ("secret_files", "src")):
        for line in raw.items(name):
            secret_id, eq, value = line.partition("=")
            if not eq or not secret_id.strip() or not value.strip():
                what = name.replace("_", "-")
                raise UsageError(
                    f"{what} {line!r} is not ID={key.upper().replace('SRC', 'PATH')}",
                    f"build-push-action's {what} are KEY=VALUE lines",
                    f"e.g. npm={'NPM_TOKEN' if key == 'env' else './npmrc'}",
                )
            items.append(f"id={secret_id.strip()},{key}={value.strip()}")
    return items


def annotations_input(
    raw: RawInputs, container: bool, platforms: tuple[Platform, ...]
) -> tuple[tuple[str, str], ...]:
    """build-push-action's annotations, where the manifest stored can hold them: the OCI index
    of a multi-platform push to the Container registry (buildx's `index:` level, or none)."""
    found = []
    for line in raw.items("annotations"):
        key, eq, value = line.partition("=")
        level, colon, name = key.partition(":")
        if colon and level != "index":
            raise UsageError(
                f"annotation {line!r} is for the {level} level",
                "ghpkg annotates only the OCI index it makes; images go as they were built",
                f"write index:{name}={value} or {name}={value}",
            )
        name = name if colon else key
        if not eq or not name.strip():
            raise UsageError(f"annotation {line!r} is not KEY=VALUE", "", "e.g. key=value")
        found.append((name.strip(), value.strip()))
    if found and not (container and len(platforms) > 1):
        raise UsageError(
            "annotations need a multi-platform push to the Container registry",
            "they go on its OCI index; the Docker registry stores schema-2 manifests, which "
            "hold none, and a single image is stored as it was built",
            "use labels, or push several --platforms with --package-type container",
        )
    return tuple(found)


def check_build_inputs(context: Path, dockerfile: str | None) -> None:
    """push builds: the context is a directory and the Dockerfile is in it."""
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
            "pass --file PATH (from the working directory) or add one",
        )


def refuse_build_options(raw: RawInputs, operation: Operation) -> None:
    """Build options without a build (another operation, or push --source) are a mistake."""
    given = [
        flag
        for flag, value in (
            ("secret", raw.items("secrets")),
            ("secret-env", raw.items("secret_envs")),
            ("secret-file", raw.items("secret_files")),
            ("file", raw.text("file")),
            ("annotation", raw.items("annotations")),
            ("cache-from", raw.items("cache_from")),
            ("cache-to", raw.items("cache_to")),
            ("platform", _platforms(raw) if operation is not Operation.JOIN else []),
            ("platform-tags", raw.flag("platform_tags")),
            ("no-cache", raw.flag("no_cache")),
            ("pull", raw.flag("pull")),
        )
        if value
    ]
    if given:
        raise UsageError(
            f"{', '.join(given)}: build options, but {operation} builds nothing",
            "with --source, push takes an existing image"
            if raw.text("source")
            else "only push builds",
            "drop them, or build the context with push",
        )


def _platforms(raw: RawInputs) -> list[str]:
    """--platform and build-push-action's --platforms: one list."""
    return raw.items("platform") + raw.items("platforms")


def platforms_input(
    raw: RawInputs, operation: Operation, versions: tuple[str, ...]
) -> tuple[Platform, ...]:
    """--platform: push builds each (several: under VERSION-OS-ARCH too); join joins them."""
    named = _platforms(raw)
    if not named and not raw.flag("platform_tags") and operation is not Operation.JOIN:
        return ()  # nothing to check: `ghpkg.platforms` (hashlib, json) stays unimported
    from ghpkg.platforms import check_tags, parse_platforms

    platforms = parse_platforms(named)
    if len(platforms) > 1 and not raw.flag("push") and operation is Operation.PUSH:
        raise UsageError(
            "push: false with several platforms",
            "the engine holds one platform under a tag; each goes to the registry under its own",
            "build one platform with push: false, or push them",
        )
    joining = operation is Operation.JOIN
    if joining and not platforms:
        raise UsageError(
            "join needs the platforms to join",
            "it points each version at its VERSION-OS-ARCH tags",
            "e.g. --platform linux/amd64,linux/arm64",
        )
    if raw.flag("platform_tags") and not platforms:
        raise UsageError(
            "--platform-tags needs --platform",
            "the tags it pushes are named after the platform built",
            "e.g. --platform linux/arm64 --platform-tags",
        )
    if joining or len(platforms) > 1 or raw.flag("platform_tags"):
        check_tags(versions, platforms)
    return platforms
