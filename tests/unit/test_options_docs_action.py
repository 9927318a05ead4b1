"""Each action.yml's inputs are the options table's for its verbs, each handed to ghpkg under its
INPUT_ name; an operation of another action is refused naming that one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ghpkg.errors import UsageError
from ghpkg.faces import inputs
from ghpkg.faces.action import ACTIONS, Action, check_operation, inputs_of
from scripts.options_docs import updated_action

ROOT = Path(__file__).resolve().parents[2]
NAMES = [action.name for action in ACTIONS]


def loaded(action: Action) -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load((ROOT / action.path).read_text())
    return found


@pytest.mark.parametrize("action", ACTIONS, ids=NAMES)
def test_action_yml_inputs_are_rendered_from_the_options_table(action: Action) -> None:
    text = (ROOT / action.path).read_text()
    assert text == updated_action(text, action), "run: python3 scripts/options_docs.py --write"


@pytest.mark.parametrize("action", ACTIONS, ids=NAMES)
def test_each_input_has_the_tables_name_default_and_description(action: Action) -> None:
    declared = loaded(action)["inputs"]
    assert list(declared) == [option.input_name for option in inputs_of(action)]
    for option in inputs_of(action):
        spec = declared[str(option.input_name)]
        if option.name == "operation":
            assert spec["default"] == action.verbs[0]
        elif option.name == "token":  # what this action's verbs need of a token
            assert (spec["default"], spec["description"]) == (option.yml_default, action.token)
        else:
            assert (spec["default"], spec["description"]) == (
                option.yml_default,
                option.yml_description,
            )
        assert spec["required"] is False


@pytest.mark.parametrize("action", ACTIONS, ids=NAMES)
def test_every_input_reaches_the_run_step_and_the_action_says_which_it_is(action: Action) -> None:
    declared = loaded(action)
    run = next(step for step in declared["runs"]["steps"] if step.get("id") == "ghpkg")
    passed = {key for key in run["env"] if key.startswith("INPUT_")}
    names = set(declared["inputs"])
    fixed = set() if "operation" in names else {"INPUT_OPERATION"}
    assert passed == {f"INPUT_{name.upper()}" for name in names} | fixed
    for name in declared["inputs"]:
        assert run["env"][f"INPUT_{name.upper()}"] == f"${{{{ inputs.{name} }}}}"
    assert run["env"]["GHPKG_ACTION"] == action.name


def test_the_actions_share_one_installer_and_one_runner() -> None:
    for action in ACTIONS:
        steps = loaded(action)["runs"]["steps"]
        runs = [step["run"] for step in steps]
        assert runs == [
            'bash "$GHPKG_ACTION_PATH/action/install.sh"',
            '"$GHPKG_PYTHON" "$GHPKG_ACTION_PATH/entrypoint.py"',
        ]
        up = "/.." if action.folder else ""
        for step in steps:
            assert step["env"]["GHPKG_ACTION_PATH"] == "${{ github.action_path }}" + up


def test_each_verb_but_serve_belongs_to_exactly_one_action() -> None:
    verbs = [verb for action in ACTIONS for verb in action.verbs]
    assert sorted(verbs) == sorted(
        ["push", "pull", "ref", "join", "delete", "versions", "migrate", "copy", "doctor"]
    )


def test_an_action_takes_no_input_of_another_actions_verbs_only() -> None:
    root = {option.name for option in inputs_of(ACTIONS[0])}
    assert not root & {"keep", "keep_tags", "older_than", "untagged", "scope", "name_map", "jobs"}
    assert "to_owner" not in root
    doctor = {option.name for option in inputs_of(ACTIONS[3])}
    assert not doctor & {"image", "versions", "context", "keep", "operation"}


@pytest.mark.parametrize(
    ("action", "operation", "home"),
    [
        ("ghpkg", "delete", "ghpkg/delete"),
        ("ghpkg", "migrate", "ghpkg/migrate"),
        ("ghpkg/delete", "push", "ghpkg"),
        ("ghpkg/migrate", "doctor", "ghpkg/doctor"),
    ],
)
def test_an_operation_of_another_action_is_refused_naming_it(
    action: str, operation: str, home: str
) -> None:
    env = {"GHPKG_ACTION": action, "INPUT_OPERATION": operation}
    with pytest.raises(UsageError) as raised:
        check_operation(env)
    assert f"operation {operation} is not one of the {action} action's" in str(raised.value)
    assert f"use OWNER/{home}@VERSION" in str(raised.value)


def test_an_actions_own_operations_pass() -> None:
    check_operation({"GHPKG_ACTION": "ghpkg/delete", "INPUT_OPERATION": "versions"})
    check_operation({"GHPKG_ACTION": "ghpkg", "INPUT_OPERATION": "join"})
    check_operation({"INPUT_OPERATION": "delete"})  # the container action (Dockerfile): all


def test_registry_and_copy_inputs_are_read() -> None:
    env = {
        "INPUT_OPERATION": "copy",
        "INPUT_REGISTRY": "container",
        "INPUT_TO-OWNER": "new-org",
        "INPUT_TO-IMAGE": "svc",
    }
    raw = inputs.parse_action(env)
    assert (raw.operation, raw.registry, raw.to_owner, raw.to_image) == (
        "copy",
        "container",
        "new-org",
        "svc",
    )


def test_each_action_asks_a_token_for_its_own_verbs_only() -> None:
    """The root publishes and installs: it asks no delete:packages; delete asks it."""
    tokens = {action.name: action.token for action in ACTIONS}
    assert "delete:packages" not in tokens["ghpkg"]
    assert "write:packages" in tokens["ghpkg"]
    assert "delete:packages" in tokens["ghpkg/delete"]
