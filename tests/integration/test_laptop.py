"""ghpkg on a laptop: the token from gh's places (never a stray GITHUB_TOKEN), the instance and
repository from `git remote` and the config files; `ghpkg config` says where each came from.

Every run goes to the bed through this process's own fault proxy, scripted with no fault: what
the proxy saw is what the instance received, and nothing else reaches it under that name.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testbed.bed import Testbed
from testbed.client import Pushed
from testbed.faults import FaultProxy
from tests.integration.conftest import Run

pytestmark = pytest.mark.integration

PATH = "/usr/bin:/bin"
_GIT = "git remote origin"  # no gh on it unless a test puts one there


def _versions_args(proxy: FaultProxy, bed: Testbed, image: Pushed) -> list[str]:
    owner, repository, name = image.name.split("/")
    return [
        *("versions", "--hostname", proxy.hostname, "--subdomain-isolation", "true"),
        *("--ca-file", str(bed.ca_file), "--owner", owner, "--repository", repository),
        *("--image", name),
    ]


def test_a_github_token_outside_actions_is_never_sent(
    run_ghpkg: Run, faults: FaultProxy, bed: Testbed, tiny_image: Pushed
) -> None:
    """On a laptop GITHUB_TOKEN is usually github.com's: exit 2 naming the places, nothing sent."""
    env = {"GITHUB_TOKEN": bed.token("readrepo"), "PATH": PATH}
    run = run_ghpkg(*_versions_args(faults, bed, tiny_image), env=env)
    assert run.returncode == 2, run.stderr
    assert f"error: no token for {faults.hostname}" in run.stderr
    for name in ("GHPKG_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "gh auth token"):
        assert name in run.stderr
    assert faults.seen == []


@pytest.mark.parametrize(
    ("server", "sent"), [("https://{host}", True), ("https://github.com", False)]
)
def test_inside_actions_github_token_goes_only_to_its_own_instance(
    run_ghpkg: Run, faults: FaultProxy, bed: Testbed, tiny_image: Pushed, server: str, sent: bool
) -> None:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_TOKEN": bed.token("actions-read"), "PATH": PATH}
    env |= {"GITHUB_SERVER_URL": server.format(host=faults.hostname)}
    env |= {"GITHUB_REPOSITORY": "octo-org/hello-world"}
    run = run_ghpkg(*_versions_args(faults, bed, tiny_image), env=env)
    if sent:
        assert run.returncode == 0, run.stderr
        assert faults.requests("GET", r"/packages/docker/")
    else:
        assert run.returncode == 2
        assert "no token" in run.stderr
        assert faults.seen == []


@pytest.mark.parametrize("variable", ["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"])
def test_gh_s_enterprise_variables_give_the_token(
    run_ghpkg: Run, faults: FaultProxy, bed: Testbed, tiny_image: Pushed, variable: str
) -> None:
    env = {variable: bed.token("readrepo"), "GITHUB_TOKEN": "ghp_" + "x" * 36, "PATH": PATH}
    run = run_ghpkg(*_versions_args(faults, bed, tiny_image), env=env)
    assert run.returncode == 0, run.stderr
    assert "1.0" in run.stdout


def _fake_gh(folder: Path, token: str) -> Path:
    """A `gh` that prints the token for `auth token --hostname H` and logs its arguments."""
    folder.mkdir()
    script = folder / "gh"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {folder}/calls\n'
        'if [ "$1 $2 $3" = "auth token --hostname" ]; then\n'
        f"  echo {token}\n"
        "  exit 0\n"
        "fi\n"
        "exit 1\n"
    )
    script.chmod(0o755)
    return folder


def test_the_token_comes_from_gh_auth_token_for_the_host(
    run_ghpkg: Run, faults: FaultProxy, bed: Testbed, tiny_image: Pushed, tmp_path: Path
) -> None:
    gh = _fake_gh(tmp_path / "bin", bed.token("readrepo"))
    run = run_ghpkg(*_versions_args(faults, bed, tiny_image), env={"PATH": f"{gh}:{PATH}"})
    assert run.returncode == 0, run.stderr
    assert (gh / "calls").read_text().splitlines() == [f"auth token --hostname {faults.hostname}"]


def test_ghpkg_token_comes_before_the_others(run_ghpkg: Run, tmp_path: Path) -> None:
    gh = _fake_gh(tmp_path / "bin", "ghp_" + "g" * 36)
    env = {"PATH": f"{gh}:{PATH}", "GITHUB_ENTERPRISE_TOKEN": "ghp_" + "e" * 36}
    where = ("--hostname", "ghes.example.com")
    order = [
        ({"GHPKG_TOKEN": "ghp_" + "p" * 36, "GH_ENTERPRISE_TOKEN": "x"}, "GHPKG_TOKEN"),
        ({"GH_ENTERPRISE_TOKEN": "ghp_" + "h" * 36}, "GH_ENTERPRISE_TOKEN"),
        ({}, "GITHUB_ENTERPRISE_TOKEN"),
    ]
    for extra, source in order:
        run = run_ghpkg("config", *where, env=env | extra, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        assert f"token: from {source}" in run.stdout.splitlines()
    run = run_ghpkg("config", *where, env={"PATH": f"{gh}:{PATH}"}, cwd=tmp_path)
    assert "token: from gh auth token --hostname ghes.example.com" in run.stdout.splitlines()
    run = run_ghpkg("config", *where, "--password-stdin", env=env, stdin="t\n", cwd=tmp_path)
    assert "token: from --password-stdin" in run.stdout.splitlines()


def _git_checkout(folder: Path, remote: str) -> Path:
    folder.mkdir()
    for args in (["init", "-q"], ["remote", "add", "origin", remote]):
        subprocess.run(["git", "-C", str(folder), *args], check=True)
    return folder


@pytest.mark.parametrize(
    "remote", ["https://{host}/Octo-Org/hello-world.git", "git@{name}:octo-org/hello-world.git"]
)
def test_host_owner_and_repository_come_from_git_remote(
    run_ghpkg: Run,
    faults: FaultProxy,
    bed: Testbed,
    tiny_image: Pushed,
    tmp_path: Path,
    remote: str,
) -> None:
    url = remote.format(host=faults.hostname, name=faults.name)
    checkout = _git_checkout(tmp_path / "app", url)
    image = tiny_image.name.split("/")[-1]
    env = {"GH_ENTERPRISE_TOKEN": bed.token("readrepo"), "PATH": PATH}
    flags = ["--subdomain-isolation", "true", "--ca-file", str(bed.ca_file), "--image", image]
    if "@" in remote:  # ssh names the host without the web port: the port comes from a flag
        flags += ["--hostname", faults.hostname]
    run = run_ghpkg("versions", *flags, env=env, cwd=checkout)
    assert run.returncode == 0, run.stderr
    assert "1.0" in run.stdout
    shown = run_ghpkg("config", "--json", env=env, cwd=checkout)
    document = json.loads(shown.stdout)
    assert document["owner"] == {"value": url.split("/")[-2].split(":")[-1], "source": _GIT}
    assert document["repository"]["value"] == "hello-world"


def test_git_remote_is_not_read_inside_actions(run_ghpkg: Run, tmp_path: Path) -> None:
    checkout = _git_checkout(tmp_path / "app", "https://ghes.example.com/octo-org/app.git")
    env = {"GITHUB_ACTIONS": "true", "PATH": PATH}
    document = json.loads(run_ghpkg("config", "--json", env=env, cwd=checkout).stdout)
    assert document["hostname"]["value"] == ""
    assert document["owner"]["value"] == ""


def test_the_config_files_give_the_defaults(
    run_ghpkg: Run, faults: FaultProxy, bed: Testbed, tiny_image: Pushed, tmp_path: Path
) -> None:
    """The user's config.yml (under XDG_CONFIG_HOME) and the repository's .ghpkg.yml."""
    owner, repository, image = tiny_image.name.split("/")
    user = tmp_path / "xdg" / "ghpkg"
    user.mkdir(parents=True)
    (user / "config.yml").write_text(
        f"hostname: {faults.hostname}\nsubdomain-isolation: true\nowner: {owner}\n"
    )
    checkout = _git_checkout(tmp_path / "app", "/somewhere/local.git")  # no host in it
    (checkout / ".ghpkg.yml").write_text(f"ca-file: {bed.ca_file}\n")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "PATH": PATH}
    env |= {"GH_ENTERPRISE_TOKEN": bed.token("readrepo")}
    run = run_ghpkg("versions", "--repository", repository, "--image", image, env=env, cwd=checkout)
    assert run.returncode == 0, run.stderr
    shown = run_ghpkg("config", env=env, cwd=checkout).stdout.splitlines()
    assert f"hostname: {faults.hostname} ({user / 'config.yml'})" in shown
    assert f"subdomain-isolation: true ({user / 'config.yml'})" in shown
    assert f"ca-file: {bed.ca_file} ({checkout / '.ghpkg.yml'})" in shown
    assert "token: from GH_ENTERPRISE_TOKEN" in shown


def test_a_config_file_ghpkg_cannot_read_is_exit_2_naming_it(
    run_ghpkg: Run, tmp_path: Path
) -> None:
    checkout = _git_checkout(tmp_path / "app", "/somewhere/local.git")
    (checkout / ".ghpkg.yml").write_text("hostname: ghes.example.com\nregistry-host: x\n")
    run = run_ghpkg("config", env={"PATH": PATH}, cwd=checkout)
    assert run.returncode == 2
    assert f"error: config file {checkout / '.ghpkg.yml'} has unknown key(s): registry-host" in (
        run.stderr
    )


def test_a_repository_s_file_does_not_choose_where_the_token_goes(
    run_ghpkg: Run, faults: FaultProxy, bed: Testbed, tiny_image: Pushed, tmp_path: Path
) -> None:
    """A cloned repository's .ghpkg.yml naming a host is refused before anything is sent."""
    owner, repository, image = tiny_image.name.split("/")
    checkout = _git_checkout(tmp_path / "app", "/somewhere/local.git")
    (checkout / ".ghpkg.yml").write_text(f"hostname: {faults.hostname}\n")
    env = {"GH_ENTERPRISE_TOKEN": bed.token("readrepo"), "PATH": PATH}
    flags = ["--owner", owner, "--repository", repository, "--image", image]
    run = run_ghpkg("versions", *flags, env=env, cwd=checkout)
    assert run.returncode == 2
    assert f"error: config file {checkout / '.ghpkg.yml'} names a hostname" in run.stderr
    assert faults.seen == []
