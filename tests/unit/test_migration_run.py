"""migrate's look at each tag: the state file is a hint, the destination decides."""

from __future__ import annotations

from pathlib import Path

from ghpkg.manifest import SCHEMA2, sha256_digest
from ghpkg.migration.plan import ImagePlan, TagPlan
from ghpkg.migration.run import inspect
from ghpkg.migration.state import MigrationState
from tests.unit.fakes import FakeRegistry, manifest_of

SOURCE = "other-org/repo/app"
DESTINATION = "other-org/app"


class Registry(FakeRegistry):
    """A registry at `host` that lists no tags (the destination's name is free)."""

    def __init__(self, host: str) -> None:
        super().__init__()
        self.host = host

    def tags(self, path: str, limit: int = 1000) -> list[str]:
        return []


def test_a_tag_the_state_file_calls_done_is_copied_again_once_the_destination_lost_it(
    tmp_path: Path,
) -> None:
    source, destination = Registry("docker.ghes.test"), Registry("containers.ghes.test")
    raw = manifest_of("sha256:" + "1" * 64)
    for tag in ("1.0", "2.0"):
        source.manifests[(SOURCE, tag)] = (raw, SCHEMA2)
    destination.manifests[(DESTINATION, "2.0")] = (raw, SCHEMA2)  # 1.0 deleted behind its back
    state = MigrationState(tmp_path / "state.json")
    for tag in ("1.0", "2.0"):
        state.record(f"docker.ghes.test/{SOURCE}:{tag}", sha256_digest(raw))
    plan = ImagePlan(SOURCE, DESTINATION, [TagPlan("1.0"), TagPlan("2.0")])
    inspect(source, destination, plan, state)
    assert {tag.tag: tag.status for tag in plan.tags} == {"1.0": "copy", "2.0": "state"}


def test_names_and_tags_the_rest_api_gives_must_fit_the_reference_grammar(tmp_path: Path) -> None:
    source, destination = Registry("docker.ghes.test"), Registry("containers.ghes.test")
    state = MigrationState(None)
    bad_name = ImagePlan("other-org/repo/../../admin", DESTINATION, [TagPlan("1.0")])
    inspect(source, destination, bad_name, state)
    assert "is not a registry name" in bad_name.problem
    bad_tag = ImagePlan(SOURCE, DESTINATION, [TagPlan("1.0/../../x")])
    inspect(source, destination, bad_tag, state)
    assert bad_tag.tags[0].status == "failed"
    assert "is not a tag" in bad_tag.tags[0].note
    assert source.asked == []  # nothing went on the network for either
