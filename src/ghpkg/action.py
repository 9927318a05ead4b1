"""The GitHub Action face: INPUT_* in, outputs and a step summary out."""

from __future__ import annotations

import os
from pathlib import Path

from ghpkg.cli import execute, fail, git_tags, on_sigterm, report
from ghpkg.errors import Terminated
from ghpkg.outputs import Log
from ghpkg.secret import Secret


def main() -> int:
    """Run the action with the inputs GitHub set in the environment."""
    from ghpkg import inputs

    on_sigterm()
    env = os.environ
    log = Log(workflow=True)
    token = Secret(env.get("INPUT_TOKEN", ""))
    log.mask(token.reveal())
    try:
        raw = inputs.parse_action(env)
        if not token:
            token = inputs.token_from(env, None)
            log.mask(token.reveal())
        workspace = Path(env.get("GITHUB_WORKSPACE") or ".")
        settings = inputs.resolve(raw, env, token, lambda: git_tags(workspace, token))
        result = execute(settings, log)
        for line in result.lines or result.images:
            log.info(line)
        report(result, settings.operation, "", env, log)
        if result.failure:  # doctor: the checklist is out, and a push would fail
            log.error(result.failure)
            return 1
    except (Exception, KeyboardInterrupt, Terminated) as exc:
        return fail(exc, token, log)
    return 0
