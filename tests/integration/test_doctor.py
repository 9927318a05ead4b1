"""`ghpkg doctor` names each cause on the bed, and a push that hits it fails with the same words."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from testbed import procs
from testbed.bed import Testbed
from testbed.config import FRONT_PORT
from testbed.images import build_hello
from testbed.nginx import PROBE_PATH
from testbed.pytest_engines import EngineUnderTest
from tests.helpers import read_outputs
from tests.integration.conftest import Run

pytestmark = pytest.mark.integration

Done = subprocess.CompletedProcess[str]
MISSING_HOST = "ghpkg-nowhere.test"  # under .test and not in /etc/hosts


def common(bed: Testbed, hostname: str, ca: bool, extra: tuple[str, ...]) -> list[str]:
    args = ["--hostname", hostname, "--owner", "Octo-Org", "--repository", "Hello-World"]
    args += ["--username", "octocat", "--password-stdin", "--retries", "0"]
    return args + (["--ca-file", str(bed.ca_file)] if ca else []) + list(extra)


def doctor(
    run_ghpkg: Run,
    bed: Testbed,
    engine: EngineUnderTest,
    *extra: str,
    token: str = "write",
    ca: bool = True,
    hostname: str = "",
    docker_host: str = "",
    switches: dict[str, bool] | None = None,
) -> Done:
    """Run `ghpkg doctor` against the bed with `switches` in force."""
    return undisturbed(
        bed,
        switches,
        lambda: run_ghpkg(
            "doctor",
            *common(bed, hostname or bed.hostname, ca, extra),
            env={"DOCKER_HOST": docker_host or engine.base_url},
            stdin=bed.token(token) + "\n",
        ),
    )


def push(
    run_ghpkg: Run,
    bed: Testbed,
    engine: EngineUnderTest,
    *extra: str,
    token: str = "write",
    ca: bool = True,
    hostname: str = "",
    docker_host: str = "",
    source: str = "ghpkg-doctor-absent:never-built",
    switches: dict[str, bool] | None = None,
) -> Done:
    """Run `ghpkg push --source …` against the bed with `switches` in force."""
    image = f"doctor-{engine.name.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    return undisturbed(
        bed,
        switches,
        lambda: run_ghpkg(
            "push",
            *common(bed, hostname or bed.hostname, ca, extra),
            "--image",
            image,
            "--version",
            "1.0",
            "--source",
            source,
            env={"DOCKER_HOST": docker_host or engine.base_url},
            stdin=bed.token(token) + "\n",
        ),
    )


def generation(bed: Testbed) -> bytes:
    """The nonce of the nginx configuration in force; every `configure` changes it."""
    answer = procs.get(FRONT_PORT, PROBE_PATH, bed.ca_file)
    return answer[1] if answer else b""


def undisturbed(bed: Testbed, switches: dict[str, bool] | None, run: Callable[[], Done]) -> Done:
    """Run with the switches in force, again while another session reconfigured the shared bed."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if switches:
            bed.configure(**switches)
        else:
            bed.reset()
        before = generation(bed)
        done = run()
        if generation(bed) == before:
            return done
        time.sleep(5)
    pytest.fail("other sessions kept switching the test bed for 5 minutes; run again")


def check(done: Done, name: str) -> str:
    """The checklist line of one check (with its mark)."""
    lines = [line for line in done.stdout.splitlines() if line[2:].startswith(f"{name}: ")]
    assert len(lines) == 1, done.stdout
    return lines[0]


def error(done: Done) -> str:
    """The one error line, without `error: `."""
    lines = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, done.stderr
    return lines[0].removeprefix("error: ")


def assert_same_diagnosis(checked: Done, pushed: Done, name: str, expected_exit: int = 1) -> str:
    """Doctor fails on `name` with exactly the error line the push ends with."""
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert pushed.returncode == expected_exit, pushed.stderr
    line = check(checked, name)
    assert line == f"✗ {name}: {error(pushed)}"
    assert error(checked).startswith(
        f"a push to {checked.args[checked.args.index('--hostname') + 1]}"
    )
    return line


def test_a_healthy_instance_passes_with_a_json_summary(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, tmp_path: Path
) -> None:
    out = tmp_path / "outputs"
    done = doctor(run_ghpkg, bed, engine, "--output-file", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    marks = [line[0] for line in done.stdout.splitlines()]
    assert set(marks) == {"✓"}, done.stdout
    assert check(done, "registry").startswith(
        f"✓ registry: subdomain isolation on: https://{bed.registry_host}/v2/ answers as the "
        "Docker registry"
    )
    assert check(done, "token") == (
        "✓ token: classic personal access token (ghp_) of octocat, "
        "scopes: read:packages, repo, write:packages"
    )
    summary = json.loads(read_outputs(out)["doctor"])
    assert summary["ok"] is True
    assert summary["registry"] == bed.registry_host
    assert summary["subdomain_isolation"] is True
    assert summary["token"] == {
        "kind": "classic_pat",
        "owner": "octocat",
        "scopes": ["read:packages", "repo", "write:packages"],
    }
    assert summary["engine"]["transport"] in ("engine", "registry")
    names = [c["name"] for c in summary["checks"]]
    assert " ".join(names) == "host tls registry packages api token login push pull engine"
    assert {c["status"] for c in summary["checks"]} == {"ok"}
    assert bed.token("write") not in done.stdout + done.stderr + out.read_text()


def test_a_host_that_does_not_resolve(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    checked = doctor(run_ghpkg, bed, engine, hostname=MISSING_HOST)
    pushed = push(run_ghpkg, bed, engine, hostname=MISSING_HOST)
    line = assert_same_diagnosis(checked, pushed, "host")
    assert line.startswith(f"✗ host: {MISSING_HOST} does not resolve: ")
    assert check(checked, "tls") == f"! tls: not checked: {MISSING_HOST} does not resolve"


def test_a_private_ca_that_is_not_trusted(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    checked = doctor(run_ghpkg, bed, engine, ca=False)
    pushed = push(run_ghpkg, bed, engine, ca=False)
    line = assert_same_diagnosis(checked, pushed, "tls")
    assert line == (
        f"✗ tls: TLS certificate of {bed.registry_host} is not trusted: it is issued by "
        "'ghpkg test bed CA', which is not in the default CA bundle "
        "(unable to get local issuer certificate); pass --ca-file with your GHES CA (PEM)"
    )


def test_the_docker_registry_not_enabled(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    off = {"registry_enabled": False}
    checked = doctor(run_ghpkg, bed, engine, switches=off)
    pushed = push(run_ghpkg, bed, engine, switches=off)
    line = assert_same_diagnosis(checked, pushed, "packages")
    assert line.startswith(
        f"✗ packages: GitHub Packages' Docker registry is not enabled on {bed.hostname} "
        "(HTTP 404 at /v2/): "
    )
    assert line.endswith(
        "; ask your site administrator to enable GitHub Packages and its Docker registry"
    )
    assert check(checked, "registry").startswith("✗ registry: no Docker registry answers at ")
    explicit = push(run_ghpkg, bed, engine, "--subdomain-isolation", "true", switches=off)
    assert error(explicit) == error(pushed)


def test_subdomain_isolation_the_other_way_round(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    off = {"subdomain_isolation": False}
    checked = doctor(run_ghpkg, bed, engine, "--subdomain-isolation", "true", switches=off)
    pushed = push(run_ghpkg, bed, engine, "--subdomain-isolation", "true", switches=off)
    line = assert_same_diagnosis(checked, pushed, "registry")
    assert line == (
        f"✗ registry: subdomain isolation is off on {bed.hostname}: the registry answers at "
        f"https://{bed.hostname}/v2/ (HTTP 401 with Docker-Distribution-API-Version), not at "
        f"https://{bed.registry_host}/v2/ (HTTP 404, a web page); "
        "pass --subdomain-isolation false (or auto)"
    )
    assert check(checked, "packages").startswith("✓ packages: ")
    auto = doctor(run_ghpkg, bed, engine, switches=off)
    assert auto.returncode == 0, auto.stdout
    assert check(auto, "registry").startswith(
        f"✓ registry: subdomain isolation off: https://{bed.hostname}/v2/ answers"
    )


def test_isolation_asked_off_on_an_isolated_instance(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    checked = doctor(run_ghpkg, bed, engine, "--subdomain-isolation", "false")
    pushed = push(run_ghpkg, bed, engine, "--subdomain-isolation", "false")
    line = assert_same_diagnosis(checked, pushed, "registry")
    assert line.startswith(f"✗ registry: subdomain isolation is on for {bed.hostname}: ")
    assert line.endswith("; pass --subdomain-isolation true (or auto)")


def test_the_rest_api_off_is_a_warning_and_the_registry_decides(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    image_id = build_hello(engine.client, f"local/doctor-api-off:{uuid.uuid4().hex[:8]}")
    off = {"api_enabled": False}
    checked = doctor(run_ghpkg, bed, engine, switches=off)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    warning = (
        f"could not check the token through https://{bed.hostname}/api/v3 (HTTP 404); "
        "the registry decides"
    )
    assert check(checked, "api") == f"! api: {warning}"
    assert (
        check(checked, "push")
        == "! push: write:packages and repo not checked (the REST API did not answer)"
    )
    assert (
        check(checked, "login") == f"✓ login: {bed.registry_host} accepts the token (user octocat)"
    )
    pushed = push(run_ghpkg, bed, engine, source=image_id, switches=off)
    assert pushed.returncode == 0, pushed.stderr
    assert "could not check the token" not in pushed.stderr  # the registry let it write: no ask


def test_a_fine_grained_token(bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run) -> None:
    checked = doctor(run_ghpkg, bed, engine, token="finegrained")
    pushed = push(run_ghpkg, bed, engine, token="finegrained")
    line = assert_same_diagnosis(checked, pushed, "token", expected_exit=2)  # judged locally
    assert line.startswith("✗ token: the token is a fine-grained personal access token: ")
    assert check(checked, "host").startswith("✓ host: ")  # the rest is still checked


def test_a_token_without_write_packages(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    checked = doctor(run_ghpkg, bed, engine, token="read")
    pushed = push(run_ghpkg, bed, engine, token="read")
    line = assert_same_diagnosis(checked, pushed, "push")
    assert line == (
        "✗ push: the classic personal access token (ghp_) lacks the write:packages and repo "
        f"scopes: it has: read:packages; edit the token on https://{bed.hostname}/settings/tokens "
        "and add write:packages and repo"
    )
    assert check(checked, "pull").startswith("✓ pull: read:packages allows it")
    assert check(checked, "token").startswith("✓ token: classic personal access token (ghp_) of ")


@pytest.mark.parametrize("rate_limits", [False, True], ids=["rate-limits-off", "rate-limits-on"])
def test_a_token_with_write_packages_but_without_repo(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run, rate_limits: bool
) -> None:
    """The Docker registry is repository-scoped: an upload needs repo beside write:packages.

    The scopes come from GET /user, so a default GHES (rate limits off: /rate_limit is 404)
    names the missing repo as one with rate limits on does."""
    switches = {"rate_limits": rate_limits}
    checked = doctor(run_ghpkg, bed, engine, token="norepo", switches=switches)
    pushed = push(run_ghpkg, bed, engine, token="norepo", switches=switches)
    line = assert_same_diagnosis(checked, pushed, "push")
    assert line == (
        "✗ push: the classic personal access token (ghp_) lacks the repo scope: it has: "
        f"read:packages, write:packages; edit the token on https://{bed.hostname}/settings/tokens "
        "and add repo"
    )
    assert check(checked, "pull") == "✓ pull: read:packages allows it on octo-org/hello-world"


def test_a_read_only_github_token(bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run) -> None:
    """`permissions: packages: read`: doctor asks the registry for an upload session, not ✓."""
    checked = doctor(run_ghpkg, bed, engine, token="actions-read")
    pushed = push(run_ghpkg, bed, engine, token="actions-read")
    line = assert_same_diagnosis(checked, pushed, "push")
    assert line.startswith(
        f"✗ push: {bed.registry_host} refused the GITHUB_TOKEN (ghs_) for push (upload to "
        "octo-org/hello-world): HTTP 403 "
    )
    assert line.endswith(
        "; add `permissions: packages: write` to the job (a GITHUB_TOKEN (ghs_) works only for "
        "its own workflow's repository; for another one use a classic PAT with write:packages "
        "and repo)"
    )
    assert check(checked, "pull").startswith("✓ pull: allowed for ")
    assert check(checked, "login").startswith("✓ login: ")
    assert "== Build" not in pushed.stderr


def test_a_github_token_that_may_write_passes_without_publishing(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    checked = doctor(run_ghpkg, bed, engine, token="actions")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert check(checked, "push") == (
        "✓ push: allowed for octo-org/hello-world: the registry opened an upload session "
        "(cancelled, nothing published), so `permissions: packages: write` is in force"
    )
    assert not (bed.paths.storage / "docker/registry/v2/repositories/octo-org/hello-world/"
                "ghpkg-doctor/_manifests").exists()  # fmt: skip


def test_a_package_owned_by_a_user(bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run) -> None:
    """octocat is a user, not an organization: the checklist is the same and passes."""
    checked = doctor(run_ghpkg, bed, engine, "--owner", "octocat")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert check(checked, "push") == (
        "✓ push: write:packages and repo allow it on octocat/hello-world"
    )
    assert check(checked, "pull") == "✓ pull: read:packages allows it on octocat/hello-world"


def test_a_github_token_of_another_repository(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    env = {"GITHUB_REPOSITORY": "octo-org/other-repo", "DOCKER_HOST": engine.base_url}
    args = common(bed, bed.hostname, True, ())
    stdin = bed.token("actions") + "\n"
    checked = undisturbed(bed, None, lambda: run_ghpkg("doctor", *args, env=env, stdin=stdin))
    pushed = run_ghpkg(
        "push", *args, "--image", "x", "--version", "1", "--source", "x", env=env, stdin=stdin
    )
    line = assert_same_diagnosis(checked, pushed, "push", expected_exit=2)
    assert line.startswith("✗ push: GITHUB_TOKEN cannot push octo-org/hello-world: ")


def test_an_engine_that_does_not_answer(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    nowhere = "unix:///tmp/ghpkg-doctor-no-engine.sock"
    checked = doctor(run_ghpkg, bed, engine, docker_host=nowhere)
    pushed = push(run_ghpkg, bed, engine, docker_host=nowhere)
    line = assert_same_diagnosis(checked, pushed, "engine")
    assert line.startswith("✗ engine: cannot reach the Docker engine: ")


def test_the_engine_and_the_transport_it_gets(
    bed: Testbed, engine: EngineUnderTest, run_ghpkg: Run
) -> None:
    """Every engine pushes through ghpkg's loopback registry; auto takes the faster way."""
    info = engine.client.info()
    containerd = any("io.containerd.snapshotter" in str(v) for _k, v in info["DriverStatus"])
    major = int(engine.version.split(".")[0])
    checked = doctor(run_ghpkg, bed, engine, "--transport", "engine")
    assert checked.returncode == 0, checked.stdout
    line = check(checked, "engine")
    store = "containerd" if containerd else "classic"
    assert line.startswith(f"✓ engine: Docker Engine {engine.version} ")
    assert line.endswith(
        f"{store} image store: push via the engine, through ghpkg's loopback registry (as asked)"
    )
    auto = doctor(run_ghpkg, bed, engine)
    assert auto.returncode == 0, auto.stdout
    expected = "the engine, through" if containerd or major >= 28 else "the registry API"
    assert f"push via {expected}" in check(auto, "engine")


DOCTOR_WORKFLOW = """\
on: push
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: doctor
        uses: ./ghpkg/doctor
        with:
          ca-file: {ca_file}
      - name: Record the output
        env:
          DOCTOR: ${{{{ steps.doctor.outputs.doctor }}}}
        run: printf '%s\\n' "$DOCTOR" > {result}
"""


def test_the_action_runs_doctor_and_sets_its_output(bed: Testbed, tmp_path: Path) -> None:
    from testbed.engines import start
    from tests.integration.act import commit, copy_action, run_act

    start("20.10")  # act's host executor uses the system engine
    workspace = tmp_path / "workspace"
    copy_action(workspace)
    result = tmp_path / "doctor.json"
    workflows = workspace / ".github" / "workflows"
    workflows.mkdir(parents=True)
    text = DOCTOR_WORKFLOW.format(ca_file=bed.ca_file, result=result)
    (workflows / "doctor.yml").write_text(text)
    commit(workspace, bed.hostname)
    done = undisturbed(
        bed, None, lambda: run_act(workspace, bed.hostname, {"GITHUB_TOKEN": bed.token("actions")})
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert (
        "✓ push: allowed for octo-org/hello-world: the registry opened an upload session" in output
    )
    summary = json.loads(result.read_text())
    assert summary["ok"] is True
    assert summary["token"]["kind"] == "github_token"
    assert summary["registry"] == bed.registry_host
    assert bed.token("actions") not in output
