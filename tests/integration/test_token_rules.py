"""ghpkg against the bed's token rules (GitHub's): each verb names the scope or permission missing.

`versions` and `delete` go through the REST API, where a repository-scoped package needs `repo`
too; a user's package lives under /users/, an organization's under /orgs/.
"""

from __future__ import annotations

import subprocess
import uuid
from typing import Any

import pytest

from testbed.bed import Testbed
from testbed.client import BedClient
from testbed.images import build_hello
from testbed.pytest_engines import EngineUnderTest
from tests.integration.conftest import Run

pytestmark = pytest.mark.integration


def package_args(bed: Testbed, owner: str, image: str) -> list[str]:
    return [
        *("--hostname", bed.hostname, "--ca-file", str(bed.ca_file), "--retries", "0"),
        *("--owner", owner, "--repository", "hello-world", "--image", image),
    ]


def run_with(
    run_ghpkg: Run, bed: Testbed, token: str, *args: str, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    return run_ghpkg(*args, "--password-stdin", stdin=bed.token(token) + "\n", **kwargs)


def last_error(done: subprocess.CompletedProcess[str]) -> str:
    lines: list[str] = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_a_user_owned_package_is_listed_and_deleted_through_users(
    bed: Testbed, bed_client: BedClient, run_ghpkg: Run
) -> None:
    """octocat is a user: /orgs/octocat/... answers 404, ghpkg falls back to /users/."""
    image = f"img-{uuid.uuid4().hex[:10]}"
    for tag in ("1.0", "2.0"):
        bed_client.push(f"octocat/hello-world/{image}", tag=tag)
    args = package_args(bed, "octocat", image)
    listed = run_with(run_ghpkg, bed, "readrepo", "versions", *args)
    assert listed.returncode == 0, listed.stderr
    assert sorted(line.split("\t")[0] for line in listed.stdout.splitlines()) == ["1.0", "2.0"]
    deleted = run_with(run_ghpkg, bed, "delete", "delete", *args, "--version", "1.0")
    assert deleted.returncode == 0, deleted.stderr
    again = run_with(run_ghpkg, bed, "readrepo", "versions", *args)
    assert [line.split("\t")[0] for line in again.stdout.splitlines()] == ["2.0"]


@pytest.mark.parametrize(
    ("verb", "token", "lacking"),
    [
        ("versions", "read", "the repo scope"),
        ("versions", "noscope", "the read:packages scope"),
        ("delete", "delete-norepo", "the repo scope"),
        ("delete", "delete-noread", "the read:packages scope"),
        ("delete", "write", "the delete:packages scope"),
    ],
)
def test_a_token_one_scope_short_is_told_which_scope_to_add(
    bed: Testbed, bed_client: BedClient, run_ghpkg: Run, verb: str, token: str, lacking: str
) -> None:
    image = f"img-{uuid.uuid4().hex[:10]}"
    bed_client.push(f"octo-org/hello-world/{image}")
    extra = ("--version", "1.0") if verb == "delete" else ()
    done = run_with(run_ghpkg, bed, token, verb, *package_args(bed, "octo-org", image), *extra)
    assert done.returncode == 1, done.stderr
    line = last_error(done)
    assert f"lacks {lacking}: it has: " in line
    assert line.endswith(f"and add {lacking.split()[1]}")
    kept = run_with(run_ghpkg, bed, "readrepo", "versions", *package_args(bed, "octo-org", image))
    assert kept.stdout.splitlines()[0].startswith("1.0\t")


def test_a_read_only_github_token_is_told_to_add_packages_write_before_building(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    """In a workflow whose `permissions:` give `packages: read`, push stops at the preflight."""
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": f"https://{bed.hostname}",
        "GITHUB_REPOSITORY": "octo-org/hello-world",
        "GITHUB_TOKEN": bed.token("actions-read"),
        "DOCKER_HOST": engine.base_url,
    }
    args = package_args(bed, "octo-org", f"img-{uuid.uuid4().hex[:10]}")
    done = run_ghpkg("push", *args, "--version", "1.0", "--source", "never-built:1", env=env)
    assert done.returncode == 1, done.stderr
    line = last_error(done)
    assert line.startswith(
        f"error: {bed.registry_host} refused the GITHUB_TOKEN (ghs_) for push (upload to "
        "octo-org/hello-world): "
    )
    assert "add `permissions: packages: write` to the job" in line
    shown = [line for line in done.stderr.splitlines() if not line.startswith("::add-mask::")]
    assert bed.token("actions-read") not in done.stdout + "\n".join(shown)


def test_a_github_token_is_told_about_the_packages_actions_access_on_the_container_registry(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    """A container package first pushed with a PAT gives workflows no access (GitHub's per-package
    Actions access): the GITHUB_TOKEN's push is refused and told where access is granted."""
    image = f"byhand-{uuid.uuid4().hex[:10]}"
    source = build_hello(engine.client, f"local/{image}:1", "first pushed by hand")
    common = [
        *("push", "--registry", "container", "--hostname", bed.hostname, "--owner", "octo-org"),
        *("--image", image, "--ca-file", str(bed.ca_file), "--retries", "0"),
    ]
    by_hand = run_with(
        run_ghpkg, bed, "write", *common, "--version", "1.0", "--source", source,
        env={"DOCKER_HOST": engine.base_url},
    )  # fmt: skip
    assert by_hand.returncode == 0, by_hand.stderr
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": f"https://{bed.hostname}",  # the workflow's own instance
        "GITHUB_REPOSITORY": "octo-org/hello-world",
        "GITHUB_TOKEN": bed.token("actions"),
        "DOCKER_HOST": engine.base_url,
    }
    done = run_ghpkg(*common, "--version", "2.0", "--source", source, env=env)
    assert done.returncode == 1, done.stderr
    line = last_error(done)
    assert f"{bed.container_host} refused the GITHUB_TOKEN (ghs_) for push" in line
    assert line.endswith(
        "add `permissions: packages: write` to the job and give the workflow's repository the "
        "write role in the package's settings (Manage Actions access); or use a classic PAT "
        "with write:packages"
    )


@pytest.mark.parametrize("token", ["write", "actions"])
def test_a_push_checks_the_token_on_a_default_instance_without_a_warning(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, token: str
) -> None:
    """Rate limits off (GHES's default: /rate_limit is 404): the scopes come from GET /user, so
    neither a classic PAT nor a GITHUB_TOKEN gets "could not check the token"."""
    assert bed.switches.rate_limits is False
    image = f"img-{uuid.uuid4().hex[:10]}"
    source = build_hello(engine.client, f"local/{image}:1", "checked on a default instance")
    env = {"DOCKER_HOST": engine.base_url, "GITHUB_REPOSITORY": "octo-org/hello-world"}
    done = run_with(
        run_ghpkg, bed, token, "push", *package_args(bed, "octo-org", image),
        "--version", "1.0", "--source", source, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "could not check the token" not in done.stderr
