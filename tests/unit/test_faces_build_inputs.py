"""BuildKit options (--secret, --cache-from/-to, --platform, --no-cache, --pull) and action
inputs -> push's request, in `docker buildx build`'s syntax; bad ones refused before any network."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ghpkg.build import buildkit
from ghpkg.build.options import BuildSecret, clean_environment
from ghpkg.errors import UsageError
from ghpkg.faces import inputs
from ghpkg.secret import Secret
from ghpkg.verbs.join import JoinRequest
from ghpkg.verbs.push import PushRequest

TOKEN = Secret("ghs_" + "t" * 36)
WORKFLOW = {
    "GITHUB_SERVER_URL": "https://ghes.example.com",
    "GITHUB_REPOSITORY": "octo-org/app",
    "GITHUB_ACTOR": "octocat",
    "PATH": "/usr/bin:/bin",
    "NPM_TOKEN": "npm-secret-value",
    "GITHUB_TOKEN": TOKEN.reveal(),
    "GHPKG_TOKEN": TOKEN.reveal(),
    "INPUT_TOKEN": TOKEN.reveal(),
    "COPY_OF_THE_TOKEN": f"x{TOKEN.reveal()}y",
    "ACTIONS_RUNTIME_TOKEN": "for-the-gha-cache",
}


@pytest.fixture
def context(tmp_path: Path) -> Path:
    """A build context with a Dockerfile and a secret file beside it."""
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "npmrc").write_text("secret\n")
    return tmp_path


def push(context: Path, *extra: str) -> PushRequest:
    raw, _args = inputs.parse_cli(
        ["push", "--image", "app", "--version", "1", "--context", str(context), *extra]
    )
    return request_of(raw, WORKFLOW)


def request_of(raw: inputs.RawInputs, env: Any, token: Secret = TOKEN) -> PushRequest:
    """What the face hands the push verb."""
    request = inputs.resolve(raw, env, token).request
    assert isinstance(request, PushRequest)
    return request


def test_secrets_cache_platform_and_flags_reach_the_settings(context: Path) -> None:
    request = push(
        context,
        "--secret",
        f"id=npmrc,src={context / 'npmrc'}",
        "--secret",
        "id=npm,env=NPM_TOKEN",
        "--secret",
        "type=env,id=gh,src=GITHUB_TOKEN",
        "--cache-from",
        "type=local,src=/tmp/cache",
        "--cache-from",
        "octo/app:buildcache",
        "--cache-to",
        "type=local,dest=/tmp/cache,mode=max",
        "--platform",
        "linux/arm64/v8",
        "--no-cache",
        "--pull",
    )
    assert request.build.secrets == (
        BuildSecret("npmrc", src=context / "npmrc"),
        BuildSecret("npm", env="NPM_TOKEN"),
        BuildSecret("gh", env="GITHUB_TOKEN"),
    )
    assert [s.argument() for s in request.build.secrets] == [
        f"id=npmrc,src={context / 'npmrc'}",
        "id=npm,env=NPM_TOKEN",
        "id=gh,env=GITHUB_TOKEN",
    ]
    assert request.build.cache_from == ("type=local,src=/tmp/cache", "octo/app:buildcache")
    assert request.build.cache_to == ("type=local,dest=/tmp/cache,mode=max",)
    assert [str(p) for p in request.platforms] == ["linux/arm64"]  # /v8 is what arm64 means
    assert (request.build.no_cache, request.build.pull) == (True, True)


def test_a_plain_build_has_no_build_kit_options(context: Path) -> None:
    request = push(context)
    build = request.build
    assert (build.secrets, build.cache_from, build.cache_to) == ((), (), ())
    assert (request.platforms, build.no_cache, build.pull) == ((), False, False)
    assert not request.multi_platform


def test_action_inputs_give_the_same_options(context: Path) -> None:
    env = {
        **WORKFLOW,
        "INPUT_OPERATION": "push",
        "INPUT_IMAGE": "app",
        "INPUT_VERSION": "1",
        "INPUT_CONTEXT": str(context),
        "INPUT_SECRETS": f"id=npm,env=NPM_TOKEN\n\nid=npmrc,src={context / 'npmrc'}\n",
        "INPUT_CACHE-FROM": "type=local,src=/tmp/a\ntype=local,src=/tmp/b",
        "INPUT_CACHE-TO": "type=inline",
        "INPUT_PLATFORM": "linux/amd64",
        "INPUT_NO-CACHE": "true",
        "INPUT_PULL": "false",
    }
    request = request_of(inputs.parse_action(env), env)
    assert [s.id for s in request.build.secrets] == ["npm", "npmrc"]
    assert request.build.cache_from == ("type=local,src=/tmp/a", "type=local,src=/tmp/b")
    assert request.build.cache_to == ("type=inline",)
    assert [str(p) for p in request.platforms] == ["linux/amd64"]
    assert (request.build.no_cache, request.build.pull) == (True, False)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--secret", "npm"], "'npm' is not key=value"),
        (["--secret", "id=npm"], "exactly one source"),
        (["--secret", "src=/etc/hostname"], "needs an id="),
        (["--secret", "id=a,src=/etc/hostname,env=PATH"], "exactly one source"),
        (["--secret", "id=a,value=hunter2"], "value=hunter2 is not one of"),
        (["--secret", "id=a,env=NOT_SET_ANYWHERE"], "NOT_SET_ANYWHERE is not set"),
        (["--secret", "id=a,src=/nonexistent/secret"], "does not exist"),
        (["--secret", "id=a,env=PATH", "--secret", "id=a,env=PATH"], "id a given more than once"),
        (["--cache-from", "type=local"], "type=local needs src="),
        (["--cache-to", "type=local,src=/tmp/x"], "type=local needs dest="),
        (["--cache-to", "type=floppy,dest=/x"], "type='floppy' is not one of"),
        (["--cache-from", "src=/tmp/x,mode=max"], "no type="),
        (["--platform-tags"], "--platform-tags needs --platform"),
        (
            ["--platform", "linux/amd64,linux/arm64", "--version", "v" * 120],
            "too long for platform",
        ),
        (["--platform", "amd64"], "is not os/arch"),
    ],
)
def test_bad_build_options_are_usage_errors(context: Path, extra: list[str], words: str) -> None:
    with pytest.raises(UsageError, match=words) as caught:
        push(context, *extra)
    assert caught.value.exit_code == 2


def test_several_platforms_make_a_multi_platform_push(context: Path) -> None:
    request = push(context, "--platform", "linux/amd64,linux/arm64", "--platform", "linux/amd64")
    assert [str(p) for p in request.platforms] == ["linux/amd64", "linux/arm64"]
    assert request.multi_platform  # each platform is built on its own


def test_one_platform_with_platform_tags_is_a_matrix_job(context: Path) -> None:
    request = push(context, "--platform", "linux/arm64", "--platform-tags")
    assert request.multi_platform
    assert [str(p) for p in request.platforms] == ["linux/arm64"]


def test_join_needs_its_platforms_and_builds_nothing() -> None:
    argv = ["join", "--image", "app", "--version", "1.0"]
    with pytest.raises(UsageError, match="join needs the platforms to join"):
        inputs.resolve(inputs.parse_cli(argv)[0], WORKFLOW, TOKEN)
    request = inputs.resolve(
        inputs.parse_cli([*argv, "--platform", "linux/arm64,linux/amd64"])[0], WORKFLOW, TOKEN
    ).request
    assert isinstance(request, JoinRequest)  # no build in it
    assert [str(p) for p in request.platforms] == ["linux/arm64", "linux/amd64"]


@pytest.mark.parametrize(
    "argv",
    [
        ["push", "--image", "a", "--version", "1", "--source", "abc", "--no-cache"],
        ["push", "--image", "a", "--version", "1", "--source", "abc", "--secret", "id=a,env=PATH"],
    ],
)
def test_build_options_without_a_build_are_refused(argv: list[str]) -> None:
    raw, _args = inputs.parse_cli(argv)
    with pytest.raises(UsageError, match="build options, but push builds nothing"):
        inputs.resolve(raw, WORKFLOW, TOKEN)


def test_action_build_inputs_on_a_pull_are_refused() -> None:
    env = {**WORKFLOW, "INPUT_OPERATION": "pull", "INPUT_IMAGE": "a", "INPUT_VERSION": "1"}
    env["INPUT_PULL"] = "true"
    with pytest.raises(UsageError, match="pull: build options, but pull builds nothing"):
        inputs.resolve(inputs.parse_action(env), env, TOKEN)


def test_the_build_environment_holds_no_token(context: Path) -> None:
    environment = push(context, "--secret", "id=npm,env=NPM_TOKEN").build.environment
    assert TOKEN.reveal() not in "".join(environment.values())
    assert environment["NPM_TOKEN"] == "npm-secret-value"
    assert environment["ACTIONS_RUNTIME_TOKEN"] == "for-the-gha-cache"
    assert environment["PATH"] == "/usr/bin:/bin"
    assert not [name for name in environment if name.startswith("INPUT_")]


def test_a_secret_may_name_the_token_variable_on_purpose() -> None:
    env = clean_environment(WORKFLOW, TOKEN, keep=["GITHUB_TOKEN"])
    assert env["GITHUB_TOKEN"] == TOKEN.reveal()
    assert "GHPKG_TOKEN" not in env
    assert "COPY_OF_THE_TOKEN" not in env


def test_the_buildx_command_names_secrets_never_their_values(context: Path) -> None:
    (context / "sub").mkdir()
    (context / "sub" / "Dockerfile.prod").write_text("FROM scratch\n")
    request = push(
        context,
        "--dockerfile",
        "sub/Dockerfile.prod",
        "--secret",
        "id=npm,env=NPM_TOKEN",
        "--cache-to",
        "type=inline",
        "--platform",
        "linux/amd64",
        "--target",
        "final",
        "--build-arg",
        "A=1",
    )
    build = replace(request.build, labels=(("team", "x"),), platform=request.platforms[0])
    argv = buildkit.buildx_command(
        buildkit.Buildx("/usr/bin/docker", (0, 13)),
        build,
        Path("/tmp/iid"),
        Path("/tmp/meta.json"),
    )
    assert argv[:4] == ["/usr/bin/docker", "buildx", "build", "--load"]
    assert "--provenance=false" in argv
    assert argv[argv.index("-f") + 1] == str(context / "sub" / "Dockerfile.prod")
    assert argv[argv.index("--secret") + 1] == "id=npm,env=NPM_TOKEN"
    assert argv[argv.index("--iidfile") + 1] == "/tmp/iid"
    for flag, value in (
        ("--cache-to", "type=inline"),
        ("--platform", "linux/amd64"),
        ("--target", "final"),
        ("--build-arg", "A=1"),
        ("--label", "team=x"),
    ):
        assert argv[argv.index(flag) + 1] == value
    assert argv[-1] == str(context)
    assert "npm-secret-value" not in " ".join(argv)
    assert TOKEN.reveal() not in " ".join(argv)
    old = buildkit.buildx_command(
        buildkit.Buildx("docker", (0, 9)), request.build, Path("i"), Path("m")
    )
    assert "--provenance=false" not in old


def test_build_push_actions_names_give_the_same_settings(context: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.Dockerfile"
    other.write_text("FROM scratch\n")
    env = {
        **WORKFLOW,
        "INPUT_OPERATION": "push",
        "INPUT_IMAGE": "app",
        "INPUT_VERSION": "1",
        "INPUT_CONTEXT": str(context),
        "INPUT_FILE": str(other),
        "INPUT_PLATFORMS": "linux/arm64",
        "INPUT_SECRET-ENVS": "npm=NPM_TOKEN",
        "INPUT_SECRET-FILES": f"npmrc={context / 'npmrc'}",
        "INPUT_PUSH": "false",
        "INPUT_LOAD": "true",
    }
    request = request_of(inputs.parse_action(env), env)
    assert request.build.dockerfile == str(other)
    assert buildkit.dockerfile_path(request.build.context, request.build.dockerfile) == other
    assert [str(p) for p in request.platforms] == ["linux/arm64"]
    assert [(s.id, s.env, s.src) for s in request.build.secrets] == [
        ("npm", "NPM_TOKEN", None),
        ("npmrc", None, context / "npmrc"),
    ]
    assert (request.push, request.load) == (False, True)


def test_push_is_on_unless_no_push_and_file_is_from_the_working_directory(
    context: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (push(context).push, push(context).load) == (True, False)
    assert push(context, "--no-push", "--load").push is False
    assert push(context, "--push").push is True
    monkeypatch.chdir(context)
    assert push(context, "--file", "Dockerfile").build.dockerfile == str(context / "Dockerfile")


def test_a_build_only_needs_no_token(context: Path) -> None:
    raw, _args = inputs.parse_cli(
        ["push", "--image", "app", "--version", "1", "--context", str(context), "--no-push"]
    )
    request = request_of(raw, {**WORKFLOW, "GITHUB_REPOSITORY": "other/repo"}, Secret(""))
    assert request.push is False


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--file", "Dockerfile", "--dockerfile", "Dockerfile"], "both file and dockerfile"),
        (["--file", "/nonexistent/Dockerfile"], "pass --file PATH"),
        (["--secret-env", "NPM_TOKEN"], "secret-envs 'NPM_TOKEN' is not ID=ENV"),
        (["--secret-file", "=x"], "secret-files '=x' is not ID=PATH"),
        (["--secret-env", "npm=NOT_SET_ANYWHERE"], "NOT_SET_ANYWHERE is not set"),
        (["--no-push", "--platforms", "linux/amd64,linux/arm64"], "push: false with several"),
    ],
)
def test_bad_build_push_action_inputs_are_usage_errors(
    context: Path, extra: list[str], words: str
) -> None:
    with pytest.raises(UsageError, match=words):
        push(context, *extra)


def test_annotations_go_on_a_multi_platform_container_index_and_nowhere_else(
    context: Path,
) -> None:
    several = ["--platforms", "linux/amd64,linux/arm64", "--package-type", "container"]
    request = push(context, *several, "--annotation", "index:org.example.team=web")
    assert request.annotations == (("org.example.team", "web"),)
    url = "org.opencontainers.image.url=https://ghes.example.com/x"
    assert push(context, *several, "--annotation", url).annotations == (
        ("org.opencontainers.image.url", "https://ghes.example.com/x"),
    )
    with pytest.raises(UsageError, match="need a multi-platform push to the Container registry"):
        push(context, "--annotation", "a=b")
    with pytest.raises(UsageError, match="is for the manifest level"):
        push(context, *several, "--annotation", "manifest:a=b")
