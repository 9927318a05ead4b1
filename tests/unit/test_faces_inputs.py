"""argv and INPUT_* -> the verb's call: defaults from the workflow, refusals before any network."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ghpkg.errors import UsageError
from ghpkg.faces import inputs
from ghpkg.secret import Secret
from ghpkg.settings import EngineAccess, Operation, Registry, Remote, Scope, Transport
from ghpkg.verbs.migrate import MigrateRequest
from ghpkg.verbs.package_versions import DeleteRequest
from ghpkg.verbs.pull import PullRequest
from ghpkg.verbs.push import PushRequest
from tests.unit.fakes import package_of, references_of

WORKFLOW = {
    "GITHUB_SERVER_URL": "https://GHES.example.com",
    "GITHUB_REPOSITORY": "Octo-Org/Hello-World",
    "GITHUB_ACTOR": "octocat",
    "GITHUB_SHA": "abc123",
}
TOKEN = Secret("ghs_" + "x" * 36)


def call_from(
    argv: list[str], env: dict[str, str] | None = None, token: Secret = TOKEN
) -> inputs.Call:
    raw, _args = inputs.parse_cli(argv)
    return inputs.resolve(raw, env if env is not None else WORKFLOW, token)


def test_workflow_defaults_fill_host_owner_repository_and_user() -> None:
    call = call_from(["ref", "--image", "hello", "--version", "1.0"])
    assert call.remote.hostname == "ghes.example.com"
    package = package_of(call)
    assert (package.owner, package.repository) == ("octo-org", "hello-world")
    assert call.remote.username == "octocat"
    assert [str(r) for r in references_of(call, True)] == [
        "docker.ghes.example.com/octo-org/hello-world/hello:1.0"
    ]


def test_options_override_the_workflow() -> None:
    call = call_from(
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
    assert [str(r) for r in references_of(call, False)] == [
        "other.example.com:8443/me/r/x:1",
        "other.example.com:8443/me/r/x:2",
    ]


def test_action_inputs_use_githubs_variable_names() -> None:
    env = dict(WORKFLOW)
    env.update(
        {
            "INPUT_OPERATION": "push",
            "INPUT_SOURCE": "hello:local",
            "INPUT_IMAGE": "hello",
            "INPUT_VERSION": "1.0\nlatest, 1.0",
            "INPUT_SUBDOMAIN-ISOLATION": "false",
            "INPUT_BUILD-ARGS": "A=1\nB=two=2",
            "INPUT_LABELS": "team=platform",
        }
    )
    call = inputs.resolve(inputs.parse_action(env), env, TOKEN)
    assert isinstance(call.request, PushRequest)
    assert call.request.versions == ("1.0", "latest")
    assert call.remote.isolation is False
    assert call.request.build.build_args == (("A", "1"), ("B", "two=2"))
    assert call.request.build.labels == (("team", "platform"),)


def test_token_comes_from_stdin_before_the_environment() -> None:
    env = {"GHPKG_TOKEN": "ghp_env", "GITHUB_TOKEN": "ghs_env"}
    assert inputs.token_from(env, io.StringIO("ghp_stdin\n")).reveal() == "ghp_stdin"
    assert inputs.token_from(env, None).reveal() == "ghp_env"
    actions = {"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://ghes.example.com"}
    assert inputs.token_from({"GITHUB_TOKEN": "ghs_env"} | actions, None).reveal() == "ghs_env"


def test_github_token_is_read_only_in_actions_for_the_workflow_s_own_instance() -> None:
    """On a laptop GITHUB_TOKEN is usually a github.com token: it never goes to a GHES host."""
    actions = {"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://ghes.example.com"}
    token = {"GITHUB_TOKEN": "ghs_env", "PATH": ""}
    assert not inputs.token_from(token, None, "ghes.example.com")
    assert inputs.token_from(token | actions, None, "ghes.example.com").reveal() == "ghs_env"
    assert not inputs.token_from(token | actions, None, "other.example.com")
    enterprise = token | actions | {"GITHUB_ENTERPRISE_TOKEN": "ghp_e"}
    assert inputs.token_from(enterprise, None, "other.example.com").reveal() == "ghp_e"


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
        (["push", "--image", "hello", "--version", "1", "--unknown"], "does not take --unknown"),
    ],
)
def test_bad_input_is_a_usage_error(argv: list[str], words: str) -> None:
    with pytest.raises(UsageError, match=words) as caught:
        call_from(argv)
    assert caught.value.exit_code == 2


def test_missing_dockerfile_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"Dockerfile .* does not exist"):
        call_from(["push", "--image", "a", "--version", "1", "--context", str(tmp_path)])


def test_source_image_needs_no_context() -> None:
    call = call_from(
        ["push", "--image", "a", "--version", "1", "--context", "/nonexistent", "--source", "abc"]
    )
    assert isinstance(call.request, PushRequest)
    assert call.request.source == "abc"


def test_github_token_for_another_repository_is_refused() -> None:
    with pytest.raises(UsageError, match="classic PAT with read:packages"):
        call_from(
            ["pull", "--owner", "other", "--repository", "r", "--image", "a", "--version", "1"]
        )


def test_fine_grained_token_is_refused() -> None:
    with pytest.raises(UsageError, match="fine-grained"):
        call_from(
            ["pull", "--image", "a", "--version", "1"], token=Secret("github_pat_" + "a" * 70)
        )


def test_the_call_never_shows_the_token() -> None:
    call = call_from(["ref", "--image", "hello", "--version", "1.0"])
    assert "x" * 36 not in repr(call)


TAG_REF = {**WORKFLOW, "GITHUB_REF": "refs/tags/v1.2.3", "GITHUB_SHA": "0123456" + "0" * 33}


def test_push_without_a_version_takes_the_tags_of_the_git_ref() -> None:
    call = call_from(["push", "--image", "a", "--source", "abc"], TAG_REF)
    assert [str(r.version) for r in references_of(call, True)] == ["1.2.3", "1.2", "1", "latest"]
    assert call.version_note == ("no version given; from refs/tags/v1.2.3: 1.2.3, 1.2, 1, latest")


def test_latest_waits_for_the_highest_release_among_the_git_tags() -> None:
    raw, _args = inputs.parse_cli(["ref", "--image", "a"])
    call = inputs.resolve(raw, TAG_REF, TOKEN, lambda: ["v1.2.3", "v1.10.0"])
    assert [r.version for r in references_of(call, True)] == ["1.2.3", "1.2", "1"]


def test_a_given_version_wins_and_sha_tag_adds_to_it() -> None:
    call = call_from(["ref", "--image", "a", "--version", "2.0", "--sha-tag"], TAG_REF)
    assert [r.version for r in references_of(call, True)] == ["2.0", "sha-0123456"]
    assert call.version_note == ""


@pytest.mark.parametrize(("extra", "version"), [([], "1.2.3"), (["--sha-tag"], "sha-0123456")])
def test_pull_without_a_version_takes_the_most_specific_tag(extra: list[str], version: str) -> None:
    call = call_from(["pull", "--image", "a", *extra], TAG_REF)
    assert isinstance(call.request, PullRequest)
    assert call.request.version == version


def test_action_reads_sha_tag_keep_and_dry_run() -> None:
    env = {
        **TAG_REF,
        "INPUT_OPERATION": "delete",
        "INPUT_IMAGE": "a",
        "INPUT_KEEP": "3",
        "INPUT_DRY-RUN": "true",
        "INPUT_SHA-TAG": "false",
    }
    call = inputs.resolve(inputs.parse_action(env), env, TOKEN)
    assert isinstance(call.request, DeleteRequest)
    request = call.request
    assert (call.operation, request.keep, request.dry_run, request.tags) == ("delete", 3, True, ())


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["delete", "--image", "a"], "delete needs --keep N, --version V, .*: none given"),
        (["delete", "--image", "a", "--keep", "1", "--version", "1"], "not both"),
        (["delete", "--image", "a", "--keep", "0"], "keep '0' is not a whole number from 1"),
        (["delete", "--image", "a", "--keep", "two"], "keep 'two'"),
        (["versions", "--image", "a", "--version", "1"], "does not take --version"),
        (["push", "--image", "a", "--source", "x", "--keep", "1"], "does not take --keep"),
    ],
)
def test_bad_package_options_are_usage_errors(argv: list[str], words: str) -> None:
    with pytest.raises(UsageError, match=words) as caught:
        call_from(argv, TAG_REF)
    assert caught.value.exit_code == 2


def test_delete_by_version_checks_the_tags() -> None:
    request = call_from(["delete", "--image", "a", "--version", "1.0", "--dry-run"]).request
    assert isinstance(request, DeleteRequest)
    assert (request.tags, request.keep, request.dry_run) == (("1.0",), None, True)
    with pytest.raises(UsageError, match="is a digest"):
        call_from(["delete", "--image", "a", "--version", "sha256:" + "a" * 64])


def test_action_flags_are_true_or_false() -> None:
    env = {**TAG_REF, "INPUT_IMAGE": "a", "INPUT_SHA-TAG": "yes"}
    with pytest.raises(UsageError, match="sha-tag 'yes' is not true or false"):
        inputs.parse_action(env)


def test_the_choices_are_enums_that_print_and_compare_as_their_words() -> None:
    import json

    call = call_from(["pull", "--image", "app", "--version", "1.0", "--transport", "ENGINE"])
    assert isinstance(call.request, PullRequest)
    transport = call.request.engine.transport
    chosen = (call.operation, transport, call.remote.registry)
    assert chosen == (Operation.PULL, Transport.ENGINE, Registry.DOCKER)
    assert [type(value) for value in chosen] == [Operation, Transport, Registry]
    assert (transport, str(transport)) == ("engine", "engine")
    assert f"{call.operation}, {call.remote.registry:>7}" == "pull,  docker"
    assert json.dumps([call.operation, Scope.REPO]) == '["pull", "repo"]'


def test_a_library_caller_may_give_the_choices_as_words() -> None:
    remote = Remote("ghes.example.com", "u", TOKEN, registry="container")  # type: ignore[arg-type]
    assert remote.registry is Registry.CONTAINER
    engine = EngineAccess(transport="registry")  # type: ignore[arg-type]
    assert engine.transport is Transport.REGISTRY
    assert MigrateRequest("o", scope="org").scope is Scope.ORG  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'fly' is not a valid Transport"):
        EngineAccess(transport="fly")  # type: ignore[arg-type]


def test_remote_holds_what_every_client_is_made_with(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("PEM")
    argv = ["versions", "--image", "app", "--ca-file", str(ca), "--timeout", "7", "--retries", "1"]
    remote = call_from(argv).remote
    assert remote == Remote("ghes.example.com", "octocat", TOKEN, ca, 7.0, 1)
    assert remote.api_url == "https://ghes.example.com/api/v3"
    assert TOKEN.reveal() not in repr(remote)


def test_a_workflows_github_token_goes_only_to_its_own_instance() -> None:
    argv = ["pull", "--hostname", "other.example.com", "--image", "x", "--version", "1"]
    with pytest.raises(UsageError, match=r"belongs to ghes\.example\.com, not other\.example\.com"):
        call_from(argv)
    assert call_from(argv, token=Secret("ghp_" + "x" * 36)).remote.hostname == "other.example.com"
    assert call_from(["pull", *argv[3:]]).remote.hostname == "ghes.example.com"
    app = {"GITHUB_REPOSITORY": "octo-org/hello-world"}  # no workflow: a GitHub App's ghs_
    assert call_from(argv, env=app).remote.hostname == "other.example.com"
