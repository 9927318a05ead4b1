"""The pure parts of pulling: telling whether a local image was built from a given config."""

from __future__ import annotations

from typing import Any

import pytest

from ghpkg.registry_transport.pull import same_config

CONFIG: dict[str, Any] = {
    "architecture": "amd64",
    "os": "linux",
    "created": "2026-11-27T13:36:31.470480700Z",
    "rootfs": {"type": "layers", "diff_ids": ["sha256:aa", "sha256:bb"]},
}
INSPECT: dict[str, Any] = {
    "Id": "sha256:dc64",
    "Architecture": "amd64",
    "Os": "linux",
    "Created": "2026-11-27T13:36:31.4704807Z",
    "RootFS": {"Type": "layers", "Layers": ["sha256:aa", "sha256:bb"]},
}


def test_the_same_config_matches_despite_trailing_zeros() -> None:
    assert same_config(INSPECT, CONFIG)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Created", "2026-11-27T13:36:31.4704808Z"),
        ("Architecture", "arm64"),
        ("Os", "windows"),
        ("RootFS", {"Type": "layers", "Layers": ["sha256:aa"]}),
        ("RootFS", None),
    ],
)
def test_any_difference_is_another_image(field: str, value: object) -> None:
    assert not same_config({**INSPECT, field: value}, CONFIG)
