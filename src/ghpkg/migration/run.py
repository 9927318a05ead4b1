"""The migration's network work: read each image's tags, check the destination, copy them.

Each image runs in one worker with its own clients (`run_all` bounds how many at once). Blobs
go once an image (copying.copy_image's `done` set); a blob another image already took to the
Container registry is mounted from there where the registry allows it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed

from ghpkg.errors import GhpkgError, UsageError
from ghpkg.manifest import parse_schema2, sha256_digest
from ghpkg.migration.plan import ImagePlan, ImageStatus, TagPlan, TagStatus
from ghpkg.migration.state import MigrationState
from ghpkg.reference import Reference, parse_namespace, parse_version
from ghpkg.registry import RegistryClient
from ghpkg.registry.blob_writer import BlobWriter
from ghpkg.registry_transport.copy import copy_image

SOURCE_LABEL = "org.opencontainers.image.source"


def inspect(
    source: RegistryClient, destination: RegistryClient, plan: ImagePlan, state: MigrationState
) -> None:
    """Read each tag's manifest, then decide: done before, there already, conflict or copy.

    A tag the state file calls done is "state" only while the destination still holds it: a
    stale or restored state file, or a version deleted since, and it is copied again.
    """
    unfit = _unfit_name(plan)
    if unfit:
        plan.stop(ImageStatus.FAILED, unfit)
        return
    for tag in plan.tags:
        try:
            parse_version(tag.tag)
        except UsageError:
            tag.status = TagStatus.FAILED
            tag.note = f"{tag.tag[:130]!r} is not a tag (the REST API named it)"
            continue
        try:
            raw, content_type = source.get_manifest(plan.source, tag.tag)
            manifest = parse_schema2(raw, content_type, f"{source.host}/{plan.source}:{tag.tag}")
        except GhpkgError as exc:
            tag.status, tag.note = TagStatus.FAILED, str(exc)
            continue
        tag.digest = manifest.digest
        blobs = (manifest.config, *manifest.layers)
        tag.blobs = tuple({blob.digest: blob.size for blob in blobs}.items())
        if not plan.source_label:
            plan.source_label = _source_label(source, plan.source, manifest.config)
        _compare(destination, plan.destination, tag)
        if tag.status is TagStatus.THERE and (
            state.digest(f"{source.host}/{plan.source}:{tag.tag}") == tag.digest
        ):
            tag.status = TagStatus.STATE
    _taken(destination, plan)


def _unfit_name(plan: ImagePlan) -> str:
    """Why the image's names (from the REST API) cannot go into a registry URL, or ""."""
    for path in (plan.source, plan.destination):
        try:
            for part in path.split("/"):
                parse_namespace(part, "name")
        except UsageError:
            return f"{path[:200]!r} is not a registry name (the REST API named it); skipped"
    return ""


def _taken(destination: RegistryClient, plan: ImagePlan) -> None:
    """A name the Container registry already gives another image (none of its tags ours)."""
    statuses = {tag.status for tag in plan.tags}
    if TagStatus.COPY not in statuses or statuses & {TagStatus.THERE, TagStatus.STATE}:
        return
    held = [tag for tag in destination.tags(plan.destination, 50) if tag not in plan.tag_names()]
    if held:
        plan.stop(
            ImageStatus.CONFLICT,
            f"conflict: {destination.host}/{plan.destination} is another image's "
            f"(it holds {', '.join(held[:3])}{', ...' if len(held) > 3 else ''}); "
            "name this one elsewhere with --name-map, or delete that package",
        )


def _compare(destination: RegistryClient, path: str, tag: TagPlan) -> None:
    """there (same digest), conflict (another digest) or copy (no such tag)."""
    try:
        served, _ = destination.get_manifest(path, tag.tag)
    except GhpkgError as exc:
        if getattr(exc, "status", 0) == 404:
            tag.status = TagStatus.COPY
        else:
            tag.status, tag.note = TagStatus.FAILED, str(exc)
        return
    there = sha256_digest(served)
    if there == tag.digest:
        tag.status = TagStatus.THERE
    else:
        tag.status = TagStatus.CONFLICT
        tag.note = (
            f"conflict: {destination.host}/{path}:{tag.tag} holds {there}, not {tag.digest}; "
            "delete that version or map the image elsewhere with --name-map"
        )


def _source_label(source: RegistryClient, path: str, config: object) -> str:
    """The image config's org.opencontainers.image.source label ("" if none or unreadable)."""
    digest, size = getattr(config, "digest", ""), getattr(config, "size", 0)
    try:
        body = json.loads(b"".join(source.open_blob(path, digest, size)))
        labels = (body.get("config") or {}).get("Labels") or {}
        return str(labels.get(SOURCE_LABEL) or "")
    except (GhpkgError, ValueError, AttributeError):
        return ""


class Mounts:
    """Where each blob already is on the Container registry, and which are on their way there.

    A blob another worker is sending is waited for, then mounted, so it goes once. Claims are
    made for a tag's whole set at once, so a worker waits only on claims made before its own:
    no cycle.
    """

    def __init__(self) -> None:
        self._where: dict[str, str] = {}  # digest -> a repository that holds it
        self._busy: dict[str, threading.Event] = {}  # digest -> set when its upload ends
        self._lock = threading.Lock()
        self.enabled = True
        self.mounted = 0

    def bring(self, writer: BlobWriter, tag: TagPlan, done: set[str]) -> list[str]:
        """Mount the tag's blobs other images took there (waiting for those on their way);
        return the blobs this worker now sends, to `release` after the tag."""
        with self._lock:
            wanted = {digest: size for digest, size in tag.blobs if digest not in done}
            claimed = [d for d in wanted if d not in self._where and d not in self._busy]
            waits = [self._busy[d] for d in wanted if d in self._busy] if self.enabled else []
            self._busy.update({digest: threading.Event() for digest in claimed})
        try:
            for event in waits:
                event.wait()
            for digest, size in wanted.items():
                with self._lock:
                    origin = self._where.get(digest)
                if digest in claimed or not origin or origin == writer.path or not self.enabled:
                    continue
                if writer.mount(digest, size, [origin]):
                    done.add(digest)
                    with self._lock:
                        self.mounted += 1
                else:
                    self.enabled = False
        except BaseException:
            self.release(writer.path, tag, claimed, sent=False)
            raise
        return claimed

    def release(self, path: str, tag: TagPlan, claimed: list[str], sent: bool) -> None:
        """The tag is done (`sent`: its blobs are now in `path`); wake who waits on its claims."""
        with self._lock:
            if sent:
                for digest, _size in tag.blobs:
                    self._where.setdefault(digest, path)
            for digest in claimed:
                event = self._busy.pop(digest, None)
                if event is not None:
                    event.set()


def copy_tags(
    source: RegistryClient,
    destination: RegistryClient,
    plan: ImagePlan,
    state: MigrationState,
    mounts: Mounts,
    stop: threading.Event,
) -> None:
    """Copy the image's pending tags (blobs once), recording each in the state file."""
    done: set[str] = set()
    owner, _, rest = plan.source.partition("/")
    repository, _, image = rest.partition("/")
    target_owner, _, name = plan.destination.partition("/")
    writer = BlobWriter(destination, plan.destination)
    for tag in plan.pending():
        if stop.is_set():
            return
        src = Reference(source.host, owner, repository, image, tag.tag)
        dst = Reference(destination.host, target_owner, "", name, tag.tag)
        try:
            claimed = mounts.bring(writer, tag, done)
        except GhpkgError as exc:
            tag.status, tag.note = TagStatus.FAILED, str(exc)
            continue
        try:
            copied = copy_image(source, destination, src, dst, lambda _: None, done, writer)
        except GhpkgError as exc:
            mounts.release(dst.path, tag, claimed, sent=False)
            tag.status, tag.note = TagStatus.FAILED, str(exc)
            continue
        except BaseException:
            mounts.release(dst.path, tag, claimed, sent=False)
            raise
        mounts.release(dst.path, tag, claimed, sent=True)
        tag.status = TagStatus.COPIED
        plan.sent_bytes += copied.copied_bytes
        state.record(f"{source.host}/{plan.source}:{tag.tag}", copied.digest)


def run_all(
    plans: list[ImagePlan], jobs: int, work: Callable[[ImagePlan], None], stop: threading.Event
) -> int:
    """Run `work` on each plan, `jobs` at once; returns the most that ran at the same time.

    An interruption (Ctrl-C, SIGTERM) stops the workers after the tag each is copying.
    """
    lock = threading.Lock()
    running = peak = 0

    def counted(plan: ImagePlan) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            if not stop.is_set():
                work(plan)
        finally:
            with lock:
                running -= 1

    with ThreadPoolExecutor(max(1, jobs), thread_name_prefix="ghpkg-migrate") as pool:
        futures = [pool.submit(counted, plan) for plan in plans]
        try:
            for future in as_completed(futures):
                future.result()
        except BaseException:
            stop.set()
            for future in futures:
                future.cancel()
            raise
    return peak
