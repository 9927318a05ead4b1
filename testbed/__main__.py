"""`python -m testbed up|down|status|token NAME|engines ...`: drive the test bed by hand or CI."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import cast

from testbed.bed import Testbed
from testbed.config import DEFAULT_STATE_DIR
from testbed.ghes.tokens import NAMES
from testbed.procs import TestbedError


def _describe(bed: Testbed) -> str:
    return "\n".join(
        [
            f"registry (subdomain isolation): https://{bed.registry_host}/v2/",
            f"REST API:                       https://{bed.hostname}/api/v3",
            f"registry (no isolation):        https://{bed.flat_hostname}/v2/",
            f"REST API (no isolation):        https://{bed.flat_hostname}/api/v3",
            f"Container registry (Bearer):    https://{bed.container_host}/v2/",
            f"CA certificate:                 {bed.ca_file}",
            f"backend registry:               {bed.backend_url}",
            f"tokens:                         python -m testbed token NAME ({', '.join(NAMES)})",
        ]
    )


def _engines(argv: list[str]) -> int:
    """Hand `engines ...` to testbed.engines, which another part of the bed provides."""
    try:
        module = importlib.import_module("testbed.engines")
    except ModuleNotFoundError:
        print("error: testbed.engines is not available in this checkout", file=sys.stderr)
        return 2
    return cast(Callable[[list[str]], int], module.main)(argv)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["engines"]:
        return _engines(args[1:])
    parser = argparse.ArgumentParser(prog="python -m testbed", description=__doc__)
    parser.add_argument(
        "--state",
        type=Path,
        default=Path(os.environ.get("GHPKG_TESTBED_DIR") or DEFAULT_STATE_DIR),
        help="state directory (default: $GHPKG_TESTBED_DIR or %(default)s)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="start the bed (or reuse a running one)")
    commands.add_parser("down", help="stop the bed and remove its /etc/hosts and certs.d entries")
    commands.add_parser("status", help="say whether the bed is up (exit 0) or down (exit 1)")
    token = commands.add_parser("token", help="print a named token, for --password-stdin")
    token.add_argument("name")
    commands.add_parser("engines", help="Docker engines (see python -m testbed engines --help)")
    options = parser.parse_args(args)
    bed = Testbed(options.state)
    try:
        if options.command == "up":
            started = bed.start()
            print(f"test bed {'started' if started else 'already up'} in {bed.paths.root}")
            print(_describe(bed))
        elif options.command == "down":
            bed.stop()
            print("test bed stopped")
        elif options.command == "status":
            up = bed.is_up()
            print(f"test bed is {'up' if up else 'down'} ({bed.paths.root})")
            if up:
                print(_describe(bed))
            return 0 if up else 1
        else:
            print(bed.token(options.name))
    except (TestbedError, KeyError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
