"""The `tags` input against a workflow's environment and event payload."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ghpkg.errors import UsageError
from ghpkg.faces import inputs
from ghpkg.faces.cli import execute
from ghpkg.faces.readers import parse_action
from ghpkg.faces.tag_inputs import tag_context, tags_from_rules
from ghpkg.outputs import Log
from ghpkg.secret import Secret
from ghpkg.verbs.push import PushRequest
from ghpkg.verbs.ref import RefRequest

NOW = datetime(2020, 1, 10, 0, 30, tzinfo=timezone.utc)
SHA = "860c1904a1ce19322e91ac35af1ab07466440c37"


def env(ref: str, event: str = "push", **more: str) -> dict[str, str]:
    return {"GITHUB_REF": ref, "GITHUB_EVENT_NAME": event, "GITHUB_SHA": SHA, **more}


def test_release_rules_give_the_semver_tags_and_say_so() -> None:
    rules = ["type=semver,pattern={{version}}", "type=semver,pattern={{major}}.{{minor}}"]
    tags, note = tags_from_rules(rules, [], env("refs/tags/v1.2.3"), NOW)
    assert tags == ["1.2.3", "1.2", "latest"]
    assert note == "tags from the rules on refs/tags/v1.2.3: 1.2.3, 1.2, latest"


def test_rules_that_give_nothing_stop_with_exit_2_and_the_reason() -> None:
    with pytest.raises(UsageError) as caught:
        tags_from_rules(["type=semver,pattern={{version}}"], [], env("refs/tags/nightly"), NOW)
    assert caught.value.exit_code == 2
    assert str(caught.value) == (
        "the tags rules give no tag on push refs/tags/nightly: nightly is not a valid semver "
        "(https://semver.org/); no tag from it; add a rule that always applies, e.g. type=sha "
        "or type=raw,value=edge"
    )


def test_a_bad_rule_is_judged_before_the_ref() -> None:
    with pytest.raises(UsageError, match="unknown type 'semvr'"):
        tags_from_rules(["type=semvr"], [], {}, NOW)


def test_the_payload_gives_default_branch_pr_number_and_commit_date(tmp_path: Path) -> None:
    payload = {
        "number": 15,
        "repository": {"default_branch": "main"},
        "head_commit": {"id": SHA, "timestamp": "2022-04-19T11:27:24+02:00"},
    }
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    ctx = tag_context(
        env("refs/heads/main", "pull_request_target", GITHUB_EVENT_PATH=str(path)), NOW
    )
    assert ctx.ref == "refs/pull/15/merge"
    assert ctx.default_branch == "main"
    assert ctx.commit_date == datetime.fromisoformat("2022-04-19T11:27:24+02:00")


def test_default_branch_rule_from_the_payload(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"repository": {"default_branch": "main"}}), encoding="utf-8")
    rules = ["type=ref,event=branch", "type=raw,value=edge,enable={{is_default_branch}}"]
    main = env("refs/heads/main", GITHUB_EVENT_PATH=str(path))
    assert tags_from_rules(rules, [], main, NOW)[0] == ["main", "edge"]
    other = env("refs/heads/dev", GITHUB_EVENT_PATH=str(path))
    assert tags_from_rules(rules, [], other, NOW)[0] == ["dev"]


def test_an_unreadable_payload_only_means_less_is_known(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text("not json", encoding="utf-8")
    ctx = tag_context(env("refs/heads/main", GITHUB_EVENT_PATH=str(path)), NOW)
    assert (ctx.default_branch, ctx.commit_date) == ("", None)


def test_base_ref_comes_from_github_base_ref_on_a_pull_request() -> None:
    pr = env("refs/pull/7/merge", "pull_request", GITHUB_BASE_REF="main")
    tags, _ = tags_from_rules(
        ["type=ref,event=pr", "type=raw,value=into-{{base_ref}}"], [], pr, NOW
    )
    assert tags == ["pr-7", "into-main"]


WORKFLOW = {
    "GITHUB_SERVER_URL": "https://ghes.example.com",
    "GITHUB_REPOSITORY": "octo-org/hello-world",
    "GITHUB_ACTOR": "octocat",
    "GITHUB_SHA": SHA,
    "GITHUB_REF": "refs/tags/v2.1.0",
    "GITHUB_EVENT_NAME": "push",
}
TOKEN = Secret("ghs_" + "x" * 36)
RELEASE_RULES = "type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=sha"


def test_the_cli_takes_tag_rules_and_flavor_for_the_versions() -> None:
    argv = ["ref", "--image", "app", "--tag", "type=semver,pattern={{major}}.{{minor}}"]
    raw, _ = inputs.parse_cli([*argv, "--tag", "type=sha", "--flavor", "latest=false"])
    call = inputs.resolve(raw, WORKFLOW, TOKEN)
    assert versions_of(call) == ("2.1", "sha-860c190")
    assert call.version_note == "tags from the rules on refs/tags/v2.1.0: 2.1, sha-860c190"


def test_the_action_takes_tags_one_a_line_with_comments() -> None:
    env = WORKFLOW | {
        "INPUT_OPERATION": "ref",
        "INPUT_IMAGE": "app",
        "INPUT_TAGS": f"# releases\n{RELEASE_RULES}\n",
        "INPUT_FLAVOR": "prefix=v\nsuffix=-alpine,onlatest=true",
    }
    call = inputs.resolve(parse_action(env), env, TOKEN)
    # type=sha has its own prefix (sha-), so the flavor's is not added there, as in metadata-action
    expected = ("v2.1.0-alpine", "v2.1-alpine", "sha-860c190-alpine", "latest-alpine")
    assert versions_of(call) == expected


def test_version_and_tags_together_are_refused() -> None:
    raw, _ = inputs.parse_cli(["ref", "--image", "app", "--version", "1.0", "--tag", "type=sha"])
    with pytest.raises(UsageError, match="both version and tags given"):
        inputs.resolve(raw, WORKFLOW, TOKEN)


def test_tags_on_an_operation_without_tags_are_refused() -> None:
    env = WORKFLOW | {"INPUT_OPERATION": "pull", "INPUT_IMAGE": "app", "INPUT_TAGS": "type=sha"}
    with pytest.raises(UsageError, match="tags and flavor are for push and ref, not pull"):
        inputs.resolve(parse_action(env), env, TOKEN)


def test_a_rule_that_makes_an_invalid_tag_is_bad_input() -> None:
    raw, _ = inputs.parse_cli(["ref", "--image", "app", "--tag", "type=raw,value=-x"])
    with pytest.raises(UsageError) as caught:
        inputs.resolve(raw, WORKFLOW, TOKEN)
    assert caught.value.exit_code == 2


def test_ref_outputs_tags_and_metadata_actions_json() -> None:
    raw, _ = inputs.parse_cli(["ref", "--image", "app", "--tag", "type=ref,event=tag"])
    call = inputs.resolve(raw, WORKFLOW, TOKEN)
    outputs = execute(call, Log(stream=io.StringIO())).outputs()
    image = "docker.ghes.example.com/octo-org/hello-world/app"
    assert outputs["tags"].splitlines() == [f"{image}:v2.1.0", f"{image}:latest"]
    assert json.loads(outputs["json"]) == {
        "tags": [f"{image}:v2.1.0", f"{image}:latest"],
        "tag-names": ["v2.1.0", "latest"],
        "labels": {},
        "annotations": [],
    }
    assert outputs["labels"] == ""


def ref_with(*argv: str) -> list[str]:
    """The references `ghpkg ref` gives for octo-org/octo-app/app on ghes.example.com."""
    where = ["--hostname", "ghes.example.com", "--owner", "octo-org", "--repository", "octo-app"]
    raw, _args = inputs.parse_cli(["ref", *where, "--image", "app", *argv])
    call = inputs.resolve(raw, env("refs/heads/main"), Secret(""))
    return list(execute(call, Log(quiet=True)).images)


def test_a_full_reference_in_tags_gives_its_tag_as_build_push_action_takes_it() -> None:
    full = "docker.ghes.example.com/octo-org/octo-app/app"
    assert ref_with("--tag", f"{full}:1.2.3") == [f"{full}:1.2.3"]
    assert ref_with("--tag", f"{full}:1.2.3", "--tag", "type=raw,value=edge") == [
        f"{full}:edge",
        f"{full}:1.2.3",
    ]
    flat = "ghes.example.com/octo-org/octo-app/app"
    assert ref_with("--subdomain-isolation", "false", "--tag", f"{flat}:2.0") == [f"{flat}:2.0"]


@pytest.mark.parametrize(
    "other",
    [
        "ghcr.io/octo-org/app:1.2.3",
        "docker.ghes.example.com/octo-org/octo-app/web:1.2.3",
        "user/app:latest",
    ],
)
def test_a_reference_to_another_host_or_image_is_bad_input_naming_both(other: str) -> None:
    with pytest.raises(UsageError) as caught:
        ref_with("--tag", other)
    assert caught.value.exit_code == 2
    message = str(caught.value)
    assert f"tags {other!r} names {other.rpartition(':')[0]}" in message
    assert "docker.ghes.example.com/octo-org/octo-app/app" in message


def test_the_flat_layout_refuses_the_isolated_name() -> None:
    with pytest.raises(UsageError, match="not the image this run publishes"):
        ref_with(
            "--subdomain-isolation",
            "false",
            "--tag",
            "docker.ghes.example.com/octo-org/octo-app/app:1",
        )


def test_pr_head_sha_names_the_head_commit_in_the_sha_tag_and_the_revision_label(
    tmp_path: Path,
) -> None:
    head = "3370e228f2209994d57af4427fe64e71bb79ac96"  # metadata-action's pull_request fixture
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"number": 15, "pull_request": {"head": {"sha": head}}}))
    workflow = env("refs/pull/15/merge", "pull_request", GITHUB_EVENT_PATH=str(path))
    workflow |= {"GITHUB_SERVER_URL": "https://ghes.example.com", "GITHUB_REPOSITORY": "o/r"}
    build = {"INPUT_OPERATION": "push", "INPUT_SOURCE": "app:local", "INPUT_PUSH": "false"}
    raw = parse_action({**workflow, **build, "INPUT_IMAGE": "app", "INPUT_VERSION": "1"})
    raw_rules = parse_action({**workflow, **build, "INPUT_IMAGE": "app", "INPUT_TAGS": "type=sha"})
    merge = push_request(inputs.resolve(raw_rules, workflow, Secret("")))
    assert (merge.versions, merge.revision) == ((f"sha-{SHA[:7]}",), SHA)
    workflow["DOCKER_METADATA_PR_HEAD_SHA"] = "true"
    request = push_request(inputs.resolve(raw_rules, workflow, Secret("")))
    assert (request.versions, request.revision) == ((f"sha-{head[:7]}",), head)
    assert push_request(inputs.resolve(raw, workflow, Secret(""))).revision == head


def push_request(call: inputs.Call) -> PushRequest:
    assert isinstance(call.request, PushRequest)
    return call.request


def versions_of(call: inputs.Call) -> tuple[str, ...]:
    assert isinstance(call.request, RefRequest)
    return call.request.versions
