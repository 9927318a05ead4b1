"""The pure parts of package management: reading versions, choosing which go."""

from __future__ import annotations

from typing import Any

import pytest

from ghpkg.errors import GhpkgError, RegistryError
from ghpkg.rest.package_api import (
    PackageApi,
    PackageVersion,
    _next_link,
    newest_first,
    to_delete,
)


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


def test_next_link_is_read_from_the_link_header() -> None:
    link = '<https://h/api/v3/x?page=2>; rel="next", <https://h/api/v3/x?page=5>; rel="last"'
    assert _next_link({"link": link}) == "https://h/api/v3/x?page=2"
    assert _next_link({"Link": '<https://h/x?page=5>; rel="last"'}) is None
    assert _next_link({}) is None


class Paged(PackageApi):
    """The package API's paging over canned pages (its own loop, not GitHub's answers)."""

    def __init__(self, pages: int) -> None:  # no client: _call is replaced
        self.owner, self.package, self.pages, self.asked = "o", "r/i", pages, 0

    def _call(
        self, verb: str, url: str, params: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], Any]:
        self.asked += 1
        more = self.asked < self.pages
        link = {"Link": f'<https://h/api/v3/x?page={self.asked + 1}>; rel="next"'} if more else {}
        return link, [{"id": self.asked}] * 100


def test_a_listing_stops_at_the_10000_results_github_lists_and_says_so() -> None:
    assert len(Paged(100)._items("/x", {})) == 10_000
    api = Paged(101)
    with pytest.raises(RegistryError, match=r"o/r/i has more than 10000 entries at /x"):
        api._items("/x", {})
    assert api.asked == 100  # page 101 is never asked: GitHub answers it 400
