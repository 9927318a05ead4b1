"""The engine matrix itself: each engine builds and runs an offline image and is what it claims."""

from __future__ import annotations

import pytest

from testbed.images import build_hello, build_layers
from testbed.pytest_engines import EngineUnderTest, selected_engines

pytestmark = pytest.mark.integration

SNAPSHOTTER = ["driver-type", "io.containerd.snapshotter.v1"]


def test_hello_image_runs_offline(engine: EngineUnderTest) -> None:
    """build_hello gives an image whose container prints the greeting with no network."""
    tag = f"ghpkg-testbed/hello:{engine.name}"
    greeting = f"hello from engine {engine.name}"
    image_id = build_hello(engine.client, tag, greeting)
    try:
        assert engine.client.images.get(tag).id == image_id
        printed = engine.client.containers.run(tag, network_mode="none", remove=True)
        assert isinstance(printed, bytes)
        assert printed.decode().strip() == greeting
    finally:
        engine.client.images.remove(tag, force=True)


def test_server_version_matches_matrix_name(engine: EngineUnderTest) -> None:
    """The engine reports the Docker version its matrix name promises."""
    version = str(engine.client.version()["Version"])
    assert version == engine.version
    assert version.startswith(engine.name.split("-")[0] + ".")


def test_only_the_containerd_engine_uses_the_containerd_image_store(
    engine: EngineUnderTest,
) -> None:
    """28.5-containerd stores images in containerd's snapshotter (as Docker 29); others do not."""
    info = engine.client.info()
    uses_snapshotter = SNAPSHOTTER in info["DriverStatus"]
    assert uses_snapshotter == engine.name.endswith("-containerd")
    assert (info["Driver"] == "overlayfs") == uses_snapshotter


def test_build_layers_one_layer_per_entry(engine: EngineUnderTest) -> None:
    """build_layers makes one filesystem layer per (kind, size), same digests for the same seed."""
    tag = f"ghpkg-testbed/layers:{engine.name}"
    layers = [("random", 300_000), ("text", 200_000), ("random", 0)]
    first = build_layers(engine.client, tag, layers, seed=7)
    try:
        diff_ids = engine.client.images.get(first).attrs["RootFS"]["Layers"]
        assert len(diff_ids) == len(layers)
        again = build_layers(engine.client, tag, layers, seed=7)
        assert engine.client.images.get(again).attrs["RootFS"]["Layers"] == diff_ids
        other = build_layers(engine.client, tag, layers, seed=8)
        assert engine.client.images.get(other).attrs["RootFS"]["Layers"][:2] != diff_ids[:2]
    finally:
        engine.client.images.remove(tag, force=True)


def test_selected_engines_parses_the_environment_value() -> None:
    """GHPKG_ENGINES: comma list, 'all', default 20.10; unknown names are a usage error."""
    assert selected_engines("") == ["20.10"]
    assert selected_engines("26.1, 28.5") == ["26.1", "28.5"]
    assert selected_engines("all") == ["20.10", "26.1", "28.5", "28.5-containerd"]
    with pytest.raises(pytest.UsageError):
        selected_engines("27.0")
