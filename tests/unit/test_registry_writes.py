"""A broken upload starts over in a new session, the old one cancelled; retries never multiply."""

from __future__ import annotations

import hashlib

import pytest

from ghpkg.errors import RegistryError
from ghpkg.registry import RegistryClient
from ghpkg.secret import Secret
from tests.unit.registry_fake import Answer, Fake, Seen

DATA = b"config bytes " * 100
DIGEST = "sha256:" + hashlib.sha256(DATA).hexdigest()
UNAVAILABLE = Answer(503, {"Content-Type": "application/json"}, b'{"errors":[]}')


def _client(fake: Fake, retries: int) -> tuple[RegistryClient, list[str], list[float]]:
    lines: list[str] = []
    sleeps: list[float] = []
    client = RegistryClient(
        fake.host, "octocat", Secret("ghp_" + "s" * 36), ca_file=fake.ca_file, retries=retries,
        log=lines.append,
    )  # fmt: skip
    client.http.sleep = sleeps.append
    return client, lines, sleeps


def test_bytes_whose_patch_fails_are_sent_again_in_a_new_session(fake: Fake) -> None:
    sessions = iter(["u1", "u2"])
    stored: dict[str, bytes] = {}

    def script(seen: Seen) -> Answer:
        if seen.method == "POST":
            return Answer(202, {"Location": f"/v2/o/r/img/blobs/uploads/{next(sessions)}"})
        if seen.method == "PATCH" and "/u1" in seen.path:
            return UNAVAILABLE
        if seen.method == "PATCH":
            stored["data"] = seen.body
            return Answer(202, {"Location": seen.path})
        if seen.method == "PUT":
            return Answer(201)
        if seen.method == "HEAD":
            return Answer(200, {"Content-Length": str(len(stored.get("data", b"")))})
        return Answer(204)

    fake.answer(script)
    client, lines, sleeps = _client(fake, retries=3)
    client.upload_stream("o/r/img", lambda: DATA, DIGEST, len(DATA))
    assert stored["data"] == DATA
    calls = [(seen.method, seen.path.split("?")[0].rsplit("/", 1)[-1]) for seen in fake.seen]
    assert calls[:4] == [("POST", ""), ("PATCH", "u1"), ("DELETE", "u1"), ("POST", "")]
    assert len(sleeps) == 1
    assert "HTTP 503" in lines[0]
    assert "retry 1/3" in lines[0]


def test_a_failing_upload_makes_retries_plus_one_attempts_not_their_square(fake: Fake) -> None:
    fake.answer(lambda seen: UNAVAILABLE if seen.method == "POST" else Answer(204))
    client, _lines, sleeps = _client(fake, retries=2)
    with pytest.raises(RegistryError) as info:
        client.upload_stream("o/r/img", lambda: DATA, DIGEST, len(DATA))
    assert [seen.method for seen in fake.seen] == ["POST", "POST", "POST"]
    assert len(sleeps) == 2
    assert "gave up after 3 attempts" in str(info.value)


def test_retry_after_is_honoured_between_whole_uploads(fake: Fake) -> None:
    busy = Answer(429, {"Retry-After": "7"}, b"")
    fake.answer(lambda seen: busy if seen.method == "POST" else Answer(204))
    client, _lines, sleeps = _client(fake, retries=1)
    with pytest.raises(RegistryError):
        client.upload_stream("o/r/img", lambda: DATA, DIGEST, len(DATA))
    assert sleeps == [7.0]
