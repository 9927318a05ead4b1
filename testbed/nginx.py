"""nginx's configuration: TLS, routing by host, auth_request, blobs straight to the backend."""

from __future__ import annotations

import json

from testbed.config import (
    BACKEND_PORT,
    CONTAINER_BACKEND_PORT,
    CONTAINER_HOST,
    FLAT_HOSTNAME,
    FRONT_PORT,
    HOSTNAME,
    REGISTRY_HOST,
    Paths,
    Switches,
)
from testbed.ghes.wire import DENIED_MESSAGE, UNAUTHORIZED_MESSAGE
from testbed.pki import Pki
from testbed.plain_front import server as plain_server

NGINX = "/usr/sbin/nginx"
PROBE_PATH = "/_testbed/generation"
_WEB_404 = (
    "<!DOCTYPE html><html><head><title>Page not found &middot; GitHub</title></head>"
    "<body><h1>404</h1><p>This is not the web page you are looking for.</p></body></html>\n"
)


def command(paths: Paths, *extra: str) -> list[str]:
    """The nginx command line for this bed (add `-s reload` to reload it)."""
    prefix = paths.nginx
    return [NGINX, "-p", f"{prefix}/", "-c", str(prefix / "nginx.conf"), "-e", "error.log", *extra]


def _body(status: int, code: str, message: str) -> str:
    return json.dumps({"errors": [{"code": code, "message": message}]}).replace("'", "\\'")


def _web_404() -> str:
    return f"default_type text/html; return 404 '{_WEB_404}';"


_PROXY = """
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Real-IP $remote_addr;"""


# A blob commit's Docker-Content-Digest without its algorithm (`bad_upload_digest`): clients that
# parse it fail with "invalid checksum digest format" (build-push-action#148, werf#3188).
_UPLOAD_DIGEST_MAP = """
    map "$request_method:$upstream_http_docker_content_digest" $ghes_upload_digest {
        "~^PUT:sha256:(?<hex>[0-9a-f]+)$" $hex;
        "~^[A-Z]+:(?<value>.*)$" $value;
    }"""
_BAD_UPLOAD_DIGEST = """proxy_hide_header Docker-Content-Digest;
            add_header Docker-Content-Digest $ghes_upload_digest always;"""


def _registry_locations(switches: Switches) -> str:
    """The registry: the front answers pings, manifests and bad names; blobs go to the backend."""
    front = f"proxy_pass http://front;{_PROXY}"
    basic = "add_header WWW-Authenticate 'Basic realm=\"GitHub Package Registry\"' always;"
    digest = _BAD_UPLOAD_DIGEST if switches.bad_upload_digest else ""
    guarded = _guarded_v2("backend", UNAUTHORIZED_MESSAGE, basic, digest)
    return f"""
        location = /v2/ {{ {front} }}
        location = /v2/_catalog {{ {front} }}
        location ~ ^/v2/.+/manifests/ {{ {front} }}
        location ~ "^/v2/.*[A-Z]" {{ {front} }}
        location ~ "^/v2/[^/]+/([^/]+/)?(blobs|tags)/" {{ {front} }}{guarded}"""


def _container_locations() -> str:
    """The Container registry: /token from the front, all of /v2/ to its own backend."""
    front = f"proxy_pass http://front;{_PROXY}"
    message = "authentication required"  # the Bearer challenge: the front's, passed on by nginx
    return f"""
        location = /token {{ {front} }}
        location ~ ^/v2/.+/blobs/uploads/$ {{ {front} }}{_guarded_v2("containers", message)}"""


def _guarded_v2(upstream: str, unauthorized: str, challenge: str = "", answers: str = "") -> str:
    """/v2/ streamed to `upstream` once the front's auth_request allows it; else 401 or 403."""
    extra = f"\n            {challenge}" if challenge else ""
    rewrite = f"\n            {answers}" if answers else ""
    return f"""
        location /v2/ {{
            auth_request /_auth;
            error_page 401 = @unauthorized;
            error_page 403 = @denied;{rewrite}
            proxy_pass http://{upstream};{_PROXY}
            proxy_request_buffering off;
            proxy_buffering off;
            proxy_buffer_size 1m;
            proxy_buffers 4 1m;
            client_body_buffer_size 1m;
        }}
        location = /_auth {{
            internal;
            proxy_pass http://front;{_PROXY}
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Original-Method $request_method;
        }}
        location @unauthorized {{
            add_header Docker-Distribution-API-Version registry/2.0 always;{extra}
            default_type "application/json; charset=utf-8";
            return 401 '{_body(401, "UNAUTHORIZED", unauthorized)}';
        }}
        location @denied {{
            add_header Docker-Distribution-API-Version registry/2.0 always;
            default_type "application/json; charset=utf-8";
            return 403 '{_body(403, "DENIED", DENIED_MESSAGE)}';
        }}"""


def _api_location(switches: Switches) -> str:
    """The REST API, unless switched off (then the web UI's 404 answers, as for any page)."""
    if not switches.api_enabled:
        return ""
    return f"location /api/v3 {{ proxy_pass http://front;{_PROXY} }}"


def _server(name: str, body: str) -> str:
    return f"""
    server {{
        listen 127.0.0.1:{FRONT_PORT} ssl;
        server_name {name};
        {body}
        location / {{ {_web_404()} }}
    }}"""


def render(paths: Paths, pki: Pki, switches: Switches, front_port: int, nonce: str) -> str:
    """The whole nginx.conf for these switches; `nonce` tells a reloaded config apart."""

    def registry_if(serves: bool) -> str:
        return _registry_locations(switches) if serves and switches.registry_enabled else ""

    api = _api_location(switches)
    containers = _container_locations() if switches.container_registry else ""
    servers = "".join(
        (
            _server(REGISTRY_HOST, registry_if(switches.subdomain_isolation)),
            _server(HOSTNAME, api + registry_if(not switches.subdomain_isolation)),
            _server(FLAT_HOSTNAME, api + registry_if(True)),
            _server(CONTAINER_HOST, containers),
            plain_server(paths.nginx / "htpasswd", f"127.0.0.1:{FRONT_PORT}"),
        )
    )
    digest_map = _UPLOAD_DIGEST_MAP
    temp = "".join(
        f"\n    {kind}_temp_path {paths.nginx / 'tmp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""# Generated by testbed/nginx.py; rewritten by Testbed.configure().
user root;
daemon off;
worker_processes 2;
pid nginx.pid;
error_log error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log access.log;
    default_type application/octet-stream;
    server_tokens off;{temp}
    ssl_certificate {pki.cert_file};
    ssl_certificate_key {pki.key_file};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:ssl:1m;
    client_max_body_size 0;
    client_body_timeout 3600s;
    send_timeout 3600s;
    proxy_read_timeout 3600s;
    proxy_send_timeout 3600s;
    upstream backend {{ server 127.0.0.1:{BACKEND_PORT}; keepalive 32; }}
    upstream front {{ server 127.0.0.1:{front_port}; keepalive 16; }}
    upstream containers {{ server 127.0.0.1:{CONTAINER_BACKEND_PORT}; keepalive 16; }}{digest_map}
    server {{
        listen 127.0.0.1:{FRONT_PORT} ssl default_server;
        server_name _;
        location = {PROBE_PATH} {{ default_type text/plain; return 200 '{nonce}'; }}
        location / {{ {_web_404()} }}
    }}{servers}
}}
"""
