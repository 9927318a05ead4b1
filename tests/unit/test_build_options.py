"""build_options: a build secret's file and environment variable, read from what the face passed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghpkg.build.options import parse_secrets
from ghpkg.errors import UsageError


def test_a_secret_file_under_tilde_is_found_in_the_given_home(tmp_path: Path) -> None:
    (tmp_path / "npmrc").write_text("token")
    (secret,) = parse_secrets(["id=npm,src=~/npmrc"], {"HOME": str(tmp_path)})
    assert secret.src == tmp_path / "npmrc"


def test_a_secret_file_missing_from_the_given_home_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        parse_secrets(["id=npm,src=~/npmrc"], {"HOME": str(tmp_path)})
