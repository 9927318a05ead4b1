"""The action face: an operation of another of ghpkg's actions is one error line, exit 2."""

from __future__ import annotations

import pytest

from ghpkg.faces import action


def test_the_root_action_refuses_delete_naming_the_delete_action(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GHPKG_ACTION", "ghpkg")
    monkeypatch.setenv("INPUT_OPERATION", "delete")
    monkeypatch.setenv("INPUT_IMAGE", "app")
    monkeypatch.setenv("INPUT_KEEP", "3")
    assert action.main() == 2
    captured = capsys.readouterr()
    message = (
        "operation delete is not one of the ghpkg action's (push, pull, ref, join): each job "
        "has its own action, and delete is ghpkg/delete's; use OWNER/ghpkg/delete@VERSION with "
        "that job's inputs (delete/action.yml)"
    )
    lines = captured.err.splitlines()
    assert f"::error::{message}" in lines  # the workflow command; `error:` too where a log is
    assert set(lines) <= {f"::error::{message}", f"error: {message}"}
