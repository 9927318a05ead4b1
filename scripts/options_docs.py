"""Render the options table (ghpkg.faces.options) into action.yml and docs/REFERENCE.md.

`python3 scripts/options_docs.py --write` rewrites action.yml's `inputs:` block and the run
step's INPUT_* variables, and the generated part of docs/REFERENCE.md; without `--write` it
exits 1 when either is out of date (the unit tests check the same).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from ghpkg.faces.options import COMMANDS, Option, action_inputs, for_verb

ROOT = Path(__file__).resolve().parents[1]
START = (
    "<!-- options:start (generated from src/ghpkg/faces/options.py by scripts/options_docs.py) -->"
)
END = "<!-- options:end -->"


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


def render_inputs() -> list[str]:
    """action.yml's `inputs:` block."""
    lines = ["inputs:"]
    for option in action_inputs():
        lines += [
            f"  {option.input_name}:",
            f"    description: {_quoted(option.yml_description)}",
            "    required: false",
            f"    default: {_quoted(option.yml_default)}",
        ]
    return lines


def render_env() -> list[str]:
    """The run step's INPUT_* variables: each input under the name a container action sees."""
    names = [str(option.input_name) for option in action_inputs()]
    return [f"        INPUT_{name.upper()}: ${{{{ inputs.{name} }}}}" for name in names]


def updated_action(text: str) -> str:
    """action.yml with its inputs block and INPUT_* variables rendered from the table."""
    lines = text.splitlines()
    start, end = lines.index("inputs:"), lines.index("outputs:")
    lines[start:end] = render_inputs()
    env = [i for i, line in enumerate(lines) if line.startswith("        INPUT_")]
    if not env or env != list(range(env[0], env[-1] + 1)):
        raise SystemExit("action.yml: the INPUT_* variables must be one block in the run step")
    lines[env[0] : env[-1] + 1] = render_env()
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")


def _default(option: Option) -> str:
    if option.kind == "flag":
        return "off"
    return f"`{option.default}`" if option.default else ""


def render_reference(action: dict[str, Any]) -> str:
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
            action_input = f"`{option.input_name}`" if option.input_name else "(CLI only)"
            what = _cell(option.help_for(command.name))
            lines.append(f"| {shown} | {_default(option)} | {action_input} | {what} |")
        lines += ["", "Examples:", "", "```sh", *command.examples, "```", ""]
    lines += [
        "## Action inputs",
        "",
        "| input | default | CLI | description |",
        "|---|---|---|---|",
    ]
    for option in action_inputs():
        flag = f"`{option.cli_flag}`" if option.cli_flag else _no_flag(option)
        default = f"`{option.yml_default}`" if option.yml_default else ""
        lines.append(
            f"| `{option.input_name}` | {default} | {flag} | {_cell(option.yml_description)} |"
        )
    lines += ["", "## Action outputs", "", "| output | description |", "|---|---|"]
    for name, spec in action["outputs"].items():
        lines.append(f"| `{name}` | {_cell(str(spec.get('description', '')))} |")
    lines += ["", END]
    return "\n".join(lines)


def _metavar(option: Option) -> str:
    return "`" + option.placeholder.replace("|", "\\|") + "`"


def _no_flag(option: Option) -> str:
    if option.name == "operation":
        return "the command"
    if option.name == "token":
        return "`--password-stdin`, `GHPKG_TOKEN`"
    return ""


def updated_reference(text: str, action: dict[str, Any]) -> str:
    """docs/REFERENCE.md with its generated part replaced."""
    before, _, rest = text.partition(START)
    _, found, after = rest.partition(END)
    if not found:
        raise SystemExit(f"docs/REFERENCE.md has no {START!r} ... {END!r} markers")
    return before + render_reference(action) + after


def main(argv: list[str]) -> int:
    """Write the rendered parts (--write), or exit 1 when they are out of date."""
    action_file, reference_file = ROOT / "action.yml", ROOT / "docs" / "REFERENCE.md"
    action_text = updated_action(action_file.read_text())
    action = yaml.safe_load(action_text)
    reference_text = updated_reference(reference_file.read_text(), action)
    if "--write" in argv:
        action_file.write_text(action_text)
        reference_file.write_text(reference_text)
        return 0
    stale = [
        str(path.relative_to(ROOT))
        for path, text in ((action_file, action_text), (reference_file, reference_text))
        if path.read_text() != text
    ]
    if stale:
        print(f"out of date: {', '.join(stale)}; run python3 scripts/options_docs.py --write")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
