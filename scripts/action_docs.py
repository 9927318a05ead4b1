"""Render each action's inputs and outputs as tables in its page (`--write` updates the pages).

The root action's go into README.md, each other action's into the docs/ page of its job
(PAGES); each between its own markers, so a page can hold several.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from ghpkg.faces.action import ACTIONS, Action

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "": "README.md",
    "delete": "docs/retention.md",
    "migrate": "docs/migrate.md",
    "doctor": "docs/troubleshooting.md",
}
END = "<!-- action-docs:end -->"


def start(action: Action) -> str:
    """The marker before an action's tables."""
    return (
        f"<!-- action-docs:start {action.name} (generated from {action.path} by "
        "scripts/action_docs.py) -->"
    )


def _cell(value: object) -> str:
    return " ".join(str(value).split()).replace("|", "\\|")


def render(action: Action, declared: dict[str, Any]) -> str:
    """The inputs table and the outputs table, in Markdown."""
    lines = [start(action), "", "| input | default | description |", "|---|---|---|"]
    for name, spec in declared["inputs"].items():
        default = spec.get("default", "")
        required = "required" if spec.get("required") else ""
        shown = f"`{_cell(default)}`" if default != "" else required
        lines.append(f"| `{name}` | {shown} | {_cell(spec.get('description', ''))} |")
    lines += ["", "| output | description |", "|---|---|"]
    for name, spec in declared["outputs"].items():
        lines.append(f"| `{name}` | {_cell(spec.get('description', ''))} |")
    lines += ["", END]
    return "\n".join(lines)


def updated_page(text: str, action: Action, declared: dict[str, Any]) -> str:
    """A page's text with this action's generated section replaced."""
    before, found, rest = text.partition(start(action))
    _, _, after = rest.partition(END)
    if not found:
        raise SystemExit(f"{PAGES[action.folder]} has no {start(action)!r} marker")
    return before + render(action, declared) + after


def declared(action: Action) -> dict[str, Any]:
    """The action's action.yml, loaded."""
    loaded: dict[str, Any] = yaml.safe_load((ROOT / action.path).read_text())
    return loaded


def main(argv: list[str]) -> int:
    """Print the tables, or with --write put them into their pages."""
    for action in ACTIONS:
        if "--write" in argv:
            page = ROOT / PAGES[action.folder]
            page.write_text(updated_page(page.read_text(), action, declared(action)))
        else:
            print(render(action, declared(action)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
