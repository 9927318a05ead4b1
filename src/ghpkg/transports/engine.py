"""The engine transport: the engine's own push and pull, through ghpkg's loopback registry.

The engine compresses, uploads and downloads in parallel the way it does best; the shim on
127.0.0.1 holds the token (the engine gets none: only the shim's one-time login, in
X-Registry-Auth, which is all the shim takes), serves only this image's repository, and
stores what the engine sends as the GHES registry needs it. A push counts only if what the shim
stored for each tag is what the engine says it pushed, of the local image. The engine's temporary
`127.0.0.1:PORT/...` names are removed afterwards; the image keeps its real references.

A push `straight` to the instance (the classic store, whose push is schema 2, on an engine that
trusts the registry's certificate: `transports.choice.straight`) skips the shim: the engine gets
the token in X-Registry-Auth for that call and pushes the real references. It counts only if the
manifest each tag serves is the one the engine reports it pushed and names the local image's
config; a push the engine fails with a refusal (an untrusted certificate, a manifest the registry
will not take) goes through the shim instead.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ghpkg.engine import Engine
from ghpkg.errors import EngineError, GhpkgError
from ghpkg.manifest import load_object, sha256_digest
from ghpkg.progress import EngineProgress, Lines
from ghpkg.reference import Reference
from ghpkg.registry import RegistryClient
from ghpkg.shim.scope import Login, Reach
from ghpkg.shim.server import Shim
from ghpkg.transports import Pulled, ReadBack


class EngineTransport:
    """`docker push` / `docker pull` through a shim that lives as long as the call."""

    name = "engine"

    def __init__(
        self,
        registry: RegistryClient,
        engine: Engine,
        log: Lines,
        retries: int = 4,
        status: Lines | None = None,
        straight: Login | None = None,
    ) -> None:
        self._registry = registry
        self._engine = engine
        self._log = log
        self._retries = retries
        self._status = status  # a terminal's progress bar
        self._straight = straight  # the instance's login, where the engine may push to it itself

    def push(self, image_id: str, refs: list[Reference]) -> ReadBack:
        """Push every tag (straight to the instance where the engine may, else through the shim);
        each must end up stored in the registry, as the engine's manifest of the local image.
        A straight push reads each tag back to check it, and returns what it read (one GET a
        tag: `verbs.push.verify` checks the same bytes)."""
        pushed = self._push_straight(self._straight, image_id, refs) if self._straight else None
        if pushed is None:
            return self._push_through_shim(image_id, refs)
        read: dict[str, tuple[bytes, str]] = {}
        for ref, digest in zip(refs, pushed, strict=True):
            raw, media_type = self._registry.get_manifest(ref.path, ref.version)
            config = load_object(raw, f"the manifest of {ref}").get("config")
            named = str(config.get("digest", "")) if isinstance(config, dict) else ""
            _check_pushed(ref, digest, sha256_digest(raw), named, image_id)
            read[ref.version] = (raw, media_type)
        return read

    def _push_straight(
        self, login: Login, image_id: str, refs: list[Reference]
    ) -> list[str] | None:
        """The engine pushes the real references (which `verbs.push` tagged; the check after
        proves they name `image_id`) with the instance's login: the digests it reports, or None
        where it was refused (the shim's turn)."""
        self._log(
            f"The engine pushes straight to {self._registry.host} (it trusts its certificate)"
        )
        progress = EngineProgress(self._log, status=self._status)
        try:
            return [
                self._engine.push(
                    str(ref),
                    login.username,
                    login.password,
                    progress,
                    retries=self._retries,
                    log=self._log,
                )
                for ref in refs
            ]
        except EngineError as exc:
            if exc.temporary:  # retried already; the shim would meet the same network
                raise
            self._log(
                f"the engine's own push to {self._registry.host} was refused ({exc.cause or exc}); "
                "pushing through ghpkg's loopback registry instead"
            )
            return None

    def _push_through_shim(self, image_id: str, refs: list[Reference]) -> ReadBack:
        """Push every tag through the shim; each must end up stored in the registry. Returns
        each tag's manifest as the registry serves it, read while the shim's names are removed
        (`verbs.push.verify` checks those bytes)."""
        scope = Reach(frozenset({refs[0].path}), writable=True)
        with Shim(self._registry, scope=scope, log=self._log) as shim:
            names = [f"{shim.address}/{ref.path}:{ref.version}" for ref in refs]
            try:
                for name in names:
                    self._engine.tag(image_id, name)
                pushed = [
                    self._through(shim, self._engine.push, name, missing_counts=False)
                    for name in names
                ]
                _check_stored(refs, pushed, shim, image_id)
            except BaseException:
                self._untag(names)
                raise
            with ThreadPoolExecutor(1) as pool:  # the engine and the registry answer at once
                untagged = pool.submit(self._untag, names)
                read = {
                    ref.version: self._registry.get_manifest(ref.path, ref.version) for ref in refs
                }
                untagged.result()
            for ref in refs:  # and the registry serves what the shim stored
                stored, serves = shim.pushed[(ref.path, ref.version)], read[ref.version][0]
                if sha256_digest(serves) != stored:
                    raise EngineError(
                        f"{ref} holds a manifest the engine did not push",
                        f"ghpkg stored {stored} for the engine, the tag holds "
                        f"{sha256_digest(serves)}",
                        "push again; if it recurs, check who else pushes to that tag",
                    )
        return read

    def _untag(self, names: list[str]) -> None:
        """Remove the engine's names for the shim's loopback address."""
        for name in names:
            self._engine.untag(name)

    def pull(self, reference: Reference) -> Pulled:
        """Pull one tag through the shim, then name the image by its real reference."""
        scope = Reach(frozenset({reference.path}), writable=False)
        with Shim(self._registry, scope=scope, log=self._log) as shim:
            local = f"{shim.address}/{reference.path}:{reference.version}"
            pulled = False
            try:
                self._through(shim, self._engine.pull, local, missing_counts=True)
                self._engine.tag(local, str(reference))  # by name: the image just pulled
                pulled = True
            finally:
                digest = shim.served.get((reference.path, reference.version), "")
                names = [local] + ([f"{shim.address}/{reference.path}@{digest}"] if digest else [])
                if not pulled:
                    self._untag(names)
            with ThreadPoolExecutor(len(names)) as pool:  # the engine answers them at once
                untagged = [pool.submit(self._engine.untag, name) for name in names]
                image_id = self._engine.image_id_of(str(reference))
                for done in untagged:
                    done.result()
        if not digest:
            raise EngineError(f"the engine pulled {reference} without reading its manifest")
        return Pulled(digest, image_id)

    def _through(
        self, shim: Shim, move: Callable[..., object], name: str, missing_counts: bool
    ) -> str:
        """The engine's push or pull of `name` with the shim's login (a push: the digest the
        engine reports); on failure, the registry's error if it gave one. The engine's lines
        name the instance, not the shim's loopback name (`_named`)."""

        def say(line: str) -> None:
            self._log(line.replace(shim.address, self._registry.host))

        try:
            done = move(
                name,
                shim.login.username,
                shim.login.password,
                EngineProgress(say, status=self._status),
                retries=self._retries,
                log=say,
            )
        except EngineError as exc:
            named = _named(exc, shim.address, self._registry.host)
            raise _cause(shim, named, missing_counts) from None
        return done if isinstance(done, str) else ""


def _check_stored(refs: list[Reference], pushed: list[str], shim: Shim, image_id: str) -> None:
    """The shim stored a manifest for each tag, the one the engine reports it pushed, of the
    local image."""
    missing = [ref.version for ref in refs if (ref.path, ref.version) not in shim.pushed]
    if missing:
        raise EngineError(
            f"the engine's push left {', '.join(missing)} unstored",
            "it reported success without storing a manifest for each tag",
            "run again with --transport registry",
        )
    for ref, digest in zip(refs, pushed, strict=True):
        received = shim.activity.received[(ref.path, ref.version)]
        # Where the engine reports no digest, only its login reached the shim: it sent it.
        reported = digest or received.digest
        _check_pushed(ref, reported, received.digest, received.config, image_id)


def _check_pushed(ref: Reference, reported: str, stored: str, config: str, image_id: str) -> None:
    """The tag's manifest (`stored`, naming `config`) is the one the engine reports it pushed in
    this run, and the local image (its config digest, or on the containerd store its own digest,
    is the image ID)."""
    if reported != stored:
        raise EngineError(
            f"{ref} holds a manifest the engine did not push",
            f"the engine pushed {reported or 'no digest it reported'}, the tag holds {stored}",
            "push again; if it recurs, check who else pushes to that tag or uses this machine's "
            "loopback",
        )
    if image_id not in (stored, config):
        raise EngineError(
            f"{ref} holds config {config or 'unknown'}, not the local image",
            f"the local image is {image_id}",
            "push again with --transport registry",
        )


def _named(exc: EngineError, shim_address: str, host: str) -> EngineError:
    """The engine's failure naming the instance's reference, not the shim's loopback name the
    engine was given (`127.0.0.1:PORT/...`), which the user never typed and cannot use."""
    what, cause = (text.replace(shim_address, host) for text in (exc.what, exc.cause))
    return EngineError(what, cause, exc.fix, temporary=exc.temporary)


def _cause(shim: Shim, exc: EngineError, missing_counts: bool = False) -> GhpkgError:
    """The registry's own error behind an engine failure, where the shim saw one.

    For a pull, a 404 the shim passed on (no such tag) is the cause when nothing failed.
    """
    failures = shim.activity.failures or (shim.activity.missing if missing_counts else [])
    return failures[-1] if failures else exc
