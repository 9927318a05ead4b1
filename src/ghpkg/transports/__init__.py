"""How an image travels between the engine and the registry: one interface (`ImageTransport`),
two transports.

- `engine`: the engine's own `docker push` / `docker pull`, through ghpkg's loopback registry
  (ghpkg.shim), which holds the token and translates what the GHES registry lacks; a push from
  the classic store, where the engine trusts the instance, goes straight to it with the token in
  X-Registry-Auth and is then checked tag by tag (`transports.choice.straight`).
- `registry`: ghpkg itself reads `docker save` and writes `docker load` (no engine network).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ghpkg.reference import Reference


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

    def push(self, image_id: str, refs: list[Reference]) -> None:
        """Publish a local image under every reference (one repository, several tags)."""

    def pull(self, reference: Reference) -> Pulled:
        """Bring one tag (or digest) into the engine under `str(reference)`."""
