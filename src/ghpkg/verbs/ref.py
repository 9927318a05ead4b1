"""`ghpkg ref`: the full references, with no network, engine or HTTP library imported; and
`PushResult`, what both ref and push report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ghpkg.outputs import Log, Result
from ghpkg.settings import Package, Registry, Remote


@dataclass(frozen=True)
class RefRequest:
    """ref: the package and its versions (tags); nothing is sent anywhere."""

    package: Package
    versions: tuple[str, ...]


@dataclass(frozen=True)
class PushResult(Result):
    """A push's or ref's Result, plus docker/metadata-action's `tags`, `labels` and `json`."""

    labels: Mapping[str, str] = field(default_factory=dict)  # those ghpkg put on a build

    def outputs(self) -> dict[str, str]:
        """The outputs by name, as action.yml declares them (build-push-action's and
        metadata-action's names among them: imageid, metadata, version, tags, labels, json).
        Imported here: a `ghpkg ref` that writes no outputs needs neither json nor them."""
        import json

        from ghpkg.metadata.outputs import metadata_outputs

        names = [image.rpartition(":")[2] for image in self.images]
        metadata = {"image.name": ",".join(self.images)}  # build-push-action's, as far as it goes
        if self.digest:
            metadata["containerimage.digest"] = self.digest
        own = {
            "imageid": self.image_id,
            "version": names[0] if names else "",
            "metadata": json.dumps(metadata, sort_keys=True),
        }
        return super().outputs() | metadata_outputs(self.images, names, self.labels) | own


def ref(request: RefRequest, remote: Remote, log: Log) -> Result:
    """The full references, computed without any network call."""
    isolation = remote.isolation
    if isolation is None:
        if remote.registry is Registry.DOCKER:
            log.info("subdomain isolation 'auto' needs a probe; `ref` assumes it is on")
        isolation = True
    refs = request.package.references(remote, request.versions, isolation)
    return PushResult(
        images=tuple(str(r) for r in refs),
        registry=refs[0].registry,
        package_url=request.package.url(remote.hostname),
    )
