"""delete's plan: which versions go, which stay and why, and the rules' inputs (exit 2)."""

from __future__ import annotations

import datetime

import pytest

from ghpkg.errors import GhpkgError, UsageError
from ghpkg.faces.inputs import parse_action, parse_cli, resolve
from ghpkg.retention import PackageVersion, Rules, parse_age, plan
from ghpkg.secret import Secret
from ghpkg.verbs.package_versions import DeleteRequest, VersionsRequest

NOW = datetime.datetime(2026, 6, 30, 12, 0, tzinfo=datetime.timezone.utc)
PAT = Secret("ghp_" + "a" * 36)


def v(number: int, days_old: int, *tags: str, name: str = "") -> PackageVersion:
    """A version made `days_old` days before NOW (a later id is newer among equals)."""
    created = (NOW - datetime.timedelta(days=days_old, seconds=number)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    return PackageVersion(number, tags, created, created, name or f"sha256:{number:064x}")


def decided(versions: list[PackageVersion], rules: Rules, **kwargs: object) -> dict[int, str]:
    """Version id -> its reason."""
    return {d.version.id: d.reason for d in plan(versions, rules, NOW, **kwargs)}  # type: ignore[arg-type]


def test_keep_n_keeps_the_newest_tagged_versions_and_leaves_untagged_ones_alone() -> None:
    versions = [v(1, 1, "3.0"), v(2, 2), v(3, 3, "2.0"), v(4, 4, "1.0")]
    assert decided(versions, Rules(keep=2)) == {
        1: "kept: newest 2",
        2: "kept: untagged (--untagged deletes these)",
        3: "kept: newest 2",
        4: "goes: not among the newest 2",
    }


@pytest.mark.parametrize(
    ("rules", "goes"),
    [
        (Rules(keep=1), {2, 3, 4}),
        (Rules(keep=1, keep_tags=("^v",)), {3, 4}),
        (Rules(keep=1, older_than="30d"), {3, 4}),
        (Rules(keep=1, older_than="60d"), {4}),
        (Rules(older_than="30d"), {3, 4}),
        (Rules(untagged=True), {5}),
        (Rules(keep=1, untagged=True), {2, 3, 4, 5}),
        (Rules(keep=1, untagged=True, older_than="45d"), {4, 5}),
        (Rules(tags=("0.9",)), {3}),
        (Rules(tags=("0.9", "v1.0.0"), keep_tags=("^v",)), {3}),
    ],
)
def test_what_is_kept_wins_over_what_would_go(rules: Rules, goes: set[int]) -> None:
    versions = [v(1, 1, "2.0"), v(2, 10, "v1.0.0"), v(3, 40, "0.9"), v(4, 90, "0.8"), v(5, 50)]
    assert {d.version.id for d in plan(versions, rules, NOW) if d.goes} == goes


def test_each_kept_version_says_which_rule_kept_it() -> None:
    versions = [v(1, 1, "2.0"), v(2, 10, "v1.0.0"), v(3, 5, "1.5"), v(4, 40, "0.9")]
    rules = Rules(keep=1, keep_tags=("^v",), older_than="30d")
    assert decided(versions, rules) == {
        1: "kept: newest 1",
        3: "kept: newer than 30d",
        2: "kept: matches ^v",
        4: "goes: not among the newest 1",
    }


def test_children_of_an_index_that_stays_stay_and_those_of_one_that_goes_go() -> None:
    kept_index, old_index = v(1, 1, "1.2.0"), v(2, 60, "1.1.0")
    amd, arm, old_amd, shared, orphan = v(3, 1), v(4, 1), v(5, 60), v(6, 60), v(7, 60)
    children = {1: [amd.name, arm.name, shared.name], 2: [old_amd.name, shared.name]}
    versions = [kept_index, old_index, amd, arm, old_amd, shared, orphan]
    assert decided(versions, Rules(keep=1, untagged=True), children=children) == {
        1: "kept: newest 1",
        3: "kept: child of 1.2.0's index",
        4: "kept: child of 1.2.0's index",
        2: "goes: not among the newest 1",
        5: "goes: untagged",
        6: "kept: child of 1.2.0's index",
        7: "goes: untagged",
    }


def test_a_tagged_child_of_a_kept_index_stays_though_keep_n_would_drop_it() -> None:
    index, child = v(1, 1, "1.0"), v(2, 2, "1.0-linux-amd64")
    assert decided([index, child], Rules(keep=1), children={1: [child.name]})[2] == (
        "kept: child of 1.0's index"
    )


def test_a_version_named_by_version_that_is_not_there_stops_the_plan() -> None:
    with pytest.raises(GhpkgError, match=r"version 9\.9 is not in the package"):
        plan([v(1, 1, "1.0")], Rules(tags=("9.9",)), NOW)


@pytest.mark.parametrize(
    ("text", "seconds"), [("30d", 30 * 86400), ("12h", 43200), ("2w", 1209600), ("90M", 5400)]
)
def test_ages_take_a_number_and_a_unit(text: str, seconds: int) -> None:
    assert parse_age(text) == seconds


def request_from(*argv: str) -> DeleteRequest:
    """delete's request from a command line (owner and repository given)."""
    raw, _ = parse_cli(["delete", "--hostname", "h", "--owner", "o", "--repository", "r", *argv])
    request = resolve(raw, {}, PAT).request
    assert isinstance(request, DeleteRequest)
    return request


def test_rules_reach_the_request() -> None:
    request = request_from(
        *("--image", "a", "--registry", "container", "--keep", "3", "--keep-tags", "^v"),
        *("--keep-tags", "^release-", "--older-than", "30D", "--untagged", "--delete-pause", "0"),
    )
    assert request.keep == 3
    assert request.keep_tags == ("^v", "^release-")
    assert (request.older_than, request.untagged, request.pause) == ("30d", True, 0.0)


def test_the_action_reads_the_rules_from_its_inputs() -> None:
    env = {
        "GITHUB_SERVER_URL": "https://ghes.example.com",
        "GITHUB_REPOSITORY": "octo-org/hello-world",
        "INPUT_OPERATION": "delete",
        "INPUT_REGISTRY": "container",
        "INPUT_IMAGE": "app",
        "INPUT_KEEP": "10",
        "INPUT_KEEP-TAGS": "^v\\d+\n^main$\n",
        "INPUT_OLDER-THAN": "2w",
        "INPUT_UNTAGGED": "true",
        "INPUT_DELETE-PAUSE": "1.5",
    }
    call = resolve(parse_action(env), env, PAT)
    assert isinstance(call.request, DeleteRequest)
    request = call.request
    assert (call.remote.registry, request.keep, request.keep_tags) == (
        "container",
        10,
        ("^v\\d+", "^main$"),
    )
    assert (request.older_than, request.untagged, request.pause) == ("2w", True, 1.5)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--older-than", "30"], "--older-than '30' is not an age"),
        (["--older-than", "0d"], "is not an age"),
        (["--keep", "1", "--keep-tags", "v("], "--keep-tags 'v\\(' is not a regular expression"),
        (["--untagged"], "--untagged is for the Container registry"),
        (["--keep", "1", "--delete-pause", "-1"], "delete-pause '-1' is not a number of seconds"),
        (["--keep", "1", "--delete-pause", "nan"], "delete-pause 'nan'"),
        (["--keep-tags", "^v"], "delete needs --keep N, --version V"),
    ],
)
def test_bad_rules_are_usage_errors(argv: list[str], words: str) -> None:
    with pytest.raises(UsageError, match=words) as caught:
        request_from("--image", "a", *argv)
    assert caught.value.exit_code == 2


def test_rules_are_refused_by_other_commands() -> None:
    argv = ["versions", "--hostname", "h", "--owner", "o", "--repository", "r", "--image", "a"]
    assert isinstance(resolve(parse_cli(argv)[0], {}, PAT).request, VersionsRequest)  # no rules
    with pytest.raises(
        UsageError, match="does not take --untagged: --untagged is an option of delete"
    ):
        parse_cli(["versions", "--hostname", "h", "--image", "a", "--untagged"])


def test_docker_base_layer_is_never_a_tag_and_never_goes() -> None:
    """The Docker registry's pseudo-version: no tag, kept by every rule, untagged included."""
    listed = {"id": 9, "name": "docker-base-layer", "metadata": {"docker": {"tag": []}}}
    base = PackageVersion.from_api(listed)
    assert base.tags == ()
    assert base.base_layer
    as_tag = {"id": 9, "name": "docker-base-layer", "metadata": {"docker": {"tag": [base.name]}}}
    assert PackageVersion.from_api(as_tag).tags == ()
    versions = [v(1, 1, "2.0"), v(2, 60, "1.0"), v(9, 400, name="docker-base-layer")]
    for rules in (Rules(keep=1), Rules(older_than="1d"), Rules(untagged=True, keep=1)):
        assert decided(versions, rules)[9] == (
            "kept: docker-base-layer, the Docker registry's own (never deleted)"
        )
    assert decided(versions, Rules(older_than="1s"))[1] == "goes: older than 1s"


@pytest.mark.parametrize("last_tagged", [False, True])
def test_the_last_version_stays_and_says_why(last_tagged: bool) -> None:
    """GitHub refuses the last (tagged) version: the plan keeps the newest one that would go."""
    versions = [v(1, 10, "2.0"), v(2, 20), v(3, 30, "1.0")]
    reasons = decided(versions, Rules(older_than="1d", untagged=True), last_tagged=last_tagged)
    what = "tagged version" if last_tagged else "version"
    assert reasons[1] == (
        f"kept: the last {what} (GitHub refuses to delete it: delete the package instead)"
    )
    assert reasons[3] == "goes: older than 1d"
    assert reasons[2] == "goes: untagged"


def test_an_untagged_version_left_does_not_save_the_last_tagged_one() -> None:
    versions = [v(1, 10, "1.0"), v(2, 20)]
    assert decided(versions, Rules(older_than="1d"), last_tagged=True)[1].startswith(
        "kept: the last tagged version"
    )
    assert decided(versions, Rules(older_than="1d"))[1] == "goes: older than 1d"


def test_naming_the_last_version_is_an_error_before_any_delete() -> None:
    with pytest.raises(GhpkgError, match=r"version 1\.0 is the last tagged version"):
        plan([v(1, 10, "1.0"), v(2, 20)], Rules(tags=("1.0",)), NOW, last_tagged=True)
    kept = [v(1, 10, "1.0"), v(9, 400, name="docker-base-layer")]
    assert plan(kept, Rules(tags=("1.0",)), NOW)[0].goes  # docker-base-layer stays
