"""serve's login file: 0600, a link planted at its name replaced (not followed), gone at exit;
the lines that say how to log in never hold the password."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ghpkg.shim.scope import Login
from ghpkg.verbs.serve import how_to_log_in, written


def test_the_login_file_is_private_replaces_a_planted_link_and_is_removed(tmp_path: Path) -> None:
    login = Login.random()
    victim = tmp_path / "victim"
    victim.write_text("untouched")
    path = tmp_path / "login.json"
    path.symlink_to(victim)
    with written(login, path) as where:
        assert where == path
        assert not path.is_symlink()
        assert path.stat().st_mode & 0o777 == 0o600
        assert json.loads(path.read_text()) == {
            "username": "ghpkg",
            "password": login.password.reveal(),
        }
    assert victim.read_text() == "untouched"
    assert not path.exists()
    assert os.listdir(tmp_path) == ["victim"]


def test_without_a_path_the_login_goes_to_a_new_private_folder_removed_at_exit() -> None:
    with written(Login.random(), None) as where:
        assert where.parent.stat().st_mode & 0o777 == 0o700
        assert where.stat().st_mode & 0o777 == 0o600
    assert not where.parent.exists()


def test_how_to_log_in_names_the_file_and_never_the_password(tmp_path: Path) -> None:
    login = Login.random()
    lines = how_to_log_in("127.0.0.1:5050", login.username, tmp_path / "login.json")
    text = "\n".join(lines)
    assert login.password.reveal() not in text
    for client in ("docker login", "skopeo", "ctr images pull", "hosts.toml", "CRI"):
        assert client in text
