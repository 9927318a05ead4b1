"""How an image travels between the engine and the registry: one interface (`ImageTransport`),
two transports.

- `engine`: the engine's own `docker push` / `docker pull`, through ghpkg's loopback registry
  (ghpkg.shim), which holds the token and translates what the GHES registry lacks; a push from
  the classic store, where the engine trusts the instance, goes straight to it with the token in
  X-Registry-Auth and is then checked tag by tag (`transports.choice.straight`).
- `registry`: ghpkg itself reads `docker save` and writes `docker load` (no engine network).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ghpkg.reference import Reference

ReadBack = Mapping[str, tuple[bytes, str]]
"""What a push already read back from the registry: each tag's manifest and media type, by
version (the straight push's check); `verbs.push.verify` reads only the tags not in it."""


@dataclass(frozen=True)
class Pulled:
    """What a pull left: the registry's manifest digest and the local image ID."""

    digest: str
    image_id: str


class ImageTransport(Protocol):
    """Moves one image between the local engine and one registry repository.

    containers/image's name for a way an image travels; the user's `--transport` word that picks
    one is `settings.Transport`.
    """

    name: str

    def push(self, image_id: str, refs: list[Reference]) -> ReadBack:
        """Publish a local image under every reference (one repository, several tags); the
        manifests it read back from the registry on the way (often none)."""

    def pull(self, reference: Reference) -> Pulled:
        """Bring one tag (or digest) into the engine under `str(reference)`."""
