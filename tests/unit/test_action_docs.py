"""Each action's inputs/outputs tables in its page are the ones its action.yml generates."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghpkg.faces.action import ACTIONS, Action
from scripts.action_docs import END, PAGES, declared, start, updated_page

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("action", ACTIONS, ids=[action.name for action in ACTIONS])
def test_the_pages_tables_match_the_action_yml(action: Action) -> None:
    page = (ROOT / PAGES[action.folder]).read_text()
    assert start(action) in page
    assert END in page.split(start(action), 1)[1]
    assert page == updated_page(page, action, declared(action)), (
        "run: python3 scripts/action_docs.py --write"
    )


@pytest.mark.parametrize("action", ACTIONS, ids=[action.name for action in ACTIONS])
def test_every_input_and_output_is_in_the_actions_page(action: Action) -> None:
    page = (ROOT / PAGES[action.folder]).read_text()
    section = page.split(start(action), 1)[1].split(END, 1)[0]
    loaded = declared(action)
    for name in [*loaded["inputs"], *loaded["outputs"]]:
        assert f"| `{name}` |" in section, name


def test_the_readme_holds_the_root_actions_tables_and_links_the_others() -> None:
    readme = (ROOT / "README.md").read_text()
    assert start(ACTIONS[0]) in readme
    for action in ACTIONS[1:]:
        assert f"]({PAGES[action.folder]})" in readme, action.name


def test_the_readme_is_short_and_its_first_screen_is_a_workflow_then_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 300
    first_screen = lines[:50]
    workflow = first_screen.index("```yaml")
    demo = next(i for i, line in enumerate(first_screen) if line.startswith("bash scripts/demo.sh"))
    tests = next(
        i for i, line in enumerate(first_screen) if line.startswith("bash scripts/test.sh")
    )
    assert workflow < demo < tests
    assert "uses: your-org/ghpkg@" in "\n".join(first_screen[workflow:demo])
