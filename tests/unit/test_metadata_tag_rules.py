"""Tag rules -> tags, checked against docker/metadata-action's own test tables.

CASES is metadata-action's __tests__/meta.test.ts (commit dc80280, describes null, push, tag,
latest, pr, schedule, release, raw) with each case's expected Version, transcribed by a script:
every case whose rules ghpkg offers (the 13 using type=pep440 are left out). Their fixtures'
GITHUB_* values and event payloads are ENVS below; their clock is mocked to 2020-01-10T00:30Z.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from re import escape as re_escape

import pytest

from ghpkg.errors import UsageError
from ghpkg.metadata.git_tags import GitRef
from ghpkg.metadata.tag_eval import TagContext, Version, evaluate
from ghpkg.metadata.tag_rules import Flavor, parse_flavor, parse_rules, split_lines

NOW = datetime(2020, 1, 10, 0, 30, tzinfo=timezone.utc)
DEV = "860c1904a1ce19322e91ac35af1ab07466440c37"
MASTER = "266574110acf203503badf966df2ea24b5d732d7"
PR = "a9c8c5828b91be19d9728548b24759e352367ef1"
INVALID = "983315b5e8d46e46fc4c49869e85e7ee5fb289ba"

# fixture -> event, GITHUB_REF, GITHUB_SHA, base ref, default branch (from the payload)
ENVS = {
    "null": ("", "", "", "", ""),
    "empty": ("", "", "", "", ""),
    "push_dev": ("push", "refs/heads/dev", DEV, "", "master"),
    "push_master": ("push", "refs/heads/master", MASTER, "", "master"),
    "push_invalidchars": ("push", "refs/heads/my/feature#1245", INVALID, "", "master"),
    "workflow_dispatch": ("workflow_dispatch", "refs/heads/master", DEV, "", "master"),
    "schedule": ("schedule", "refs/heads/master", DEV, "", ""),
    "pull_request": ("pull_request", "refs/pull/15/merge", PR, "master", "master"),
    "pull_request_target": ("pull_request_target", "refs/heads/master", MASTER, "master", "master"),
    "release_created": ("release", "refs/tags/v1.1.1", DEV, "", ""),
    "tag_v1.1.1": ("push", "refs/tags/v1.1.1", DEV, "refs/heads/master", "master"),
    "tag_v2.0.8-beta.67": ("push", "refs/tags/v2.0.8-beta.67", DEV, "", ""),
    "tag_release1": ("push", "refs/tags/release1", DEV, "", ""),
    "tag_sometag": ("push", "refs/tags/sometag", DEV, "", ""),
    "tag_20200110-RC2": ("push", "refs/tags/20200110-RC2", DEV, "", ""),
    "tag_p1-v1.0.0": ("push", "refs/tags/p1/v1.0.0", DEV, "", ""),
}


def context(env: str) -> TagContext:
    event, ref, sha, base_ref, default_branch = ENVS[env]
    git = GitRef(ref=ref, sha=sha, event=event)
    ctx = TagContext.from_git_ref(git, NOW, pr_number="15")
    return replace(ctx, base_ref=base_ref, default_branch=default_branch, commit_date=NOW)


def run(env: str, tags: list[str], flavor: list[str] = []) -> Version:  # noqa: B006
    return evaluate(parse_rules(tags), parse_flavor(flavor), context(env))


# name, fixture, tags, flavor; expected main, partial, latest and the tag names
CASES = [
    ("null01", "null", [], [], None, [], False, []),
    ("null02", "empty", ["type=sha", "type=raw,{{branch}}"], [], None, [], False, []),
    ("push01", "push_dev", [], [], "dev", [], False, ["dev"]),
    ("push02", "push_master", ["type=edge"], [], "edge", [], False, ["edge"]),
    ("push03", "push_master", [], [], "master", [], False, ["master"]),
    ("push04", "workflow_dispatch", ["type=edge"], [], "edge", [], False, ["edge"]),
    ("push05", "push_dev", [], [], "dev", [], False, ["dev"]),
    ("push06", "push_master", ["type=edge"], [], "edge", [], False, ["edge"]),
    (
        "push07",
        "push_dev",
        ["type=ref,event=branch", "type=sha"],
        [],
        "dev",
        ["sha-860c190"],
        False,
        ["dev", "sha-860c190"],
    ),
    (
        "push08",
        "push_master",
        ["type=edge", "type=sha"],
        [],
        "edge",
        ["sha-2665741"],
        False,
        ["edge", "sha-2665741"],
    ),
    (
        "push09",
        "push_dev",
        ["type=edge,branch=dev", "type=sha"],
        [],
        "edge",
        ["sha-860c190"],
        False,
        ["edge", "sha-860c190"],
    ),
    (
        "push10",
        "push_master",
        ["type=edge,branch=dev", "type=sha"],
        [],
        "sha-2665741",
        [],
        False,
        ["sha-2665741"],
    ),
    (
        "push11",
        "push_invalidchars",
        ["type=edge", "type=sha"],
        [],
        "sha-983315b",
        [],
        False,
        ["sha-983315b"],
    ),
    (
        "push13",
        "push_master",
        ["type=ref,priority=2000,event=branch", "type=edge"],
        [],
        "master",
        ["edge"],
        False,
        ["master", "edge"],
    ),
    (
        "push15",
        "push_master",
        ["type=match,pattern=v(.*),group=1,value=v1.2.3", "type=edge"],
        [],
        "1.2.3",
        ["edge"],
        True,
        ["1.2.3", "edge", "latest"],
    ),
    (
        "push16",
        "push_master",
        ["type=match,enable=false,pattern=v(.*),group=1,value=v1.2.3", "type=edge"],
        [],
        "edge",
        [],
        False,
        ["edge"],
    ),
    (
        "push17",
        "push_master",
        [
            "type=raw,value=mytag-{{branch}}",
            "type=raw,value=mytag-{{date 'YYYYMMDD'}}",
            "type=raw,value=mytag-cd-{{commit_date 'YYYYMMDD'}}",
            "type=raw,value=mytag-{{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}",
            "type=raw,value=mytag-tag-{{tag}}",
            "type=raw,value=mytag-baseref-{{base_ref}}",
            "type=raw,value=mytag-defbranch,enable={{is_default_branch}}",
        ],
        [],
        "mytag-master",
        [
            "mytag-20200110",
            "mytag-cd-20200110",
            "mytag-20200110-093000",
            "mytag-tag-",
            "mytag-baseref-",
            "mytag-defbranch",
        ],
        False,
        [
            "mytag-master",
            "mytag-20200110",
            "mytag-cd-20200110",
            "mytag-20200110-093000",
            "mytag-tag-",
            "mytag-baseref-",
            "mytag-defbranch",
        ],
    ),
    (
        "push18",
        "push_dev",
        ["type=ref,event=branch", "type=sha,format=long"],
        [],
        "dev",
        ["sha-860c1904a1ce19322e91ac35af1ab07466440c37"],
        False,
        ["dev", "sha-860c1904a1ce19322e91ac35af1ab07466440c37"],
    ),
    (
        "push19",
        "push_dev",
        [
            "type=edge,branch=master",
            "type=ref,event=branch,enable=false",
            "type=sha,format=long",
            "type=raw,value=defbranch,enable={{is_default_branch}}",
        ],
        [],
        "sha-860c1904a1ce19322e91ac35af1ab07466440c37",
        [],
        False,
        ["sha-860c1904a1ce19322e91ac35af1ab07466440c37"],
    ),
    (
        "push20",
        "push_dev",
        ["type=edge,branch=master", "type=ref,event=branch,enable=false", "type=sha,format=long"],
        [],
        "sha-860c1904a1ce19322e91ac35af1ab07466440c37",
        [],
        False,
        ["sha-860c1904a1ce19322e91ac35af1ab07466440c37"],
    ),
    (
        "push21",
        "push_master",
        [
            "type=raw,value=mytag-{{branch}}",
            "type=raw,value=mytag-{{date 'YYYYMMDD'}}",
            "type=raw,value=mytag-{{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}",
            "type=raw,value=mytag-src-{{commit_date 'YYYYMMDD'}}",
            "type=raw,value=mytag-tag-{{tag}}",
            "type=raw,value=mytag-baseref-{{base_ref}}",
            "type=raw,value=mytag-defbranch,enable={{is_default_branch}}",
        ],
        [],
        "mytag-master",
        [
            "mytag-20200110",
            "mytag-20200110-093000",
            "mytag-src-20200110",
            "mytag-tag-",
            "mytag-baseref-",
            "mytag-defbranch",
        ],
        False,
        [
            "mytag-master",
            "mytag-20200110",
            "mytag-20200110-093000",
            "mytag-src-20200110",
            "mytag-tag-",
            "mytag-baseref-",
            "mytag-defbranch",
        ],
    ),
    (
        "push22",
        "push_dev",
        [
            "type=edge,branch=master",
            "type=sha,format=long",
            "type=raw,value=notdefbranch,enable={{is_not_default_branch}}",
        ],
        [],
        "notdefbranch",
        ["sha-860c1904a1ce19322e91ac35af1ab07466440c37"],
        False,
        ["notdefbranch", "sha-860c1904a1ce19322e91ac35af1ab07466440c37"],
    ),
    ("tag01", "tag_release1", [], [], "release1", [], True, ["release1", "latest"]),
    ("tag02", "tag_20200110-RC2", [], [], "20200110-RC2", [], True, ["20200110-RC2", "latest"]),
    (
        "tag03",
        "tag_20200110-RC2",
        ["type=match,pattern=\\d{8}"],
        ["latest=false"],
        "20200110",
        [],
        False,
        ["20200110"],
    ),
    (
        "tag04",
        "tag_20200110-RC2",
        ["type=match,pattern=(.*)-RC,group=1"],
        ["latest=false"],
        "20200110",
        [],
        False,
        ["20200110"],
    ),
    (
        "tag05",
        "tag_v1.1.1",
        ['type=match,"pattern=\\d.\\d.\\d"'],
        [],
        "1.1.1",
        [],
        True,
        ["1.1.1", "latest"],
    ),
    (
        "tag06",
        "tag_v1.1.1",
        ['type=match,"pattern=^v(\\d.\\d.\\d)$",group=1'],
        [],
        "1.1.1",
        [],
        True,
        ["1.1.1", "latest"],
    ),
    (
        "tag07",
        "tag_v2.0.8-beta.67",
        ['type=match,"pattern=\\d.\\d.\\d-(alpha|beta).\\d+"'],
        [],
        "2.0.8-beta.67",
        [],
        True,
        ["2.0.8-beta.67", "latest"],
    ),
    (
        "tag08",
        "tag_v2.0.8-beta.67",
        ['type=match,"pattern=\\d.\\d"'],
        [],
        "2.0",
        [],
        True,
        ["2.0", "latest"],
    ),
    (
        "tag09",
        "tag_v2.0.8-beta.67",
        [
            'type=match,"pattern=v(.*)-beta.(.*)",group=1',
            'type=match,"pattern=v(.*)-beta.(.*)",group=2',
        ],
        [],
        "2.0.8",
        ["67"],
        True,
        ["2.0.8", "67", "latest"],
    ),
    ("tag10", "tag_sometag", ['type=match,"pattern=\\d.\\d"'], [], None, [], False, []),
    (
        "tag11",
        "tag_v1.1.1",
        [
            "type=semver,pattern={{version}}",
            "type=semver,pattern={{major}}.{{minor}}",
            "type=semver,pattern={{major}}",
        ],
        [],
        "1.1.1",
        ["1.1", "1"],
        True,
        ["1.1.1", "1.1", "1", "latest"],
    ),
    (
        "tag12",
        "tag_v1.1.1",
        ["type=semver,pattern={{version}}", "type=semver,pattern={{major}}.{{minor}}.{{patch}}"],
        [],
        "1.1.1",
        [],
        True,
        ["1.1.1", "latest"],
    ),
    (
        "tag13",
        "tag_v2.0.8-beta.67",
        ["type=semver,pattern={{major}}.{{minor}}", "type=semver,pattern={{major}}"],
        [],
        "2.0.8-beta.67",
        [],
        False,
        ["2.0.8-beta.67"],
    ),
    (
        "tag14",
        "tag_sometag",
        [
            "type=ref,event=tag",
            "type=semver,pattern={{version}}",
            "type=semver,pattern={{major}}.{{minor}}",
            "type=semver,pattern={{major}}",
        ],
        ["latest=false"],
        "sometag",
        [],
        False,
        ["sometag"],
    ),
    (
        "tag15",
        "tag_v2.0.8-beta.67",
        [
            "type=raw,priority=2000,foo",
            "type=semver,pattern={{version}}",
            'type=match,"pattern=\\d.\\d"',
        ],
        [],
        "foo",
        ["2.0.8-beta.67", "2.0"],
        False,
        ["foo", "2.0.8-beta.67", "2.0"],
    ),
    (
        "tag16",
        "tag_v1.1.1",
        ["type=raw,priority=2000,foo", "type=ref,event=tag", "type=edge"],
        [],
        "foo",
        ["v1.1.1"],
        False,
        ["foo", "v1.1.1"],
    ),
    (
        "tag17",
        "tag_p1-v1.0.0",
        [
            'type=match,"pattern=/^v(\\d.\\d.\\d)$/ig",group=1',
            "type=match,pattern=\\d.\\d.\\d",
            "type=match,pattern=\\d.\\d",
            "type=ref,event=pr",
            "type=sha",
        ],
        [],
        "1.0.0",
        ["1.0", "sha-860c190"],
        True,
        ["1.0.0", "1.0", "sha-860c190", "latest"],
    ),
    (
        "tag18",
        "tag_p1-v1.0.0",
        [
            "type=match,pattern=p1/v(\\d.\\d.\\d),group=1",
            "type=match,pattern=p1/v(\\d.\\d),group=1",
            "type=match,pattern=p1/v(\\d.\\d),group=3",
            "type=ref,event=pr",
            "type=sha",
        ],
        [],
        "1.0.0",
        ["1.0", "sha-860c190"],
        True,
        ["1.0.0", "1.0", "sha-860c190", "latest"],
    ),
    (
        "tag19",
        "tag_p1-v1.0.0",
        [
            "type=match,pattern=p1/v(\\d.\\d.\\d),group=1",
            "type=match,pattern=p1/v(\\d.\\d),group=1,suffix=",
            "type=ref,event=pr",
            "type=sha",
        ],
        ["suffix=-dev"],
        "1.0.0-dev",
        ["1.0", "sha-860c190-dev"],
        True,
        ["1.0.0-dev", "1.0", "sha-860c190-dev", "latest"],
    ),
    (
        "tag20",
        "tag_v1.1.1",
        [
            "type=raw,{{tag}}-{{sha}}-foo",
            "type=raw,{{base_ref}}-foo",
            "type=raw,defbranch-foo,enable={{is_default_branch}}",
        ],
        [],
        "v1.1.1-860c190-foo",
        ["master-foo"],
        False,
        ["v1.1.1-860c190-foo", "master-foo"],
    ),
    (
        "tag21",
        "tag_v1.1.1",
        ["type=semver,pattern={{version}}", "type=semver,pattern={{major}}.{{minor}}.{{patch}}"],
        ["suffix=-dev,onlatest=true"],
        "1.1.1-dev",
        [],
        True,
        ["1.1.1-dev", "latest-dev"],
    ),
    (
        "tag22",
        "tag_v1.1.1",
        ["type=semver,pattern={{version}}", "type=semver,pattern={{major}}.{{minor}}.{{patch}}"],
        ["prefix=foo-,onlatest=true", "suffix=-dev,onlatest=true"],
        "foo-1.1.1-dev",
        [],
        True,
        ["foo-1.1.1-dev", "foo-latest-dev"],
    ),
    (
        "tag31",
        "tag_v2.0.8-beta.67",
        ["type=semver,pattern={{raw}}"],
        [],
        "v2.0.8-beta.67",
        [],
        False,
        ["v2.0.8-beta.67"],
    ),
    (
        "tag34",
        "tag_p1-v1.0.0",
        ['type=semver,pattern={{version}},"match=v(\\d.\\d.\\d)$"'],
        [],
        "1.0.0",
        [],
        True,
        ["1.0.0", "latest"],
    ),
    (
        "latest01",
        "tag_release1",
        ['type=match,"pattern=^release\\d{1,2}"'],
        [],
        "release1",
        [],
        True,
        ["release1", "latest"],
    ),
    (
        "latest02",
        "tag_20200110-RC2",
        ['type=match,"pattern=^\\d+-RC\\d{1,2}"'],
        [],
        "20200110-RC2",
        [],
        True,
        ["20200110-RC2", "latest"],
    ),
    (
        "latest03",
        "tag_20200110-RC2",
        ["type=match,pattern=\\d{8}"],
        [],
        "20200110",
        [],
        True,
        ["20200110", "latest"],
    ),
    (
        "latest04",
        "tag_v1.1.1",
        ['type=match,"pattern=\\d.\\d.\\d"'],
        [],
        "1.1.1",
        [],
        True,
        ["1.1.1", "latest"],
    ),
    ("latest05", "tag_v1.1.1", [], [], "v1.1.1", [], True, ["v1.1.1", "latest"]),
    (
        "latest06",
        "tag_v2.0.8-beta.67",
        ['type=match,"pattern=\\d.\\d.\\d"'],
        [],
        "2.0.8",
        [],
        True,
        ["2.0.8", "latest"],
    ),
    (
        "latest07",
        "tag_v1.1.1",
        ["type=ref,event=tag"],
        ["latest=false"],
        "v1.1.1",
        [],
        False,
        ["v1.1.1"],
    ),
    (
        "latest08",
        "tag_v1.1.1",
        ["type=ref,event=tag"],
        ["latest=false"],
        "v1.1.1",
        [],
        False,
        ["v1.1.1"],
    ),
    (
        "latest09",
        "tag_v1.1.1",
        ["type=ref,event=tag"],
        ["latest=false"],
        "v1.1.1",
        [],
        False,
        ["v1.1.1"],
    ),
    (
        "latest10",
        "tag_v2.0.8-beta.67",
        ['type=match,"pattern=\\d.\\d.\\d"'],
        [],
        "2.0.8",
        [],
        True,
        ["2.0.8", "latest"],
    ),
    ("pr01", "pull_request", [], [], "pr-15", [], False, ["pr-15"]),
    ("pr02", "pull_request", [], [], "pr-15", [], False, ["pr-15"]),
    (
        "pr03",
        "pull_request",
        ["type=ref,event=pr", "type=sha"],
        [],
        "pr-15",
        ["sha-a9c8c58"],
        False,
        ["pr-15", "sha-a9c8c58"],
    ),
    (
        "pr04",
        "pull_request",
        ["type=sha,priority=2000", "type=ref,event=pr"],
        [],
        "sha-a9c8c58",
        ["pr-15"],
        False,
        ["sha-a9c8c58", "pr-15"],
    ),
    (
        "pr05",
        "pull_request",
        ["type=ref,event=pr"],
        ["prefix=glo-", "suffix=-bal"],
        "pr-15-bal",
        [],
        False,
        ["pr-15-bal"],
    ),
    (
        "pr06",
        "pull_request",
        ["type=ref,event=pr,prefix="],
        ["prefix=glo-", "suffix=-bal"],
        "15-bal",
        [],
        False,
        ["15-bal"],
    ),
    (
        "pr07",
        "pull_request_target",
        ["type=sha,priority=2000", "type=ref,event=pr"],
        [],
        "sha-2665741",
        ["pr-15"],
        False,
        ["sha-2665741", "pr-15"],
    ),
    (
        "pr08",
        "pull_request_target",
        ["type=ref,event=pr,prefix="],
        ["prefix=glo-", "suffix=-bal"],
        "15-bal",
        [],
        False,
        ["15-bal"],
    ),
    (
        "pr09",
        "pull_request_target",
        [
            "type=ref,event=tag",
            "type=ref,event=pr",
            "type=ref,event=branch",
            "type=sha",
            "type=sha,format=long",
        ],
        [],
        "pr-15",
        ["sha-2665741", "sha-266574110acf203503badf966df2ea24b5d732d7"],
        False,
        ["pr-15", "sha-2665741", "sha-266574110acf203503badf966df2ea24b5d732d7"],
    ),
    (
        "pr10",
        "pull_request_target",
        [
            "type=raw,value=mytag-{{base_ref}}",
            "type=raw,mytag-defbranch,enable={{is_default_branch}}",
        ],
        [],
        "mytag-master",
        [],
        False,
        ["mytag-master"],
    ),
    (
        "pr11",
        "pull_request",
        [
            "type=raw,value=mytag-{{base_ref}}",
            "type=raw,mytag-defbranch,enable={{is_default_branch}}",
        ],
        [],
        "mytag-master",
        [],
        False,
        ["mytag-master"],
    ),
    ("schedule01", "schedule", [], [], "nightly", ["master"], False, ["nightly", "master"]),
    (
        "schedule02",
        "schedule",
        [
            "type=schedule,pattern={{date 'YYYYMMDD'}}",
            "type=schedule,pattern=source-date-{{commit_date 'YYYY-MM-DD'}}",
        ],
        [],
        "20200110",
        ["source-date-2020-01-10"],
        False,
        ["20200110", "source-date-2020-01-10"],
    ),
    (
        "schedule03",
        "schedule",
        ["type=schedule,pattern={{date 'YYYYMMDD-HHmmss'}}"],
        [],
        "20200110-003000",
        [],
        False,
        ["20200110-003000"],
    ),
    ("schedule04", "schedule", [], [], "nightly", ["master"], False, ["nightly", "master"]),
    (
        "schedule05",
        "schedule",
        ["type=schedule", "type=sha"],
        [],
        "nightly",
        ["sha-860c190"],
        False,
        ["nightly", "sha-860c190"],
    ),
    (
        "schedule06",
        "schedule",
        [
            "type=schedule",
            "type=sha,priority=2000",
            "type=raw,value=defbranch,enable={{is_default_branch}}",
        ],
        [],
        "sha-860c190",
        ["nightly", "defbranch"],
        False,
        ["sha-860c190", "nightly", "defbranch"],
    ),
    (
        "schedule07",
        "schedule",
        ["type=schedule"],
        ["prefix=glo-", "suffix=-bal"],
        "glo-nightly-bal",
        [],
        False,
        ["glo-nightly-bal"],
    ),
    (
        "schedule08",
        "schedule",
        [
            "type=schedule,pattern={{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}",
            "type=schedule,pattern=src-{{commit_date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}",
        ],
        [],
        "20200110-093000",
        ["src-20200110-093000"],
        False,
        ["20200110-093000", "src-20200110-093000"],
    ),
    ("release01", "release_created", [], [], "v1.1.1", [], True, ["v1.1.1", "latest"]),
    (
        "release02",
        "release_created",
        [
            "type=ref,event=tag",
            "type=raw,value=baseref-{{base_ref}}",
            "type=raw,value=defbranch,enable={{is_default_branch}}",
        ],
        [],
        "v1.1.1",
        ["baseref-"],
        True,
        ["v1.1.1", "baseref-", "latest"],
    ),
    (
        "raw01",
        "push_dev",
        ["type=ref,event=branch", "type=raw,my", "type=raw,custom", "type=raw,tags"],
        [],
        "dev",
        ["my", "custom", "tags"],
        False,
        ["dev", "my", "custom", "tags"],
    ),
    (
        "raw02",
        "push_dev",
        ["type=ref,event=branch", "type=raw,my"],
        [],
        "dev",
        ["my"],
        False,
        ["dev", "my"],
    ),
    (
        "raw03",
        "tag_release1",
        ["type=ref,event=tag", "type=raw,my", "type=raw,custom", "type=raw,tags"],
        [],
        "release1",
        ["my", "custom", "tags"],
        True,
        ["release1", "my", "custom", "tags", "latest"],
    ),
    (
        "raw04",
        "tag_20200110-RC2",
        ["type=match,pattern=\\d{8}", "type=raw,my", "type=raw,custom", "type=raw,tags"],
        ["latest=false"],
        "20200110",
        ["my", "custom", "tags"],
        False,
        ["20200110", "my", "custom", "tags"],
    ),
    (
        "raw05",
        "tag_v1.1.1",
        [
            "type=semver,pattern={{version}}",
            "type=semver,pattern={{major}}.{{minor}}",
            "type=semver,pattern={{major}}",
            "type=raw,my",
            "type=raw,custom",
            "type=raw,tags",
        ],
        [],
        "1.1.1",
        ["1.1", "1", "my", "custom", "tags"],
        True,
        ["1.1.1", "1.1", "1", "my", "custom", "tags", "latest"],
    ),
    (
        "raw06",
        "tag_v1.1.1",
        ["type=raw,my", "type=raw,custom", "type=raw,tags"],
        [],
        "my",
        ["custom", "tags"],
        False,
        ["my", "custom", "tags"],
    ),
    (
        "raw07",
        "push_dev",
        ["type=ref,priority=90,event=branch", "type=raw,my", "type=raw,custom", "type=raw,tags"],
        ["latest=true"],
        "my",
        ["custom", "tags", "dev"],
        True,
        ["my", "custom", "tags", "dev", "latest"],
    ),
    (
        "raw08",
        "push_dev",
        ["type=match,pattern=\\d{8}", "type=raw,my", "type=raw,custom", "type=raw,tags"],
        ["latest=false"],
        "my",
        ["custom", "tags"],
        False,
        ["my", "custom", "tags"],
    ),
    (
        "raw09",
        "push_dev",
        [
            "type=match,pattern=\\d{8}",
            "type=raw,my,prefix=foo-,suffix=-bar",
            "type=raw,custom",
            "type=raw,tags",
        ],
        ["latest=false", "prefix=glo-", "suffix=-bal"],
        "foo-my-bar",
        ["glo-custom-bal", "glo-tags-bal"],
        False,
        ["foo-my-bar", "glo-custom-bal", "glo-tags-bal"],
    ),
    (
        "raw10",
        "push_dev",
        ["type=raw,foo", "type=raw,bar,enable=false", "type=raw,baz,enable=true"],
        ["latest=false"],
        "foo",
        ["baz"],
        False,
        ["foo", "baz"],
    ),
]


@pytest.mark.parametrize(
    ("env", "tags", "flavor", "main", "partial", "latest", "names"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_rules_give_the_tags_metadata_action_gives(
    env: str,
    tags: list[str],
    flavor: list[str],
    main: str | None,
    partial: list[str],
    latest: bool,
    names: list[str],
) -> None:
    version = run(env, tags, flavor)
    assert version == Version(main, tuple(partial), latest)
    assert version.tags(parse_flavor(flavor)) == names


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
