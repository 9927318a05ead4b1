"""pytest plugin: the `testbed` session fixture and the `bed` fixture that undoes switch changes."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from testbed.bed import Testbed
from testbed.config import DEFAULT_STATE_DIR


@pytest.fixture(scope="session")
def testbed() -> Iterator[Testbed]:
    """The running test bed; started for the session (and stopped after) if it was not up."""
    bed = Testbed(os.environ.get("GHPKG_TESTBED_DIR") or DEFAULT_STATE_DIR)
    started = bed.start()
    bed.reset()
    yield bed
    if started:
        bed.stop()


@pytest.fixture
def bed(testbed: Testbed) -> Iterator[Testbed]:
    """The session's test bed; switches a test changed are reset after it."""
    yield testbed
    testbed.reset()
