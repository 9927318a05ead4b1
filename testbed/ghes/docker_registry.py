"""The registry rules of the front: who may do what, and GHES's manifest quirks.

Sources, named where each rule is applied:
- DOCKER_REGISTRY, "Working with the Docker registry" (GHES 3.14): names
  `docker.HOST/OWNER/REPOSITORY/IMAGE_NAME` (HOST/... without subdomain isolation) in lowercase;
  "does not currently support foreign layers, such as Windows images".
- Who may do what: testbed.ghes.tokens (About permissions, Deleting a package, the GITHUB_TOKEN).
- Not from GitHub's docs but from what clients report (moby's "falling
  back to pull by tag" for this registry, containerd and buildx issues): manifests by digest
  answer 404, only Docker v2 schema 2 is taken, `_catalog` is not offered, the layer cap; HEAD on
  a manifest by tag answers 405 (an on-prem GHES, containerd#5860: HEAD 405, then GET by tag
  200 and by digest 404). Each is a switch (testbed.config.Switches), as none is confirmed on a
  real instance.
"""

from __future__ import annotations

import http.client
import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from testbed.config import BACKEND_PORT, Switches
from testbed.ghes.tokens import DELETE, READ, WRITE, TokenTable, registry_status
from testbed.ghes.wire import (
    DISTRIBUTION_HEADER,
    Request,
    Response,
    auth_error,
    json_response,
    registry_error,
)

DOCKER_REGISTRY = (
    "https://docs.github.com/enterprise-server@3.14/packages/working-with-a-github-packages-"
    "registry/working-with-the-docker-registry"
)
DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
_ROUTE = re.compile(r"^/v2/(?P<name>.+?)/(?P<kind>manifests|blobs|tags)/(?P<rest>.*)$")
_HOP_BY_HOP = {
    "connection", "keep-alive", "transfer-encoding", "te", "upgrade",
    "proxy-authorization", "proxy-authenticate", "trailer", "authorization",
}  # fmt: skip


@dataclass(frozen=True)
class Target:
    """What a registry path is about: OWNER/REPOSITORY/IMAGE, the kind of object, the rest."""

    name: str
    kind: str
    rest: str

    @property
    def repository(self) -> str:
        """OWNER/REPOSITORY, the GitHub repository that owns the image."""
        return "/".join(self.name.split("/")[:2])


def parse(path: str) -> Target | None:
    """Split a /v2/NAME/(manifests|blobs|tags)/... path, or None for any other path."""
    match = _ROUTE.match(path)
    return Target(match["name"], match["kind"], match["rest"]) if match else None


def _action(method: str) -> str:
    if method in ("GET", "HEAD"):
        return READ
    return DELETE if method == "DELETE" else WRITE


def authorize(tokens: TokenTable, method: str, target: str, authorization: str | None) -> int:
    """200 if the request may go on, else 401 (no or bad token) or 403 (not allowed)."""
    url = urlsplit(target)
    token = tokens.from_basic(authorization)
    parsed = parse(url.path)
    if parsed is None:  # the ping, the catalog: any token that authenticates
        return 401 if token is None or token.kind == "fine-grained" else 200
    status = registry_status(token, _action(method), parsed.repository)
    source = parse_qs(url.query).get("from")
    if status == 200 and parsed.kind == "blobs" and source:
        status = registry_status(token, READ, "/".join(source[0].split("/")[:2]))
    return status


def auth_answer(request: Request, tokens: TokenTable) -> Response:
    """The answer to nginx's auth_request subrequest: 200, 401 or 403, no body."""
    method = request.header("X-Original-Method") or "GET"
    target = request.header("X-Original-URI") or "/"
    return Response(authorize(tokens, method, target, request.header("Authorization")))


def handle(request: Request, tokens: TokenTable, switches: Switches) -> Response:
    """Answer a registry request nginx routed to the front (ping, manifests, bad names)."""
    status = authorize(tokens, request.method, request.target, request.header("Authorization"))
    if status != 200:
        return auth_error(status)
    if request.path in ("/v2", "/v2/"):
        return json_response(200, {}, [DISTRIBUTION_HEADER])
    if request.path == "/v2/_catalog":
        return registry_error(404, "UNSUPPORTED", "The operation is unsupported.")
    target = parse(request.path)
    if target is None:
        return forward(request)
    refusal = _name_problem(target.name)
    if refusal is None and target.kind == "manifests":
        refusal = _manifest_problem(request, target, switches)
    return refusal or forward(request)


def _name_problem(name: str) -> Response | None:
    """OWNER/REPOSITORY/IMAGE_NAME in lowercase (DOCKER_REGISTRY)."""
    if name != name.lower():
        return registry_error(400, "NAME_INVALID", "repository name must be lowercase")
    if len(name.split("/")) < 3:
        message = "repository name not known to registry: expected OWNER/REPOSITORY/IMAGE_NAME"
        return registry_error(404, "NAME_UNKNOWN", message)
    return None


def _manifest_problem(request: Request, target: Target, switches: Switches) -> Response | None:
    by_digest = ":" in target.rest
    if request.method == "HEAD" and not by_digest and switches.manifest_head_405:
        return registry_error(405, "UNSUPPORTED", "The operation is unsupported.")
    if request.method in ("GET", "HEAD") and by_digest and switches.refuse_digest_gets:
        return registry_error(404, "MANIFEST_UNKNOWN", "manifest unknown")
    if request.method != "PUT":
        return None
    problem = check_manifest(request.header("Content-Type"), request.body, switches)
    return registry_error(400, "MANIFEST_INVALID", problem) if problem else None


def _media_type(content_type: str | None, manifest: dict[str, object]) -> str:
    """The manifest's media type: the Content-Type if given, else what the body says."""
    declared = (content_type or "").split(";")[0].strip()
    body_type = manifest.get("mediaType")
    if declared and declared != DOCKER_V2:
        return declared
    if isinstance(body_type, str):
        return body_type
    if manifest.get("schemaVersion") == 1:
        return "application/vnd.docker.distribution.manifest.v1+json"
    if declared:
        return declared
    if "manifests" in manifest:
        return "application/vnd.oci.image.index.v1+json"
    return "application/vnd.oci.image.manifest.v1+json"


def check_manifest(content_type: str | None, body: bytes, switches: Switches) -> str | None:
    """Why GHES would refuse this manifest, or None if it takes it."""
    try:
        manifest = json.loads(body)
    except ValueError:
        return "manifest invalid: the manifest is not valid JSON"
    if not isinstance(manifest, dict):
        return "manifest invalid: the manifest is not a JSON object"
    media_type = _media_type(content_type, manifest)
    if media_type != DOCKER_V2:
        return (
            f"manifest invalid: unsupported media type {media_type}; "
            f"this registry accepts only {DOCKER_V2}"
        )
    layers = manifest.get("layers")
    for layer in layers if isinstance(layers, list) else []:
        if not isinstance(layer, dict):
            return "manifest invalid: a layer is not a JSON object"
        if layer.get("mediaType") == FOREIGN_LAYER or layer.get("urls"):  # DOCKER_REGISTRY
            return "manifest invalid: foreign layers are not supported"
        size = layer.get("size")
        if isinstance(size, int) and size > switches.layer_size_limit:
            return (
                f"manifest invalid: layer {layer.get('digest')} is {size} bytes, over the "
                f"layer size limit of {switches.layer_size_limit} bytes"
            )
    return None


def forward(request: Request, port: int = BACKEND_PORT, target: str | None = None) -> Response:
    """Send the request (to `target` if given) on to a backend registry; return its answer."""
    headers: dict[str, str] = {}
    for name, value in request.headers.items():  # repeated lines (Go's Accept) joined, none lost
        if name.lower() not in _HOP_BY_HOP:
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
    headers.pop("Content-Length", None)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        body = request.body if request.method in ("PUT", "POST", "PATCH") else None
        conn.request(request.method, target or request.target, body, headers)
        answer = conn.getresponse()
        data = answer.read()
    finally:
        conn.close()
    kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in _HOP_BY_HOP]
    return Response(answer.status, data, kept)
