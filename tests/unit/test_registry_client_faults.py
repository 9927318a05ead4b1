"""RegistryClient error paths against a scripted HTTPS server: refusals, retries, breaks."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import pytest

from ghpkg.errors import AuthError, RegistryError
from ghpkg.registry import RegistryClient, probe_isolation
from ghpkg.registry.blob_writer import Blob
from ghpkg.secret import Secret
from tests.unit.registry_fake import Answer, Fake, Script, Seen

PAT = Secret("ghp_" + "s" * 36)
GITHUB_TOKEN = Secret("ghs_" + "t" * 36)
UNAUTHORIZED = json.dumps(
    {
        "errors": [
            {
                "code": "UNAUTHORIZED",
                "message": "Your request could not be authenticated by the GitHub Packages "
                "service.",
            }
        ]
    }
).encode()
DATA = bytes(range(256)) * 4096
DIGEST = "sha256:" + hashlib.sha256(DATA).hexdigest()


def _client(
    fake: Fake, token: Secret = PAT, retries: int = 4
) -> tuple[RegistryClient, list[str], list[float]]:
    lines: list[str] = []
    sleeps: list[float] = []
    client = RegistryClient(
        fake.host, "octocat", token, ca_file=fake.ca_file, retries=retries, log=lines.append
    )
    client.http.sleep = sleeps.append
    return client, lines, sleeps


def _json(status: int, body: bytes, **headers: str) -> Answer:
    return Answer(status, {"Content-Type": "application/json", **headers}, body)


def test_every_request_carries_basic_credentials(fake: Fake) -> None:
    client, _lines, _sleeps = _client(fake)
    client.ping()
    expected = "Basic " + base64.b64encode(f"octocat:{PAT.reveal()}".encode()).decode()
    assert fake.seen[0].headers["Authorization"] == expected


def test_401_names_the_token_kind_and_the_scope_and_is_not_retried(fake: Fake) -> None:
    fake.answer(
        lambda _s: _json(
            401, UNAUTHORIZED, **{"WWW-Authenticate": 'Basic realm="GitHub Package Registry"'}
        )
    )
    client, lines, _sleeps = _client(fake)
    with pytest.raises(AuthError) as info:
        client.get_manifest("o/r/img", "1.0")
    text = str(info.value)
    assert info.value.status == 401
    assert "refused the classic personal access token (ghp_) for pull" in text
    assert "Your request could not be authenticated by the GitHub Packages service" in text
    assert "read:packages" in text
    assert len(fake.seen) == 1
    assert lines == []
    assert PAT.reveal() not in text


def test_403_on_a_write_asks_for_write_packages(fake: Fake) -> None:
    fake.answer(
        lambda _s: _json(403, b'{"errors":[{"code":"DENIED","message":"permission_denied"}]}')
    )
    client, _lines, _sleeps = _client(fake)
    with pytest.raises(AuthError, match="write:packages") as info:
        client.put_manifest("o/r/img", "1.0", b"{}", "application/json")
    assert "DENIED: permission_denied" in str(info.value)


def test_403_for_a_github_token_explains_its_binding(fake: Fake) -> None:
    fake.answer(lambda _s: _json(403, b""))
    client, _lines, _sleeps = _client(fake, GITHUB_TOKEN)
    with pytest.raises(AuthError, match=r"GITHUB_TOKEN \(ghs_\).*packages: read"):
        client.get_manifest("o/r/img", "1.0")


def test_5xx_is_retried_with_backoff_and_logged(fake: Fake) -> None:
    answers = iter(
        [
            Answer(503, body=b"busy"),
            Answer(502),
            _json(200, b"{}", **{"Content-Type": "application/json"}),
        ]
    )
    fake.answer(lambda _s: next(answers))
    client, lines, sleeps = _client(fake)
    raw, _media_type = client.get_manifest("o/r/img", "1.0")
    assert raw == b"{}"
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0
    assert 1.0 <= sleeps[1] <= 2.0
    assert [line.split(";")[-1].strip().split(" in ")[0] for line in lines] == [
        "retry 1/4",
        "retry 2/4",
    ]
    assert "HTTP 503 busy" in lines[0]


def test_429_honours_retry_after(fake: Fake) -> None:
    answers = iter([Answer(429, {"Retry-After": "7"}), Answer(200, body=b"{}")])
    fake.answer(lambda _s: next(answers))
    client, _lines, sleeps = _client(fake)
    client.get_manifest("o/r/img", "1.0")
    assert sleeps == [7.0]


def test_retries_are_bounded_and_the_error_is_temporary(fake: Fake) -> None:
    fake.answer(lambda _s: Answer(500, body=b"oops"))
    client, lines, sleeps = _client(fake, retries=2)
    with pytest.raises(RegistryError) as info:
        client.get_manifest("o/r/img", "1.0")
    assert info.value.temporary
    assert info.value.status == 500
    assert len(fake.seen) == 3
    assert len(sleeps) == len(lines) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_never_retried(fake: Fake, status: int) -> None:
    fake.answer(lambda _s: Answer(status))
    client, _lines, sleeps = _client(fake)
    with pytest.raises(RegistryError):
        client.get_manifest("o/r/img", "1.0")
    assert len(fake.seen) == 1
    assert sleeps == []


def test_bearer_challenge_is_answered_with_a_token_exchange(fake: Fake) -> None:
    realm = f"https://{fake.host}/token"

    def script(seen: Seen) -> Answer:
        if seen.path.startswith("/token"):
            assert seen.headers["Authorization"].startswith("Basic ")
            return _json(200, b'{"token":"registry-token"}')
        if seen.headers.get("Authorization") == "Bearer registry-token":
            return Answer(200, {"Content-Type": "application/json"}, b"{}")
        challenge = f'Bearer realm="{realm}",service="reg",scope="repository:o/r/img:pull"'
        return Answer(401, {"WWW-Authenticate": challenge})

    fake.answer(script)
    client, _lines, _sleeps = _client(fake)
    client.get_manifest("o/r/img", "1.0")
    client.get_manifest("o/r/img", "1.1")
    paths = [seen.path for seen in fake.seen]
    assert paths[0] == "/v2/o/r/img/manifests/1.0"
    assert paths[1] == "/token?service=reg&scope=repository%3Ao%2Fr%2Fimg%3Apull"
    assert paths[2:] == ["/v2/o/r/img/manifests/1.0", "/v2/o/r/img/manifests/1.1"]


def test_a_broken_download_resumes_with_range(fake: Fake) -> None:
    def script(seen: Seen) -> Answer:
        wanted = seen.headers.get("Range")
        if wanted:
            start = int(wanted.split("=")[1].rstrip("-"))
            headers = {"Content-Range": f"bytes {start}-{len(DATA) - 1}/{len(DATA)}"}
            return Answer(206, headers, DATA[start:])
        return Answer(200, {}, DATA, break_after=300_000)

    fake.answer(script)
    client, lines, _sleeps = _client(fake)
    assert b"".join(client.open_blob("o/r/img", DIGEST, len(DATA))) == DATA
    assert fake.seen[1].headers["Range"] == "bytes=300000-"
    assert "at byte 300000" in lines[0]


def test_a_broken_download_without_range_support_fails(fake: Fake) -> None:
    fake.answer(lambda _s: Answer(200, {}, DATA, break_after=300_000))
    client, _lines, _sleeps = _client(fake)
    with pytest.raises(RegistryError, match="cannot reach"):
        b"".join(client.open_blob("o/r/img", DIGEST, len(DATA)))


def test_credentials_do_not_follow_a_redirect_to_another_host(fake: Fake) -> None:
    other = fake.host.replace("127.0.0.1", "localhost")

    def script(seen: Seen) -> Answer:
        if seen.path.startswith("/storage"):
            return Answer(200, {}, DATA)
        return Answer(307, {"Location": f"https://{other}/storage/blob?X-Amz-Signature=s"})

    fake.answer(script)
    client, _lines, _sleeps = _client(fake)
    assert b"".join(client.open_blob("o/r/img", DIGEST, len(DATA))) == DATA
    assert "Authorization" in fake.seen[0].headers
    assert "Authorization" not in fake.seen[1].headers


def _upload_script(patch_status: int, stored: dict[str, bytes]) -> Script:
    def script(seen: Seen) -> Answer:
        if seen.method == "POST":
            return Answer(202, {"Location": "/v2/o/r/img/blobs/uploads/u1?_state=abc"})
        if seen.method == "PATCH":
            if patch_status != 202:
                return Answer(patch_status)
            stored["patch"] = seen.body
            return Answer(202, {"Location": "/v2/o/r/img/blobs/uploads/u1?_state=def"})
        if seen.method == "PUT":
            stored["put"] = seen.body
            stored["put_path"] = seen.path.encode()
            return Answer(201)
        if seen.method == "HEAD":
            data = stored.get("patch") or stored.get("put") or b""
            return Answer(200, {"Content-Length": str(len(data))}) if data else Answer(404)
        return Answer(204)

    return script


def test_upload_streams_one_patch_and_puts_the_digest(fake: Fake) -> None:
    stored: dict[str, bytes] = {}
    fake.answer(_upload_script(202, stored))
    client, _lines, _sleeps = _client(fake)
    client.upload_stream("o/r/img", lambda: iter([DATA[:1000], DATA[1000:]]), DIGEST, len(DATA))
    assert stored["patch"] == DATA
    patch = next(seen for seen in fake.seen if seen.method == "PATCH")
    assert patch.headers.get("Transfer-Encoding") == "chunked"
    assert stored["put_path"].decode().endswith(f"_state=def&digest={DIGEST.replace(':', '%3A')}")


def test_refused_patch_falls_back_to_one_put_from_a_file(fake: Fake, tmp_path: Path) -> None:
    stored: dict[str, bytes] = {}
    fake.answer(_upload_script(405, stored))
    client, lines, _sleeps = _client(fake)
    file = tmp_path / "blob"
    file.write_bytes(DATA)
    client.upload_stream("o/r/img", Blob.of_file(file, DIGEST, len(DATA)).opener, DIGEST, len(DATA))
    assert stored["put"] == DATA
    assert any(seen.method == "DELETE" for seen in fake.seen)
    assert "sending blobs in one PUT" in lines[0]
    put = next(seen for seen in fake.seen if seen.method == "PUT")
    assert put.headers["Content-Length"] == str(len(DATA))
    fake.seen.clear()
    client.upload_stream("o/r/img", Blob.of_file(file, DIGEST, len(DATA)).opener, DIGEST, len(DATA))
    assert [seen.method for seen in fake.seen] == ["POST", "PUT", "HEAD"]


def test_upload_that_does_not_stick_is_an_error(fake: Fake) -> None:
    def script(seen: Seen) -> Answer:
        if seen.method == "HEAD":
            return Answer(404)
        if seen.method == "PUT":
            return Answer(201)
        return Answer(202, {"Location": "/v2/o/r/img/blobs/uploads/u1"})

    fake.answer(script)
    client, _lines, _sleeps = _client(fake)
    with pytest.raises(RegistryError, match="did not stick"):
        client.upload_stream("o/r/img", lambda: DATA, DIGEST, len(DATA))


def test_mount_that_starts_an_upload_is_cancelled(fake: Fake) -> None:
    fake.answer(
        lambda seen: (
            Answer(202, {"Location": "/v2/o/r/img/blobs/uploads/u9"})
            if seen.method == "POST"
            else Answer(204)
        )
    )
    client, _lines, _sleeps = _client(fake)
    assert client.mount_blob("o/r/img", DIGEST, "o/r/other") is False
    assert [(seen.method, seen.path) for seen in fake.seen][-1] == (
        "DELETE",
        "/v2/o/r/img/blobs/uploads/u9",
    )
    assert "mount=sha256%3A" in fake.seen[0].path
    assert "from=o%2Fr%2Fother" in fake.seen[0].path


def test_probe_recognises_a_basic_challenge(fake: Fake) -> None:
    fake.answer(
        lambda _s: Answer(401, {"WWW-Authenticate": 'Basic realm="GitHub Package Registry"'})
    )
    lines: list[str] = []
    assert probe_isolation(fake.host, fake.ca_file, log=lines.append) is False
    assert "HTTP 401 asking for Basic credentials" in lines[0]
    assert "Authorization" not in fake.seen[0].headers


def test_probe_retries_a_temporary_answer_in_the_one_line_shape(fake: Fake) -> None:
    basic = Answer(401, {"WWW-Authenticate": 'Basic realm="GitHub Package Registry"'})
    answers = iter([Answer(503), Answer(429, {"Retry-After": "1"}), basic])
    fake.answer(lambda _s: next(answers))
    lines: list[str] = []
    sleeps: list[float] = []
    found = probe_isolation(fake.host, fake.ca_file, log=lines.append, sleep=sleeps.append)
    assert found is False
    assert len(fake.seen) == 3
    assert [line.split(": ")[1].split(";")[0] for line in lines[:2]] == ["HTTP 503", "HTTP 429"]
    assert sleeps[1] == 1.0  # Retry-After
    assert "HTTP 401 asking for Basic credentials" in lines[2]


def test_probe_that_stays_unavailable_reports_the_last_answer(fake: Fake) -> None:
    fake.answer(lambda _s: Answer(503))
    sleeps: list[float] = []
    with pytest.raises(RegistryError, match=r"HTTP 503, not a registry"):
        probe_isolation(fake.host, fake.ca_file, retries=1, sleep=sleeps.append)
    assert len(fake.seen) == 2
    assert len(sleeps) == 1


def test_probe_ignores_a_web_page(fake: Fake) -> None:
    fake.answer(lambda _s: Answer(404, {"Content-Type": "text/html"}, b"<html>Not Found</html>"))
    with pytest.raises(
        RegistryError, match=r"HTTP 404, not a registry\); ask the site administrator"
    ):
        probe_isolation(fake.host, fake.ca_file)


def test_a_web_page_404_points_at_the_registry_layout(fake: Fake) -> None:
    page = b"<!DOCTYPE html><html><head><title>Page not found &middot; GitHub</title></head></html>"
    fake.answer(lambda _s: Answer(404, {"Content-Type": "text/html; charset=utf-8"}, page))
    client, _lines, _sleeps = _client(fake)
    with pytest.raises(RegistryError) as info:
        client.get_manifest("o/r/img", "1.0")
    text = str(info.value)
    assert text.startswith(f"{fake.host} answered with a web page, not the registry API")
    assert "HTTP 404 Page not found · GitHub" in text
    assert "--subdomain-isolation" in text


def test_a_failed_auto_probe_is_diagnosed_from_what_it_saw_without_asking_again(
    fake: Fake,
) -> None:
    """One layout probe: a push whose `auto` found no registry explains why from that probe."""
    import io

    from ghpkg.outputs import Log
    from ghpkg.secret import Secret
    from ghpkg.settings import Package, Remote
    from ghpkg.verbs.connect import login

    fake.answer(lambda _s: Answer(404, {"Content-Type": "text/html"}, b"<html>Not Found</html>"))
    remote = Remote(fake.host, "u", Secret("ghp_" + "x" * 36), ca_file=fake.ca_file)
    names = (Package("o", "r", "img"), ("1",))
    with pytest.raises(RegistryError) as info:
        login(remote, names, Log(stream=io.StringIO()), "push")
    assert str(info.value).startswith("GitHub Packages' Docker registry is not enabled on ")
    assert len(fake.seen) == 1  # docker.HOST does not resolve; HOST was asked once, not twice


def test_a_challenge_for_one_request_does_not_take_push_from_the_uploads_that_share_the_token(
    fake: Fake,
) -> None:
    """A token service as distribution's: DELETE wants `delete`, POST/PATCH/PUT `push`.

    Cancelling a refused mount's session (a DELETE) is challenged for `delete`; the token
    traded for it must still push, or the next streamed PUT (which cannot be sent twice) fails.
    """
    realm = f"https://{fake.host}/token"

    def script(seen: Seen) -> Answer:
        if seen.path.startswith("/token"):
            query = seen.path.partition("?")[2].split("&")
            scopes = [
                unquote(item.partition("=")[2]) for item in query if item.startswith("scope=")
            ]
            return _json(200, json.dumps({"token": " ".join(scopes)}).encode())
        needed = {"GET": "pull", "HEAD": "pull", "DELETE": "delete"}.get(seen.method, "push")
        granted = seen.headers.get("Authorization", "").removeprefix("Bearer ").split()
        if any(s.endswith(":" + needed) or f":{needed}," in s or s.endswith(f",{needed}")
               for s in granted if s.startswith("repository:o/r/img:")):  # fmt: skip
            if seen.method == "POST":
                return Answer(202, {"Location": "/v2/o/r/img/blobs/uploads/u1"})
            return Answer(201 if seen.method == "PUT" else 204)
        scope = f"repository:o/r/img:{'pull,push' if needed == 'push' else needed}"
        return Answer(401, {"WWW-Authenticate": f'Bearer realm="{realm}",scope="{scope}"'})

    fake.answer(script)
    client, _lines, _sleeps = _client(fake)
    location = client.open_upload("o/r/img")
    client.cancel_upload("o/r/img", location)  # challenged for delete: a new token
    digest = "sha256:" + hashlib.sha256(b"layer").hexdigest()
    client.send_upload("o/r/img", location, iter([b"layer"]), digest=digest)  # a stream: once
    assert [seen.method for seen in fake.seen if not seen.path.startswith("/token")][-1] == "PUT"


NO_SUCH_NAME = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
RESOLVER_AWAY = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")


def _unreachable_client(retries: int) -> tuple[RegistryClient, list[str]]:
    lines: list[str] = []
    client = RegistryClient(
        "docker.ghes.invalid", "octocat", PAT, retries=retries, log=lines.append
    )
    client.http.sleep = lambda _s: None
    return client, lines


def test_a_host_that_does_not_resolve_fails_at_once(
    failing_lookups: Callable[[OSError], list[str]],
) -> None:
    """No retry can give a name an address: one lookup, no retry line, one clear error."""
    lookups = failing_lookups(NO_SUCH_NAME)
    client, lines = _unreachable_client(retries=4)
    with pytest.raises(RegistryError) as caught:
        client.ping()
    assert lookups == ["docker.ghes.invalid"]
    assert lines == []
    assert str(caught.value).startswith("docker.ghes.invalid does not resolve")
    assert not caught.value.temporary


def test_a_lookup_that_may_pass_is_retried(
    failing_lookups: Callable[[OSError], list[str]],
) -> None:
    """EAI_AGAIN (no resolver reachable) may pass: it is retried, one line a retry."""
    lookups = failing_lookups(RESOLVER_AWAY)
    client, lines = _unreachable_client(retries=2)
    with pytest.raises(RegistryError):
        client.ping()
    assert len(lookups) == 3
    assert [line.split("; ")[-1].split(" in ")[0] for line in lines] == ["retry 1/2", "retry 2/2"]


def test_a_tag_list_past_its_size_limit_is_refused_not_read_whole(fake: Fake) -> None:
    endless = b'{"tags": ["' + b"a" * (5 << 20) + b'"]}'
    fake.answer(lambda _seen: _json(200, endless))
    client, _lines, _sleeps = _client(fake, retries=0)
    with pytest.raises(RegistryError, match=r"the tag list of .* is larger than"):
        client.tags("o/r/img")
    fake.answer(lambda _seen: _json(200, b'{"tags": ["1.0", 2, "latest"]}'))
    assert client.tags("o/r/img") == ["1.0", "latest"]
