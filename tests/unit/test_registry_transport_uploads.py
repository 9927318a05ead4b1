"""GitHub's size rules before any upload, printed as GitHub states them."""

from __future__ import annotations

import pytest

from ghpkg.errors import GhpkgError
from ghpkg.registry_transport.spool import LayerBlob
from ghpkg.registry_transport.uploads import DEFAULT_LIMITS, check_sizes


def _layer(size: int, hex_digit: str = "a") -> LayerBlob:
    return LayerBlob("layer.tar", "sha256:" + hex_digit * 64, size, None, None, None)


def test_the_layer_limit_reads_as_github_states_it() -> None:
    """GitHub writes "5 GB"; the layer's own size is in the same decimal units."""
    with pytest.raises(GhpkgError) as caught:
        check_sizes([_layer(6_000_000_000)], 1000, DEFAULT_LIMITS, print)
    assert "is 6.0 GB compressed" in str(caught.value)
    assert "accepts layers of at most 5 GB (compressed)" in str(caught.value)


def test_the_image_warning_reads_as_github_states_it() -> None:
    lines: list[str] = []
    check_sizes(
        [_layer(4_000_000_000, digit) for digit in "abc"], 1000, DEFAULT_LIMITS, lines.append
    )
    assert lines == [
        "warning: the image is 12.0 GB compressed; GitHub Packages' Docker registry gives "
        "images over 10 GB degraded service"
    ]
