"""The token stays secret: not in argv, output, outputs, errors or files; and TLS is always on.

Pushes run in workflow mode (GITHUB_ACTIONS, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) while a
thread reads every process's /proc/PID/cmdline; afterwards every file on the machine written
meanwhile (`find / -newer`, any filesystem, the engines' data included) is searched for the
token. HANDLING_ENGINES only: what is checked is ghpkg's own handling.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import traceback
import uuid
from pathlib import Path

import pytest

from ghpkg.errors import GhpkgError
from ghpkg.registry import RegistryClient
from ghpkg.secret import Secret
from testbed.bed import Testbed
from testbed.images import build_hello
from testbed.pytest_engines import EnginePool, EngineUnderTest
from tests.integration.conftest import clean_environment, handling_engines

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
# Every file on every filesystem is searched, except kernel views (/proc, /sys, /dev: not
# files anything writes to) and the tools' mount of the machine running these tests.
NOT_FILES = ("/proc", "/sys", "/dev", "/mnt/sandboxing")


class ArgvWatch(threading.Thread):
    """Reads every process's argv over and over until stopped; records any that hold a secret."""

    def __init__(self, secret: str) -> None:
        super().__init__(daemon=True)
        self.secret = secret.encode()
        self.hits: list[str] = []
        self.pids: set[int] = set()
        self.rounds = 0
        self.done = threading.Event()

    def run(self) -> None:
        """Poll /proc until told to stop."""
        while not self.done.is_set():
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    argv = Path(entry.path, "cmdline").read_bytes()
                except OSError:
                    continue
                self.pids.add(int(entry.name))
                if self.secret in argv:
                    self.hits.append(argv.replace(self.secret, b"<TOKEN>").decode(errors="replace"))
            self.rounds += 1
            time.sleep(0.001)


def files_written_since(
    marker: Path, skip: Path, tops: tuple[Path, ...] = (Path("/"),)
) -> list[Path]:
    """Every regular file under `tops` (the whole machine) modified or changed after marker was
    (find -newer), whatever the folder or filesystem; the bed's own state (it holds the tokens)
    skipped."""
    pruned = [arg for top in NOT_FILES for arg in ("-path", top, "-o")][:-1]
    listing = subprocess.run(
        ["find", *map(str, tops), "(", *pruned, "-o", "-path", str(skip), ")", "-prune", "-o",
         "-type", "f", "(", "-newer", str(marker), "-o", "-cnewer", str(marker), ")", "-print0"],
        capture_output=True, check=False,
    )  # fmt: skip
    return [Path(os.fsdecode(raw)) for raw in listing.stdout.split(b"\0") if raw]


def holds(path: Path, secret: bytes) -> bool:
    """Whether the file holds secret, read in pieces (some are large: an engine's layers)."""
    tail = b""
    try:
        with path.open("rb") as handle:
            while piece := handle.read(1 << 20):
                if secret in tail + piece:
                    return True
                tail = piece[-len(secret) :]
    except OSError:
        return False  # gone again, or not readable as a file (a socket bound over one)
    return False


def marker(tmp_path: Path) -> Path:
    """A file whose times are a moment ago: what is written after it is newer."""
    made = tmp_path / f"marker-{uuid.uuid4().hex[:6]}"
    made.touch()
    os.utime(made, (time.time() - 1, time.time() - 1))
    return made


def shown(text: str) -> str:
    """What a workflow log shows: the runner swallows ::add-mask:: lines."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("::add-mask::"))


@pytest.fixture(scope="module", params=handling_engines())
def engine20(request: pytest.FixtureRequest, engine_pool: EnginePool) -> EngineUnderTest:
    """Each engine of HANDLING_ENGINES in turn."""
    return engine_pool.get(request.param)


@pytest.mark.parametrize("transport", ["registry", "engine"])
def test_a_push_leaves_the_token_nowhere(
    bed: Testbed, engine20: EngineUnderTest, tmp_path: Path, transport: str
) -> None:
    token = bed.token("write")
    image = f"secret-{transport}-{uuid.uuid4().hex[:8]}"
    source = build_hello(engine20.client, f"local/{image}:src", f"secrets {image}")
    home = tmp_path / "home"
    home.mkdir()
    files = {name: tmp_path / name for name in ("github_output", "summary", "outputs")}
    env = clean_environment() | {
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),  # ghpkg's blob cache is searched too
        "DOCKER_HOST": engine20.base_url,
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(files["github_output"]),
        "GITHUB_STEP_SUMMARY": str(files["summary"]),
    }
    argv = [
        sys.executable, "-m", "ghpkg", "push", "--hostname", bed.hostname,
        "--subdomain-isolation", "true", "--owner", "octo-org", "--repository", "hello-world",
        "--image", image, "--version", "1.0", "--version", "latest", "--source", source,
        "--transport", transport, "--ca-file", str(bed.ca_file), "--password-stdin",
        "--username", bed.user("write"), "--output-file", str(files["outputs"]),
    ]  # fmt: skip
    docker_config = Path("/root/.docker/config.json")
    config_before = docker_config.read_bytes() if docker_config.exists() else None
    watch = ArgvWatch(token)
    watch.start()
    start = marker(tmp_path)
    process = subprocess.Popen(
        argv, env=env, cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    out, err = process.communicate(token + "\n", timeout=300)
    watch.done.set()
    watch.join()
    assert process.returncode == 0, err
    assert watch.hits == [], "the token was in a process's argv"
    assert process.pid in watch.pids, "the watch did not see the push running"
    assert err.count(f"::add-mask::{token}") == 1, "the token is masked, once, at once"
    assert "::group::" in err
    assert token not in shown(out + err)
    for path in files.values():
        assert path.exists()
        assert token not in path.read_text()
    assert not (home / ".docker").exists(), "no Docker config.json is written"
    after = docker_config.read_bytes() if docker_config.exists() else None
    assert after == config_before
    written = files_written_since(start, bed.paths.root)
    assert files["outputs"] in written, "the search did not see what the push wrote"
    assert [p for p in written if holds(p, token.encode())] == []


@pytest.mark.parametrize("token_name", ["read", "finegrained", "actions"])
def test_a_refused_token_is_named_by_kind_never_by_value(
    bed: Testbed, engine20: EngineUnderTest, tmp_path: Path, token_name: str
) -> None:
    token = bed.token(token_name)
    done = subprocess.run(
        [
            sys.executable, "-m", "ghpkg", "push", "--hostname", bed.hostname,
            "--subdomain-isolation", "true", "--owner", "octo-org", "--repository", "other-repo",
            "--image", "nope", "--version", "1.0", "--source", "x", "--ca-file", str(bed.ca_file),
            "--password-stdin",
        ],
        env=clean_environment() | {"GITHUB_ACTIONS": "true", "DOCKER_HOST": engine20.base_url},
        input=token + "\n", capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode in (1, 2)
    assert "error:" in done.stderr
    assert "::error::" in done.stderr
    assert token not in shown(done.stdout + done.stderr)
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("variable", ["GITHUB_TOKEN", "GHPKG_TOKEN"])
def test_a_workflows_github_token_never_leaves_for_another_host(
    bed: Testbed, variable: str
) -> None:
    """A ghs_ token of a workflow on github.example.com, aimed at the bed: refused before any
    request (the bed's access log never sees the image it would have asked for). As
    GITHUB_TOKEN it is not even taken (it is only the workflow's own instance's); handed over
    as GHPKG_TOKEN it is refused for what it is."""
    image = f"elsewhere-{uuid.uuid4().hex[:10]}"
    log = bed.paths.nginx / "access.log"
    before = log.stat().st_size
    done = subprocess.run(
        [sys.executable, "-m", "ghpkg", "pull", "--hostname", bed.hostname, "--ca-file",
         str(bed.ca_file), "--owner", "octo-org", "--repository", "hello-world",
         "--image", image, "--version", "1.0", "--transport", "registry"],
        env=clean_environment() | {
            "GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.example.com",
            variable: bed.token("actions"),
        },
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    if variable == "GITHUB_TOKEN":
        assert len(errors) == 1
        assert errors[0].startswith(f"error: no token for {bed.hostname}: ")
        assert (
            "(GITHUB_TOKEN only inside GitHub Actions, for the workflow's own instance)"
            in (errors[0])
        )
    else:
        assert errors == [
            f"error: the GITHUB_TOKEN (ghs_) of this workflow belongs to github.example.com, not "
            f"{bed.hostname}: it is sent only to the instance that ran the workflow "
            f"(GITHUB_SERVER_URL); drop --hostname, or pass a token of {bed.hostname} (e.g. a "
            "classic PAT in a secret)"
        ]
    with log.open("rb") as stream:
        stream.seek(before)
        assert image.encode() not in stream.read()


def test_exception_text_and_reprs_never_hold_the_token(bed: Testbed) -> None:
    token = Secret("ghp_" + "z" * 36)
    client = RegistryClient(bed.registry_host, "octocat", token, ca_file=bed.ca_file, retries=0)
    with pytest.raises(GhpkgError) as info:
        client.ping("push")
    text = "".join(traceback.format_exception(info.value))
    for shown_text in (text, repr(info.value), str(info.value.args), repr(client.__dict__)):
        assert token.reveal() not in shown_text
    assert "classic personal access token" in str(info.value)
    assert repr(token) == str(token) == "Secret('***')"


def test_tls_verification_stays_on_whatever_the_environment_says(
    bed: Testbed, engine20: EngineUnderTest, tmp_path: Path
) -> None:
    env = clean_environment() | {
        "GHPKG_TOKEN": bed.token("write"),
        "DOCKER_HOST": engine20.base_url,
        "PYTHONHTTPSVERIFY": "0",
        "CURL_CA_BUNDLE": "",
        "REQUESTS_CA_BUNDLE": "",
        "GIT_SSL_NO_VERIFY": "1",
    }
    done = subprocess.run(
        [
            sys.executable, "-m", "ghpkg", "pull", "--hostname", bed.hostname,
            "--subdomain-isolation", "true", "--owner", "octo-org", "--repository", "hello-world",
            "--image", "anything", "--version", "1.0",
        ],
        env=env, capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "not trusted" in done.stderr
    assert "--ca-file" in done.stderr


def test_no_code_turns_tls_verification_off() -> None:
    pattern = re.compile(
        r"verify\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False|_create_unverified_context"
        r"|disable_warnings|InsecureRequestWarning|--insecure|insecure-registr"
    )
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in [*sorted((REPO / "src").rglob("*.py")), REPO / "action.yml"]
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line) and not _reads_a_certificate_only(path, number)
    ]
    assert found == []


def _reads_a_certificate_only(path: Path, number: int) -> bool:
    """Whether the line is in a function that only reads who issued a certificate, for advice.

    `certificate_issuer` connects without trust to name the issuer in a TLS error; it sends
    no request, so no credential can go over that connection.
    """
    import ast

    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef) and node.lineno <= number <= (node.end_lineno or 0):
            body = ast.get_source_segment(path.read_text(), node) or ""
            sends = re.search(r"\.send|\.write|request|Authorization|token", body)
            return node.name == "certificate_issuer" and sends is None
    return False


def test_the_watches_would_see_a_leak(bed: Testbed, tmp_path: Path) -> None:
    secret = "ghp_" + uuid.uuid4().hex + "abcd"
    watch = ArgvWatch(secret)
    watch.start()
    start = marker(tmp_path)
    subprocess.run(["sh", "-c", "sleep 0.3", secret], check=True)
    elsewhere = Path("/var/tmp") / f"ghpkg-leak-{uuid.uuid4().hex[:6]}"  # not under /tmp
    try:
        (tmp_path / "leak.txt").write_text(f"token={secret}\n")
        elsewhere.write_bytes(os.urandom(3 << 20) + secret.encode())  # past the first piece
        watch.done.set()
        watch.join()
        assert set(watch.hits) == {"sh\0-c\0sleep 0.3\0<TOKEN>\0"}
        written = files_written_since(start, bed.paths.root)
        leaks = sorted(p for p in written if holds(p, secret.encode()))
    finally:
        elsewhere.unlink()
    assert leaks == sorted([tmp_path / "leak.txt", elsewhere])
