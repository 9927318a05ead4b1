"""pytest plugin: the `testbed` session fixture and the `bed` fixture that undoes switch changes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from testbed.bed import Testbed
from testbed.client import BedClient, Pushed
from testbed.config import DEFAULT_STATE_DIR
from testbed.faults import FaultProxy
from testbed.hostile import HostileRegistry


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


@pytest.fixture(scope="session")
def fault_proxy(testbed: Testbed) -> Iterator[FaultProxy]:
    """A fault-injecting HTTPS proxy in front of the bed, for the session (testbed.faults)."""
    proxy = FaultProxy(testbed).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def faults(fault_proxy: FaultProxy, bed: Testbed) -> Iterator[FaultProxy]:
    """The fault proxy with no fault scripted yet; its script is cleared after the test."""
    fault_proxy.script()
    yield fault_proxy
    fault_proxy.script()


@pytest.fixture(scope="session")
def hostile_registry(testbed: Testbed) -> Iterator[HostileRegistry]:
    """A hostile registry double with host names of its own, for the session (testbed.hostile)."""
    double = HostileRegistry(testbed).start()
    yield double
    double.stop()


@pytest.fixture
def hostile(hostile_registry: HostileRegistry) -> Iterator[HostileRegistry]:
    """The hostile double with nothing scripted; its script is cleared after the test."""
    hostile_registry.script()
    yield hostile_registry
    hostile_registry.script()


@pytest.fixture
def bed_client(bed: Testbed) -> BedClient:
    """Plain HTTP against the bed (Basic auth with its named tokens, its CA trusted)."""
    return BedClient(bed)


@pytest.fixture
def fresh_image_name() -> str:
    """A fresh OWNER/REPOSITORY/IMAGE name under octo-org/hello-world."""
    return f"octo-org/hello-world/img-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def tiny_image(bed_client: BedClient, fresh_image_name: str) -> Pushed:
    """A tiny schema-2 image freshly pushed to docker.ghes.test as IMAGE_NAME:1.0."""
    return bed_client.push(fresh_image_name)
