"""Install time of the composite action: action/install.sh as the runner runs it, cold (an
empty tool cache) and warm (the venv the cold run left), from the bundled wheels (no index).

    python3 scripts/bundle_action.py --wheels action/wheels --python 3.11 --arch $(uname -m)
    python3 bench/install.py --tree before=/tmp/base --tree after=. --out bench/results/X.json

Each `--tree` is an action checkout with its action/wheels/ filled as above; the trees take
turns, run by run, so a change in the machine's load hits them alike. python3 is this
interpreter, first on PATH: a runner's python3 is a real binary, not a version manager's shim
(pyenv's adds about 0.2 s to each of install.sh's calls of python3).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import timing


def runner_env(tree: Path, cache: Path, outputs: Path) -> dict[str, str]:
    """What the composite action's step has: its path, the tool cache, GITHUB_OUTPUT, and no
    Python or pip settings of this machine."""
    keep = ("HOME", "LANG", "TMPDIR")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    interpreter = Path(sys.executable).resolve().parent
    env["PATH"] = f"{interpreter}:/usr/local/bin:/usr/bin:/bin"
    env |= {"PIP_CONFIG_FILE": "/dev/null", "PIP_NO_CACHE_DIR": "1"}
    env |= {"GHPKG_ACTION_PATH": str(tree), "RUNNER_TOOL_CACHE": str(cache)}
    return env | {"GITHUB_OUTPUT": str(outputs)}


def install(tree: Path, cache: Path) -> tuple[timing.Child, Path]:
    """One run of install.sh: what it did, and the python it reported."""
    outputs = cache / "outputs"
    outputs.write_text("")
    script = ["bash", str(tree / "action" / "install.sh")]
    child = timing.run(script, runner_env(tree, cache, outputs))
    if child.exit_code != 0:
        raise SystemExit(f"error: install.sh in {tree} failed: {child.stdout}{child.stderr}")
    return child, Path(outputs.read_text().strip().split("=", 1)[1])


def size(venv: Path) -> tuple[float, int]:
    """The venv's MB and number of files."""
    files = [path for path in venv.rglob("*") if path.is_file() and not path.is_symlink()]
    return round(sum(path.stat().st_size for path in files) / 1e6, 1), len(files)


def one_round(tree: Path, warm_runs: int) -> dict[str, Any]:
    """Cold into an empty tool cache, then WARM_RUNS warm ones, and what the venv holds."""
    cache = Path(tempfile.mkdtemp(prefix="ghpkg-toolcache-"))
    try:
        load = os.getloadavg()[0]
        cold, python = install(tree, cache)
        if "from the wheels bundled" not in cold.stdout:
            raise SystemExit(f"error: {tree} has no action/wheels; bundle them first (see --help)")
        warm = [install(tree, cache)[0] for _ in range(warm_runs)]
        if not all("using the cached install" in child.stdout for child in warm):
            raise SystemExit(f"error: a warm run in {tree} installed again: {warm[-1].stdout}")
        check = subprocess.run(
            [str(python), "-c", "import github, docker, yaml, ghpkg.faces.cli"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if check.returncode != 0:
            raise SystemExit(f"error: the venv from {tree} cannot import: {check.stderr}")
        megabytes, files = size(python.parent.parent)
        return {
            "load_1min": load,
            "cold_s": round(cold.wall_s, 4),
            "warm_s": [round(child.wall_s, 4) for child in warm],
            "venv_mb": megabytes,
            "venv_files": files,
        }
    finally:
        shutil.rmtree(cache)


def main() -> int:
    """Measure and write the JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    timing.tree_option(parser, "an action checkout with action/wheels/ and its label: after=.")
    parser.add_argument("--runs", type=int, default=7, help="cold installs per tree (7)")
    parser.add_argument("--warm", type=int, default=3, help="warm runs after each cold one (3)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    trees = timing.trees(args.tree)
    rounds: dict[str, list[dict[str, Any]]] = {label: [] for label in trees}
    for _ in range(args.runs):
        for label, tree in trees.items():
            rounds[label].append(one_round(tree, args.warm))
    summary = {
        label: {
            "cold_median_s": timing.median([r["cold_s"] for r in runs]),
            "warm_median_s": timing.median([w for r in runs for w in r["warm_s"]]),
            "venv_mb": runs[-1]["venv_mb"],
            "venv_files": runs[-1]["venv_files"],
        }
        for label, runs in rounds.items()
    }
    document = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "trees": {label: str(tree) for label, tree in trees.items()},
        "summary": summary,
        "rounds": rounds,
    }
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    loads = [r["load_1min"] for runs in rounds.values() for r in runs]
    print(f"1-minute load {min(loads):.1f}-{max(loads):.1f}")
    for label, result in summary.items():
        print(
            f"{label}: cold {result['cold_median_s']:.2f}s, warm {result['warm_median_s']:.3f}s"
            f" (medians), venv {result['venv_mb']} MB in {result['venv_files']} files"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
