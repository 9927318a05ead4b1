"""The engine matrix itself: each engine builds and runs an offline image and is what it claims."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed.engines.debs import _download
from testbed.engines.matrix import DISTS, SPECS, Dist, EngineError
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
    """The engine reports the Docker version its matrix name promises (an unstable suite's
    engine: that version or, once the suite has moved on, its newer one)."""
    version = str(engine.client.version()["Version"])
    assert version == engine.version
    spec = SPECS[engine.name]
    if spec is None:
        assert version.startswith(engine.name + ".")
    else:
        assert DISTS[spec[0]].docker_version == engine.name.split("-")[0]
        assert DISTS[spec[0]].series_ok(version)


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


def test_an_unstable_suite_that_dropped_a_pinned_version_gives_its_current_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """sid drops old versions: a pin it no longer offers falls back to its current package,
    and says so; a stable suite's pin must hold (trixie keeps its series)."""
    gone = ("tini-static=0.0.*",)  # a version sid never had
    debs = _download(Dist("sid", "0.0", gone, moves_on=True), tmp_path / "apt", tmp_path / "a")
    assert [deb.name.split("_")[0] for deb in debs] == ["tini-static"]
    assert "sid no longer offers tini-static=0.0.*" in capsys.readouterr().err
    with pytest.raises(EngineError, match=r"tini-static=0\.0"):
        _download(Dist("trixie", "0.0", gone), tmp_path / "apt2", tmp_path / "b")
