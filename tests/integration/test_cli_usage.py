"""What a user meets before any network call: lists read as the action reads them, help per
verb, every missing option named at once, and a start-up that imports neither docker-py nor
requests. Through the real command (`python -m ghpkg`) and the action's entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import Run, clean_environment

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
WHERE = (
    *("--hostname", "ghes.example.com", "--subdomain-isolation", "true"),
    *("--owner", "octo-org", "--repository", "hello-world", "--image", "app"),
)
IMAGE = "docker.ghes.example.com/octo-org/hello-world/app"


def _action(inputs: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = clean_environment() | {"GITHUB_ACTIONS": "true"}
    env |= {f"INPUT_{name.upper()}": value for name, value in inputs.items()}
    return subprocess.run(
        [sys.executable, str(REPO / "entrypoint.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _images(run: subprocess.CompletedProcess[str]) -> list[str]:
    assert run.returncode == 0, run.stderr
    return [line for line in (run.stdout + run.stderr).splitlines() if line.startswith(IMAGE)]


ACTION_WHERE = {"operation": "ref", "hostname": "ghes.example.com", "subdomain-isolation": "true"}
ACTION_WHERE |= {"owner": "octo-org", "repository": "hello-world", "image": "app"}


@pytest.mark.parametrize(
    ("flag", "input_name", "value", "tags"),
    [
        ("--version", "version", "1.0,latest", ["1.0", "latest"]),
        ("--version", "version", "1.0\nlatest", ["1.0", "latest"]),
        ("--tag", "tags", "type=raw,value=a\ntype=raw,value=b", ["a", "b"]),
        ("--flavor", "flavor", "prefix=v\nsuffix=-x", ["v1-x"]),
    ],
)
def test_a_list_means_the_same_on_the_command_line_and_in_the_action(
    run_ghpkg: Run, flag: str, input_name: str, value: str, tags: list[str]
) -> None:
    extra = ["--tag", "type=raw,value=1"] if flag == "--flavor" else []
    cli = run_ghpkg("ref", *WHERE, flag, value, *extra)
    inputs = ACTION_WHERE | {input_name: value}
    if flag == "--flavor":
        inputs["tags"] = "type=raw,value=1"
    assert _images(cli) == [f"{IMAGE}:{tag}" for tag in tags]
    assert _images(_action(inputs)) == [f"{IMAGE}:{tag}" for tag in tags]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--tag", 'type=raw,"value=a"b'), ('must end with "', "quote a whole field")),
        (("--tag", '"type=raw'), ('must end with "',)),
        (("--version", ""), ("version is empty",)),
    ],
)
def test_a_malformed_list_value_gets_a_line_for_a_person(
    run_ghpkg: Run, args: tuple[str, ...], words: tuple[str, ...]
) -> None:
    run = run_ghpkg("ref", *WHERE, *args)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len([line for line in lines if line.startswith("error:")]) == 1
    for word in words:
        assert word in run.stderr
    assert "expected after" not in run.stderr
    assert "end of data" not in run.stderr


@pytest.mark.parametrize("isolation", ["true", "false", "auto"])
def test_a_host_that_does_not_resolve_is_one_error_and_no_retry(
    run_ghpkg: Run, isolation: str
) -> None:
    """`.invalid` never resolves (RFC 6761): nothing to retry, whichever client asks first."""
    where = (
        *("--hostname", "ghes.invalid", "--subdomain-isolation", isolation),
        *("--owner", "octo-org", "--repository", "hello-world", "--image", "app"),
    )
    run = run_ghpkg(
        "push",
        *where,
        "--version",
        "1.0",
        "--source",
        "app:dev",
        "--password-stdin",
        stdin="ghp_" + "a" * 36,
    )
    assert run.returncode == 1
    assert "retry" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "does not resolve" in errors[0]


_MODULES = """
import runpy, sys
sys.argv = ["ghpkg", *sys.argv[1:]]
try:
    runpy.run_module("ghpkg", run_name="__main__")
except SystemExit as exc:
    code = exc.code
heavy = sorted({name.split(".")[0] for name in sys.modules} & {"docker", "requests", "github"})
verbs = sorted(n for n in sys.modules if n.startswith(("ghpkg.verbs.", "ghpkg.doctor_report")))
print("verbs:", ",".join(verbs), "json:", "json" in sys.modules, file=sys.stderr)
print("heavy:", ",".join(heavy), "exit:", code, file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("--version",),
        ("push", "--help"),
        ("ref", *WHERE, "--version", "1.0"),
        ("ref", *WHERE, "--tag", "type=raw,value=1.0", "--json"),
    ],
)
def test_ref_help_and_version_import_neither_docker_py_nor_requests(args: tuple[str, ...]) -> None:
    """They need no engine and no network: the libraries for those are not even imported; nor
    any other verb's module (its request among them), nor doctor's records, nor json but for
    --json."""
    run = subprocess.run(
        [sys.executable, "-c", _MODULES, *args],
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    *_, verbs, last = run.stderr.strip().splitlines()
    assert last == "heavy:  exit: 0", run.stderr
    own = "ghpkg.verbs.ref" if args[0] == "ref" else ""
    assert verbs == f"verbs: {own} json: {'--json' in args}", run.stderr


def _help(run_ghpkg: Run, verb: str, flag: str) -> str:
    """The help text of one option in `ghpkg VERB --help`, on one line."""
    run = run_ghpkg(verb, "--help", env={"COLUMNS": "1000"})
    assert run.returncode == 0, run.stderr
    line = next(line for line in run.stdout.splitlines() if line.strip().startswith(flag + " "))
    return " ".join(line.split())


@pytest.mark.parametrize(
    ("verb", "flag", "says", "never"),
    [
        ("migrate", "--dry-run", "only show the plan", "deleted"),
        ("delete", "--dry-run", "what would be deleted", "migrate"),
        ("join", "--platform", "whose VERSION-OS-ARCH tag to join", "to build"),
        ("push", "--platform", "platform to build", "join"),
        ("delete", "--version", "no default", "git ref"),
        ("pull", "--version", "the tag to pull", "repeatable"),
    ],
)
def test_each_verb_s_help_speaks_of_that_verb(
    run_ghpkg: Run, verb: str, flag: str, says: str, never: str
) -> None:
    text = _help(run_ghpkg, verb, flag)
    assert says in text
    assert never not in text


def test_serve_s_help_says_it_needs_a_token(run_ghpkg: Run) -> None:
    run = run_ghpkg("serve", "--help", env={"COLUMNS": "1000"})
    assert "(no token)" not in run.stdout
    assert "ghpkg holds the token" in run.stdout


def test_no_option_help_is_another_verb_s_line() -> None:
    """The shape of a copied row: `delete: ...` or `(migrate: ...)` in another verb's help."""
    import re

    from ghpkg.faces.commands import COMMANDS
    from ghpkg.faces.options import for_verb

    names = [command.name for command in COMMANDS]
    for verb in names:
        for option in for_verb(verb):
            text = option.help_for(verb)
            for other in set(names) - {verb}:
                assert not re.search(rf"\b{other}:", text), (verb, option.cli_flag, text)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("push", "--tags", "x"), "did you mean --tag"),
        (("pull", "--context", "."), "--context is an option of push, not of pull"),
        (
            ("pull", "--platforms", "linux/arm64"),
            "--platforms is an option of push, join, not of pull",
        ),
        (("pul",), "did you mean pull?"),
    ],
)
def test_an_unknown_word_points_at_the_verb_s_help_and_the_nearest_option(
    run_ghpkg: Run, args: tuple[str, ...], says: str
) -> None:
    run = run_ghpkg(*args)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert says in lines[0]
    verb = args[0] if len(args) > 1 else ""
    assert lines[0].endswith(f"see `ghpkg {verb} --help`".replace("  ", " "))


def test_push_with_nothing_set_names_every_missing_option_at_once(
    run_ghpkg: Run, tmp_path: Path
) -> None:
    """Not one error a run: hostname, owner, repository, image and token in one line, exit 2."""
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}  # no config file, no gh
    run = run_ghpkg("push", "--source", "app:dev", env=env, cwd=tmp_path)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: 5 options need fixing: (1) hostname is empty")
    for problem in ("owner is empty", "repository is empty", "image name is empty", "no token"):
        assert problem in lines[0]


def test_the_action_names_every_missing_input_at_once() -> None:
    run = _action({"operation": "pull", "image": "App", "retries": "many"})
    assert run.returncode == 2
    errors = [line for line in run.stderr.splitlines() if line.startswith("::error::")]
    assert len(errors) == 1, run.stderr
    for problem in ("hostname is empty", "owner is empty", "capitals", "retries 'many'"):
        assert problem in errors[0]


def test_a_reader_that_stops_early_ends_ghpkg_quietly() -> None:
    """`ghpkg ref ... | head -1`: once the reader is gone, no error line and no traceback; the
    exit status a shell gives a command ended by SIGPIPE (141)."""
    versions = ",".join(f"v{number}" for number in range(5000))  # more than a pipe holds
    command = [sys.executable, "-m", "ghpkg", "ref", "--hostname", "ghes.test", "--owner", "o",
               "--repository", "r", "--image", "i", "--version", versions]  # fmt: skip
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_environment()
    ) as ghpkg:
        assert ghpkg.stdout is not None
        assert ghpkg.stderr is not None
        assert ghpkg.stdout.readline() == b"docker.ghes.test/o/r/i:v0\n"
        ghpkg.stdout.close()  # as head does after its line
        errors = ghpkg.stderr.read().decode()
        assert ghpkg.wait(timeout=60) == 141
    assert "error" not in errors
    assert "Traceback" not in errors
