"""Outputs file and step summary, as GitHub reads them."""

from __future__ import annotations

import io
import json
from pathlib import Path

from ghpkg.doctor_report import Check, DoctorReport, Status
from ghpkg.outputs import (
    Log,
    Result,
    append_outputs,
    append_summary,
    command_data,
    failure_json,
    inert,
)
from ghpkg.retention import PackageVersion
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


def test_network_text_never_becomes_a_workflow_command() -> None:
    stream = io.StringIO()
    log = Log(workflow=True, stream=stream)
    log.info("tag 1.0\r\n::stop-commands::pwned")
    log.info("  ::set-output name=digest::sha256:evil ##[error]x")
    log.warn("a\n::add-mask::x")
    log.error("b\r::endgroup::")
    lines = stream.getvalue().splitlines()
    commands = [line.split("::")[1] for line in lines if line.lstrip().startswith("::")]
    assert commands == ["warning", "error"]
    assert not any("##[" in line for line in lines)
    assert "::warning::a%0A::add-mask::x" in lines
    assert "::error::b%0D::endgroup::" in lines


def test_every_line_of_a_multi_line_token_is_masked() -> None:
    stream = io.StringIO()
    Log(workflow=True, stream=stream).mask("ghp_first\nsecond-half\r\n")
    assert stream.getvalue().splitlines() == ["::add-mask::ghp_first", "::add-mask::second-half"]


def test_the_summary_renders_network_text_as_code_only(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    hostile = "1.0` [click](https://evil.example) | <img src=x>\n| row | injected |"
    append_summary(summary, "versions", Result(images=(), lines=(hostile,)))
    rows = [line for line in summary.read_text().splitlines() if line.startswith("| versions")]
    assert len(rows) == 1
    cell = rows[0].removeprefix("| versions | ").removesuffix(" |")
    assert cell.startswith("`")
    assert cell.endswith("`")
    assert cell.count("`") == 2
    assert "| row |" not in summary.read_text()
    assert "|" not in cell.replace("\\|", "")


def test_the_json_document_holds_the_outputs_with_json_outputs_parsed() -> None:
    """The same names as the action's outputs; JSON outputs are JSON, not strings in strings."""
    version = PackageVersion(1, ("1",), "2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z", "1")
    check = Check("engine", Status.FAIL, "no engine ✗")
    result = Result(
        images=("docker.h/o/r/app:1",),
        digest="sha256:" + "a" * 64,
        versions=(version,),
        doctor=DoctorReport("h", (check,), registry="docker.h", subdomain_isolation=False),
        failure="a push would fail",
    )
    document = json.loads(result.as_json("doctor"))
    assert document["operation"] == "doctor"
    assert document["images"] == ["docker.h/o/r/app:1"]
    assert document["image"] == "docker.h/o/r/app:1"
    assert document["digest"] == "sha256:" + "a" * 64
    assert document["versions"] == [version.as_json()]
    assert document["doctor"] == {
        "ok": False,
        "hostname": "h",
        "registry": "docker.h",
        "subdomain_isolation": False,
        "checks": [{"name": "engine", "status": "fail", "text": "no engine ✗"}],
    }
    assert result.outputs()["doctor"].endswith('"text":"no engine ✗"}]}')  # as written, not \\u
    assert (document["ok"], document["error"], document["exit_code"]) == (
        False,
        "a push would fail",
        1,
    )
    assert "deleted" not in document
    assert "\n" not in result.as_json("doctor")


def test_a_failure_document_says_the_error_and_the_exit_code() -> None:
    assert json.loads(failure_json("push", "bad: why; fix", 2)) == {
        "operation": "push",
        "ok": False,
        "error": "bad: why; fix",
        "exit_code": 2,
    }


def test_control_characters_from_the_network_never_reach_the_terminal() -> None:
    hostile = "tag\x1b]8;;https://evil.example\x07click\x1b[2J\x08\x9b31m\tend"
    shown = inert(hostile)
    assert shown == "tag\\x1b]8;;https://evil.example\\x07click\\x1b[2J\\x08\\x9b31m\tend"
    assert "\x1b" not in command_data(hostile)
    assert inert("two\nlines") == "two\nlines"
