"""Outputs file and step summary, as GitHub reads them."""

from __future__ import annotations

import io
from pathlib import Path

from ghpkg.outputs import Log, Result, append_outputs, append_summary
from tests.helpers import read_outputs


def test_outputs_round_trip_including_multi_line_values(tmp_path: Path) -> None:
    result = Result(
        images=("r/o/p/i:1", "r/o/p/i:2"),
        digest="sha256:" + "a" * 64,
        image_id="sha256:" + "b" * 64,
        registry="r",
        package_url="https://h/o/p/packages",
    )
    out = tmp_path / "out"
    append_outputs(out, result.outputs())
    assert read_outputs(out) == {
        "image": "r/o/p/i:1",
        "images": "r/o/p/i:1\nr/o/p/i:2",
        "digest": "sha256:" + "a" * 64,
        "image-id": "sha256:" + "b" * 64,
        "registry": "r",
        "package-url": "https://h/o/p/packages",
    }


def test_summary_is_a_markdown_table(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    append_summary(summary, "push", Result(images=("r/o/p/i:1",), digest="sha256:1"))
    text = summary.read_text()
    assert "### ghpkg push" in text
    assert "| image | `r/o/p/i:1` |" in text


def test_workflow_log_uses_commands() -> None:
    stream = io.StringIO()
    log = Log(workflow=True, stream=stream)
    log.mask("ghp_secret")
    with log.group("Build"):
        log.info("step")
    log.error("it broke")
    assert stream.getvalue().splitlines() == [
        "::add-mask::ghp_secret",
        "::group::Build",
        "step",
        "::endgroup::",
        "::error::it broke",
        "error: it broke",
    ]
