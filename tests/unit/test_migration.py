"""migrate's inputs, plan, state file and report: what is judged and written without a network."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghpkg.errors import UsageError
from ghpkg.faces import inputs
from ghpkg.migration import report
from ghpkg.migration.plan import (
    ImagePlan,
    ImageStatus,
    TagPlan,
    TagStatus,
    bytes_to_send,
    check_name_map,
    name_clashes,
    render,
)
from ghpkg.migration.state import MigrationState
from ghpkg.secret import Secret
from ghpkg.verbs.migrate import MigrateRequest

PAT = Secret("ghp_" + "p" * 36)
HOST = {"GITHUB_SERVER_URL": "https://ghes.example.com", "HOME": "/home/runner"}


def request_from(argv: list[str], env: dict[str, str] | None = None) -> MigrateRequest:
    raw, _args = inputs.parse_cli(["migrate", *argv])
    return migrate_request(inputs.resolve(raw, HOST if env is None else env, PAT))


def migrate_request(call: inputs.Call) -> MigrateRequest:
    assert isinstance(call.request, MigrateRequest)
    return call.request


def test_a_repository_is_the_default_scope_and_the_state_file_lives_in_the_cache() -> None:
    request = request_from(["--owner", "Octo-Org", "--repository", "Hello-World"])
    assert (request.scope, request.owner, request.repository) == (
        "repo",
        "octo-org",
        "hello-world",
    )
    assert (request.name_map, request.jobs) == ("{image}", 4)
    assert request.state_file == Path(
        "/home/runner/.cache/ghpkg/migrate/ghes.example.com-repo-octo-org-hello-world.json"
    )


def test_an_organization_needs_no_repository_and_takes_jobs_and_a_state_file() -> None:
    request = request_from(
        ["--scope", "org", "--owner", "octo-org", "--jobs", "8", "--state", "s.json"]
    )
    assert (request.scope, request.repository, request.jobs) == ("org", "", 8)
    assert request.state_file == Path("s.json")


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--owner", "octo-org"], "migrate needs a repository or a whole owner"),
        (["--scope", "org", "--owner", "o", "--repository", "r"], "not one repository's"),
        (["--scope", "team", "--owner", "o"], "scope 'team' is not known"),
        (["--scope", "org", "--owner", "o", "--jobs", "0"], "not a number from 1 to 32"),
        (["--scope", "org", "--owner", "o", "--name-map", "{repository}"], "it has no {image}"),
        (["--scope", "org", "--owner", "o", "--name-map", "{image}-{tag}"], "unknown field"),
        (["--scope", "org", "--owner", "o", "--name-map", "X{image}"], "refuses"),
    ],
)
def test_bad_migrate_input_is_refused_before_the_network(argv: list[str], said: str) -> None:
    with pytest.raises(UsageError, match=said.replace("{", r"\{").replace("(", r"\(")) as caught:
        request_from(argv)
    assert caught.value.exit_code == 2


def test_the_name_map_names_images_as_ghes_does_unless_told_otherwise() -> None:
    assert render(check_name_map(""), "octo-org", "hello-world", "app") == "app"
    assert render(check_name_map("{repository}-{image}"), "o", "hello-world", "app") == (
        "hello-world-app"
    )
    assert render(check_name_map("{repository}/{image}"), "o", "web", "app") == "web/app"


def test_two_images_that_would_get_one_name_are_both_conflicts() -> None:
    plans = [
        ImagePlan("o/a/app", "o/app"),
        ImagePlan("o/b/app", "o/app"),
        ImagePlan("o/a/x", "o/x"),
    ]
    name_clashes(plans)
    assert [plan.status for plan in plans[:2]] == ["conflict", "conflict"]
    assert "o/b/app would get the same name o/app" in plans[0].problem
    assert "--name-map" in plans[0].problem
    assert not plans[2].problem


def test_an_images_status_follows_its_tags() -> None:
    plan = ImagePlan(
        "o/r/i", "o/i", [TagPlan("1", status=TagStatus.THERE), TagPlan("2", status=TagStatus.STATE)]
    )
    assert plan.status == "skipped"
    plan.tags.append(TagPlan("3", status=TagStatus.COPIED))
    assert plan.status == "copied"
    plan.tags.append(TagPlan("4", status=TagStatus.COPY))
    assert plan.status == "planned"
    plan.tags.append(TagPlan("5", status=TagStatus.CONFLICT, note="held elsewhere"))
    assert plan.status == "conflict"


def test_an_images_problem_has_its_status_whatever_its_words() -> None:
    """The status of a stopped image is what stopped it, not read off its message."""
    plan = ImagePlan("o/r/i", "o/i", [TagPlan("1", status=TagStatus.COPY)])
    plan.stop(ImageStatus.FAILED, "conflicting answers from the registry: HTTP 502")
    other = ImagePlan("o/r/j", "o/j", [TagPlan("1", status=TagStatus.COPY)])
    other.stop(ImageStatus.CONFLICT, "containers.h/o/j is another image's")
    assert (plan.status, other.status) == (ImageStatus.FAILED, ImageStatus.CONFLICT)


def test_bytes_to_send_count_each_blob_once_per_destination() -> None:
    shared = (("sha256:a", 100), ("sha256:b", 10))
    plans = [
        ImagePlan("o/r/i", "o/i", [TagPlan("1", blobs=shared), TagPlan("2", blobs=shared)]),
        ImagePlan("o/r/j", "o/j", [TagPlan("1", blobs=shared[:1])]),
        ImagePlan("o/r/k", "o/k", [TagPlan("1", blobs=shared, status=TagStatus.THERE)]),
    ]
    assert bytes_to_send(plans) == (3, 210)


def test_the_state_file_resumes_and_holds_names_and_digests_only(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "state.json"
    state = MigrationState(path)
    state.record("docker.h/o/r/i:1.0", "sha256:" + "a" * 64)
    again = MigrationState(path)
    assert again.digest("docker.h/o/r/i:1.0") == "sha256:" + "a" * 64
    assert again.digest("docker.h/o/r/i:2.0") is None
    assert PAT.reveal() not in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]


def test_an_unreadable_state_file_warns_and_starts_afresh(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{not json")
    state = MigrationState(path)
    assert len(state) == 0
    assert "unreadable" in state.warning


def test_the_report_names_what_did_not_move_and_exits_through_a_failure_line() -> None:
    moved = ImagePlan(
        "o/r/a", "o/a", [TagPlan("1", "sha256:1", status=TagStatus.COPIED)], sent_bytes=2048
    )
    clash = ImagePlan(
        "o/r/b", "o/b", [TagPlan("1", "sha256:2", status=TagStatus.CONFLICT, note="conflict: held")]
    )
    plans = [moved, clash]
    rows = report.lines(plans, "containers.h")
    assert rows[0].split("\t")[:4] == ["copied", "o/r/a", "containers.h/o/a", "1"]
    assert "2.0 kB sent" in rows[0]
    assert "connect the repository" in rows[0]
    built = report.build(plans, "containers.h", False, 2048, 2)
    assert (built.totals.copied, built.totals.conflict, built.totals.images_at_once) == (1, 1, 2)
    assert built.images[1].status is ImageStatus.CONFLICT
    assert built.images[1].tags == (report.TagReport("1", TagStatus.CONFLICT, "sha256:2"),)
    assert built.as_json()["images"][1]["tags"]["1"] == {"status": "conflict", "digest": "sha256:2"}
    failure = report.failure(plans, dry_run=False)
    assert failure.startswith("1 of 2 image(s) did not move (1 conflict); first: o/r/b")
    assert report.failure([moved], dry_run=False) == ""


def test_the_action_takes_migrates_inputs() -> None:
    env = {
        **HOST,
        "GITHUB_REPOSITORY": "octo-org/hello-world",
        "INPUT_OPERATION": "migrate",
        "INPUT_SCOPE": "org",
        "INPUT_NAME-MAP": "{repository}-{image}",
        "INPUT_JOBS": "2",
        "INPUT_STATE": "/tmp/state.json",
        "INPUT_DRY-RUN": "true",
    }
    call = inputs.resolve(inputs.parse_action(env), env, PAT)
    request = migrate_request(call)
    assert (call.operation, request.scope, request.owner) == ("migrate", "org", "octo-org")
    assert (request.name_map, request.jobs, request.dry_run) == ("{repository}-{image}", 2, True)
    assert request.state_file == Path("/tmp/state.json")


def test_the_step_summary_is_a_table_of_images_with_the_totals(tmp_path: Path) -> None:
    from ghpkg.outputs import Result, append_summary

    plans = [
        ImagePlan("o/r/a", "o/a", [TagPlan("1", "sha256:1", status=TagStatus.COPIED)]),
        ImagePlan(
            "o/r/b", "o/b", [TagPlan("1", "sha256:2", status=TagStatus.CONFLICT, note="a|b")]
        ),
    ]
    result = Result(
        images=("containers.h/o/a",),
        lines=report.lines(plans, "containers.h"),
        migration=report.build(plans, "containers.h", False, 0, 1),
    )
    summary = tmp_path / "summary.md"
    append_summary(summary, "migrate", result)
    text = summary.read_text()
    assert "1 copied, 1 conflict" in text
    assert "| `copied` | `o/r/a` | `containers.h/o/a` | `1` |" in text
    assert "`1: a\\|b`" in text  # a pipe from the network cannot end the cell
