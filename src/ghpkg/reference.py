"""The one parser: hostname + subdomain isolation + owner/repository/image:version -> Reference."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ghpkg.errors import UsageError

# Distribution's grammar for one path component, and Docker's for a tag.
_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
_DIGEST = re.compile(r"(?:^|@)[a-z0-9]+:[a-f0-9]{32,}$")
_SHA256 = re.compile(r"sha256:[a-f0-9]{64}")

ISOLATION_CHOICES = ("true", "false", "auto")
REGISTRY_CHOICES = ("docker", "container")


def parse_hostname(value: str) -> str:
    """Normalise `ghes.example.com`, `https://ghes.example.com/` or `host:port` to `host[:port]`."""
    text = value.strip()
    if not text:
        raise UsageError(
            "hostname is empty",
            "ghpkg needs the GHES host to know where the registry is",
            "pass --hostname ghes.example.com (in a workflow it defaults to GITHUB_SERVER_URL)",
        )
    parts = urlsplit(text if "://" in text else f"https://{text}")
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"hostname {value!r} has scheme {parts.scheme!r}", "", "use https://HOST")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise UsageError(
            f"hostname {value!r} has a path",
            "the registry lives at the root of the host",
            f"pass only the host, e.g. {parts.hostname}",
        )
    if parts.username or parts.password:
        raise UsageError(
            "hostname contains credentials",
            "a token never belongs in a URL",
            "pass the host alone and the token through --password-stdin or GHPKG_TOKEN",
        )
    host = (parts.hostname or "").lower()
    if not _HOST.fullmatch(host):
        raise UsageError(
            f"hostname {value!r} is not a valid host name", "", "e.g. ghes.example.com"
        )
    try:
        port = parts.port
    except ValueError:
        raise UsageError(
            f"hostname {value!r} has an invalid port", "", "e.g. ghes.example.com:8443"
        ) from None
    return f"{host}:{port}" if port else host


def parse_isolation(value: str) -> bool | None:
    """`true`/`false`/`auto` -> True/False/None (None: probe the host)."""
    text = value.strip().lower() or "auto"
    if text not in ISOLATION_CHOICES:
        raise UsageError(
            f"subdomain isolation {value!r} is not a known value", "", "use true, false or auto"
        )
    return None if text == "auto" else text == "true"


def registry_host(hostname: str, isolation: bool) -> str:
    """The registry's host: `docker.HOST` with subdomain isolation, `HOST` without."""
    return f"docker.{hostname}" if isolation else hostname


def container_host(hostname: str) -> str:
    """The Container registry's host on GHES: `containers.HOST` (subdomain isolation only)."""
    return f"containers.{hostname}"


def parse_registry(value: str, isolation: bool | None) -> str:
    """`docker` (default) or `container`; the Container registry needs subdomain isolation."""
    text = value.strip().lower() or "docker"
    if text not in REGISTRY_CHOICES:
        raise UsageError(f"registry {value!r} is not known", "", "use docker or container")
    if text == "container" and isolation is False:
        raise UsageError(
            "the Container registry needs subdomain isolation",
            "GHES serves it only at containers.HOSTNAME, which exists only with isolation on",
            "drop --subdomain-isolation false, or use --registry docker",
        )
    return text


def is_digest(version: str) -> bool:
    """Whether a version is a manifest digest (`sha256:` and 64 hex digits)."""
    return bool(_SHA256.fullmatch(version))


def parse_namespace(value: str, what: str) -> str:
    """Lowercase an owner or repository name and check it is a valid registry path component."""
    name = value.strip().lower()
    if not name:
        raise UsageError(
            f"{what} is empty",
            "the image path is OWNER/REPOSITORY/IMAGE_NAME",
            f"pass --{what} (in a workflow it defaults to GITHUB_REPOSITORY)",
        )
    if not _COMPONENT.fullmatch(name):
        raise UsageError(
            f"{what} {value!r} cannot be part of a registry path",
            "allowed are lowercase letters, digits and single separators . _ -",
            f"check the {what} name",
        )
    return name


def parse_image_name(value: str) -> str:
    """Check an image name: lowercase path components only, no tag or digest."""
    name = value.strip()
    if not name:
        raise UsageError("image name is empty", "", "pass --image NAME, e.g. --image hello")
    if "@" in name or _DIGEST.search(name):
        raise UsageError(
            f"image {value!r} names a digest",
            "this registry resolves images only by IMAGE_NAME:VERSION",
            "pass the name alone with --image and the tag with --version",
        )
    if ":" in name:
        base, _, tag = name.rpartition(":")
        raise UsageError(
            f"image {value!r} contains a tag",
            "the version is given separately",
            f"use --image {base} --version {tag}",
        )
    if name != name.lower():
        raise UsageError(
            f"image name {value!r} has capitals",
            "registry names must be lowercase",
            f"use {name.lower()!r}",
        )
    if not all(_COMPONENT.fullmatch(part) for part in name.split("/")):
        raise UsageError(
            f"image name {value!r} is not a valid registry name",
            "allowed are lowercase letters, digits, single separators . _ - and /",
            "e.g. --image my-app",
        )
    return name


def parse_version(value: str, digest_ok: bool = False) -> str:
    """Check a version is a valid tag; refuse digests unless the registry resolves them."""
    tag = value.strip()
    if not tag:
        raise UsageError(
            "version is empty", "every image is pushed under a tag", "pass --version 1.0"
        )
    if digest_ok and is_digest(tag.removeprefix("@")):
        return tag.removeprefix("@")
    if tag.startswith("sha256:") or "@" in tag or _DIGEST.search(tag):
        raise UsageError(
            f"version {value!r} is a digest",
            "the GHES Docker registry resolves images only by tag, not by digest",
            "pass a tag such as 1.0 or latest",
        )
    if not _TAG.fullmatch(tag):
        raise UsageError(
            f"version {value!r} is not a valid tag",
            "a tag is up to 128 letters, digits, _ . - and cannot start with . or -",
            "e.g. 1.0.3 or latest",
        )
    return tag


def split_versions(value: str) -> list[str]:
    """Split a newline- or comma-separated list of versions, dropping blanks and repeats."""
    seen: list[str] = []
    for item in re.split(r"[,\n]", value):
        tag = item.strip()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


@dataclass(frozen=True)
class Reference:
    """Where one image version lives: `REGISTRY/OWNER/[REPOSITORY/]IMAGE:VERSION`.

    The Container registry has no repository segment (`repository` is empty) and may name a
    version by digest (`…/IMAGE@sha256:…`).
    """

    registry: str
    owner: str
    repository: str
    image: str
    version: str

    @property
    def path(self) -> str:
        """The repository path in the registry API: `owner/repository/image` (`owner/image`)."""
        return "/".join(part for part in (self.owner, self.repository, self.image) if part)

    @property
    def name(self) -> str:
        """The reference without its tag."""
        return f"{self.registry}/{self.path}"

    def with_version(self, version: str) -> Reference:
        """The same image under another tag."""
        return Reference(self.registry, self.owner, self.repository, self.image, version)

    def __str__(self) -> str:
        return f"{self.name}{'@' if is_digest(self.version) else ':'}{self.version}"
