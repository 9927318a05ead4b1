"""The options table is the command line and the action's inputs: no option declared twice."""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable

import pytest

from ghpkg.errors import UsageError
from ghpkg.faces import argv, readers
from ghpkg.faces.commands import COMMANDS, CONFIG, Command
from ghpkg.faces.input_checks import choice
from ghpkg.faces.options import (
    BY_NAME,
    OPTIONS,
    RAW_OPTIONS,
    action_inputs,
    for_verb,
)
from ghpkg.faces.readers import RawInputs
from ghpkg.reference import parse_isolation, parse_registry
from ghpkg.settings import Operation, Transport


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = argv.cli_parser()
    found = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(found.choices)


def flags_of(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {
        action.option_strings[0]: action  # --push, not --no-push
        for action in parser._actions
        if action.option_strings and action.dest != "help"
    }


def test_every_command_has_a_subcommand_and_nothing_else() -> None:
    assert list(subcommands()) == [command.name for command in COMMANDS]


@pytest.mark.parametrize("verb", [command.name for command in COMMANDS])
def test_each_subcommand_takes_exactly_its_options_from_the_table(verb: str) -> None:
    parsed = flags_of(subcommands()[verb])
    assert sorted(parsed) == sorted(str(option.cli_flag) for option in for_verb(verb))
    for option in for_verb(verb):
        assert parsed[str(option.cli_flag)].dest == option.name


@pytest.mark.parametrize("verb", [command.name for command in COMMANDS])
def test_every_option_of_every_subcommand_has_help(verb: str) -> None:
    for flag, action in flags_of(subcommands()[verb]).items():
        assert action.help, f"ghpkg {verb} {flag} has no help"
        assert len(action.help) > 10, f"ghpkg {verb} {flag}: {action.help!r} says too little"


@pytest.mark.parametrize("command", COMMANDS, ids=[command.name for command in COMMANDS])
def test_each_help_shows_two_or_three_examples_that_parse(command: Command) -> None:
    text = subcommands()[command.name].format_help()
    assert 2 <= len(command.examples) <= 3
    for example in command.examples:
        assert example in text
        words = [w for w in shlex.split(example.replace("&", "")) if w not in ("<", "token.txt")]
        assert words[:2] == ["ghpkg", command.name]
        _raw, args = argv.parse_cli(words[1:])
        assert args.operation == command.name


def test_option_names_flags_and_inputs_are_each_declared_once() -> None:
    for key in ("name", "cli_flag", "input_name"):
        values = [getattr(option, key) for option in OPTIONS if getattr(option, key)]
        assert len(values) == len(set(values)), key


def test_a_repeatable_flag_collects_every_value_and_a_flag_defaults_to_off() -> None:
    raw, args = argv.parse_cli(
        ["push", "--build-arg", "A=1", "--build-arg", "B=2", "--version", "1", "--json"]
    )
    assert raw.items("build_args") == ["A=1", "B=2"]
    assert raw.items("versions") == ["1"]
    assert raw.flag("no_cache") is False
    assert raw.text("context") == "."
    assert args.json is True


def test_the_action_reader_reads_every_input_into_its_option() -> None:
    samples = {"text": ("x", "x"), "flag": ("true", True)}
    samples |= {"lines": ("a\n b \n", ["a", "b"]), "words": ("a, b\nc", ["a", "b", "c"])}
    env = {"INPUT_OPERATION": "pull"}
    for option in RAW_OPTIONS:
        if option.input_name and option.name != "operation":
            env[f"INPUT_{option.input_name.upper()}"] = samples[option.kind][0]
    raw = readers.parse_action(env)
    assert raw.text("operation") == "pull"
    for option in RAW_OPTIONS:
        if option.input_name and option.name != "operation":
            assert getattr(raw, option.name) == samples[option.kind][1], option.name


def test_empty_action_inputs_take_the_table_defaults() -> None:
    raw = readers.parse_action({})
    assert raw.text("operation") == "push"
    assert raw.text("transport") == BY_NAME["transport"].default == "auto"
    assert raw.text("retries") == "4"
    assert raw.flag("sha_tag") is False


def test_cli_only_options_are_not_action_inputs() -> None:
    names = {option.name for option in action_inputs()}
    assert {"listen", "allow_push", "json", "quiet", "output_file"}.isdisjoint(names)
    assert {"token", "operation", "version"} <= {str(o.input_name) for o in action_inputs()}


def test_raw_inputs_refuse_a_name_the_table_lacks() -> None:
    with pytest.raises(TypeError, match="frobnicate"):
        RawInputs(frobnicate="x")
    assert RawInputs(image="app").image == "app"


def test_version_names_ghpkg_its_libraries_and_python(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        argv.cli_parser().parse_args(["--version"])
    assert exited.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [
        "ghpkg",
        "docker-py",
        "PyGithub",
        "requests",
        "urllib3",
        "Python",
    ]
    assert all(len(line.split()) == 2 and line.split()[1][0].isdigit() for line in lines)


def test_the_commands_are_the_operations_settings_knows() -> None:
    names = [command.name for command in COMMANDS if command.name != CONFIG]  # the CLI's own
    assert sorted(names) == sorted(Operation.words())


@pytest.mark.parametrize(
    ("flag", "checked_by"),
    [
        ("--transport", lambda v: choice(v, Transport, "transport")),
        ("--package-type", lambda v: parse_registry(v, None)),
        ("--subdomain-isolation", parse_isolation),
    ],
)
def test_the_choices_help_shows_are_the_ones_the_checks_take(
    flag: str, checked_by: Callable[[str], object]
) -> None:
    option = next(o for o in OPTIONS if o.cli_flag == flag)
    assert option.choices
    assert option.placeholder in subcommands()["push"].format_help()
    for value in option.choices:
        checked_by(value)
    with pytest.raises(UsageError):
        checked_by("frobnicate")


@pytest.mark.parametrize(
    ("flag", "input_name", "value"),
    [
        ("--label", "LABELS", "a=1\nb=2"),
        ("--build-arg", "BUILD-ARGS", "A=1\nB=x,y"),
        ("--platform", "PLATFORM", "linux/amd64,linux/arm64"),
        ("--version", "VERSION", "1.0,latest\n2.0"),
        ("--keep-tags", "KEEP-TAGS", "^v1\n^v2"),
    ],
)
def test_a_list_flag_reads_its_value_as_the_action_reads_its_input(
    flag: str, input_name: str, value: str
) -> None:
    """One reader for lists: newlines (and, for words, commas) split both faces' values alike."""
    verb = "delete" if flag == "--keep-tags" else "push"
    raw, _args = argv.parse_cli([verb, flag, value])
    name = next(o.name for o in OPTIONS if o.cli_flag == flag)
    action = readers.parse_action({f"INPUT_{input_name}": value, "INPUT_OPERATION": verb})
    assert raw.items(name) == action.items(name)
    assert len(raw.items(name)) >= 2
