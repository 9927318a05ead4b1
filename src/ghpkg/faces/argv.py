"""The `ghpkg` command line, built from the options table: each subcommand gets its options.

The table (`faces.options`, and `settings` under it) is imported only when a command is named:
`ghpkg --help` needs the commands alone.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from ghpkg.errors import UsageError
from ghpkg.faces.commands import COMMANDS
from ghpkg.version import version_text as version_text  # faces.inputs re-exports it

if TYPE_CHECKING:
    from ghpkg.faces.commands import Option
    from ghpkg.faces.readers import RawInputs, Value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(*_readable(message), f"see `{self.prog} --help`")


def _readable(message: str) -> tuple[str, str]:
    """argparse's message as what went wrong and why, in the words of ghpkg's other errors."""
    import difflib
    import re

    names = [command.name for command in COMMANDS]
    choice = re.match(r"argument operation: invalid choice: '(.*?)'", message)
    if choice:
        near = difflib.get_close_matches(choice[1], names, n=1)
        hint = f"did you mean {near[0]}? " if near else ""
        return f"ghpkg has no command {choice[1]!r}", f"{hint}the commands: {', '.join(names)}"
    if "required: operation" in message:
        return "no command given", f"ghpkg COMMAND [options], COMMAND one of {', '.join(names)}"
    value = re.match(r"argument (--[\w-]+): expected one argument", message)
    if value:
        return f"{value[1]} needs a value", ""
    return message, ""


class _Version(argparse.Action):
    """`--version`: the versions are looked up only when asked (start-up stays short)."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any, **_kwargs: Any) -> None:
        print(version_text())
        parser.exit()


def cli_parser(command_word: str | None = None, alone: bool = False) -> argparse.ArgumentParser:
    """The `ghpkg` command line; given the command's word (argv's first word that is not an
    option), only that command's options are built (none if it names no command), else every
    command's. `alone`: the word is argv's first, so no other command's parser is needed
    either (the top level's --help and errors list them all)."""
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
    named = [c.name for c in COMMANDS if command_word in (None, c.name)]
    if named:
        from ghpkg.faces.options import for_verb
    for command in COMMANDS:
        if alone and command.name not in named:
            continue
        examples = "\n".join(f"  {line}" for line in command.examples)
        sub = commands.add_parser(
            command.name,
            help=command.help,
            description=command.help,
            epilog=f"examples:\n{examples}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        for option in for_verb(command.name) if command.name in named else ():
            _add(sub, option, option.help_for(command.name))
    return parser


def _add(sub: argparse.ArgumentParser, option: Option, text: str) -> None:
    flag = option.cli_flag
    assert flag is not None  # for_verb gives only options with a flag
    shown = f" (default: {option.default})" if option.default and "default" not in text else ""
    if option.kind == "flag":
        on = option.default == "true"  # on unless --no-FLAG, e.g. --push/--no-push
        action = argparse.BooleanOptionalAction if on else "store_true"
        sub.add_argument(flag, dest=option.name, action=action, default=on, help=text)
        return
    repeated = option.kind in ("lines", "words")
    sub.add_argument(
        flag,
        dest=option.name,
        action="append" if repeated else "store",
        default=[] if repeated else option.default,
        metavar=option.placeholder,
        help=text + shown,
    )


def parse_cli(argv: Sequence[str]) -> tuple[RawInputs, argparse.Namespace]:
    """argv -> RawInputs, plus the face's own flags (--password-stdin, --output-file, --json...)."""
    words = list(argv)
    command_word = next((word for word in words if not word.startswith("-")), "")
    alone = words[:1] == [command_word]
    args, unknown = cli_parser(command_word, alone).parse_known_args(words)  # --help ends here
    from ghpkg.faces.options import RAW_OPTIONS
    from ghpkg.faces.readers import RawInputs, initial

    if unknown:
        raise unrecognized(str(args.operation), unknown)
    values = {o.name: _value(o, getattr(args, o.name, initial(o))) for o in RAW_OPTIONS}
    return RawInputs(**values), args


def _value(option: Option, given: Value) -> Value:
    """A repeated flag's values, each read as the action reads its input (newlines, commas).

    An empty `--version ''` stays, to be refused: on the command line it is a mistake (an unset
    variable), not "none given".
    """
    from ghpkg.faces.readers import list_items

    if isinstance(given, list):
        return [item for text in given for item in list_items(option, text) or [text]]
    return given


def unrecognized(verb: str, words: Sequence[str]) -> UsageError:
    """The error for words a command does not take: the nearest option, and where to look."""
    flags = [word.partition("=")[0] for word in words if word.startswith("-")]
    hints = [_hint(verb, flag) for flag in flags] or ["a value without its option"]
    shown = " ".join(flags) if flags else repr(" ".join(words))  # a value may be a secret
    return UsageError(
        f"ghpkg {verb} does not take {shown}",
        "; ".join(hints),
        f"see `ghpkg {verb} --help`",
    )


def _hint(verb: str, flag: str) -> str:
    """`did you mean --tag`, or which commands take the flag (or the nearest one)."""
    import difflib

    from ghpkg.faces.options import for_verb

    if flag in ("--token", "--password"):
        return (
            "a token never goes on the command line: pass it with --password-stdin or GHPKG_TOKEN"
        )
    takes = {c.name: [str(o.cli_flag) for o in for_verb(c.name)] for c in COMMANDS}
    everywhere = sorted({f for flags in takes.values() for f in flags})
    near = difflib.get_close_matches(flag, takes[verb], n=1, cutoff=0.75)
    if near and flag not in everywhere:
        return f"did you mean {near[0]}"
    other = [flag] if flag in everywhere else difflib.get_close_matches(flag, everywhere, 1, 0.75)
    if not other:
        return f"{verb} has no option like it"
    owners = ", ".join(name for name, flags in takes.items() if other[0] in flags)
    return f"{other[0]} is an option of {owners}, not of {verb}"
