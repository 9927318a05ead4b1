"""--listen: a literal loopback address, never a name that is looked up."""

from __future__ import annotations

import pytest

from ghpkg.errors import UsageError
from ghpkg.shim.listen import parse_listen


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:5050", ("127.0.0.1", 5050)),
        ("127.0.0.2:0", ("127.0.0.2", 0)),
        ("localhost:80", ("127.0.0.1", 80)),
        ("[::1]:5050", ("::1", 5050)),
    ],
)
def test_loopback_addresses_are_taken(value: str, expected: tuple[str, int]) -> None:
    assert parse_listen(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "127.0.0.1.nip.io:5050",
        "127.attacker.example:5050",
        "0.0.0.0:5050",
        "10.0.0.1:5050",
        "[::]:5050",
        "[::ffff:127.0.0.1]:5050",
    ],
)
def test_anything_but_a_literal_loopback_address_is_refused(value: str) -> None:
    with pytest.raises(UsageError, match="is not a loopback address"):
        parse_listen(value)


@pytest.mark.parametrize("value", ["127.0.0.1", "127.0.0.1:http", "::1:5050", "1.2:70000"])
def test_what_is_not_host_port_is_refused(value: str) -> None:
    with pytest.raises(UsageError, match="is not HOST:PORT"):
        parse_listen(value)
