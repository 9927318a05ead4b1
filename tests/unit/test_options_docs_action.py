"""action.yml's inputs are the options table's, each handed to ghpkg under its INPUT_ name."""

from __future__ import annotations

from pathlib import Path

import yaml

from ghpkg.faces import inputs
from ghpkg.faces.options import action_inputs
from scripts.options_docs import updated_action

ACTION = Path(__file__).resolve().parents[2] / "action.yml"


def test_action_yml_inputs_are_rendered_from_the_options_table() -> None:
    text = ACTION.read_text()
    assert text == updated_action(text), "run: python3 scripts/options_docs.py --write"


def test_each_input_has_the_tables_name_default_and_description() -> None:
    declared = yaml.safe_load(ACTION.read_text())["inputs"]
    assert list(declared) == [option.input_name for option in action_inputs()]
    for option in action_inputs():
        spec = declared[option.input_name]
        assert (spec["default"], spec["description"]) == (
            option.yml_default,
            option.yml_description,
        )
        assert spec["required"] is False


def test_every_input_reaches_the_run_step() -> None:
    action = yaml.safe_load(ACTION.read_text())
    run = next(step for step in action["runs"]["steps"] if step.get("id") == "ghpkg")
    passed = {key for key in run["env"] if key.startswith("INPUT_")}
    assert passed == {f"INPUT_{name.upper()}" for name in action["inputs"]}
    for name in action["inputs"]:
        assert run["env"][f"INPUT_{name.upper()}"] == f"${{{{ inputs.{name} }}}}"


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
