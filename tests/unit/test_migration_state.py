"""migrate's state file: written whole through a temporary file no one can plant in advance."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ghpkg.migration.state import MigrationState


def test_a_link_at_the_state_files_name_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("untouched")
    path = tmp_path / "state.json"
    path.symlink_to(victim)
    for pid in range(os.getpid() - 2, os.getpid() + 3):  # the old, guessable temporary names
        (tmp_path / f".state.json.{pid}.tmp").symlink_to(victim)
    state = MigrationState(path)
    state.record("docker.ghes.test/o/r/i:1.0", "sha256:" + "a" * 64)
    assert victim.read_text() == "untouched"
    assert not path.is_symlink()
    assert json.loads(path.read_text())["done"] == {
        "docker.ghes.test/o/r/i:1.0": "sha256:" + "a" * 64
    }
    assert MigrationState(path).digest("docker.ghes.test/o/r/i:1.0") == "sha256:" + "a" * 64
    left = sorted(p.name for p in tmp_path.iterdir() if not p.is_symlink())
    assert left == ["state.json", "victim"]
