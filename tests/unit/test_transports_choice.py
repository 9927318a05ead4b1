"""Which transport a push or pull takes (ghpkg.transports.choice)."""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path

import pytest

from ghpkg.engine import EngineInfo
from ghpkg.errors import EngineError
from ghpkg.registry import RegistryClient
from ghpkg.registry.credentials import Challenge
from ghpkg.secret import Secret
from ghpkg.settings import Transport
from ghpkg.transports.choice import Straight, choose, shares_network, straight


@pytest.mark.parametrize(
    ("version", "containerd", "verb", "chosen"),
    [
        ("20.10.24", False, "push", "registry"),
        ("20.10.24", False, "pull", "engine"),
        ("26.1.5", False, "push", "registry"),
        ("26.1.5", False, "pull", "engine"),
        ("28.5.2", False, "push", "engine"),
        ("28.5.2", False, "pull", "engine"),
        ("28.5.2", True, "push", "engine"),
        ("20.10.24", True, "pull", "engine"),
    ],
)
def test_auto_takes_the_faster_transport_on_each_engine(
    version: str, containerd: bool, verb: str, chosen: str
) -> None:
    assert (
        choose(Transport.AUTO, verb, EngineInfo(version, "1.41", containerd), "").transport
        == chosen
    )


@pytest.mark.parametrize("requested", ["engine", "registry"])
def test_an_explicit_transport_is_taken_as_asked(requested: str) -> None:
    chosen = choose(Transport(requested), "push", EngineInfo("20.10.24", "1.41", False), "")
    assert (chosen.transport, chosen.why) == (requested, "as asked")


def test_auto_falls_back_to_the_registry_transport_when_the_engine_is_out_of_reach() -> None:
    chosen = choose(
        Transport.AUTO, "push", EngineInfo("28.5.2", "1.51", True), "ghpkg runs in a container"
    )
    assert chosen.transport == "registry"
    assert "cannot reach ghpkg's loopback registry: ghpkg runs in a container" in chosen.why


def test_the_engine_transport_out_of_reach_is_an_error_that_names_the_way_out() -> None:
    with pytest.raises(EngineError) as refused:
        choose(Transport.ENGINE, "pull", EngineInfo("28.5.2", "1.51", False), "a remote engine")
    assert str(refused.value) == (
        "the engine cannot reach ghpkg's loopback registry: a remote engine; "
        "use --transport registry (or auto), which needs no engine network"
    )


class Answering(RegistryClient):
    """A registry client whose registry asks a client without credentials for `asked`."""

    def __init__(self, asked: Challenge) -> None:
        super().__init__("docker.ghes.test", "octocat", Secret("ghp_x"))
        self.asked = asked
        self.questions = 0

    def challenge(self) -> Challenge:
        self.questions += 1
        return self.asked


CLASSIC = EngineInfo("28.5.2", "1.51", containerd_store=False)


def test_only_the_classic_store_pushes_straight_to_a_basic_registry_it_trusts() -> None:
    basic = Answering(Challenge("basic"))
    assert straight(CLASSIC, basic, None) == Straight(True)  # the system's roots verify it
    containerd = EngineInfo("28.5.2", "1.51", containerd_store=True)
    assert straight(containerd, basic, None) == Straight(False)  # it pushes OCI: the shim's
    assert basic.questions == 1  # the registry is asked only where the rest allows straight


@pytest.mark.parametrize(
    ("asked", "why"),
    [
        (
            Challenge("bearer", "https://ghes.test/token"),  # even on the instance's own host
            "it names a token service, https://ghes.test/token, where the engine would send "
            "the token",
        ),
        (Challenge(""), "its /v2/ answers a client without credentials with no Basic challenge"),
    ],
)
def test_a_registry_that_would_send_the_engine_elsewhere_keeps_the_push_on_the_shim(
    asked: Challenge, why: str
) -> None:
    assert straight(CLASSIC, Answering(asked), None) == Straight(False, why)


def test_an_engine_socket_not_served_by_a_dockerd_here_leaves_the_reach_in_doubt() -> None:
    """A proxy listening in the engine's stead (here, this test), TCP, no socket: probe."""
    with tempfile.TemporaryDirectory() as directory:  # short: a socket path has 107 bytes
        path = Path(directory) / "docker.sock"
        with socket.socket(socket.AF_UNIX) as listening:
            listening.bind(str(path))
            listening.listen()
            assert not shares_network(f"unix://{path}")
        assert not shares_network(f"unix://{Path(directory) / 'none.sock'}")
    assert not shares_network("tcp://127.0.0.1:2375")
