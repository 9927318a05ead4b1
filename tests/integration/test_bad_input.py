"""The bad-input table: each mistake ends in one line and the right exit code, never a traceback.

Exit 2 is for what is judged before any network call or build; exit 1 for what the world
answered (the bed, the engine). Each row names the words its error line must contain.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from testbed.bed import Testbed
from testbed.pytest_engines import EnginePool, EngineUnderTest
from tests.integration.conftest import Run, clean_environment, handling_engines

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DIGEST = "sha256:" + "0123456789abcdef" * 4
BED = ("--hostname", "ghes.test", "--subdomain-isolation", "true", "--owner", "octo-org")
BED_APP = (*BED, "--repository", "hello-world", "--image", "app")  # a later --image wins
CA = ("--ca-file", "{ca}")
PUSH_ANY = ("push", *BED_APP, *CA)  # no version yet
PUSH = (*PUSH_ANY, "--version", "1.0")
PULL = ("pull", *BED_APP, *CA, "--version", "1.0")


@dataclass(frozen=True)
class Case:
    """One row: the arguments (or INPUT_* for the action), what must be said, the exit code."""

    name: str
    args: tuple[str, ...]
    code: int
    words: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    stdin: str = ""
    action: bool = False


CASES = [
    # -- names, versions, options: exit 2 before any network call --------------------------
    Case("capitals in the image name", (*PUSH, "--image", "MyApp",
         "--source", "x"), 2, ("capitals", "lowercase", "'myapp'")),
    Case("a digest as version", (*PUSH_ANY, "--version", DIGEST, "--source", "x"), 2,
         ("is a digest", "only by tag")),
    Case("IMAGE@digest as version", (*PUSH_ANY, "--version", f"app@{DIGEST}", "--source", "x"),
         2, ("is a digest",)),
    Case("an empty tag", (*PUSH_ANY, "--version", "", "--source", "x"), 2,
         ("version is empty",)),
    Case("a tag with a space", (*PUSH_ANY, "--version", "bad tag", "--source", "x"), 2,
         ("'bad tag' is not a valid tag",)),
    Case("a tag starting with a dot", (*PUSH_ANY, "--version=.hidden", "--source", "x"), 2,
         ("not a valid tag", "cannot start with")),
    Case("a tag of 129 characters", (*PUSH_ANY, "--version", "a" * 129, "--source", "x"), 2,
         ("up to 128",)),
    Case("a hostname with a path", ("push", "--hostname", "ghes.test/some/path", "--owner", "o",
         "--repository", "r", "--image", "app", "--version", "1", "--source", "x"), 2,
         ("has a path", "e.g. ghes.test")),
    Case("a hostname with credentials", ("push", "--hostname", "https://u:p@ghes.test",
         "--owner", "o", "--repository", "r", "--image", "app", "--version", "1",
         "--source", "x"), 2, ("credentials",)),
    Case("no hostname and no GITHUB_SERVER_URL", ("push", "--owner", "o", "--repository", "r",
         "--image", "app", "--version", "1", "--source", "x"), 2,
         ("hostname is empty", "GITHUB_SERVER_URL")),
    Case("a hostname with another scheme", ("push", "--hostname", "ftp://ghes.test", "--owner",
         "o", "--repository", "r", "--image", "app", "--version", "1", "--source", "x"), 2,
         ("scheme 'ftp'",)),
    Case("an invalid hostname", ("push", "--hostname", "ghes_test!", "--owner", "o",
         "--repository", "r", "--image", "app", "--version", "1", "--source", "x"), 2,
         ("not a valid host name",)),
    Case("an unknown isolation value", (*PUSH, "--subdomain-isolation", "maybe", "--source", "x"),
         2, ("subdomain isolation 'maybe'", "true, false or auto")),
    Case("an unknown transport", (*PUSH, "--transport", "carrier-pigeon", "--source", "x"), 2,
         ("transport 'carrier-pigeon'", "auto, engine, registry")),
    Case("an unknown operation", ("frobnicate",), 2, ("has no command 'frobnicate'",)),
    Case("an unknown operation in the action", (), 2, ("operation 'frobnicate' is not known",),
         env={"INPUT_OPERATION": "frobnicate", "INPUT_IMAGE": "app"}, action=True),
    Case("a non-boolean action flag", (), 2, ("sha-tag 'yes' is not true or false",),
         env={"INPUT_IMAGE": "app", "INPUT_SHA-TAG": "yes"}, action=True),
    Case("retries out of range", (*PUSH, "--retries", "99", "--source", "x"), 2,
         ("retries '99'", "0 to 20")),
    Case("a zero timeout", (*PUSH, "--timeout", "0", "--source", "x"), 2, ("timeout '0'",)),
    Case("a build-arg without =", (*PUSH, "--context", "{context}", "--build-arg", "NOEQUALS"), 2,
         ("'NOEQUALS' is not KEY=VALUE",)),
    Case("a label without =", (*PUSH, "--context", "{context}", "--label", "bad"), 2,
         ("label 'bad' is not KEY=VALUE",)),
    Case("a CA file that does not exist", (*PUSH, "--ca-file", "/nonexistent.pem",
         "--source", "x"), 2, ("CA file", "'/nonexistent.pem' does not exist")),
    Case("an owner that cannot be a path", ("push", "--hostname", "ghes.test", "--owner",
         "bad owner", "--repository", "r", "--image", "app", "--version", "1", "--source", "x"),
         2, ("owner 'bad owner'",)),
    Case("an image name with symbols", (*PUSH, "--image", "my_app!",
         "--source", "x"), 2, ("'my_app!' is not a valid registry name",)),
    Case("no image name", (*PUSH, "--image", "", "--source", "x"), 2,
         ("image name is empty",)),
    Case("two versions to pull", (*PULL, "--version", "2.0"), 2, ("pull takes one version",)),
    Case("an unknown option", (*PUSH, "--frobnicate"), 2,
         ("does not take --frobnicate", "see `ghpkg push --help`")),
    Case("a token passed as an argument", (*PUSH, "--token", "{write}"), 2,
         ("does not take --token", "never goes on the command line", "--password-stdin")),
    # -- tokens judged locally: exit 2 --------------------------------------------------------
    Case("a missing token", (*PUSH, "--source", "x"), 2, ("no token", "--password-stdin"),
         env={"GHPKG_TOKEN": ""}),
    Case("an empty token on stdin", (*PUSH, "--password-stdin", "--source", "x"), 2,
         ("no token",), stdin="\n"),
    Case("a fine-grained token", (*PUSH, "--source", "x"), 2,
         ("fine-grained personal access token", "classic PAT (ghp_) with write:packages"),
         env={"GHPKG_TOKEN": "{finegrained}"}),
    Case("a GITHUB_TOKEN for another repository", (*PUSH, "--repository", "other-repo",
         "--source", "x"), 2, ("GITHUB_TOKEN cannot push octo-org/other-repo",
         "classic PAT with write:packages"),
         env={"GHPKG_TOKEN": "{actions}", "GITHUB_REPOSITORY": "octo-org/hello-world"}),
    Case("a build context that does not exist", (*PUSH, "--context", "/nonexistent"), 2,
         ("build context '/nonexistent' is not a directory", "--source")),
    Case("a Dockerfile that does not exist", (*PUSH, "--context", "{context}", "--dockerfile",
         "nope.Dockerfile"), 2, ("nope.Dockerfile' does not exist",)),
    # -- what the world answers: exit 1 -------------------------------------------------------
    Case("a host that does not resolve", ("push", "--hostname", "unreachable.invalid",
         "--owner", "o", "--repository", "r", "--image", "app", "--version", "1",
         "--source", "x"), 1, ("unreachable.invalid", "resolve")),
    Case("a port nobody listens on", ("push", "--hostname", "ghes.test:9",
         "--subdomain-isolation", "true", "--owner", "o", "--repository", "r", "--image", "app",
         "--version", "1", "--source", "{image}", "--ca-file", "{ca}", "--retries", "0"), 1,
         ("ghes.test:9", "refused")),
    Case("TLS without --ca-file", ("push", *BED_APP, "--version", "1.0", "--source", "{image}"),
         1, ("not trusted", "--ca-file")),
    Case("a wrong token", (*PUSH, "--source", "{image}"), 1,
         ("refused the classic personal access token", "not expired"),
         env={"GHPKG_TOKEN": "ghp_" + "x" * 36}),
    Case("a token without write:packages", (*PUSH, "--source", "{image}"), 1,
         ("classic personal access token", "write:packages"),
         env={"GHPKG_TOKEN": "{read}"}),
    Case("a token without read:packages", PULL, 1,
         ("classic personal access token", "read:packages"), env={"GHPKG_TOKEN": "{noscope}"}),
    Case("a GITHUB_TOKEN the registry refuses for another repository", (*PUSH, "--repository",
         "other-repo", "--source", "{image}", "--transport", "registry"), 1,
         ("refused the GITHUB_TOKEN (ghs_) for push", "classic PAT with write:packages"),
         env={"GHPKG_TOKEN": "{actions}"}),
    Case("a failing build shows its last lines", (*PUSH, "--context", "{badbuild}"), 1,
         ("docker build failed", "COPY nothere /nothere")),
    Case("an engine that is not running", (*PUSH, "--source", "x"), 1,
         ("cannot reach the Docker engine", "start dockerd"),
         env={"DOCKER_HOST": "unix:///nonexistent.sock"}),
    Case("a tag that is not there", (*PULL, "--image", "nothing-here"),
         1, ("nothing-here:1.0 was not found", "MANIFEST_UNKNOWN")),
    Case("a --source image the engine lacks", (*PUSH, "--source", "no-such-image:latest"), 1,
         ("'no-such-image:latest' is not in the local Docker engine",)),
]  # fmt: skip


@pytest.fixture(scope="module", params=handling_engines())
def values(
    request: pytest.FixtureRequest,
    testbed: Testbed,
    engine_pool: EnginePool,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, str]:
    """What the placeholders in the table stand for, on each engine of HANDLING_ENGINES."""
    return _values(engine_pool.get(request.param), testbed, tmp_path_factory)


@pytest.fixture(scope="module")
def first_values(
    testbed: Testbed, engine_pool: EnginePool, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The placeholders on the first engine only: input judged before any network call (exit
    2) meets no engine, so another engine would only run the same check again."""
    return _values(engine_pool.get(handling_engines()[0]), testbed, tmp_path_factory)


def _values(
    engine: EngineUnderTest, testbed: Testbed, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("inputs")
    context = folder / "context"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM scratch\n")
    badbuild = folder / "badbuild"
    badbuild.mkdir()
    (badbuild / "Dockerfile").write_text("FROM scratch\nLABEL stage=one\nCOPY nothere /nothere\n")
    tokens = {name: testbed.token(name) for name in ("write", "read", "noscope", "actions")}
    return tokens | {
        "finegrained": testbed.token("finegrained"),
        "ca": str(testbed.ca_file),
        "context": str(context),
        "badbuild": str(badbuild),
        "image": _any_local_image(engine),
        "docker_host": engine.base_url,
    }


def _any_local_image(engine: EngineUnderTest) -> str:
    from testbed.images import build_hello

    return build_hello(engine.client, "local/bad-input:src", "bad input table")


BEFORE_NETWORK = [case for case in CASES if case.code == 2]
WORLD_SAYS_NO = [case for case in CASES if case.code == 1]


@pytest.mark.parametrize("case", BEFORE_NETWORK, ids=[c.name for c in BEFORE_NETWORK])
def test_bad_input_is_one_line_before_the_network(
    case: Case, first_values: dict[str, str], run_ghpkg: Run, tmp_path: Path
) -> None:
    check(case, first_values, run_ghpkg, tmp_path)


@pytest.mark.parametrize("case", WORLD_SAYS_NO, ids=[c.name for c in WORLD_SAYS_NO])
def test_what_the_world_refuses_is_one_line_on_each_engine(
    case: Case, values: dict[str, str], run_ghpkg: Run, tmp_path: Path
) -> None:
    check(case, values, run_ghpkg, tmp_path)


def check(case: Case, values: dict[str, str], run_ghpkg: Run, tmp_path: Path) -> None:
    """Run one row; its error is one line with the row's words, and no token is shown."""
    args = [arg.format(**values) for arg in case.args]
    env = {"GHPKG_TOKEN": values["write"], "DOCKER_HOST": values["docker_host"]}
    env |= {key: value.format(**values) for key, value in case.env.items()}
    if case.action:
        done = _run_action(env, tmp_path)
    else:
        done = run_ghpkg(*args, env=env, stdin=case.stdin, cwd=tmp_path)
    assert done.returncode == case.code, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert done.stderr.rstrip().splitlines()[-1] == errors[0]
    for word in case.words:
        assert word in errors[0], errors[0]
    shown = [
        line for line in (done.stdout + done.stderr).splitlines() if "::add-mask::" not in line
    ]
    for name in ("write", "read", "noscope", "actions", "finegrained"):
        assert values[name] not in "\n".join(shown)


def _run_action(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The action's entrypoint with INPUT_* variables, as the composite step runs it."""
    full = clean_environment() | env | {"INPUT_TOKEN": env["GHPKG_TOKEN"]}
    return subprocess.run(
        [sys.executable, str(REPO / "entrypoint.py")],
        env=full,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_table_is_at_least_thirty_cases_with_both_exit_codes() -> None:
    assert len(CASES) >= 30
    assert {case.code for case in CASES} == {1, 2}
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ("case", "code"),
    [(c, c.code) for c in CASES if c.name in ("retries out of range", "TLS without --ca-file")],
    ids=["bad input", "the world says no"],
)
def test_with_json_a_failure_is_also_one_document_on_stdout(
    case: Case, code: int, first_values: dict[str, str], run_ghpkg: Run, tmp_path: Path
) -> None:
    values = first_values  # the document's shape does not depend on the engine
    args = [arg.format(**values) for arg in case.args]
    env = {"GHPKG_TOKEN": values["write"], "DOCKER_HOST": values["docker_host"]}
    done = run_ghpkg(*args, "--json", env=env, cwd=tmp_path)
    assert done.returncode == code
    document = json.loads(done.stdout)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {document['error']}"]
    assert (document["ok"], document["exit_code"], document["operation"]) == (False, code, "push")
