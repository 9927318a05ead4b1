"""Render action.yml's inputs and outputs as the README's tables (`--write` updates README.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
START = "<!-- action-docs:start (generated from action.yml by scripts/action_docs.py) -->"
END = "<!-- action-docs:end -->"


def _cell(value: object) -> str:
    return " ".join(str(value).split()).replace("|", "\\|")


def render(action: dict[str, Any]) -> str:
    """The inputs table and the outputs table, in Markdown."""
    lines = [START, "", "| input | default | description |", "|---|---|---|"]
    for name, spec in action["inputs"].items():
        default = spec.get("default", "")
        required = "required" if spec.get("required") else ""
        shown = f"`{_cell(default)}`" if default != "" else required
        lines.append(f"| `{name}` | {shown} | {_cell(spec.get('description', ''))} |")
    lines += ["", "| output | description |", "|---|---|"]
    for name, spec in action["outputs"].items():
        lines.append(f"| `{name}` | {_cell(spec.get('description', ''))} |")
    lines += ["", END]
    return "\n".join(lines)


def updated_readme(readme: str, action: dict[str, Any]) -> str:
    """README text with the generated section replaced."""
    before, _, rest = readme.partition(START)
    _, _, after = rest.partition(END)
    if not rest:
        raise SystemExit(f"README.md has no {START!r} marker")
    return before + render(action) + after


def main(argv: list[str]) -> int:
    """Print the tables, or with --write put them into README.md."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    if "--write" in argv:
        readme = ROOT / "README.md"
        readme.write_text(updated_readme(readme.read_text(), action))
    else:
        print(render(action))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
