"""ghpkg's own workflows: CI (pull requests' code, as root) and release (packages: write)
never share a runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"


def _jobs(name: str) -> dict[str, Any]:
    jobs: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())["jobs"]
    return jobs


def _labels(job: dict[str, Any]) -> set[str]:
    runs_on = job["runs-on"]
    return {runs_on} if isinstance(runs_on, str) else set(runs_on)


def test_no_ci_runner_can_take_a_release_job_and_no_release_runner_a_ci_job() -> None:
    ci = [_labels(job) for job in _jobs("ci.yml").values()]
    release = [_labels(job) for job in _jobs("release.yml").values()]
    for ci_labels in ci:
        for release_labels in release:
            # A runner takes a job when it has every label the job names.
            assert release_labels - ci_labels, "a CI runner would match the release job"
            assert ci_labels - release_labels, "a release runner would match CI jobs"


def test_the_release_job_that_can_write_packages_runs_in_an_environment() -> None:
    for job in _jobs("release.yml").values():
        if job.get("permissions", {}).get("packages") == "write":
            assert job.get("environment") == "release"
