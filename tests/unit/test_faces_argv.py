"""`ghpkg --version`: the versions it reports are the ones importlib.metadata finds."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import pytest

from ghpkg import __version__
from ghpkg.version import LIBRARIES, installed_versions, version_text


def test_each_library_version_is_the_one_importlib_metadata_finds() -> None:
    lines = version_text().splitlines()
    assert lines[0] == f"ghpkg {__version__}"
    for (shown, distribution), line in zip(LIBRARIES, lines[1:], strict=False):
        assert line == f"{shown} {metadata.version(distribution)}"
    assert lines[-1].startswith("Python 3.")


def test_the_first_folder_on_the_path_wins_and_a_missing_library_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    (first / "docker-7.2.0.dist-info").mkdir(parents=True)
    (second / "docker-6.0.0.dist-info").mkdir(parents=True)
    (second / "PyGithub-2.1.0-py3.11.egg-info").mkdir()
    (second / "ghpkg.egg-info").mkdir()  # an editable install's folder: no version in its name
    monkeypatch.setattr(sys, "path", [str(first), str(second), str(tmp_path / "gone")])
    assert installed_versions() == {"docker": "7.2.0", "pygithub": "2.1.0"}
    assert "requests not installed" in version_text().splitlines()
