"""The fair baseline: a registry as a company runs its own, with none of GHES's rules.

`plain.ghes.test` is nginx with the bed's TLS certificate and HTTP Basic auth (one user, the
password the bed's `write` token) before the same CNCF registry the bed's Docker registry
stores in, streamed as the bed streams blobs. No digest-GET 404, any media type, no token
rules: `docker login` + `docker push`/`docker pull` work there on every engine (the containerd
store included, once it trusts the bed's CA), which is what a user would run instead of ghpkg.
bench/push_pull.py times them against ghpkg through this front.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from pathlib import Path

from testbed.config import BACKEND_PORT, HOSTNAME

PLAIN_HOST = f"plain.{HOSTNAME}"  # the bed's certificate names *.ghes.test
USER = "octocat"


def write_htpasswd(path: Path, user: str, password: str) -> None:
    """nginx's auth_basic file: USER with PASSWORD salted and hashed ({SSHA}, RFC 2307)."""
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt).digest()  # noqa: S324 - nginx's scheme
    path.write_text(f"{user}:{{SSHA}}{base64.b64encode(digest + salt).decode()}\n")
    path.chmod(0o600)


def server(htpasswd: Path, listen: str) -> str:
    """nginx's server block for the plain front on LISTEN (the bed's TLS port)."""
    return f"""
    server {{
        listen {listen} ssl;
        server_name {PLAIN_HOST};
        location /v2/ {{
            auth_basic "Registry";
            auth_basic_user_file {htpasswd};
            proxy_pass http://127.0.0.1:{BACKEND_PORT};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header Authorization "";
            proxy_request_buffering off;
            proxy_buffering off;
            proxy_buffer_size 1m;
            proxy_buffers 4 1m;
            client_body_buffer_size 1m;
        }}
        location / {{ return 404; }}
    }}"""
