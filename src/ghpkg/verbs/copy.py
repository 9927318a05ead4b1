"""`ghpkg copy`: versions from the Docker registry to the Container registry, blob to blob."""

from __future__ import annotations

from dataclasses import dataclass

from ghpkg.outputs import Log, Result
from ghpkg.reference import Reference, container_host
from ghpkg.settings import Package, Remote
from ghpkg.verbs.connect import client_for, connect, ping_container


@dataclass(frozen=True)
class CopyRequest:
    """copy: the Docker-registry package, its versions, and the Container-registry name."""

    package: Package
    versions: tuple[str, ...]
    to_owner: str = ""  # default: the package's owner
    to_image: str = ""  # default: the package's image

    def destinations(self, remote: Remote) -> list[Reference]:
        """Where each version goes on the Container registry."""
        host = container_host(remote.hostname)
        owner, image = self.to_owner or self.package.owner, self.to_image or self.package.image
        return [Reference(host, owner, "", image, version) for version in self.versions]


def copy(request: CopyRequest, remote: Remote, log: Log) -> Result:
    """Copy versions from the Docker registry to the Container registry, blob to blob."""
    from ghpkg.registry_transport.copy import copy_image  # deferred: only copy needs it

    names = (request.package, request.versions)
    source, refs = connect(remote, names, log, "pull")  # copy writes only to the destination
    targets = request.destinations(remote)
    destination = client_for(remote, targets[0].registry, log, digests=True)
    ping_container(destination, "push")
    done: set[str] = set()
    digests = []
    with log.group(f"Copy {', '.join(r.version for r in refs)} to {targets[0].name}"):
        for reference, target in zip(refs, targets, strict=True):
            copied = copy_image(source, destination, reference, target, log.info, done)
            digests.append(copied.digest)
    log.info(f"Copied {len(refs)} version(s) to {targets[0].name}, manifest {digests[0]}")
    return Result(
        images=tuple(str(t) for t in targets),
        digest=digests[0],
        registry=targets[0].registry,
        package_url=f"https://{remote.hostname}/{targets[0].owner}?tab=packages",
    )
