"""`ghpkg versions` and `ghpkg delete`: a package's versions through the REST API."""

from __future__ import annotations

import json

from ghpkg.errors import GhpkgError
from ghpkg.outputs import Log, Result
from ghpkg.packages import PackageApi, PackageVersion, newest_first, to_delete
from ghpkg.settings import Settings
from ghpkg.verbs.connect import check_token


def versions(settings: Settings, log: Log) -> Result:
    """List the package's versions, newest first, through the REST API."""
    api = _package_api(settings, log, "versions")
    try:
        found = api.versions()
    finally:
        api.close()
    found = newest_first(found)
    log.info(f"{api.name}: {len(found)} version(s)")
    return Result(
        images=(),
        package_url=settings.package_url,
        lines=tuple(v.line() for v in found),
        versions=_json(found),
    )


def delete(settings: Settings, log: Log) -> Result:
    """Delete versions by tag or all but the newest N; the whole list is read before any delete."""
    api = _package_api(settings, log, "delete")
    try:
        found = api.versions()
        doomed = to_delete(found, settings.keep, settings.versions)
        kept = [v for v in newest_first(found) if v not in doomed]
        verb = "would delete" if settings.dry_run else "deleting"
        log.info(f"{api.name}: {len(found)} version(s), {verb} {len(doomed)}, keeping {len(kept)}")
        done: list[PackageVersion] = []
        for version in doomed:
            if settings.dry_run:
                log.info(f"Would delete {version.label}, created {version.created_at}")
                continue
            try:
                api.delete(version)
            except GhpkgError as exc:
                exc.what += f" (deleted before it: {', '.join(v.label for v in done) or 'nothing'})"
                raise
            done.append(version)
            log.info(f"Deleted {version.label}, created {version.created_at}")
    finally:
        api.close()
    shown = doomed if settings.dry_run else done
    return Result(
        images=(),
        package_url=settings.package_url,
        lines=tuple(v.line() for v in shown),
        versions=_json(kept),
        deleted=_json(shown),
    )


def _package_api(settings: Settings, log: Log, action: str) -> PackageApi:
    """Check the token's scopes (advisory where the API cannot say), then open the package."""
    check_token(settings, log, action)
    return PackageApi(
        settings.api_url,
        settings.token,
        settings.ca_file,
        settings.owner,
        settings.repository,
        settings.image,
        action,
        timeout=int(settings.timeout),
        retries=settings.retries,
        log=log.info,
    )


def _json(found: list[PackageVersion]) -> str:
    return json.dumps([v.as_json() for v in found], separators=(",", ":"))
