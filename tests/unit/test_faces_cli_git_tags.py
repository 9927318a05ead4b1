"""Child processes ghpkg starts (git, to list tags) get no token variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TOKEN = "ghp_" + "c" * 36


def test_git_runs_without_the_tokens_variables(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    seen = tmp_path / "git-env"
    fake = bin_dir / "git"
    fake.write_text(f"#!/bin/sh\nenv > {seen}\necho v1.2.3\n")
    fake.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "GHPKG_TOKEN": TOKEN,
        "GITHUB_TOKEN": TOKEN,
        "MY_COPY": f"x{TOKEN}",
        "GITHUB_REF": "refs/tags/v1.2.3",
    }
    done = subprocess.run(
        [sys.executable, "-m", "ghpkg", "ref", "--hostname", "ghes.example.com",
         "--owner", "o", "--repository", "r", "--image", "app"],
        env=env, capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1.2.3" in done.stdout
    assert seen.exists(), "git was not asked for the tags"
    assert TOKEN not in seen.read_text()
