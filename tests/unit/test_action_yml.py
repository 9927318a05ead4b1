"""action.yml hands every input to ghpkg, under the INPUT_ name a container action would see."""

from __future__ import annotations

from pathlib import Path

import yaml

from ghpkg import inputs

ACTION = Path(__file__).resolve().parents[2] / "action.yml"


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
