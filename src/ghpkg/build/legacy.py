"""A build with the engine's legacy builder (where the docker CLI has no buildx)."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable

import docker
import docker.errors

from ghpkg.build.options import BuildRequest
from ghpkg.engine.failures import ENGINE_ERRORS, first_line
from ghpkg.errors import BuildError

_BUILD_TAIL = 12


def legacy_build(
    client: docker.DockerClient, build: BuildRequest, log: Callable[[str], None]
) -> str:
    """Build and return the image's ID as the engine names it; a failure shows the last lines.

    The BuildKit-only options (secrets, caches) are refused before (`build.buildkit`)."""
    tail: deque[str] = deque(maxlen=_BUILD_TAIL)
    image_id = ""
    try:
        stream = client.api.build(
            path=str(build.context),
            dockerfile=build.dockerfile,
            buildargs=dict(build.build_args),
            labels=dict(build.labels),
            target=build.target,
            platform=str(build.platform) if build.platform else None,
            nocache=build.no_cache,
            pull=build.pull,
            rm=True,
            forcerm=True,
            decode=True,
        )
        for chunk in stream:
            if "error" in chunk:
                detail = str(chunk.get("error", "")).strip()
                tail.append(detail)
                raise BuildError(
                    "docker build failed",
                    " | ".join(line for line in tail if line),
                    "fix the Dockerfile or the build context and run again",
                )
            text = str(chunk.get("stream", "")).rstrip()
            if text:
                for line in text.splitlines():
                    tail.append(line)
                    log(line)
            aux = chunk.get("aux")
            if isinstance(aux, dict) and "ID" in aux:
                image_id = str(aux["ID"])
    except docker.errors.APIError as exc:  # the engine refused the build: say what it said
        cause = str(exc.explanation or "").strip() or first_line(exc)
        raise BuildError("docker build failed", cause, "check the Dockerfile") from None
    except ENGINE_ERRORS as exc:
        raise BuildError(
            "docker build failed", first_line(exc), "check the build context"
        ) from None
    if not image_id:
        match = re.search(r"Successfully built ([0-9a-f]+)", "\n".join(tail))
        if not match:
            raise BuildError("docker build ended without an image", " | ".join(tail), "")
        image_id = match.group(1)
    return image_id
