"""Fixtures shared by the unit tests that run the registry client against a scripted fake."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.unit.registry_fake import Answer, Fake, fake_registry


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One private CA and server certificate for the module's fakes."""
    return tmp_path_factory.mktemp("fake")


@pytest.fixture
def fake(pki_dir: Path) -> Iterator[Fake]:
    """A scripted registry answering 200 {} until a test says otherwise."""
    with fake_registry(pki_dir, lambda _seen: Answer(200, body=b"{}")) as running:
        yield running


@pytest.fixture
def failing_lookups(monkeypatch: pytest.MonkeyPatch) -> Callable[[OSError], list[str]]:
    """Make every DNS lookup fail with the error given; returns the names looked up, in order."""

    def install(error: OSError) -> list[str]:
        lookups: list[str] = []

        def lookup(host: str, *_args: object, **_kwargs: object) -> list[object]:
            lookups.append(host)
            raise error

        monkeypatch.setattr(socket, "getaddrinfo", lookup)
        return lookups

    return install
