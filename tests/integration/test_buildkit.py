"""BuildKit builds: `ghpkg push --context` with `docker buildx build` where the docker CLI has
buildx (26.1, 28.5, 28.5-containerd), and the legacy builder with install advice where it has
not (20.10). Engines here have no bridge network: every RUN says `--network=none`."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from testbed.bed import Testbed
from testbed.pytest_engines import EngineUnderTest
from tests.helpers import read_outputs
from tests.integration.conftest import Run
from tests.integration.test_push_cli import unique, workflow_env

pytestmark = pytest.mark.integration

BUILDKIT_DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox
COPY <<EOF /hello.txt
hello from a BuildKit heredoc
EOF
RUN --network=none --mount=type=cache,target=/cache \
    ["/bin/busybox", "sh", "-c", "echo warm >> /cache/runs; /bin/busybox cp /cache/runs /runs"]
ARG NONCE
RUN --network=none --mount=type=secret,id=api_key --mount=type=secret,id=npmrc \
    ["/bin/busybox", "sh", "-c", \
     "/bin/busybox sha256sum /run/secrets/api_key /run/secrets/npmrc > /secret-hashes"]
CMD ["/bin/busybox", "cat", "/hello.txt", "/secret-hashes"]
"""
PLAIN_DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox
ARG NONCE
RUN --network=none ["/bin/busybox", "sh", "-c", "echo $NONCE > /nonce"]
CMD ["/bin/busybox", "cat", "/nonce"]
"""


def context_with(tmp_path: Path, dockerfile: str) -> Path:
    """A build context holding static busybox and the Dockerfile."""
    context = tmp_path / "context"
    context.mkdir()
    shutil.copy2("/bin/busybox", context / "busybox")
    (context / "Dockerfile").write_text(dockerfile)
    return context


def needs_buildx(engine: EngineUnderTest) -> None:
    if not engine.buildx:
        pytest.skip(f"engine {engine.name} runs without buildx in the matrix")


def recording_docker(tmp_path: Path) -> tuple[Path, Path]:
    """A `docker` first on PATH that appends its argv and environment to a file, then runs the
    real one: (its directory, the record)."""
    real = shutil.which("docker")
    assert real, "a docker CLI must be on PATH"
    bin_dir, record = tmp_path / "bin", tmp_path / "docker-calls"
    bin_dir.mkdir()
    wrapper = bin_dir / "docker"
    wrapper.write_text(
        f'#!/bin/sh\n{{ echo "ARGV $*"; env; echo; }} >> "{record}"\nexec "{real}" "$@"\n'
    )
    wrapper.chmod(0o755)
    return bin_dir, record


def push(
    run_ghpkg: Run,
    bed: Testbed,
    engine: EngineUnderTest,
    image: str,
    context: Path,
    *extra: str,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`ghpkg push --context` as a workflow runs it, with the engine's docker CLI config."""
    return run_ghpkg(
        "push",
        "--image",
        image,
        "--version",
        "1.0",
        "--context",
        str(context),
        "--ca-file",
        str(bed.ca_file),
        *extra,
        env={**workflow_env(bed, engine), **engine.env, **(env or {})},
    )


def test_the_matrix_gives_buildx_to_the_docker_cli_of_its_buildx_engines(
    engine: EngineUnderTest,
) -> None:
    done = subprocess.run(
        ["docker", "buildx", "version"],
        env={"PATH": os.environ["PATH"], "HOME": "/nonexistent", **engine.env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode == 0) == engine.buildx, done.stdout + done.stderr
    if engine.buildx:
        assert " 0.13." in done.stdout


def test_a_buildkit_dockerfile_with_secrets_is_built_pushed_and_pulled_back(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    needs_buildx(engine)
    context = context_with(tmp_path, BUILDKIT_DOCKERFILE)
    api_key = f"api-key-{uuid.uuid4().hex}"
    npmrc = tmp_path / "npmrc"
    npmrc.write_text(f"//npm.example/:_authToken={uuid.uuid4().hex}\n")
    bin_dir, record = recording_docker(tmp_path)
    image = unique("buildkit", engine)
    outputs = tmp_path / "outputs"
    done = push(
        run_ghpkg,
        bed,
        engine,
        image,
        context,
        "--output-file",
        str(outputs),
        "--secret",
        "id=api_key,env=BUILD_API_KEY",
        "--secret",
        f"id=npmrc,src={npmrc}",
        "--build-arg",
        f"NONCE={uuid.uuid4().hex}",  # BuildKit's cache key of a RUN leaves its secrets out
        env={"BUILD_API_KEY": api_key, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
    )
    assert done.returncode == 0, done.stderr
    assert "Building with BuildKit (docker buildx 0.13)" in done.stderr
    reference = done.stdout.strip()
    assert read_outputs(outputs)["image-id"] == engine.client.images.get(reference).id
    token = bed.token("actions")
    for secret in (api_key, npmrc.read_text().strip(), token):
        assert secret not in done.stdout + done.stderr
    calls = record.read_text()
    build_call = next(line for line in calls.splitlines() if line.startswith("ARGV buildx build"))
    assert "--secret id=api_key,env=BUILD_API_KEY" in build_call
    assert f"--secret id=npmrc,src={npmrc}" in build_call
    assert f"BUILD_API_KEY={api_key}" in calls  # the variable a --secret names, and no token
    assert token not in calls
    assert "GITHUB_TOKEN" not in calls

    engine.client.images.remove(reference, force=True)
    pulled = run_ghpkg(
        "pull",
        "--image",
        image,
        "--version",
        "1.0",
        "--ca-file",
        str(bed.ca_file),
        env={**workflow_env(bed, engine), **engine.env},
    )
    assert pulled.returncode == 0, pulled.stderr
    printed = engine.client.containers.run(reference, network_mode="none", remove=True).decode()
    lines = printed.splitlines()
    assert lines[0] == "hello from a BuildKit heredoc"
    assert lines[1].split()[0] == hashlib.sha256(api_key.encode()).hexdigest()
    assert lines[2].split()[0] == hashlib.sha256(npmrc.read_bytes()).hexdigest()
    runs = engine.client.containers.run(
        reference, ["/bin/busybox", "cat", "/runs"], network_mode="none", remove=True
    )
    assert runs.decode().startswith("warm")  # the RUN had its cache mount
    saved = b"".join(engine.client.images.get(reference).save())
    assert api_key.encode() not in saved
    assert npmrc.read_bytes().strip() not in saved
    engine.client.images.remove(reference, force=True)


def test_no_cache_pull_and_platform_rebuild_every_step(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    needs_buildx(engine)
    context = context_with(tmp_path, PLAIN_DOCKERFILE)
    image = unique("nocache", engine)
    nonce = ("--build-arg", f"NONCE={uuid.uuid4().hex}")
    first = push(run_ghpkg, bed, engine, image, context, *nonce)
    assert first.returncode == 0, first.stderr
    again = push(run_ghpkg, bed, engine, image, context, *nonce)
    assert again.returncode == 0, again.stderr
    assert "CACHED" in again.stderr
    fresh = push(
        run_ghpkg,
        bed,
        engine,
        image,
        context,
        *nonce,
        "--no-cache",
        "--pull",
        "--platform",
        "linux/amd64",
    )
    assert fresh.returncode == 0, fresh.stderr
    assert "Building with BuildKit" in fresh.stderr
    assert "CACHED" not in fresh.stderr
    engine.client.images.remove(fresh.stdout.strip(), force=True)


def test_a_local_build_cache_is_exported_then_imported(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    needs_buildx(engine)
    if engine.name != "28.5-containerd":
        pytest.skip("buildx's default builder exports a cache only with the containerd store")
    context = context_with(tmp_path, PLAIN_DOCKERFILE)
    cache = tmp_path / "cache"
    image = unique("cache", engine)
    nonce = ("--build-arg", f"NONCE={uuid.uuid4().hex}")
    out = push(
        run_ghpkg, bed, engine, image, context, *nonce, "--cache-to", f"type=local,dest={cache}"
    )
    assert out.returncode == 0, out.stderr
    assert (cache / "index.json").is_file()
    engine.client.api.prune_builds()  # the engine forgets; only the exported cache remembers
    back = push(
        run_ghpkg, bed, engine, image, context, *nonce, "--cache-from", f"type=local,src={cache}"
    )
    assert back.returncode == 0, back.stderr
    assert "importing cache manifest from local" in back.stderr
    assert "CACHED" in back.stderr
    engine.client.images.remove(back.stdout.strip(), force=True)


def test_a_cache_export_without_the_containerd_store_fails_with_advice(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    needs_buildx(engine)
    if engine.name == "28.5-containerd":
        pytest.skip("the containerd store exports build caches")
    context = context_with(tmp_path, PLAIN_DOCKERFILE)
    done = push(
        run_ghpkg,
        bed,
        engine,
        unique("nocacheexport", engine),
        context,
        "--cache-to",
        f"type=local,dest={tmp_path / 'cache'}",
    )
    assert done.returncode == 1, done.stderr
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("error: docker buildx build failed")
    assert "Cache export is not supported for the docker driver" in error
    assert "turn on the containerd image store" in error or "containerd image store" in error


def test_without_buildx_a_buildkit_dockerfile_fails_with_advice_to_install_it(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    if engine.buildx:
        pytest.skip(f"engine {engine.name} has buildx in the matrix")
    context = context_with(tmp_path, BUILDKIT_DOCKERFILE)
    done = push(run_ghpkg, bed, engine, unique("legacy", engine), context)
    assert done.returncode == 1, done.stderr
    assert "docker buildx is not available: building with the engine's legacy builder" in (
        done.stderr
    )
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith(
        "error: the Dockerfile needs BuildKit (the Dockerfile uses a heredoc (COPY <<) at line 3)"
    )
    assert "unknown instruction" in error or "no source files" in error  # the builder's words
    assert "http" not in error.partition("; ")[0]  # no docker-py URL
    assert "install docker-buildx" in error
    assert "fix the Dockerfile" not in error


def test_a_docker_cli_without_buildx_on_a_current_engine_gets_the_same_advice(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    needs_buildx(engine)
    context = context_with(
        tmp_path,
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN --mount=type=cache,target=/c true\n",
    )
    no_plugins = tmp_path / "docker-config"
    no_plugins.mkdir()
    done = push(
        run_ghpkg,
        bed,
        engine,
        unique("legacy", engine),
        context,
        env={"DOCKER_CONFIG": str(no_plugins)},
    )
    assert done.returncode == 1, done.stderr
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith(
        "error: the Dockerfile needs BuildKit (the Dockerfile uses RUN --mount at line 3), and "
        "docker buildx is not available: the legacy builder said: the --mount option requires "
        "BuildKit."
    )
    assert error.endswith("and ghpkg builds with it")


def test_without_buildx_buildkit_only_options_fail_naming_docker_buildx(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    if engine.buildx:
        pytest.skip(f"engine {engine.name} has buildx in the matrix")
    context = context_with(tmp_path, PLAIN_DOCKERFILE)
    done = push(
        run_ghpkg,
        bed,
        engine,
        unique("legacy", engine),
        context,
        "--secret",
        "id=key,env=KEY",
        "--cache-from",
        f"type=local,src={tmp_path}",
        env={"KEY": "value"},
    )
    assert done.returncode == 1, done.stderr
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("error: --secret, --cache-from need BuildKit")
    assert "install docker-buildx" in error


def test_without_buildx_the_legacy_builder_takes_no_cache_pull_and_platform(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    if engine.buildx:
        pytest.skip(f"engine {engine.name} has buildx in the matrix")
    context = context_with(tmp_path, "FROM scratch\nCOPY busybox /bin/busybox\n")
    done = push(
        run_ghpkg,
        bed,
        engine,
        unique("legacyflags", engine),
        context,
        "--no-cache",
        "--pull",
        "--platform",
        "linux/amd64",
    )
    assert done.returncode == 0, done.stderr
    assert "legacy builder" in done.stderr
    engine.client.images.remove(done.stdout.strip(), force=True)
