"""push's build inputs: the context and Dockerfile, the platforms, and no build option elsewhere."""

from __future__ import annotations

from pathlib import Path

from ghpkg.errors import UsageError
from ghpkg.faces.readers import RawInputs
from ghpkg.platforms import Platform, check_tags, parse_platforms
from ghpkg.settings import Operation


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
            "pass --dockerfile PATH (relative to the context) or add one",
        )


def refuse_build_options(raw: RawInputs, operation: Operation) -> None:
    """Build options without a build (another operation, or push --source) are a mistake."""
    given = [
        flag
        for flag, value in (
            ("secret", raw.items("secrets")),
            ("cache-from", raw.items("cache_from")),
            ("cache-to", raw.items("cache_to")),
            ("platform", raw.items("platform") if operation is not Operation.JOIN else []),
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


def platforms_input(
    raw: RawInputs, operation: Operation, versions: tuple[str, ...]
) -> tuple[Platform, ...]:
    """--platform: push builds each (several: under VERSION-OS-ARCH too); join joins them."""
    platforms = parse_platforms(raw.items("platform"))
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
