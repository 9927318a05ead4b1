"""The `ghpkg` command: parse, run one verb, print the result, map errors to exit codes.

`ghpkg --help` must stay fast (README: Benchmarks), so this module imports only what every run
needs before parsing; the rest is imported where it is used.
"""

from __future__ import annotations

import gc
import os
import sys

from ghpkg.errors import GhpkgError, Terminated
from ghpkg.secret import Secret

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (and re) for --version
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

    from ghpkg.faces.defaults import Origin
    from ghpkg.faces.inputs import Call
    from ghpkg.faces.readers import RawInputs
    from ghpkg.outputs import Log, Result
    from ghpkg.settings import Remote


_VERBS = {  # operation -> (module of ghpkg.verbs, function), imported only when that verb runs
    "push": ("push", "push"),
    "ref": ("ref", "ref"),
    "pull": ("pull", "pull"),
    "copy": ("copy", "copy"),
    "migrate": ("migrate", "migrate"),
    "join": ("join", "join"),
    "versions": ("package_versions", "versions"),
    "delete": ("package_versions", "delete"),
    "doctor": ("doctor", "doctor"),
    "serve": ("serve", "serve"),
}


def execute(call: Call, log: Log) -> Result:
    """Run the verb with its own request over the shared `Remote` (importing only its module:
    start-up stays short)."""
    import importlib
    from typing import cast

    module, function = _VERBS[call.operation]
    verb = getattr(importlib.import_module(f"ghpkg.verbs.{module}"), function)
    if call.version_note:
        log.info(call.version_note)
    return cast("Callable[[object, Remote, Log], Result]", verb)(call.request, call.remote, log)


def report(
    result: Result, operation: str, output_file: str, env: Mapping[str, str], log: Log
) -> None:
    """Write the outputs to --output-file and GITHUB_OUTPUT, and the step summary."""
    from pathlib import Path

    from ghpkg.outputs import append_outputs, append_summary

    for target in {output_file, env.get("GITHUB_OUTPUT", "")} - {""}:
        append_outputs(Path(target), result.outputs())
    if env.get("GITHUB_STEP_SUMMARY") and operation != "ref":
        append_summary(Path(env["GITHUB_STEP_SUMMARY"]), operation, result)


def error_line(exc: BaseException, token: Secret) -> tuple[str, int]:
    """The one error line for a failure (the token never in it) and its exit code."""
    from ghpkg.tokens import redact_tokens

    if isinstance(exc, GhpkgError):
        message, code = str(exc), exc.exit_code
    elif isinstance(exc, KeyboardInterrupt):
        message, code = "interrupted", 130
    elif isinstance(exc, Terminated):
        message, code = "terminated (SIGTERM); what was started is cleaned up", 143
    else:
        message = f"internal error ({type(exc).__name__}: {exc}); please report it"
        code = 1
    if token:
        message = message.replace(token.reveal(), "***")
    return redact_tokens(message), code  # e.g. a token passed as an argument, echoed by argparse


class Face:
    """What differs between the command and the action: where the result goes, the token.

    A plain class, not a dataclass: `ghpkg --version` imports this module and nothing else.
    """

    def __init__(
        self,
        log: Log,
        env: Mapping[str, str],
        workspace: Path,
        say: Callable[[str], None] = print,  # a result line (the action: a log line)
    ) -> None:
        self.log, self.env, self.workspace, self.say = log, env, workspace, say
        self.output_file = ""
        self.as_json = False
        self.operation = ""
        self.token = Secret("")

    def run(self, raw: RawInputs) -> int:
        """resolve, run the verb, show the result and write the outputs: both faces' runner."""
        from ghpkg.faces import inputs
        from ghpkg.faces.workspace_git import git_tags

        token = self.token
        if raw.text("operation") == "migrate" and raw.items("merge_reports"):
            from ghpkg.verbs.migrate import merge_reports  # files only: no host, no token

            names = raw.items("merge_reports")
            self.operation = "migrate"
            return self.finish(self.operation, lambda: merge_reports(names, self.log))
        workspace, env = self.workspace, self.env
        call = inputs.resolve(raw, env, token, lambda: git_tags(workspace, env, token))
        self.operation = call.operation
        return self.finish(self.operation, lambda: execute(call, self.log))

    def finish(self, operation: str, verb: Callable[[], Result]) -> int:
        """Run the verb and show its result (doctor, migrate: also when it then fails)."""
        from ghpkg.outputs import Unfinished

        try:
            result = verb()
        except Unfinished as exc:  # doctor, migrate: what they found is shown, then the error
            self.show(exc.result, operation)
            raise
        self.show(result, operation)
        return 0

    def show(self, result: Result, operation: str) -> None:
        """The result on stdout (lines, or one JSON document), the outputs, the step summary."""
        from ghpkg.outputs import inert

        self.log.settle()
        if self.as_json:
            print(result.as_json(operation), flush=True)
        else:
            for line in result.lines or result.images:
                self.say(inert(line))  # tags and names come from the network
        report(result, operation, self.output_file, self.env, self.log)

    def show_config(self, origins: Mapping[str, Origin], token_source: str) -> int:
        """`ghpkg config`: each default's value and where it came from; the token's source."""
        import json

        from ghpkg.faces.defaults import describe, flag_name

        if self.as_json:
            document = {flag_name(name): origin._asdict() for name, origin in origins.items()}
            print(json.dumps(document | {"token": {"source": token_source}}), flush=True)
        else:
            for line in describe(origins, token_source):
                self.say(line)
        return 0

    def guarded(self, body: Callable[[], int]) -> int:
        """Run the body; a failure becomes one error line (and with --json, a document)."""
        try:
            return body()
        except BrokenPipeError:  # `ghpkg ... | head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error
            return 141  # as a shell reports a command ended by SIGPIPE
        except (Exception, KeyboardInterrupt, Terminated) as exc:
            if self.env.get("GHPKG_DEBUG") and not isinstance(exc, GhpkgError):
                raise
            from ghpkg.outputs import Unfinished, failure_json

            message, code = error_line(exc, self.token)
            self.log.error(message)
            if self.as_json and not isinstance(exc, Unfinished):  # its result says it already
                print(failure_json(self.operation, message, code), flush=True)
            return code


def on_sigterm() -> None:
    """Turn SIGTERM into Terminated, so every `with` and `finally` on the way runs."""
    import signal

    def terminated(_signal: int, _frame: object) -> None:
        raise Terminated

    signal.signal(signal.SIGTERM, terminated)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ghpkg` console script."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words == ["--version"]:  # before the command line's tables are even imported
        from ghpkg.version import version_text

        print(version_text())
        return 0
    on_sigterm()
    from pathlib import Path

    from ghpkg.faces import argv as command_line  # not yet inputs: `--help` needs no resolve()
    from ghpkg.outputs import Log

    env = os.environ
    workflow = env.get("GITHUB_ACTIONS") == "true"
    terminal = not workflow and sys.stderr.isatty()  # progress bars, not progress lines
    face = Face(Log(workflow=workflow, terminal=terminal), env, Path.cwd())
    face.as_json = "--json" in words  # known before parsing, for a parse error's document
    face.operation = words[0] if words and not words[0].startswith("-") else ""

    def body() -> int:
        raw, args = command_line.parse_cli(words)
        from ghpkg.faces.defaults import fill_defaults, target_host  # after --help has exited
        from ghpkg.faces.token_sources import find_token

        face.operation = str(args.operation)
        face.output_file = str(getattr(args, "output_file", "") or "")  # config has none
        face.log.quiet = bool(getattr(args, "quiet", False))
        raw, origins = fill_defaults(raw, env, face.workspace)
        stdin = sys.stdin if getattr(args, "password_stdin", False) else None  # ref has none
        found = find_token(env, stdin, target_host(raw), ask_gh=face.operation != "ref")
        face.token = found.token
        face.log.mask(face.token.reveal())
        if face.operation == "config":
            return face.show_config(origins, found.source)
        return face.run(raw)

    return face.guarded(body)


def as_process(face_main: Callable[[], int]) -> int:
    """Run a face's main as the whole process and give its exit code, the process's last step.

    A command leaves some 40,000 objects behind (requests, docker-py, ghpkg's own), and Python's
    shutdown walks them all once more in a last garbage collection, 40-60 ms of a 0.3 s command,
    to free memory the exit frees anyway: `gc.freeze()` takes them out of that walk. atexit
    handlers and files' closing run as before. Not for in-process callers (tests, a library):
    frozen objects are never collected.
    """
    code = face_main()
    gc.freeze()
    return code


def command() -> int:
    """The `ghpkg` console script and `python -m ghpkg`: `main` as the whole process."""
    return as_process(main)


if __name__ == "__main__":
    sys.exit(command())
