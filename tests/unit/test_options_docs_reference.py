"""docs/REFERENCE.md is the contract: every command, option, input, output and exit code."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from ghpkg.faces import argv
from ghpkg.faces.action import ACTIONS
from scripts.options_docs import END, START, updated_reference

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "REFERENCE.md"


def actions() -> list[dict[str, dict[str, dict[str, str]]]]:
    return [yaml.safe_load((ROOT / action.path).read_text()) for action in ACTIONS]


def test_the_generated_part_is_current() -> None:
    text = REFERENCE.read_text()
    assert START in text
    assert END in text
    assert text == updated_reference(text, actions()), (
        "run: python3 scripts/options_docs.py --write"
    )


def test_every_command_lists_the_options_its_parser_takes() -> None:
    text = REFERENCE.read_text()
    parser = argv.cli_parser()
    found = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in found.choices.items():
        section = text.split(f"### `ghpkg {name}`")[1].split("### ")[0]
        for action_ in sub._actions:
            if action_.option_strings and action_.dest != "help":
                assert f"| `{action_.option_strings[-1]}`" in section, (name, action_.dest)


def test_every_action_input_and_output_is_documented() -> None:
    text = REFERENCE.read_text()
    for action, declared in zip(ACTIONS, actions(), strict=True):
        section = text.split(f"## The `{action.name}` action")[1].split("\n## ")[0]
        for kind in ("inputs", "outputs"):
            for name in declared[kind]:
                assert f"| `{name}` |" in section, (action.name, name)


def test_exit_codes_and_json_are_documented() -> None:
    text = REFERENCE.read_text()
    for code in ("0", "1", "2", "130", "143"):
        assert f"| {code} |" in text
    assert "`--json`" in text
    assert "ghpkg --version" in text


def test_the_readme_links_to_the_reference() -> None:
    assert "(docs/REFERENCE.md)" in (ROOT / "README.md").read_text()
