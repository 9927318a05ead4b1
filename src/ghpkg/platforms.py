"""Platforms of a multi-platform push: `os/arch[/variant]`, the tag each gets, and the index.

The GHES Docker registry stores single-platform images only, so each platform goes under a
tag of its own, `VERSION-os-arch[-variant]`; `VERSION` itself names the runner's platform
there, and an OCI index of them all on the Container registry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ghpkg.errors import UsageError
from ghpkg.manifest import OCI_INDEX, sha256_digest

_PLATFORM = re.compile(r"([a-z0-9]+)/([a-z0-9_]+)(?:/([a-z0-9]+))?")
_TAG_MAX = 128  # the distribution spec's tag grammar: at most 128 characters


@dataclass(frozen=True)
class Platform:
    """One `os/architecture[/variant]`, as BuildKit and image indexes name it."""

    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        return "/".join(part for part in (self.os, self.architecture, self.variant) if part)

    def tag(self, version: str) -> str:
        """The version this platform's image is pushed under, e.g. `1.2.0-linux-arm64`."""
        return f"{version}-{str(self).replace('/', '-')}"

    def descriptor(self) -> dict[str, str]:
        """The `platform` object of an index entry."""
        described = {"os": self.os, "architecture": self.architecture}
        return described | ({"variant": self.variant} if self.variant else {})


def parse_platform(value: str) -> Platform:
    """`linux/arm64` → Platform; bad input is a UsageError (exit 2)."""
    found = _PLATFORM.fullmatch(value.strip().lower())
    if found is None:
        raise UsageError(f"platform {value!r} is not os/arch[/variant]", "", "e.g. linux/arm64")
    os, architecture, variant = found.groups()
    if (architecture, variant) == ("arm64", "v8"):
        variant = None  # linux/arm64/v8 is linux/arm64, as BuildKit normalizes it
    return Platform(os, architecture, variant or "")


def parse_platforms(items: Sequence[str]) -> tuple[Platform, ...]:
    """Every platform named in the items (comma or line separated), once each, in order."""
    found: list[Platform] = []
    for item in items:
        for part in item.replace("\n", ",").split(","):
            if part.strip() and (platform := parse_platform(part)) not in found:
                found.append(platform)
    return tuple(found)


def check_tags(versions: Sequence[str], platforms: Sequence[Platform]) -> None:
    """Every `VERSION-os-arch` must still be a valid tag (128 characters at most)."""
    for version in versions:
        for platform in platforms:
            if len(platform.tag(version)) > _TAG_MAX:
                raise UsageError(
                    f"version {version!r} is too long for platform tags",
                    f"{platform.tag(version)!r} would exceed the {_TAG_MAX} characters of a tag",
                    "use a shorter version",
                )


def default_platform(platforms: Sequence[Platform], os: str, architecture: str) -> Platform:
    """The platform plain `VERSION` names on the Docker registry: the engine's, else the first."""
    for platform in platforms:
        if (platform.os, platform.architecture) == (os, architecture):
            return platform
    return platforms[0]


def engine_tags(version: str, os: str, architecture: str) -> list[str]:
    """The platform tags a pull on this engine looks for, most specific first."""
    base = Platform(os, architecture)
    if architecture == "arm":  # the engine does not say which ARM version it is
        return [Platform(os, architecture, v).tag(version) for v in ("v7", "v6")]
    return [base.tag(version)]


def image_index(
    children: Sequence[tuple[Platform, bytes, str]], annotations: Mapping[str, str] | None = None
) -> bytes:
    """An OCI image index of (platform, manifest bytes, media type) children.

    Its annotations are what the Container registry shows for a multi-platform package (its
    description, source repository and licences), as labels are for a single image.
    """
    manifests = [
        {
            "mediaType": media_type,
            "digest": sha256_digest(raw),
            "size": len(raw),
            "platform": platform.descriptor(),
        }
        for platform, raw, media_type in children
    ]
    index: dict[str, object] = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
    if annotations:
        index["annotations"] = dict(annotations)
    return json.dumps(index, separators=(",", ":")).encode()
