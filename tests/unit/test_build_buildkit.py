"""BuildKit: the Dockerfile syntax that explains why the legacy builder failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghpkg.build import buildkit


@pytest.mark.parametrize(
    ("dockerfile", "found"),
    [
        ("FROM scratch\nRUN --mount=type=cache,target=/c true\n", "RUN --mount at line 2"),
        ("FROM a\nRUN --network=none --mount=type=secret,id=x true\n", "RUN --network at line 2"),
        ("FROM a\nCOPY --link a b\n", "COPY --link at line 2"),
        ("FROM a\nCOPY <<EOF /x\nhi\nEOF\n", "a heredoc (COPY <<) at line 2"),
        ("FROM a\nRUN <<'END'\necho\nEND\n", "a heredoc (RUN <<) at line 2"),
        ("# syntax=docker/dockerfile:1\nFROM a\n", "a # syntax= directive at line 1"),
        ("FROM a\nRUN echo --mount\nCOPY a b\n", ""),
    ],
)
def test_buildkit_syntax_is_found_to_explain_a_legacy_failure(
    tmp_path: Path, dockerfile: str, found: str
) -> None:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    assert buildkit.buildkit_syntax(tmp_path / "Dockerfile") == found
