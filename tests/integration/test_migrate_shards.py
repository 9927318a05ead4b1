"""`ghpkg migrate` over shards against the bed, as a matrix runs it: the plan, its shards at the
same time (an image pushed between the plan and the shards goes with its owner's), the merge and
its final check.

The owners are other-org, octocat and reader, whom the write token may fill and who hold only a
few of other tests' images (octo-org holds hundreds; no other test fills reader's account):
those may move too or fail on their own, so only this test's images are asserted on.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from testbed.bed import Testbed
from testbed.seed_images import push
from tests.integration.conftest import Run, clean_environment
from tests.integration.test_migrate import common, forget, served

pytestmark = pytest.mark.integration

OWNERS = ("other-org", "octocat", "reader")


def test_the_plan_splits_owners_its_shards_run_at_once_and_the_merge_checks_none_is_lost(
    bed: Testbed, run_ghpkg: Run, tmp_path: Path
) -> None:
    unique = uuid.uuid4().hex[:6]
    repository = f"ms{unique}"
    owners = ["--org", "other-org", "--user", "octocat,reader"]
    token = bed.token("write")
    digests: dict[str, str] = {}
    with requests.Session() as session:
        for owner in OWNERS:
            for image in (f"a-{unique}", f"b-{unique}"):
                name = f"{owner}/{repository}/{image}"
                digests[name] = push(session, bed.backend_url, name, "1.0", [f"{name}\n"])
    try:
        planned = run_ghpkg(
            "migrate", *owners, *common(bed), "--dry-run", "--shards", "4", "--json", stdin=token
        )
        assert planned.returncode == 0, planned.stderr  # conflicts are the shards' to report
        plan = json.loads(planned.stdout)
        entries = plan["matrix"]["include"]  # 4 asked, 3 owners: 3 shards, each one owner
        assert sorted(e["org"] or e["user"] for e in entries) == sorted(OWNERS)
        assert [e["shard"] for e in entries] == ["1/3", "2/3", "3/3"]
        assert "4 shards asked, 3 owner(s): 3 shard(s)" in planned.stderr
        planned_mine = [i for i in plan["migration"]["images"] if i["source"] in digests]
        assert {i["status"] for i in planned_mine} == {"planned"}
        (tmp_path / "plan.json").write_text(planned.stdout)

        late = f"octocat/{repository}/late-{unique}"  # pushed after the plan
        with requests.Session() as session:
            digests[late] = push(session, bed.backend_url, late, "1.0", ["late\n"])

        shards = []
        for entry in entries:  # side by side, as a matrix's jobs run
            argv = ["migrate", "--shard", entry["shard"], *common(bed), "--json"]
            argv += ["--state", str(tmp_path / f"state-{entry['shard'][0]}.json")]
            argv += ["--org", entry["org"]] if entry["org"] else ["--user", entry["user"]]
            number = entry["shard"][0]
            with (
                (tmp_path / f"report-{number}.json").open("w") as out,
                (tmp_path / f"log-{number}.txt").open("w") as err,
            ):
                child = subprocess.Popen(
                    [sys.executable, "-m", "ghpkg", *argv],
                    stdin=subprocess.PIPE, stdout=out, stderr=err,
                    env=clean_environment(), text=True,
                )  # fmt: skip
            assert child.stdin is not None
            child.stdin.write(token)
            child.stdin.close()
            shards.append(child)
        for child in shards:
            child.wait(timeout=600)
        for entry in entries:
            report = json.loads((tmp_path / f"report-{entry['shard'][0]}.json").read_text())
            assert report["migration"]["shard"] == entry["shard"]

        files = ",".join(
            str(tmp_path / name)
            for name in ("plan.json", "report-1.json", "report-2.json", "report-3.json")
        )
        merged = run_ghpkg("migrate", "--merge-reports", files, "--json")
        document = json.loads(merged.stdout)["migration"]
        assert document["shards"] == {"reported": ["1/3", "2/3", "3/3"], "missing": []}
        statuses = {i["source"]: i["status"] for i in document["images"]}
        assert {name: statuses.get(name) for name in digests} == dict.fromkeys(digests, "copied")
        stuck = [
            source for source, status in statuses.items() if status not in ("copied", "skipped")
        ]
        assert merged.returncode == (1 if stuck else 0), merged.stderr  # others' images only
        for name, digest in digests.items():
            owner, _, image = name.split("/")
            assert served(bed, f"{owner}/{image}", "1.0") == digest

        octocat = next(e["shard"][0] for e in entries if e["user"] == "octocat")
        others = [f"report-{n}.json" for n in "123" if n != octocat]
        files = ",".join(str(tmp_path / name) for name in ("plan.json", *others))
        partial = run_ghpkg("migrate", "--merge-reports", files)  # a shard's report is lost
        assert partial.returncode == 1
        assert f"shard(s) {octocat}/3 did not report" in partial.stderr
        lost = [line for line in partial.stdout.splitlines() if line.startswith("failed\t")]
        assert any(f"octocat/{repository}/a-{unique}" in line for line in lost)
    finally:
        for owner in OWNERS:
            images = [f"{owner}/{kind}-{unique}" for kind in ("a", "b", "late")]
            forget(bed, f"{owner}/{repository}", *images)
