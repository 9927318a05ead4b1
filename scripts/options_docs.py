"""Render the options table (ghpkg.faces.options) into the action.yml files and docs/REFERENCE.md.

`python3 scripts/options_docs.py --write` rewrites each action's (ghpkg.faces.action.ACTIONS)
`inputs:` block and its run step's INPUT_* variables, and the generated part of
docs/REFERENCE.md; without `--write` it exits 1 when any is out of date (the unit tests check
the same).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from ghpkg.faces.action import ACTIONS, Action, inputs_of
from ghpkg.faces.commands import COMMANDS, Option
from ghpkg.faces.options import for_verb

ROOT = Path(__file__).resolve().parents[1]
START = (
    "<!-- options:start (generated from src/ghpkg/faces/options.py by scripts/options_docs.py) -->"
)
END = "<!-- options:end -->"


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


def _default(option: Option, action: Action) -> str:
    """The default this action's action.yml declares (operation: the action's first verb)."""
    return action.verbs[0] if option.name == "operation" else option.yml_default


def _description(option: Option, action: Action) -> str:
    if option.name in ("operation", "token"):  # each action says what its own verbs need
        return action.operation if option.name == "operation" else action.token
    return option.yml_description


def render_inputs(action: Action) -> list[str]:
    """An action.yml's `inputs:` block."""
    lines = ["inputs:"]
    for option in inputs_of(action):
        lines += [
            f"  {option.input_name}:",
            f"    description: {_quoted(_description(option, action))}",
            "    required: false",
            f"    default: {_quoted(_default(option, action))}",
        ]
    return lines


def render_env(action: Action) -> list[str]:
    """The run step's INPUT_* variables: each input under the name a container action sees
    (an action of one verb names it in INPUT_OPERATION)."""
    names = [str(option.input_name) for option in inputs_of(action)]
    fixed = [] if "operation" in names else [f"        INPUT_OPERATION: {action.verbs[0]}"]
    return fixed + [f"        INPUT_{name.upper()}: ${{{{ inputs.{name} }}}}" for name in names]


def updated_action(text: str, action: Action = ACTIONS[0]) -> str:
    """An action.yml with its inputs block and INPUT_* variables rendered from the table."""
    lines = text.splitlines()
    start, end = lines.index("inputs:"), lines.index("outputs:")
    lines[start:end] = render_inputs(action)
    env = [i for i, line in enumerate(lines) if line.startswith("        INPUT_")]
    if not env or env != list(range(env[0], env[-1] + 1)):
        raise SystemExit(f"{action.path}: the INPUT_* variables must be one block in the run step")
    lines[env[0] : env[-1] + 1] = render_env(action)
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")


def _cli_default(option: Option) -> str:
    if option.kind == "flag":
        return "on" if option.default == "true" else "off"
    return f"`{option.default}`" if option.default else ""


def render_reference(actions: list[dict[str, Any]]) -> str:
    """The generated part of docs/REFERENCE.md: commands, options, inputs, outputs."""
    lines = [START, "", "## Commands", ""]
    for command in COMMANDS:
        lines += [
            f"### `ghpkg {command.name}`",
            "",
            f"{command.help[0].upper()}{command.help[1:]}.",
        ]
        lines += ["", "| option | default | action input | what |", "|---|---|---|---|"]
        for option in for_verb(command.name):
            shown = f"`{option.cli_flag}`" + (
                "" if option.kind == "flag" else f" {_metavar(option)}"
            )
            if option.kind == "flag" and option.default == "true":
                shown = f"`--no-{str(option.cli_flag).removeprefix('--')}` (on: {shown})"
            action_input = f"`{option.input_name}`" if option.input_name else "(CLI only)"
            what = _cell(option.help_for(command.name))
            lines.append(f"| {shown} | {_cli_default(option)} | {action_input} | {what} |")
        lines += ["", "Examples:", "", "```sh", *command.examples, "```", ""]
    for action, declared in zip(ACTIONS, actions, strict=True):
        lines += [f"## The `{action.name}` action ({action.path})", "", f"{action.description}."]
        lines += ["", "| input | default | CLI | description |", "|---|---|---|---|"]
        for option in inputs_of(action):
            flag = f"`{option.cli_flag}`" if option.cli_flag else _no_flag(option)
            default = _default(option, action)
            shown = f"`{default}`" if default else ""
            what = _cell(_description(option, action))
            lines.append(f"| `{option.input_name}` | {shown} | {flag} | {what} |")
        lines += ["", "| output | description |", "|---|---|"]
        for name, spec in declared["outputs"].items():
            lines.append(f"| `{name}` | {_cell(str(spec.get('description', '')))} |")
        lines.append("")
    lines += [END]
    return "\n".join(lines)


def _metavar(option: Option) -> str:
    return "`" + option.placeholder.replace("|", "\\|") + "`"


def _no_flag(option: Option) -> str:
    if option.name == "operation":
        return "the command"
    if option.name == "token":
        return "`--password-stdin`, `GHPKG_TOKEN`"
    return ""


def updated_reference(text: str, actions: list[dict[str, Any]]) -> str:
    """docs/REFERENCE.md with its generated part replaced."""
    before, _, rest = text.partition(START)
    _, found, after = rest.partition(END)
    if not found:
        raise SystemExit(f"docs/REFERENCE.md has no {START!r} ... {END!r} markers")
    return before + render_reference(actions) + after


def main(argv: list[str]) -> int:
    """Write the rendered parts (--write), or exit 1 when they are out of date."""
    rendered = {
        ROOT / action.path: updated_action((ROOT / action.path).read_text(), action)
        for action in ACTIONS
    }
    reference_file = ROOT / "docs" / "REFERENCE.md"
    actions = [yaml.safe_load(text) for text in rendered.values()]
    rendered[reference_file] = updated_reference(reference_file.read_text(), actions)
    if "--write" in argv:
        for path, text in rendered.items():
            path.write_text(text)
        return 0
    stale = [
        str(path.relative_to(ROOT)) for path, text in rendered.items() if path.read_text() != text
    ]
    if stale:
        print(f"out of date: {', '.join(stale)}; run python3 scripts/options_docs.py --write")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
