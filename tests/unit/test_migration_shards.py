"""An instance's migration over a matrix: owners in, the split, the shard options, and the merge
of the shards' reports (no network: `--merge-reports` reads files only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ghpkg.errors import UsageError
from ghpkg.faces import cli, inputs
from ghpkg.migration import shards
from ghpkg.migration.shards import OwnerWork
from ghpkg.secret import Secret
from ghpkg.settings import Scope
from ghpkg.verbs.migrate import MigrateRequest

PAT = Secret("ghp_" + "p" * 36)
HOST = {"GITHUB_SERVER_URL": "https://ghes.example.com", "HOME": "/home/runner"}


def request_from(argv: list[str]) -> MigrateRequest:
    raw, _args = inputs.parse_cli(["migrate", *argv])
    request = inputs.resolve(raw, HOST, PAT).request
    assert isinstance(request, MigrateRequest)
    return request


def test_orgs_and_users_are_lists_read_at_commas_and_newlines_each_owner_once() -> None:
    request = request_from(["--org", "Acme,beta\ngamma", "--org", "acme", "--user", "octocat"])
    assert request.owners == (
        (Scope.ORG, "acme"),
        (Scope.ORG, "beta"),
        (Scope.ORG, "gamma"),
        (Scope.USER, "octocat"),
    )
    assert request.owner == "acme"  # no --owner needed
    assert request.state_file is not None
    assert "owners-" in request.state_file.name


def test_the_plan_takes_shards_and_a_run_takes_its_shard() -> None:
    plan = request_from(["--org", "a,b", "--dry-run", "--shards", "3"])
    assert (plan.shards, plan.shard) == (3, "")
    run = request_from(["--org", "a", "--shard", "2/3"])
    assert (run.shards, run.shard) == (0, "2/3")


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--org", "a", "--shard", "4/3"], "is not K/N with 1 <= K <= N"),
        (["--org", "a", "--shard", "x"], "is not K/N"),
        (["--org", "a", "--shard", "0/3"], "is not K/N"),
        (["--org", "a", "--dry-run", "--shards", "0"], "is not a number from 1 to 256"),
        (["--org", "a", "--dry-run", "--shards", "257"], "is not a number from 1 to 256"),
        (["--org", "a", "--shards", "3"], "--shards belongs to the plan"),
        (["--scope", "org", "--owner", "o", "--dry-run", "--shards", "2"], "no --org or --user"),
        (["--org", "a", "--scope", "org"], "--org and --user name whole owners"),
        (["--org", "Not Valid"], "cannot be part of a registry path"),
    ],
)
def test_bad_shard_input_is_refused_before_the_network(argv: list[str], said: str) -> None:
    with pytest.raises(UsageError, match=said.replace("(", r"\(")) as caught:
        request_from(argv)
    assert caught.value.exit_code == 2


def owner(name: str, size: int, images: int = 1, scope: Scope = Scope.ORG) -> OwnerWork:
    return OwnerWork(scope, name, images, size)


def test_the_split_balances_bytes_keeps_each_owner_whole_and_is_the_same_in_any_order() -> None:
    owners = [owner("a", 50), owner("b", 30), owner("c", 30), owner("d", 20), owner("e", 20)]
    split = shards.split(owners, 3)
    assert [s.label for s in split] == ["1/3", "2/3", "3/3"]
    assert sorted(sum(o.bytes for o in s.owners) for s in split) == [50, 50, 50]
    assert sorted(o.name for s in split for o in s.owners) == ["a", "b", "c", "d", "e"]
    assert shards.split(list(reversed(owners)), 3) == split
    assert shards.uneven(split) == []


def test_fewer_owners_than_shards_give_no_empty_shard_and_a_giant_is_said_in_one_line() -> None:
    split = shards.split([owner("big", 900), owner("small", 100, scope=Scope.USER)], 5)
    assert [s.label for s in split] == ["1/2", "2/2"]
    assert [s.entry() for s in split] == [
        {"shard": "1/2", "org": "big", "user": ""},
        {"shard": "2/2", "org": "", "user": "small"},
    ]
    (line,) = shards.uneven(split)
    assert line.startswith("org big has ")
    assert "shard 1/2 takes longest" in line


def test_the_plan_document_holds_a_matrix_a_workflow_takes() -> None:
    split = shards.split([owner("a", 10, 2), owner("b", 5), owner("c", 5, scope=Scope.USER)], 2)
    document = shards.plan_document(split)
    assert document["matrix"] == {
        "include": [
            {"shard": "1/2", "org": "a", "user": ""},
            {"shard": "2/2", "org": "b", "user": "c"},
        ]
    }
    assert [(s["images"], s["bytes"]) for s in document["shards"]] == [(2, 10), (2, 10)]


def image(source: str, status: str, sent: int = 0) -> dict[str, object]:
    tag = {"copied": "copied", "skipped": "there", "planned": "copy"}.get(status, status)
    return {
        "source": source,
        "destination": f"containers.ghes.example.com/{source.split('/')[0]}/x",
        "status": status,
        "tags": {"1.0": {"status": tag, "digest": "sha256:" + "0" * 64}},
        "note": status,
        "bytes_sent": sent,
    }


def report(shard: str, *images: dict[str, object], dry_run: bool = False) -> dict[str, object]:
    return {
        "dry_run": dry_run,
        "totals": {"images": len(images), "images_at_once": 2},
        "images": list(images),
        "shard": shard,
    }


PLAN = report("", image("a/r/one", "planned"), image("b/r/two", "planned"), dry_run=True) | {
    "shards": [{"shard": "1/2"}, {"shard": "2/2"}]
}


def test_the_merge_sums_the_shards_and_counts_an_image_moved_twice_once() -> None:
    first = report("1/2", image("a/r/one", "copied", 100))
    second = report("2/2", image("b/r/two", "copied", 40), image("a/r/one", "skipped"))
    merged, failure = shards.merge([PLAN, first, second])
    assert failure == ""
    expected = {"images": 2, "copied": 2, "skipped": 0, "tags_copied": 2, "bytes_sent": 140}
    assert {key: merged["totals"][key] for key in expected} == expected
    assert merged["shards"] == {"reported": ["1/2", "2/2"], "missing": []}


def test_the_final_check_names_a_shard_that_did_not_report_and_its_lost_images() -> None:
    merged, failure = shards.merge([PLAN, report("1/2", image("a/r/one", "copied", 100))])
    assert merged["shards"]["missing"] == ["2/2"]
    assert {i["source"]: i["status"] for i in merged["images"]} == {
        "a/r/one": "copied",
        "b/r/two": "failed",
    }
    assert failure.startswith("shard(s) 2/2 did not report; 1 of 2 image(s) did not move")


def write(path: Path, document: object) -> str:
    path.write_text(json.dumps(document))
    return str(path)


def test_merge_reports_reads_files_and_folders_and_exits_1_when_an_image_did_not_move(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "shard-1").mkdir()
    (tmp_path / "shard-2").mkdir()
    write(
        tmp_path / "shard-1" / "report.json",
        {"migration": report("1/2", image("a/r/one", "copied"))},
    )
    write(tmp_path / "shard-2" / "report.json", report("2/2", image("b/r/two", "failed")))
    plan = write(tmp_path / "plan.json", {"migration": PLAN})
    folders = str(tmp_path / "shard-1") + "," + str(tmp_path / "shard-2")
    assert cli.main(["migrate", "--merge-reports", plan, "--merge-reports", folders, "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["migration"]["totals"]["copied"] == 1
    assert document["migration"]["totals"]["failed"] == 1
    assert document["error"].startswith("1 of 2 image(s) did not move; first: b/r/two")


def test_an_output_file_is_a_report_too(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.txt"
    body = json.dumps(report("1/1", image("a/r/one", "copied")))
    outputs.write_text(f"image=x\nmigration={body}\nregistry=containers.h\n")
    assert cli.main(["migrate", "--merge-reports", str(outputs)]) == 0


def test_merging_a_file_that_is_not_a_report_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = write(tmp_path / "versions.json", {"versions": []})
    assert cli.main(["migrate", "--merge-reports", other]) == 2
    error = capsys.readouterr().err
    assert f"{other} is not a migration report" in error
    assert "Traceback" not in error
    assert cli.main(["migrate", "--merge-reports", str(tmp_path / "none.json")]) == 2


def test_a_shard_that_failed_before_its_report_counts_as_missing_not_as_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write(tmp_path / "plan.json", PLAN)
    first = write(tmp_path / "report-1.json", report("1/2", image("a/r/one", "copied")))
    (tmp_path / "report-2.json").write_text("\n")  # the workflow's empty output of a crash
    assert cli.main(["migrate", "--merge-reports", f"{plan},{first},{tmp_path}/report-2.json"]) == 1
    error = capsys.readouterr().err
    assert "report-2.json: no report" in error
    assert "shard(s) 2/2 did not report" in error
