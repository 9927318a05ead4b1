# The ghpkg action as a container: `uses: docker://…` or a Docker container action.
# BASE can point at any image with Python 3.10+ and pip (e.g. a mirror inside your GHES network).
ARG BASE=python:3.12-slim
FROM ${BASE}
COPY pyproject.toml README.md entrypoint.py /opt/ghpkg/
COPY src /opt/ghpkg/src
RUN python3 -m pip install --no-cache-dir /opt/ghpkg
ENTRYPOINT ["python3", "/opt/ghpkg/entrypoint.py"]
