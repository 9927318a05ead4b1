"""Fixtures shared by the unit tests that run the registry client against a scripted fake."""

from __future__ import annotations

from collections.abc import Iterator
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
