"""Outside Actions the instance and repository may come from `git remote get-url origin`; when
the flags name all three, git cannot win, and it is not run (a fork saved on every command)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghpkg.faces import defaults
from ghpkg.faces.argv import parse_cli
from ghpkg.faces.workspace_git import GitRemote

NAMED = ["--hostname", "ghes.example.com", "--owner", "octo-org", "--repository", "app"]


@pytest.mark.parametrize(("flags", "asked"), [(NAMED, False), (NAMED[:4], True)])
def test_git_is_asked_only_for_what_the_flags_leave_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, flags: list[str], asked: bool
) -> None:
    calls: list[Path] = []

    def origin(workspace: Path, _env: object) -> GitRemote:
        calls.append(workspace)
        return GitRemote("ghes.example.com", "octo-org", "from-git")

    monkeypatch.setattr(defaults, "origin", origin)
    raw, _args = parse_cli(["ref", "--image", "app", "--version", "1", *flags])
    filled, found = defaults.fill_defaults(raw, {"HOME": str(tmp_path)}, tmp_path)
    assert calls == ([tmp_path] if asked else [])
    assert filled.text("repository") == ("from-git" if asked else "app")
    assert found["owner"].value == "octo-org"
