"""Both faces share one runner: the command prints results (or one JSON document) on stdout,
the action logs them; a failure is one error line, and with --json one document too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ghpkg.faces import action, cli

REF = ["--hostname", "ghes.example.com", "--subdomain-isolation", "true", "--owner", "octo-org"]
REF += ["--repository", "hello-world", "--image", "app", "--version", "1.0"]
ROOT = Path(__file__).resolve().parents[2]
IMAGE = "docker.ghes.example.com/octo-org/hello-world/app:1.0"


@pytest.fixture(autouse=True)
def no_workflow(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GHPKG_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def test_ref_prints_the_reference_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ref", *REF]) == 0
    assert capsys.readouterr().out.splitlines() == [IMAGE]


def test_json_prints_one_document_and_logs_stay_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["ref", *REF, "--version", "latest", "--json"]) == 0
    out = capsys.readouterr().out
    document = json.loads(out)
    assert document["ok"] is True
    assert document["images"] == [IMAGE, IMAGE.replace(":1.0", ":latest")]
    assert document["operation"] == "ref"
    assert out.count("\n") == 1


def test_the_json_document_names_the_actions_outputs(capsys: pytest.CaptureFixture[str]) -> None:
    declared = yaml.safe_load((ROOT / "action.yml").read_text())["outputs"]
    assert cli.main(["ref", *REF, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    only_some = {"versions", "deleted", "doctor", "migration"}  # the verbs of those names set them
    assert set(declared) - only_some <= set(document)
    assert set(document) - {"operation", "ok", "lines"} <= set(declared)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["ref", *REF, "--image", "App"], "capitals"),
        (["frobnicate"], "has no command 'frobnicate'"),
        (["ref", *REF, "--frobnicate"], "does not take --frobnicate"),
    ],
)
def test_bad_input_with_json_is_exit_2_one_error_line_and_one_document(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([*argv, "--json"]) == 2
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert words in errors[0]
    document = json.loads(captured.out)
    assert (document["ok"], document["exit_code"]) == (False, 2)
    assert document["error"] == errors[0].removeprefix("error: ")


def test_the_action_runs_the_same_runner_and_logs_the_result(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"OPERATION": "ref", "HOSTNAME": "ghes.example.com", "SUBDOMAIN-ISOLATION": "true"}
    env |= {"OWNER": "octo-org", "REPOSITORY": "hello-world", "IMAGE": "app", "VERSION": "1.0"}
    for name, value in env.items():
        monkeypatch.setenv(f"INPUT_{name}", value)
    assert action.main() == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert IMAGE in captured.err.splitlines()


def test_a_bad_action_input_is_exit_2_and_one_error_annotation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INPUT_OPERATION", "frobnicate")
    assert action.main() == 2
    err = capsys.readouterr().err
    assert "::error::operation 'frobnicate' is not known" in err


@pytest.mark.parametrize("as_json", [False, True])
def test_a_run_that_reports_then_fails_shows_its_report_then_one_error_line(
    as_json: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """doctor and migrate raise Unfinished: their checklist or table is out, and exit is 1."""
    import ghpkg.verbs.ref
    from ghpkg.outputs import Result, Unfinished

    def unfinished(*_args: object) -> Result:
        raise Unfinished("2 of 3 checks failed", Result(images=(), lines=("✓ a", "✗ b", "✗ c")))

    monkeypatch.setattr(ghpkg.verbs.ref, "ref", unfinished)
    assert cli.main(["ref", *REF] + (["--json"] if as_json else [])) == 1
    captured = capsys.readouterr()
    assert [line for line in captured.err.splitlines() if line.startswith("error:")] == [
        "error: 2 of 3 checks failed"
    ]
    if not as_json:
        assert captured.out.splitlines() == ["✓ a", "✗ b", "✗ c"]
        return
    document = json.loads(captured.out)  # one document: the report, which says it failed
    assert (document["ok"], document["error"], document["exit_code"]) == (
        False, "2 of 3 checks failed", 1
    )  # fmt: skip
    assert document["lines"] == ["✓ a", "✗ b", "✗ c"]
