"""The registry client's pure helpers: error bodies, redaction, backoff, challenges."""

from __future__ import annotations

import io

import pytest
import requests

from ghpkg.errors import RegistryError
from ghpkg.registry.answers import (
    bounded,
    capped,
    connection_cause,
    error_codes_and_message,
    parse_challenge,
    redact_text,
    redact_url,
    transport_error,
)


def test_redact_url_drops_credentials_and_query() -> None:
    url = "https://user:ghp_secret@storage.example:8443/blob/x?X-Amz-Signature=abc#frag"
    assert redact_url(url) == "https://storage.example:8443/blob/x?…"


def test_redact_url_keeps_a_plain_url() -> None:
    assert redact_url("https://docker.ghes.test/v2/") == "https://docker.ghes.test/v2/"


def test_redact_text_masks_urls_and_secrets() -> None:
    text = "failed https://u:p@h/x?sig=1 with token=ghp_abc and Authorization: Basic dXNlcg=="
    redacted = redact_text(text)
    assert "sig=1" not in redacted
    assert "u:p@" not in redacted
    assert "ghp_abc" not in redacted
    assert "dXNlcg" not in redacted


def test_spec_error_body() -> None:
    body = (
        b'{"errors":[{"code":"UNAUTHORIZED","message":"Your request could not be '
        b'authenticated","detail":null}]}'
    )
    codes, message = error_codes_and_message(body, "application/json")
    assert codes == ("UNAUTHORIZED",)
    assert message == "UNAUTHORIZED: Your request could not be authenticated"


def test_several_spec_errors_and_short_detail() -> None:
    body = (
        b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":'
        b'{"Tag":"1.0"}},{"code":"name_unknown","message":"x"}]}'
    )
    codes, message = error_codes_and_message(body, "application/json; charset=utf-8")
    assert codes == ("MANIFEST_UNKNOWN", "NAME_UNKNOWN")
    assert "MANIFEST_UNKNOWN: manifest unknown ({'Tag': '1.0'})" in message
    assert "NAME_UNKNOWN: x" in message


def test_html_error_page_gives_its_title() -> None:
    body = b"<html><head><title>502 Bad Gateway</title></head><body><h1>x</h1></body></html>"
    assert error_codes_and_message(body, "text/html") == ((), "502 Bad Gateway")


def test_plain_and_empty_bodies() -> None:
    assert error_codes_and_message(b"unauthorized: bad token\n", "text/plain") == (
        (),
        "unauthorized: bad token",
    )
    assert error_codes_and_message(b"", "") == ((), "")
    assert error_codes_and_message(b'{"message":"Bad credentials"}', "application/json") == (
        (),
        "Bad credentials",
    )


def test_long_messages_are_cut_to_one_line() -> None:
    codes, message = error_codes_and_message(b"x\n" * 1000, "text/plain")
    assert codes == ()
    assert "\n" not in message
    assert len(message) <= 300


def test_parse_challenge() -> None:
    scheme, params = parse_challenge(
        'Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"'
    )
    assert scheme == "bearer"
    assert params == {
        "realm": "https://auth.example/token",
        "service": "registry",
        "scope": "repository:a/b:pull",
    }
    assert parse_challenge('Basic realm="GitHub Package Registry"') == (
        "basic",
        {"realm": "GitHub Package Registry"},
    )


def test_connection_causes() -> None:
    refused = requests.ConnectionError(
        "HTTPSConnectionPool(host='h', port=443): Max retries exceeded with url: /v2/?x=1 "
        "(Caused by NewConnectionError('<obj>: Failed to establish a new connection: "
        "[Errno 111] Connection refused'))"
    )
    assert connection_cause(refused) == "Connection refused"
    assert connection_cause(requests.ReadTimeout("Read timed out. (read timeout=5)")) == (
        "Read timed out"
    )
    assert connection_cause(ValueError("???")) == "ValueError"


def test_untrusted_certificate_is_not_temporary_and_suggests_ca_file() -> None:
    exc = requests.exceptions.SSLError(
        "HTTPSConnectionPool(host='docker.ghes.test', port=443): Max retries exceeded "
        "(Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] "
        "certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)')))"
    )
    error = transport_error("docker.ghes.test", "https://docker.ghes.test/v2/", exc)
    assert not error.temporary
    assert str(error).startswith("TLS certificate of docker.ghes.test is not trusted")
    assert "unable to get local issuer certificate" in str(error)
    assert "--ca-file" in str(error)


def test_refused_connection_is_temporary() -> None:
    error = transport_error(
        "h", "https://h/v2/x?sig=secret", requests.ConnectionError("[Errno 111] Connection refused")
    )
    assert error.temporary
    assert "secret" not in str(error)
    assert str(error).startswith("cannot reach h: Connection refused (https://h/v2/x?…)")


def _answer(body: bytes | None) -> requests.Response:
    """An answer whose body is `body`, or whose read breaks (None)."""

    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise ConnectionResetError(104, "Connection reset by peer")

    response = requests.Response()
    response.raw = io.BytesIO(body) if body is not None else Broken()
    response.url = "https://docker.ghes.test/v2/octo/app/tags/list"
    return response


def test_a_body_past_its_limit_is_refused_in_the_senders_words() -> None:
    assert bounded(_answer(b"x" * 10), 10, "the tag list") == b"x" * 10
    with pytest.raises(RegistryError) as registry:
        bounded(_answer(b"x" * 11), 10, "the tag list")
    assert str(registry.value).startswith("the tag list is larger than 10 bytes")
    assert "the registry sent more than any image needs" in str(registry.value)
    with pytest.raises(RegistryError) as rest:
        capped(_answer(b"x" * 11), 10, "the REST API's answer", "the instance sent more", "fix")
    assert str(rest.value).startswith("the REST API's answer is larger than 10 bytes")
    assert "the instance sent more" in str(rest.value)


def test_a_broken_read_is_the_registrys_transport_error_and_the_rest_apis_own() -> None:
    with pytest.raises(RegistryError, match="Connection reset by peer") as registry:
        bounded(_answer(None), 10, "the tag list")
    assert registry.value.temporary
    with pytest.raises(ConnectionResetError):  # the REST API's callers judge it (advisory)
        capped(_answer(None), 10, "the REST API's answer", "cause", "fix")
