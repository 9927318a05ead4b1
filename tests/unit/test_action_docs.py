"""The README's inputs/outputs tables are the ones action.yml generates: no drift."""

from __future__ import annotations

from pathlib import Path

import yaml

from scripts.action_docs import END, START, updated_readme

ROOT = Path(__file__).resolve().parents[2]


def test_readme_tables_match_action_yml() -> None:
    readme = (ROOT / "README.md").read_text()
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert START in readme
    assert END in readme
    assert readme == updated_readme(readme, action), "run: python scripts/action_docs.py --write"


def test_every_input_and_output_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    for name in [*action["inputs"], *action["outputs"]]:
        assert f"| `{name}` |" in readme
