"""--registry container, copy and digests: the call, and refusals judged before any network."""

from __future__ import annotations

import pytest

from ghpkg.errors import UsageError
from ghpkg.faces import inputs
from ghpkg.reference import Reference, parse_registry
from ghpkg.secret import Secret
from ghpkg.verbs.copy import CopyRequest
from tests.unit.fakes import package_of, references_of

WORKFLOW = {
    "GITHUB_SERVER_URL": "https://GHES.example.com",
    "GITHUB_REPOSITORY": "Octo-Org/Hello-World",
    "GITHUB_ACTOR": "octocat",
}
PAT = Secret("ghp_" + "p" * 36)
ACTIONS = Secret("ghs_" + "x" * 36)
DIGEST = "sha256:" + "ab" * 32


def call_from(
    argv: list[str], env: dict[str, str] | None = None, token: Secret = PAT
) -> inputs.Call:
    raw, _args = inputs.parse_cli(argv)
    return inputs.resolve(raw, WORKFLOW if env is None else env, token)


def test_container_reference_has_no_repository_segment() -> None:
    call = call_from(["ref", "--registry", "container", "--image", "app", "--version", "1"])
    assert [str(r) for r in references_of(call, True)] == [
        "containers.ghes.example.com/octo-org/app:1"
    ]
    assert references_of(call, True)[0].path == "octo-org/app"


def test_container_needs_no_repository_and_lowercases_the_owner() -> None:
    argv = ["ref", "--registry", "container", "--owner", "Octo-Org", "--image", "app"]
    call = call_from([*argv, "--version", "1", "--hostname", "ghes.example.com"], env={})
    assert str(references_of(call, True)[0]) == "containers.ghes.example.com/octo-org/app:1"
    assert (
        package_of(call).url(call.remote.hostname)
        == "https://ghes.example.com/octo-org?tab=packages"
    )


def test_docker_is_the_default_registry() -> None:
    call = call_from(["ref", "--image", "app", "--version", "1"])
    assert call.remote.registry == "docker"
    assert str(references_of(call, True)[0]) == "docker.ghes.example.com/octo-org/hello-world/app:1"


@pytest.mark.parametrize("operation", ["push", "pull", "ref", "copy"])
def test_container_registry_without_subdomain_isolation_is_refused(operation: str) -> None:
    argv = [operation, "--image", "app", "--version", "1", "--subdomain-isolation", "false"]
    if operation != "copy":
        argv += ["--registry", "container"]
    with pytest.raises(UsageError, match="needs subdomain isolation") as caught:
        call_from(argv)
    assert caught.value.exit_code == 2
    assert "--subdomain-isolation false" in str(caught.value)


def test_unknown_registry_is_refused() -> None:
    with pytest.raises(UsageError, match="registry 'ghcr' is not known"):
        parse_registry("ghcr", None)


def test_a_digest_may_be_pulled_from_the_container_registry_only() -> None:
    call = call_from(["pull", "--registry", "container", "--image", "app", "--version", DIGEST])
    reference = references_of(call, True)[0]
    assert str(reference) == f"containers.ghes.example.com/octo-org/app@{DIGEST}"
    for argv in (
        ["pull", "--image", "app", "--version", DIGEST],
        ["push", "--registry", "container", "--image", "app", "--version", DIGEST, "--source", "x"],
        ["copy", "--image", "app", "--version", DIGEST],
    ):
        with pytest.raises(UsageError, match="is a digest"):
            call_from(argv)


def test_a_digest_pull_refuses_the_registry_transport() -> None:
    argv = ["pull", "--registry", "container", "--image", "app", "--version", DIGEST]
    with pytest.raises(UsageError, match="goes through the engine"):
        call_from([*argv, "--transport", "registry"])


def test_copy_reads_the_docker_registry_and_writes_the_container_registry() -> None:
    call = call_from(["copy", "--image", "app", "--version", "1.0", "--version", "latest"])
    assert call.operation == "copy"
    assert [str(r) for r in references_of(call, True)] == [
        "docker.ghes.example.com/octo-org/hello-world/app:1.0",
        "docker.ghes.example.com/octo-org/hello-world/app:latest",
    ]
    assert [str(r) for r in copy_destinations(call)] == [
        "containers.ghes.example.com/octo-org/app:1.0",
        "containers.ghes.example.com/octo-org/app:latest",
    ]


def test_copy_may_rename_owner_and_image() -> None:
    argv = [
        "copy",
        "--image",
        "app",
        "--version",
        "1",
        "--to-owner",
        "New-Org",
        "--to-image",
        "svc",
    ]
    call = call_from(argv)
    assert str(copy_destinations(call)[0]) == "containers.ghes.example.com/new-org/svc:1"
    with pytest.raises(UsageError, match="capitals"):
        call_from([*argv[:-1], "Svc"])


def test_action_inputs_select_the_container_registry_and_copy() -> None:
    env = {
        **WORKFLOW,
        "INPUT_OPERATION": "copy",
        "INPUT_IMAGE": "app",
        "INPUT_VERSION": "1.0",
        "INPUT_TO-IMAGE": "app2",
        "INPUT_REGISTRY": "docker",
    }
    call = inputs.resolve(inputs.parse_action(env), env, PAT)
    assert str(copy_destinations(call)[0]) == "containers.ghes.example.com/octo-org/app2:1.0"
    env = {**WORKFLOW, "INPUT_OPERATION": "pull", "INPUT_IMAGE": "app", "INPUT_VERSION": "1"}
    call = inputs.resolve(inputs.parse_action({**env, "INPUT_REGISTRY": "container"}), env, PAT)
    assert call.remote.registry == "container"
    with pytest.raises(UsageError, match="for copy, not pull"):
        inputs.resolve(inputs.parse_action({**env, "INPUT_TO-OWNER": "x"}), env, PAT)


def test_versions_and_delete_take_the_container_registry() -> None:
    env = {**WORKFLOW, "INPUT_OPERATION": "versions", "INPUT_IMAGE": "app"}
    call = inputs.resolve(inputs.parse_action({**env, "INPUT_REGISTRY": "container"}), env, PAT)
    assert (call.remote.registry, package_of(call).owner, package_of(call).image) == (
        "container",
        "octo-org",
        "app",
    )


def test_github_token_is_bound_to_its_owner_on_the_container_registry() -> None:
    argv = ["pull", "--registry", "container", "--image", "app", "--version", "1"]
    call = call_from([*argv, "--repository", "other-repo"], token=ACTIONS)
    assert package_of(call).owner == "octo-org"
    with pytest.raises(UsageError, match="GITHUB_TOKEN cannot"):
        call_from([*argv, "--owner", "other-org"], token=ACTIONS)
    with pytest.raises(UsageError, match="GITHUB_TOKEN cannot"):
        call_from(["copy", "--image", "app", "--version", "1", "--to-owner", "x"], token=ACTIONS)


def test_package_type_is_the_registrys_new_name_and_registry_still_works() -> None:
    argv = ["ref", "--image", "app", "--version", "1"]
    for flag in ("--package-type", "--registry"):
        found = references_of(call_from([*argv, flag, "container"]), True)
        assert str(found[0]) == "containers.ghes.example.com/octo-org/app:1", flag
    env = {**WORKFLOW, "INPUT_OPERATION": "ref", "INPUT_IMAGE": "app", "INPUT_VERSION": "1"}
    env["INPUT_PACKAGE-TYPE"] = "container"
    call = inputs.resolve(inputs.parse_action(env), env, PAT)
    assert call.remote.registry.value == "container"


@pytest.mark.parametrize("host", ["docker.ghes.example.com", "ghcr.io", "ghes.example.com:443"])
def test_a_host_in_registry_as_login_action_takes_it_fails_loudly(host: str) -> None:
    env = {**WORKFLOW, "INPUT_OPERATION": "push", "INPUT_IMAGE": "app", "INPUT_REGISTRY": host}
    with pytest.raises(UsageError) as caught:
        inputs.resolve(inputs.parse_action(env), env, PAT)
    assert caught.value.exit_code == 2
    assert f"registry {host!r} is not docker or container" in str(caught.value)
    assert "set hostname to the instance's host" in str(caught.value)


def test_package_type_and_registry_that_disagree_are_refused() -> None:
    argv = ["ref", "--image", "app", "--version", "1", "--package-type", "docker"]
    with pytest.raises(UsageError, match="disagree"):
        call_from([*argv, "--registry", "container"])


def copy_destinations(call: inputs.Call) -> list[Reference]:
    """Where copy writes, from the request the faces make."""
    request = call.request
    assert isinstance(request, CopyRequest)
    return request.destinations(call.remote)
