"""Start-up of the commands that need no engine and no network: `ghpkg --help`, `--version`,
`push --help` and `ref`, wall time of each run and the median (default 7 runs), and `python -c
pass` for the interpreter's own start-up here.

    python3 bench/startup.py --tree before=/work/main/src --tree after=src --out results/X.json \
        --python VENV/bin/python

Each `--tree` is a ghpkg source folder (PYTHONPATH); the trees take turns, run by run.
`--python`: the interpreter that runs ghpkg (the action's venv: no sandbox `.pth` there).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import timing

REF = ["ref", "--hostname", "ghes.example.com", "--subdomain-isolation", "true"]
REF += ["--owner", "octo-org", "--repository", "hello-world", "--image", "app", "--version", "1"]
COMMANDS = {
    "ghpkg --help": ["--help"],
    "ghpkg --version": ["--version"],
    "ghpkg push --help": ["push", "--help"],
    "ghpkg ref": REF,
}


def measure(trees: dict[str, Path], runs: int, python: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Every tree's wall times and median per command, `python -m ghpkg` with PYTHONPATH=src;
    the trees take turns within each run, so a change in the machine's load hits them alike."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GHPKG_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # both trees start from compiled bytecode
    for src in trees.values():  # a run not counted: writes each tree's __pycache__
        for args in COMMANDS.values():
            timing.run([python, "-m", "ghpkg", *args], env | {"PYTHONPATH": str(src)})
    walls: dict[str, dict[str, list[float]]] = {
        label: {name: [] for name in [*COMMANDS, "python -c pass"]} for label in trees
    }
    for _ in range(runs):
        for label, src in trees.items():
            tree_env = env | {"PYTHONPATH": str(src)}
            for name, args in COMMANDS.items():
                child = timing.run([python, "-m", "ghpkg", *args], tree_env)
                assert child.exit_code == 0, child.stderr
                walls[label][name].append(round(child.wall_s, 4))
            idle = timing.run([python, "-c", "pass"], tree_env)
            walls[label]["python -c pass"].append(round(idle.wall_s, 4))
    return {
        label: {name: {"runs_s": t, "median_s": timing.median(t)} for name, t in times.items()}
        for label, times in walls.items()
    }


# Modules a command that needs no engine and no network should never import.
HEAVY = ("docker", "requests", "urllib3", "github", "ghpkg.shim", "ghpkg.registry", "ghpkg.rest")


def imports(trees: dict[str, Path], python: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Every tree's imports per command (`-X importtime`, one run): how many modules, and which
    of HEAVY's packages; the count does not depend on the machine's load, the times do."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GHPKG_"))}
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for label, src in trees.items():
        found[label] = {}
        for name, args in COMMANDS.items():
            argv = [python, "-X", "importtime", "-m", "ghpkg", *args]
            child = timing.run(argv, env | {"PYTHONPATH": str(src)})
            modules = [
                line.rsplit("|", 1)[1].strip()
                for line in child.stderr.splitlines()
                if line.startswith("import time:") and "cumulative" not in line
            ]
            heavy = sorted({h for h in HEAVY for m in modules if m == h or m.startswith(h + ".")})
            found[label][name] = {"modules": len(modules), "heavy": heavy}
    return found


def main() -> int:
    """Measure and write the JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    timing.tree_option(parser, "a ghpkg src/ folder and its label, e.g. before=/work/main/src")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--python", default=sys.executable, help="the Python that runs ghpkg")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    trees = timing.trees(args.tree)
    document: dict[str, Any] = {
        "python": platform.python_version(),
        "ghpkg_python": args.python,
        "trees": {label: str(src) for label, src in trees.items()},
        "load_1min_before": os.getloadavg()[0],
        "commands": measure(trees, args.runs, args.python),
        "imports": imports(trees, args.python),
        "load_1min_after": os.getloadavg()[0],
    }
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    for label, commands in document["commands"].items():
        for name, result in commands.items():
            print(f"{label}: {name}: median {result['median_s']:.3f}s of {args.runs}")
    for label, commands in document["imports"].items():
        for name, found in commands.items():
            print(f"{label}: {name}: {found['modules']} modules, heavy: {found['heavy']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
