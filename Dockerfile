# The ghpkg action as a container (`uses: docker://…` or a Docker container action), with the
# `ghpkg` command on PATH: `docker run --rm --entrypoint ghpkg IMAGE --version`.
# BASE is any image with Python 3.10+ and its venv module: python:3.12-slim, a mirror of it
# inside your GHES network, or the Debian base `scripts/base-image.sh` makes without a registry.
#
# It runs as root, on purpose: GitHub runs container actions as the image's user with the
# workspace mounted at /github/workspace, and documents that a USER instruction makes
# GITHUB_WORKSPACE unreadable; ghpkg also talks to the engine through the runner's
# /var/run/docker.sock, which only root (or the host's docker group, whose id differs between
# hosts) may open. No WORKDIR either: the runner sets the working directory to the workspace.
# The default base is pinned by digest, so a tag moved by anyone cannot change what the image
# runs: python:3.12-slim's index as docker-library/repo-info records it (Python 3.12.13 on
# Debian trixie, built 2026-08-05). Move it on purpose, with the digest repo-info shows.
ARG BASE=python:3.12-slim@sha256:229a2c5bfa27522db7815ea81f9bed70af17ccb9de9fc7ad142b1877b5830d36
FROM ${BASE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# A virtual environment works on every base, including Debian's externally managed python3.
# No package index is asked: ghpkg's pinned dependencies come from action/wheels/ in the build
# context, every file checked against action/requirements.txt's hashes. Gather them first with
# `python3 scripts/bundle_action.py --wheels action/wheels` (scripts/build-image.sh does), or
# build from the release's ghpkg-action-VERSION.tar.gz, which carries them: a runner without
# internet builds this image too. `--isolated`: no pip setting of the base (a PIP_FIND_LINKS
# of unhashed wheels, an index) takes part.
COPY pyproject.toml README.md /tmp/ghpkg-src/
COPY action /tmp/ghpkg-src/action
COPY src /tmp/ghpkg-src/src
RUN if ! ls /tmp/ghpkg-src/action/wheels/*.whl >/dev/null 2>&1; then \
      echo "error: no wheels in action/wheels of the build context: the image installs ghpkg's dependencies without an index; run python3 scripts/bundle_action.py --wheels action/wheels first, or build from the release's ghpkg-action-VERSION.tar.gz" >&2; \
      exit 1; \
    fi \
    && python3 -m venv /opt/ghpkg \
    && /opt/ghpkg/bin/pip --isolated install --quiet --no-index --find-links /tmp/ghpkg-src/action/wheels \
       --require-hashes --only-binary :all: -r /tmp/ghpkg-src/action/requirements.txt \
    && /opt/ghpkg/bin/pip --isolated install --quiet --no-index --no-deps --no-build-isolation /tmp/ghpkg-src \
    && rm -rf /tmp/ghpkg-src \
    && /opt/ghpkg/bin/ghpkg --version
COPY entrypoint.py /opt/ghpkg/entrypoint.py
ENV PATH=/opt/ghpkg/bin:$PATH
ENTRYPOINT ["/opt/ghpkg/bin/python", "/opt/ghpkg/entrypoint.py"]
