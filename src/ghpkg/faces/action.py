"""The GitHub Action face: INPUT_* in, outputs and a step summary out (the runner is cli's)."""

from __future__ import annotations

import os
from pathlib import Path

from ghpkg.faces.cli import Face, on_sigterm
from ghpkg.outputs import Log
from ghpkg.secret import Secret


def main() -> int:
    """Run the action with the inputs GitHub set in the environment."""
    from ghpkg.faces import inputs

    on_sigterm()
    env = os.environ
    log = Log(workflow=True)
    face = Face(log, env, Path(env.get("GITHUB_WORKSPACE") or "."), say=log.info)
    face.token = Secret(env.get("INPUT_TOKEN", ""))
    log.mask(face.token.reveal())

    def body() -> int:
        raw = inputs.parse_action(env)
        if not face.token:
            face.token = inputs.token_from(env, None)
            log.mask(face.token.reveal())
        return face.run(raw)

    return face.guarded(body)
