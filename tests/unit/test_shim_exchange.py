"""Who the shim answers: its login only, by its own name only, never a browser; a silent
connection is dropped; past the connection cap, new ones are closed."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests

from ghpkg.registry import RegistryClient
from ghpkg.secret import Secret
from ghpkg.shim import exchange
from ghpkg.shim.scope import Login, Reach
from ghpkg.shim.server import Shim
from tests.unit.registry_fake import Answer, Fake


@pytest.fixture
def shim(fake: Fake) -> Iterator[Shim]:
    registry = RegistryClient(fake.host, "octocat", Secret("ghp_x"), ca_file=fake.ca_file)
    scope = Reach(writable=False, owners=frozenset({"octo-org"}), images=frozenset({"app"}))
    with Shim(registry, scope=scope) as running:
        yield running


def login_of(shim: Shim) -> tuple[str, str]:
    return shim.login.username, shim.login.password.reveal()


def test_a_client_without_the_login_is_asked_for_it_and_never_reaches_the_registry(
    shim: Shim, fake: Fake
) -> None:
    base = f"http://{shim.address}"
    for auth in (None, ("ghpkg", "wrong"), ("octocat", "ghp_x")):
        answer = requests.get(f"{base}/v2/octo-org/repo/app/manifests/1.0", auth=auth, timeout=10)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == 'Basic realm="ghpkg"'
    posted = requests.post(f"{base}/v2/octo-org/repo/app/blobs/uploads/", data=b"x", timeout=10)
    assert posted.status_code == 401
    assert fake.seen == []
    assert requests.get(f"{base}/v2/", auth=login_of(shim), timeout=10).status_code == 200
    assert shim.activity.refused == 4


def test_the_login_works_under_the_name_localhost_too(shim: Shim) -> None:
    port = shim.address.rsplit(":", 1)[1]
    answer = requests.get(f"http://localhost:{port}/v2/", auth=login_of(shim), timeout=10)
    assert answer.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "attacker.example:5050"},
        {"Host": "127.0.0.1.nip.io"},
        {"Origin": "https://attacker.example"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
    ids=["rebound-host", "nip-io", "origin", "sec-fetch-site"],
)
def test_a_foreign_host_or_a_browser_is_refused_even_with_the_login(
    shim: Shim, headers: dict[str, str]
) -> None:
    answer = requests.get(
        f"http://{shim.address}/v2/", auth=login_of(shim), headers=headers, timeout=10
    )
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["code"] == "DENIED"


def test_the_owner_and_image_allowlists_narrow_what_is_served(shim: Shim, fake: Fake) -> None:
    fake.answer(lambda _seen: Answer(404, body=b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}'))
    base = f"http://{shim.address}/v2"
    auth = login_of(shim)
    other_owner = requests.get(f"{base}/octocat/repo/app/manifests/1", auth=auth, timeout=10)
    other_image = requests.get(f"{base}/octo-org/repo/db/manifests/1", auth=auth, timeout=10)
    served = requests.get(f"{base}/octo-org/repo/app/manifests/1", auth=auth, timeout=10)
    assert (other_owner.status_code, other_image.status_code) == (403, 403)
    assert "not of an owner this shim serves (octo-org)" in other_owner.text
    assert "not an image this shim serves (app)" in other_image.text
    assert served.status_code == 404  # asked upstream, which has no such tag
    assert [seen.path for seen in fake.seen] == ["/v2/octo-org/repo/app/manifests/1"]


def test_a_login_is_random_and_compared_whole() -> None:
    first, second = Login.random(), Login.random()
    assert first.password != second.password
    assert len(first.password.reveal()) >= 40
    assert not first.accepts("Bearer " + first.password.reveal())
    assert not first.accepts("Basic !!!")
    assert "***" in repr(first)


def test_a_silent_connection_is_dropped(shim: Shim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exchange.Exchange, "timeout", 0.3)
    host, port = shim.address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as silent:
        silent.sendall(b"GET /v2/ HTTP/1.1\r\n")  # and never the rest
        assert silent.recv(100) == b""  # closed by the shim, not by the 30 s of this test


def test_connections_past_the_cap_are_closed_at_once(
    shim: Shim, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, port = shim.address.rsplit(":", 1)
    held = [socket.create_connection((host, int(port)), timeout=30) for _ in range(3)]
    try:
        for connection in held:  # each served: the shim answers the first request
            connection.sendall(f"GET /v2/ HTTP/1.1\r\nHost: {shim.address}\r\n\r\n".encode())
            assert connection.recv(12) == b"HTTP/1.1 401"
        server = shim._server
        for _ in range(exchange.MAX_CONNECTIONS - 3):
            assert server._connections.acquire(blocking=False)
        with socket.create_connection((host, int(port)), timeout=30) as extra:
            extra.sendall(f"GET /v2/ HTTP/1.1\r\nHost: {shim.address}\r\n\r\n".encode())
            assert extra.recv(100) == b""
    finally:
        for connection in held:
            connection.close()
