"""argv and INPUT_* -> Settings: defaults from the workflow, refusals before any network."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ghpkg import inputs
from ghpkg.errors import UsageError
from ghpkg.secret import Secret

WORKFLOW = {
    "GITHUB_SERVER_URL": "https://GHES.example.com",
    "GITHUB_REPOSITORY": "Octo-Org/Hello-World",
    "GITHUB_ACTOR": "octocat",
    "GITHUB_SHA": "abc123",
}
TOKEN = Secret("ghs_" + "x" * 36)


def settings_from(argv: list[str], env: dict[str, str] | None = None, token: Secret = TOKEN):  # type: ignore[no-untyped-def]
    raw, _args = inputs.parse_cli(argv)
    return inputs.resolve(raw, env if env is not None else WORKFLOW, token)


def test_workflow_defaults_fill_host_owner_repository_and_user() -> None:
    settings = settings_from(["ref", "--image", "hello", "--version", "1.0"])
    assert settings.hostname == "ghes.example.com"
    assert (settings.owner, settings.repository) == ("octo-org", "hello-world")
    assert settings.username == "octocat"
    assert [str(r) for r in settings.references(True)] == [
        "docker.ghes.example.com/octo-org/hello-world/hello:1.0"
    ]


def test_options_override_the_workflow() -> None:
    settings = settings_from(
        [
            "ref",
            "--hostname",
            "other.example.com:8443",
            "--owner",
            "Me",
            "--repository",
            "R",
            "--image",
            "x",
            "--version",
            "1",
            "--version",
            "2",
            "--subdomain-isolation",
            "false",
        ]
    )
    assert [str(r) for r in settings.references(False)] == [
        "other.example.com:8443/me/r/x:1",
        "other.example.com:8443/me/r/x:2",
    ]


def test_action_inputs_use_githubs_variable_names() -> None:
    env = dict(WORKFLOW)
    env.update(
        {
            "INPUT_OPERATION": "ref",
            "INPUT_IMAGE": "hello",
            "INPUT_VERSION": "1.0\nlatest, 1.0",
            "INPUT_SUBDOMAIN-ISOLATION": "false",
            "INPUT_BUILD-ARGS": "A=1\nB=two=2",
            "INPUT_LABELS": "team=platform",
        }
    )
    settings = inputs.resolve(inputs.parse_action(env), env, TOKEN)
    assert settings.versions == ("1.0", "latest")
    assert settings.isolation is False
    assert settings.build_args == (("A", "1"), ("B", "two=2"))
    assert settings.labels == (("team", "platform"),)


def test_token_comes_from_stdin_before_the_environment() -> None:
    env = {"GHPKG_TOKEN": "ghp_env", "GITHUB_TOKEN": "ghs_env"}
    assert inputs.token_from(env, io.StringIO("ghp_stdin\n")).reveal() == "ghp_stdin"
    assert inputs.token_from(env, None).reveal() == "ghp_env"
    assert inputs.token_from({"GITHUB_TOKEN": "ghs_env"}, None).reveal() == "ghs_env"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["ref", "--image", "hello"], "no version given"),
        (
            ["ref", "--image", "hello", "--version", "1", "--subdomain-isolation", "maybe"],
            "use true, false or auto",
        ),
        (
            ["push", "--image", "hello", "--version", "1", "--transport", "ftp"],
            "transport 'ftp' is not known",
        ),
        (["push", "--image", "hello", "--version", "1", "--retries", "many"], "retries"),
        (
            ["pull", "--image", "hello", "--version", "1", "--version", "2"],
            "pull takes one version",
        ),
        (["push", "--image", "hello", "--version", "1", "--build-arg", "NOVALUE"], "not KEY=VALUE"),
        (
            ["push", "--image", "hello", "--version", "1", "--ca-file", "/nonexistent.pem"],
            "does not exist",
        ),
        (
            ["push", "--image", "hello", "--version", "1", "--context", "/nonexistent"],
            "is not a directory",
        ),
        (["push", "--image", "hello", "--version", "1", "--unknown"], "unrecognized arguments"),
    ],
)
def test_bad_input_is_a_usage_error(argv: list[str], words: str) -> None:
    with pytest.raises(UsageError, match=words) as caught:
        settings_from(argv)
    assert caught.value.exit_code == 2


def test_missing_dockerfile_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"Dockerfile .* does not exist"):
        settings_from(["push", "--image", "a", "--version", "1", "--context", str(tmp_path)])


def test_source_image_needs_no_context() -> None:
    settings = settings_from(
        ["push", "--image", "a", "--version", "1", "--context", "/nonexistent", "--source", "abc"]
    )
    assert settings.source == "abc"


def test_github_token_for_another_repository_is_refused() -> None:
    with pytest.raises(UsageError, match="classic PAT with read:packages"):
        settings_from(
            ["pull", "--owner", "other", "--repository", "r", "--image", "a", "--version", "1"]
        )


def test_fine_grained_token_is_refused() -> None:
    with pytest.raises(UsageError, match="fine-grained"):
        settings_from(
            ["pull", "--image", "a", "--version", "1"], token=Secret("github_pat_" + "a" * 70)
        )


def test_settings_never_show_the_token() -> None:
    settings = settings_from(["ref", "--image", "hello", "--version", "1.0"])
    assert "x" * 36 not in repr(settings)
