"""The `tags` input against a workflow's environment and event payload."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ghpkg.errors import UsageError
from ghpkg.tag_inputs import tag_context, tags_from_rules

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
