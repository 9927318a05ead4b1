"""The `ghpkg` command line, built from the options table: each subcommand gets its options."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, NoReturn

from ghpkg import __version__
from ghpkg.errors import UsageError
from ghpkg.faces.options import COMMANDS, RAW_OPTIONS, Option, for_verb
from ghpkg.faces.readers import RawInputs, initial

# What `ghpkg --version` reports besides ghpkg: the libraries whose behaviour a report depends on.
LIBRARIES = (
    ("docker-py", "docker"),
    ("PyGithub", "PyGithub"),
    ("requests", "requests"),
    ("urllib3", "urllib3"),
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message, "", f"see `{self.prog} --help`")


def version_text() -> str:
    """ghpkg's version, its libraries' and Python's, one a line."""
    import platform
    from importlib import metadata

    lines = [f"ghpkg {__version__}"]
    for shown, distribution in LIBRARIES:
        try:
            lines.append(f"{shown} {metadata.version(distribution)}")
        except metadata.PackageNotFoundError:
            lines.append(f"{shown} not installed")
    lines.append(f"Python {platform.python_version()}")
    return "\n".join(lines)


class _Version(argparse.Action):
    """`--version`: the versions are looked up only when asked (start-up stays short)."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any, **_kwargs: Any) -> None:
        print(version_text())
        parser.exit()


def cli_parser() -> argparse.ArgumentParser:
    """The `ghpkg` command line."""
    parser = _Parser(
        prog="ghpkg",
        description="Publish and install Docker images on GHES.",
        epilog="`ghpkg COMMAND --help` shows a command's options and examples; "
        "exit codes: 0 done, 1 the world said no, 2 bad input (nothing was sent).",
    )
    parser.add_argument(
        "--version",
        action=_Version,
        nargs=0,
        help="print the versions of ghpkg, its libraries and Python",
    )
    commands = parser.add_subparsers(dest="operation", required=True, parser_class=_Parser)
    for command in COMMANDS:
        examples = "\n".join(f"  {line}" for line in command.examples)
        sub = commands.add_parser(
            command.name,
            help=command.help,
            description=command.help,
            epilog=f"examples:\n{examples}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        for option in for_verb(command.name):
            _add(sub, option)
    return parser


def _add(sub: argparse.ArgumentParser, option: Option) -> None:
    flag = option.cli_flag
    assert flag is not None  # for_verb gives only options with a flag
    shown = (
        f" (default: {option.default})" if option.default and "default" not in option.help else ""
    )
    if option.kind == "flag":
        on = option.default == "true"  # on unless --no-FLAG, e.g. --push/--no-push
        action = argparse.BooleanOptionalAction if on else "store_true"
        sub.add_argument(flag, dest=option.name, action=action, default=on, help=option.help)
        return
    repeated = option.kind in ("lines", "words")
    sub.add_argument(
        flag,
        dest=option.name,
        action="append" if repeated else "store",
        default=[] if repeated else option.default,
        metavar=option.placeholder,
        help=option.help + shown,
    )


def parse_cli(argv: Sequence[str]) -> tuple[RawInputs, argparse.Namespace]:
    """argv -> RawInputs, plus the face's own flags (--password-stdin, --output-file, --json...)."""
    args = cli_parser().parse_args(list(argv))
    values = {o.name: getattr(args, o.name, initial(o)) for o in RAW_OPTIONS}
    return RawInputs(**values), args
