"""Builds: BuildKit through `docker buildx build` when the docker CLI has buildx, else the
engine's legacy builder (docker-py), which refuses BuildKit syntax with advice to install buildx.

The build's environment holds no token of ghpkg's (see build.options.clean_environment), and
its argv names secrets by file or variable, never by value.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from ghpkg.build.legacy import legacy_build
from ghpkg.build.options import BuildRequest, clean_environment
from ghpkg.engine import Engine
from ghpkg.errors import BuildError
from ghpkg.secret import Secret

_TAIL = 12
INSTALL_BUILDX = (
    "install docker-buildx, the BuildKit plugin of the docker CLI (Debian and Ubuntu: apt-get "
    "install docker-buildx; Docker's packages: docker-buildx-plugin), and ghpkg builds with it"
)
# Dockerfile syntax the legacy builder does not know (checked after it failed, to explain why).
_BUILDKIT_SYNTAX = (
    (r"^\s*#\s*syntax\s*=", "a # syntax= directive"),
    (r"^\s*(?P<cmd>RUN)\s+(?:--\S+\s+)*?--(?P<flag>mount|network|security)\b", "{cmd} --{flag}"),
    (r"^\s*(?P<cmd>COPY|ADD)\s+(?:--\S+\s+)*?--(?P<flag>link|parents|exclude)\b", "{cmd} --{flag}"),
    (r"^\s*(?P<cmd>RUN|COPY|ADD)\s.*<<-?\s*[\"']?\w+", "a heredoc ({cmd} <<)"),
)


@dataclass(frozen=True)
class Buildx:
    """A docker CLI with the buildx plugin: the CLI's path and buildx's version."""

    docker: str
    version: tuple[int, int]

    @property
    def provenance_flag(self) -> bool:
        """buildx 0.10+ adds provenance attestations unless told not to (and knows the flag)."""
        return self.version >= (0, 10)


def find_buildx(env: Mapping[str, str]) -> Buildx | None:
    """The docker CLI on env's PATH if `docker buildx version` works there, else None."""
    docker_cli = shutil.which("docker", path=env.get("PATH", os.defpath))
    if docker_cli is None:
        return None
    try:
        done = subprocess.run(
            [docker_cli, "buildx", "version"],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"\sv?(\d+)\.(\d+)", done.stdout)
    if done.returncode != 0 or found is None:
        return None
    return Buildx(docker_cli, (int(found.group(1)), int(found.group(2))))


def dockerfile_path(context: Path, dockerfile: str | None) -> Path:
    """The Dockerfile: relative to the context, as with `docker build`, unless absolute."""
    if dockerfile and Path(dockerfile).is_absolute():
        return Path(dockerfile)
    return context / (dockerfile or "Dockerfile")


def buildx_command(buildx: Buildx, build: BuildRequest, iidfile: Path, metadata: Path) -> list[str]:
    """The `docker buildx build` argv for the build (no secret value in it)."""
    argv = [buildx.docker, "buildx", "build", "--load", "--progress", "plain"]
    argv += ["--iidfile", str(iidfile), "--metadata-file", str(metadata)]
    if buildx.provenance_flag:
        argv.append("--provenance=false")  # an attestation index is what GHES cannot store
    argv += ["-f", str(dockerfile_path(build.context, build.dockerfile))]
    for key, value in build.build_args:
        argv += ["--build-arg", f"{key}={value}"]
    for key, value in build.labels:
        argv += ["--label", f"{key}={value}"]
    if build.target:
        argv += ["--target", build.target]
    for secret in build.secrets:
        argv += ["--secret", secret.argument()]
    for spec in build.cache_from:
        argv += ["--cache-from", spec]
    for spec in build.cache_to:
        argv += ["--cache-to", spec]
    if build.platform:
        argv += ["--platform", str(build.platform)]
    if build.no_cache:
        argv.append("--no-cache")
    if build.pull:
        argv.append("--pull")
    return [*argv, str(build.context)]


def build_environment(
    build: BuildRequest, token: Secret, docker_host: str | None
) -> dict[str, str]:
    """The docker CLI's environment: the build's, without the token; the engine's DOCKER_HOST."""
    named = [secret.env for secret in build.secrets if secret.env]
    env = clean_environment(build.environment, token, named)
    if docker_host:
        env["DOCKER_HOST"] = docker_host
    return env


def build_image(
    build: BuildRequest,
    engine: Engine,
    log: Callable[[str], None],
    token: Secret,
    docker_host: str | None = None,
) -> str:
    """Build the context; an image of another platform than asked is not accepted.

    `token` (ghpkg's) stays out of the build's environment and its log; `docker_host` is the
    engine built on. The legacy builder's cache ignores the platform of a `FROM scratch` image,
    so a build for one platform can hand back another's: then it builds again without the cache.
    """
    env = build_environment(build, token, docker_host)
    hide = [env[s.env] for s in build.secrets if s.env and len(env.get(s.env, "")) >= 4]
    hide += [token.reveal()] if token else []
    image_id = _build(build, engine, env, hide, log)
    wanted = build.platform
    if wanted is None:
        return image_id
    built = _platform_of(engine, image_id)
    if built != (wanted.os, wanted.architecture) and not build.no_cache:
        log(f"the build cache gave a {'/'.join(built)} image for {wanted}: building without it")
        image_id = _build(replace(build, no_cache=True), engine, env, hide, log)
        built = _platform_of(engine, image_id)
    if built != (wanted.os, wanted.architecture):
        raise BuildError(
            f"the build for {wanted} made a {'/'.join(built)} image",
            "the builder did not honour --platform",
            "build with docker buildx (BuildKit), or on a runner of that platform",
        )
    return image_id


def _platform_of(engine: Engine, image_id: str) -> tuple[str, str]:
    attrs = engine.get_image(image_id).attrs
    return str(attrs.get("Os", "")), str(attrs.get("Architecture", ""))


def _build(
    build: BuildRequest,
    engine: Engine,
    env: dict[str, str],
    hide: list[str],
    log: Callable[[str], None],
) -> str:
    """Build with BuildKit when buildx is there (in env), else the legacy builder."""
    buildx = find_buildx(env)
    if buildx is not None:
        log(f"Building with BuildKit (docker buildx {buildx.version[0]}.{buildx.version[1]})")
        return _buildx_build(buildx, build, engine, (env, hide), log)
    needs = [
        flag
        for flag, value in (
            ("--secret", build.secrets),
            ("--cache-from", build.cache_from),
            ("--cache-to", build.cache_to),
        )
        if value
    ]
    if needs:
        raise BuildError(
            f"{', '.join(needs)} need{'s' if len(needs) == 1 else ''} BuildKit",
            "`docker buildx version` does not work here (no docker CLI on PATH, or no buildx)",
            INSTALL_BUILDX,
        )
    log("docker buildx is not available: building with the engine's legacy builder")
    try:
        built = legacy_build(engine.client, build, log)
    except BuildError as exc:
        syntax = buildkit_syntax(dockerfile_path(build.context, build.dockerfile))
        if "requires BuildKit" not in exc.cause and not syntax:
            raise
        uses = f" (the Dockerfile uses {syntax})" if syntax else ""
        raise BuildError(
            f"the Dockerfile needs BuildKit{uses}, and docker buildx is not available",
            f"the legacy builder said: {exc.cause.rsplit(' | ', 1)[-1]}",  # its error, no steps
            INSTALL_BUILDX,
        ) from None
    return engine.image_id_of(built)


def buildkit_syntax(dockerfile: Path) -> str:
    """The first BuildKit-only construct in a Dockerfile, e.g. 'RUN --mount (line 3)', or ''."""
    try:
        lines = dockerfile.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    for number, line in enumerate(lines, 1):
        for pattern, name in _BUILDKIT_SYNTAX:
            found = re.search(pattern, line, re.IGNORECASE)
            if found:
                return f"{name.format(**found.groupdict())} at line {number}"
    return ""


def _buildx_build(
    buildx: Buildx,
    build: BuildRequest,
    engine: Engine,
    environment: tuple[dict[str, str], list[str]],
    log: Callable[[str], None],
) -> str:
    """Run `docker buildx build --load`, streaming its output (`environment`: the CLI's, and the
    values its lines must not show); return the image's ID."""
    env, hide = environment
    tail: deque[str] = deque(maxlen=_TAIL)
    with tempfile.TemporaryDirectory(prefix="ghpkg-build-") as scratch:
        iidfile, metadata = Path(scratch) / "iid", Path(scratch) / "metadata.json"
        argv = buildx_command(buildx, build, iidfile, metadata)
        try:
            proc = subprocess.Popen(
                argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            )
        except OSError as exc:
            raise BuildError("cannot run docker buildx build", str(exc), INSTALL_BUILDX) from None
        assert proc.stdout is not None
        with proc:
            try:
                for raw in proc.stdout:
                    line = raw.rstrip()
                    for value in hide:
                        line = line.replace(value, "***")
                    log(line)
                    if line.strip(" -"):
                        tail.append(line)
            except BaseException:
                proc.kill()
                raise
        if proc.returncode != 0:
            raise BuildError(
                f"docker buildx build failed (exit code {proc.returncode})",
                " | ".join(tail),
                _fix(tail),
            )
        candidates = [iidfile.read_text().strip() if iidfile.exists() else ""]
        if metadata.exists():
            candidates.append(str(json.loads(metadata.read_text()).get("containerimage.digest")))
    for candidate in candidates:  # the containerd store names an image by its manifest digest
        image = engine.find_image(candidate) if candidate.startswith("sha256:") else None
        if image is not None:
            return str(image.id)
    raise BuildError(
        "docker buildx build ended without an image in the engine",
        f"neither {' nor '.join(filter(None, candidates))} is there",
        "check that the current buildx builder loads into this engine (docker buildx ls)",
    )


def _fix(tail: deque[str]) -> str:
    """What to do after a failed BuildKit build."""
    text = "\n".join(tail)
    if "Cache export is not supported" in text or "cache export feature" in text:
        return (
            "the default builder (docker driver) exports a build cache only with the containerd "
            "image store: turn that on, use another builder (docker buildx create --use), "
            "or drop --cache-to"
        )
    return "fix the Dockerfile, the build context or the build options and run again"
