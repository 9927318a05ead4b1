"""Tag rules -> tags, checked against docker/metadata-action's own test tables.

metadata_action_meta_cases.json is metadata-action's __tests__/meta.test.ts transcribed (commit
dc80280; describes null, push, tag, latest, pr, pr-head-sha, schedule, release, raw): every
case's rules, flavor and expected Version and tags, and each fixture's GITHUB_* variables with
the payload fields the rules read. Their clock (dates and commit dates alike: moment is mocked)
is 2020-01-10T00:30Z. The cases run through the face's `tag_context`, as a workflow's would.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from re import escape as re_escape
from typing import Any

import pytest

from ghpkg.errors import UsageError
from ghpkg.faces.tag_inputs import tag_context
from ghpkg.metadata.tag_eval import TagContext, Version, evaluate
from ghpkg.metadata.tag_rules import Flavor, parse_flavor, parse_rules, split_lines

NOW = datetime(2020, 1, 10, 0, 30, tzinfo=timezone.utc)
DEV = "860c1904a1ce19322e91ac35af1ab07466440c37"
TABLES = json.loads((Path(__file__).parent / "metadata_action_meta_cases.json").read_text())
CASES: list[dict[str, Any]] = TABLES["cases"]


def context(env: str, pr_head_sha: bool = False) -> TagContext:
    """The fixture's TagContext as `tag_context` reads it from GITHUB_* and the payload."""
    fixture = dict(TABLES["envs"][env])
    payload = fixture.pop("payload")
    if pr_head_sha:
        fixture["DOCKER_METADATA_PR_HEAD_SHA"] = "true"
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "event.json").write_text(json.dumps(payload))
        ctx = tag_context({**fixture, "GITHUB_EVENT_PATH": f"{directory}/event.json"}, NOW)
    return replace(ctx, commit_date=NOW)


def run(env: str, tags: list[str], flavor: list[str] = []) -> Version:  # noqa: B006
    return evaluate(parse_rules(tags), parse_flavor(flavor), context(env))


def tag_names(case: dict[str, Any]) -> list[str]:
    """The expected tags of the case's first image (all of them when it has none), by name."""
    if not case["images"]:
        return list(case["expected"])
    image = case["images"][0].split(",")[0]
    return [tag.rpartition(":")[2] for tag in case["expected"] if tag.startswith(image + ":")]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['describe']}-{c['name']}" for c in CASES])
def test_rules_give_the_tags_metadata_action_gives(case: dict[str, Any]) -> None:
    ctx = context(case["env"], case["pr_head_sha"])
    flavor = parse_flavor(case["flavor"])
    version = evaluate(parse_rules(case["tags"]), flavor, ctx)
    expected = case["version"]
    assert version == Version(expected["main"], tuple(expected["partial"]), expected["latest"])
    assert version.tags(flavor) == tag_names(case)


def test_the_transcribed_tables_hold_every_case_of_the_describes() -> None:
    # meta.test.ts at dc80280: 114 cases in these nine describes, 13 of them type=pep440
    assert len(CASES) == 114
    assert sum(any("pep440" in t for t in c["tags"]) for c in CASES) == 13


# metadata-action's README, `type=semver`: Git tag, pattern, match -> output
@pytest.mark.parametrize(
    ("git_tag", "pattern", "match", "output"),
    [
        ("v1.2.3", "{{raw}}", "", "v1.2.3"),
        ("v1.2.3", "{{version}}", "", "1.2.3"),
        ("v1.2.3", "{{major}}.{{minor}}", "", "1.2"),
        ("v1.2.3", "v{{major}}", "", "v1"),
        ("v1.2.3", "{{minor}}", "", "2"),
        ("v1.2.3", "{{patch}}", "", "3"),
        ("p1/v1.2.3", "{{version}}", r"v(\d.\d.\d)$", "1.2.3"),
        ("v2.0.8-beta.67", "{{raw}}", "", "v2.0.8-beta.67"),
        ("v2.0.8-beta.67", "{{version}}", "", "2.0.8-beta.67"),
        ("v2.0.8-beta.67", "{{major}}", "", "2.0.8-beta.67"),
        ("v2.0.8-beta.67", "{{major}}.{{minor}}", "", "2.0.8-beta.67"),
    ],
)
def test_semver_patterns_match_the_readme_table(
    git_tag: str, pattern: str, match: str, output: str
) -> None:
    rule = (
        f'type=semver,pattern={pattern},"match={match}"'
        if match
        else f"type=semver,pattern={pattern}"
    )
    ctx = replace(context("tag_v1.1.1"), ref=f"refs/tags/{git_tag}")
    assert evaluate(parse_rules([rule]), Flavor(), ctx).main == output


# metadata-action's README, `type=ref`: event, ref -> output
@pytest.mark.parametrize(
    ("event", "ref", "output"),
    [
        ("pull_request", "refs/pull/2/merge", "pr-2"),
        ("push", "refs/heads/master", "master"),
        ("push", "refs/heads/my/branch", "my-branch"),
        ("push", "refs/tags/v1.2.3", "v1.2.3"),
        ("push", "refs/tags/v2.0.8-beta.67", "v2.0.8-beta.67"),
        ("workflow_dispatch", "refs/heads/master", "master"),
    ],
)
def test_ref_rules_match_the_readme_table(event: str, ref: str, output: str) -> None:
    rules = parse_rules(["type=ref,event=branch", "type=ref,event=tag", "type=ref,event=pr"])
    ctx = replace(context("push_dev"), event=event, ref=ref)
    assert evaluate(rules, Flavor(), ctx).main == output


# metadata-action's README, `type=schedule`: pattern -> output on a schedule event
@pytest.mark.parametrize(
    ("pattern", "output"),
    [
        ("", "nightly"),
        ("nightly", "nightly"),
        ("{{date 'YYYYMMDD'}}", "20200110"),
        ("{{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}", "20200110-093000"),
    ],
)
def test_schedule_patterns_match_the_readme_table(pattern: str, output: str) -> None:
    rule = f"type=schedule,pattern={pattern}" if pattern else "type=schedule"
    assert run("schedule", [rule]).main == output


def test_schedule_rules_give_nothing_outside_a_schedule_event() -> None:
    assert run("push_dev", ["type=schedule"]).main is None


def test_sha_rule_is_sha_and_seven_digits_or_the_whole_commit() -> None:
    assert run("push_dev", ["type=sha"]).main == "sha-860c190"
    assert run("push_dev", ["type=sha,format=long"]).main == f"sha-{DEV}"
    assert run("push_dev", ["type=sha,prefix=,suffix=-x"]).main == "860c190-x"


def test_characters_a_tag_cannot_hold_become_dashes() -> None:
    assert run("push_invalidchars", ["type=ref,event=branch"]).main == "my-feature-1245"
    assert run("push_dev", ["type=raw,value=a b/c+d"]).main == "a-b-c-d"


def test_latest_flavor_true_and_false_override_auto() -> None:
    assert run("push_dev", ["type=ref,event=branch"], ["latest=true"]).tags(Flavor()) == [
        "dev",
        "latest",
    ]
    assert run("tag_v1.1.1", ["type=semver,pattern={{version}}"], ["latest=false"]).latest is False


def test_a_prerelease_never_gets_latest_on_auto() -> None:
    assert run("tag_v2.0.8-beta.67", ["type=semver,pattern={{version}}"]).latest is False


def test_a_tag_that_is_not_semver_gives_no_semver_tag_and_says_why() -> None:
    version = run("tag_sometag", ["type=semver,pattern={{version}}"])
    assert version.main is None
    assert version.notes == ("sometag is not a valid semver (https://semver.org/); no tag from it",)


def test_no_rules_mean_metadata_actions_defaults() -> None:
    assert [rule.line for rule in parse_rules([])] == [
        "type=schedule",
        "type=ref,event=branch",
        "type=ref,event=tag",
        "type=ref,event=pr",
    ]


def test_rule_lines_skip_blanks_and_comments() -> None:
    text = "# releases\ntype=semver,pattern={{version}}\n\n  type=sha  \n"
    assert split_lines(text) == ["type=semver,pattern={{version}}", "type=sha"]


def test_priority_orders_rules_and_ties_keep_their_order() -> None:
    rules = parse_rules(["type=raw,a", "type=sha", "type=raw,b,priority=2000", "type=raw,c"])
    assert [rule.line for rule in rules] == [
        "type=raw,b,priority=2000",
        "type=raw,a",
        "type=raw,c",
        "type=sha",
    ]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("type=semvr,pattern={{version}}", "unknown type 'semvr'"),
        ("type=semver", "type=semver needs pattern="),
        ("type=ref", "type=ref needs event="),
        ("type=ref,event=push", "event=push is not one of branch|tag|pr"),
        ("type=sha,format=medium", "format=medium is not one of"),
        ("type=semver,patern={{version}}", "type=semver has no attribute 'patern'"),
        ("type=raw,value=x,priority=high", "priority=high is not a whole number"),
        ("type=match,pattern=x,group=one", "group=one is not a number"),
        ('type=raw,"value=x', "tags 'type=raw,\"value=x'"),
    ],
)
def test_a_bad_rule_line_is_bad_input_naming_the_line(line: str, says: str) -> None:
    with pytest.raises(UsageError, match=re_escape(says)) as caught:
        parse_rules([line])
    assert caught.value.exit_code == 2
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("type=raw,value=x,enable=maybe", "enable=maybe: not true|false"),
        ("type=raw,value={{brnch}}", "unknown expression {{brnch}}"),
        (
            "type=raw,value={{date 'YYYYMMDD' tz='Mars/Olympus'}}",
            "unknown time zone 'Mars/Olympus'",
        ),
        ("type=raw,value={{date 'Do MMMM'}}", "date token 'Do' is not supported"),
        ("type=raw,value={{branch", "unbalanced braces"),
        ("type=semver,pattern={{version}},value=v1.2.3,match=(", "bad regex '('"),
        ("type=semver,pattern={{mjr}},value=v1.2.3", "unknown expression {{mjr}}"),
    ],
)
def test_a_bad_expression_is_bad_input_naming_the_line(line: str, says: str) -> None:
    with pytest.raises(UsageError, match=re_escape(says)):
        run("push_dev", [line])


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("latest=maybe", "latest=maybe: not auto|true|false"),
        ("lastest=true", "cannot read 'lastest=true'"),
        ("prefix=a-,onlatest=yes", "onlatest=yes: not true|false"),
    ],
)
def test_a_bad_flavor_line_is_bad_input(line: str, says: str) -> None:
    with pytest.raises(UsageError, match=re_escape(says)):
        parse_flavor([line])
