"""Package management: reading versions (every page, through PyGithub), choosing which go."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from ghpkg.errors import GhpkgError, RegistryError
from ghpkg.rest import package_api
from ghpkg.rest.package_api import PackageApi
from ghpkg.retention import PackageVersion, newest_first, to_delete
from ghpkg.secret import Secret
from ghpkg.settings import Remote
from tests.unit.registry_fake import Answer, Fake, Seen

JSON = {"Content-Type": "application/json"}


def version(number: int, created: str, *tags: str) -> PackageVersion:
    return PackageVersion(number, tags, created, created)


def test_docker_versions_take_their_tags_from_metadata() -> None:
    data = {
        "id": 7,
        "name": "1.0",
        "created_at": "2026-01-02T03:04:05Z",
        "updated_at": "2026-01-03T03:04:05Z",
        "metadata": {"package_type": "docker", "docker": {"tag": ["1.0", "latest"]}},
    }
    found = PackageVersion.from_api(data)
    created, updated = "2026-01-02T03:04:05Z", "2026-01-03T03:04:05Z"
    assert found == PackageVersion(7, ("1.0", "latest"), created, updated, "1.0")
    assert found.line() == "1.0,latest\t7\t2026-01-02T03:04:05Z"
    assert found.label == "1.0, latest (id 7)"
    assert found.as_json() == {
        "id": 7,
        "tags": ["1.0", "latest"],
        "created_at": "2026-01-02T03:04:05Z",
        "updated_at": "2026-01-03T03:04:05Z",
    }


@pytest.mark.parametrize(
    ("data", "tags"),
    [
        ({"id": 1, "name": "2.0"}, ("2.0",)),
        ({"id": 1, "name": "sha256:" + "a" * 64}, ()),
        ({"id": 1, "name": "x", "metadata": {"container": {"tags": ["a", "b"]}}}, ("a", "b")),
    ],
)
def test_tags_fall_back_to_the_name_but_never_a_digest(
    data: dict[str, object], tags: tuple[str, ...]
) -> None:
    assert PackageVersion.from_api(data).tags == tags


def test_a_version_without_an_id_is_an_error() -> None:
    with pytest.raises(RegistryError, match="without an id"):
        PackageVersion.from_api({"name": "1.0"})


def test_newest_first_keeps_the_api_order_for_equal_times() -> None:
    a, b, c = (
        version(1, "2026-01-01T00:00:00Z"),
        version(2, "2026-01-02T00:00:00Z"),
        version(3, "2026-01-02T00:00:00Z"),
    )
    assert newest_first([a, b, c]) == [b, c, a]


def test_keep_deletes_all_but_the_newest() -> None:
    old, mid, new = (version(n, f"2026-01-0{n}T00:00:00Z", f"{n}.0") for n in (1, 2, 3))
    assert to_delete([old, new, mid], keep=1, tags=()) == [mid, old]
    assert to_delete([old, new, mid], keep=3, tags=()) == []


def test_delete_by_tag_finds_the_versions_carrying_it() -> None:
    one = version(1, "2026-01-01T00:00:00Z", "1.0")
    two = version(2, "2026-01-02T00:00:00Z", "2.0", "latest")
    three = version(3, "2026-01-03T00:00:00Z", "3.0")
    assert to_delete([one, two, three], keep=None, tags=["latest", "1.0"]) == [two, one]


def test_an_unknown_tag_deletes_nothing() -> None:
    one = version(1, "2026-01-01T00:00:00Z", "1.0")
    with pytest.raises(
        GhpkgError, match=r"version 9\.9 is not in the package.*nothing was deleted"
    ):
        to_delete([one], keep=None, tags=["1.0", "9.9"])


def _api(fake: Fake) -> PackageApi:
    remote = Remote(fake.host, "u", Secret("ghp_" + "a" * 36), fake.ca_file, timeout=10, retries=0)
    return PackageApi(remote, "o", "r", "i", "versions", pause=0.0)


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of 2 and a cap of 4 results, for GitHub's 100 and 10,000."""
    monkeypatch.setattr(package_api, "PER_PAGE", 2)
    monkeypatch.setattr(package_api, "MAX_RESULTS", 4)


def _pages(fake: Fake, pages: int, beyond: int = 0) -> None:
    """Serve `pages` pages of 2 versions, each linking to the next; past them, if linked, an
    answer `beyond` (GitHub: 400 past 10,000 results)."""

    def page(seen: Seen) -> Answer:
        number = int(parse_qs(urlsplit(seen.path).query).get("page", ["1"])[0])
        if number > pages:
            return Answer(beyond, JSON, b'[{"id": -1}]' if beyond == 200 else b'{"message": "no"}')
        base = f"https://{fake.host}/api/v3/orgs/o/packages/docker/r%2Fi/versions"
        more = number < pages or beyond
        link = {"Link": f'<{base}?per_page=2&page={number + 1}>; rel="next"'} if more else {}
        body = json.dumps([{"id": (number - 1) * 2 + n} for n in range(2)]).encode()
        return Answer(200, {**JSON, **link}, body)

    fake.answer(page)


@pytest.mark.usefixtures("small_pages")
def test_a_listing_reads_every_page_the_link_header_names(fake: Fake) -> None:
    _pages(fake, 2)
    items = _api(fake)._items("/orgs/o/packages/docker/r%2Fi/versions", {"package_type": "x"})
    assert [item["id"] for item in items] == [0, 1, 2, 3]
    assert [parse_qs(urlsplit(seen.path).query) for seen in fake.seen] == [
        {"package_type": ["x"], "per_page": ["2"]},
        {"per_page": ["2"], "page": ["2"]},
    ]


@pytest.mark.usefixtures("small_pages")
@pytest.mark.parametrize("beyond", [200, 400])
def test_a_listing_stops_at_the_results_github_lists_and_says_so(fake: Fake, beyond: int) -> None:
    _pages(fake, 2, beyond)  # 200: one more entry; 400: GitHub's answer past 10,000 results
    with pytest.raises(RegistryError, match=r"o/r/i has more than 4 entries at /orgs"):
        _api(fake)._items("/orgs/o/packages/docker/r%2Fi/versions", {})


def test_an_answer_that_is_not_a_list_is_refused(fake: Fake) -> None:
    fake.answer(lambda _seen: Answer(200, JSON, b'{"message": "hello"}'))
    with pytest.raises(RegistryError, match="something other than a list"):
        _api(fake)._items("/orgs/o/packages/docker/r%2Fi/versions", {})
