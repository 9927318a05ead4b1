"""examples/migrate-matrix.yml run by act against the bed: a plan job splits the owners into
shards, a matrix job migrates each shard, a last job merges the shards' reports.

Substituted visibly, as in test_examples_act: ghpkg's pins become the working tree's copy, the
trigger becomes act's push, the dispatch inputs become the owners below, and the artifact actions
(which act would fetch from github.com, out of reach here) become two local stand-ins that keep
each artifact in a folder of the host. The example moves three owners in 3 shards: other-org
and octocat, which hold a few of other tests' images (octo-org holds hundreds), and reader,
whose account no other test fills (the bed's owner that tests may migrate whole).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import requests

from ghpkg.manifest import SCHEMA2
from testbed.bed import Testbed
from testbed.client import digest_of
from tests.integration.act import commit, run_act
from tests.integration.test_examples_act import EXAMPLES, on_push, seed, suffix, workspace_for

pytestmark = pytest.mark.integration

OWNERS = ("other-org", "octocat", "reader")
STAND_INS = {
    "upload-artifact": (
        {"name": {"default": "artifact"}, "path": {"required": True}},
        'mkdir -p "$ARTIFACTS/$NAME" && cp $FILES "$ARTIFACTS/$NAME/"',
    ),
    "download-artifact": (
        {"name": {"required": True}, "path": {"default": "."}},
        'mkdir -p "$FILES" && cp -r "$ARTIFACTS/$NAME/." "$FILES/"',
    ),
}

# the artifact actions the example pins (v3.1.3, v3.0.2: GHES has v3), swapped for stand-ins
UPLOAD_V3 = "a8a3f3ad30e3422c9c7b888a15615d19a852ae32"
DOWNLOAD_V3 = "9bc31d5ccc31df68ecc42ccf4149144866c47d8a"


def write_stand_ins(workspace: Path) -> None:
    """Composite actions in WORKSPACE/stand-ins that keep artifacts in $ARTIFACTS/NAME."""
    for name, (inputs, script) in STAND_INS.items():
        folder = workspace / "stand-ins" / name
        folder.mkdir(parents=True)
        step = {
            "shell": "bash",
            "env": {"NAME": "${{ inputs.name }}", "FILES": "${{ inputs.path }}"},
            "run": script,
        }
        action = {"name": f"{name} (test stand-in)", "inputs": inputs}
        action["runs"] = {"using": "composite", "steps": [step]}
        (folder / "action.yml").write_text(json.dumps(action))


def test_the_matrix_example_moves_each_owner_in_one_shard_and_merges_the_reports(
    bed: Testbed, tmp_path: Path
) -> None:
    unique = suffix()
    repository = f"matrix-{unique}"
    names = {f"{owner}/{repository}/{image}-{unique}" for owner in OWNERS for image in "ab"}
    digests = {name: seed(bed, name, "1.0") for name in names}
    text = (EXAMPLES / "migrate-matrix.yml").read_text()
    triggers = text.split("on:\n", 1)[1].split("permissions:", 1)[0]
    renames = on_push(text, triggers)
    renames |= {
        "${{ inputs.orgs }}": "other-org",
        "${{ inputs.users }}": "octocat,reader",
        "${{ inputs.shards }}": "3",
        f"actions/upload-artifact@{UPLOAD_V3}": "./stand-ins/upload-artifact",
        f"actions/download-artifact@{DOWNLOAD_V3}": "./stand-ins/download-artifact",
    }
    checkout = "    steps:\n      - uses: actions/checkout@v4\n"  # each job's local actions
    renames |= {
        "    steps:\n      - id: migrate\n": checkout + "      - id: migrate\n",
        "    steps:\n      - uses: ./stand-ins/download": checkout
        + "      - uses: ./stand-ins/download",
    }
    workspace = workspace_for(tmp_path, "migrate-matrix.yml", renames)
    write_stand_ins(workspace)
    commit(workspace, bed.hostname)
    artifacts = tmp_path / "artifacts"
    token = bed.token("write")
    try:
        done = run_act(
            workspace,
            bed.hostname,
            {"PACKAGES_MIGRATE_PAT": token},
            {"GHES_CA_FILE": str(bed.ca_file)},
            environment={"ARTIFACTS": str(artifacts), "XDG_CACHE_HOME": str(tmp_path / "cache")},
        )
        log = done.stdout + done.stderr
        assert token not in log
        reports = artifacts / "migration-reports"
        assert (artifacts / "migration" / "migration.json").exists(), log[-5000:]
        plan = json.loads((reports / "plan.json").read_text())
        assert plan["dry_run"] is True
        entries = plan["matrix"]["include"]  # 3 shards, one owner each
        assert [entry["shard"] for entry in entries] == ["1/3", "2/3", "3/3"]
        owners = {(entry["org"], entry["user"]) for entry in entries}
        assert owners == {("other-org", ""), ("", "octocat"), ("", "reader")}
        for entry in entries:  # each shard moved its owner's images, all of this test's
            number = entry["shard"].split("/")[0]
            shard = json.loads((reports / f"report-{number}.json").read_text())
            assert shard["shard"] == entry["shard"]
            owner = entry["org"] or entry["user"]
            moved = {image["source"] for image in shard["images"]}
            assert {source.split("/")[0] for source in moved} == {owner}
            assert {name for name in names if name.startswith(f"{owner}/")} <= moved
        merged = json.loads((artifacts / "migration" / "migration.json").read_text())
        assert merged["shards"] == {"reported": ["1/3", "2/3", "3/3"], "missing": []}
        statuses = {image["source"]: image["status"] for image in merged["images"]}
        assert {name: statuses.get(name) for name in names} == dict.fromkeys(names, "copied")
        for name, digest in digests.items():
            owner, _, image = name.split("/")
            stored = requests.get(
                f"{bed.container_backend_url}/v2/{owner}/{image}/manifests/1.0",
                headers={"Accept": SCHEMA2},
                timeout=30,
            )
            assert digest_of(stored.content) == digest
        stuck = [
            source for source, status in statuses.items() if status not in ("copied", "skipped")
        ]
        # the owners also hold other tests' images (the bed is shared): only those may fail,
        # and then the merge job fails the run
        assert not set(stuck) & names
        assert (done.returncode == 0) == (not stuck), log[-5000:]
    finally:
        for storage in (bed.paths.storage, bed.paths.container_storage):
            root = storage / "docker/registry/v2/repositories"
            for owner in OWNERS:
                shutil.rmtree(root / owner / repository, ignore_errors=True)
                for image in "ab":
                    shutil.rmtree(root / owner / f"{image}-{unique}", ignore_errors=True)
