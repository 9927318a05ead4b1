"""`python -m testbed engines install|up|down [NAMES...]`: the engine matrix by hand or in CI."""

from __future__ import annotations

import argparse
import sys

from testbed.engines.daemons import start, stop
from testbed.engines.install import installed_version
from testbed.engines.matrix import ENGINE_NAMES, SPECS, EngineError, base_url


def main(argv: list[str]) -> int:
    """python -m testbed engines install|up|down [NAMES...]: print NAME BASE_URL VERSION lines."""
    parser = argparse.ArgumentParser(
        prog="python -m testbed engines", description="Install, start or stop the engine matrix."
    )
    parser.add_argument("action", choices=("install", "up", "down"))
    parser.add_argument("names", nargs="*", metavar="NAME", help="matrix names or 'all' (default)")
    args = parser.parse_args(argv)
    names: list[str] = [
        each
        for name in args.names or ["all"]
        for each in (ENGINE_NAMES if name == "all" else [name])
    ]
    unknown = [name for name in names if name not in SPECS]
    if unknown:
        parser.error(
            f"unknown engine(s) {', '.join(unknown)}; the matrix: {' '.join(ENGINE_NAMES)}"
        )
    try:
        for name in names:
            if args.action == "install":
                print(f"{name} {base_url(name)} {installed_version(name)}", flush=True)
            elif args.action == "up":
                engine = start(name)
                print(f"{engine.name} {engine.base_url} {engine.version}", flush=True)
            else:
                print(f"{name} {'stopped' if stop(name) else 'not running (or not ours)'}")
    except EngineError as exc:
        print(f"testbed engines: {exc}", file=sys.stderr)
        return 1
    return 0
