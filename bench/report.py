"""The benchmark's records, and the markdown tables made of them.

`python bench/report.py bench/results/FILE.json` prints the tables of a saved run again.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: bench/ is on sys.path, not the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.timing import median
from bench.workloads import DESCRIPTIONS


@dataclass
class Measure:
    """One timed command: `docker push|pull` or `ghpkg push|pull`, in one pair of one cell."""

    engine: str
    workload: str
    op: str  # push | pull | repush | repush-nocache
    transport: str  # ghpkg's --transport in this cell (the docker run of a pair shares it)
    pair: int
    tool: str  # docker | ghpkg
    first: bool  # ran first in its pair
    wall_s: float
    rss_mb: float
    exit_code: int
    error: str = ""
    refused: bool = False  # ghpkg refused the transport (see timing.refused)
    via: str = ""  # the transport ghpkg says it used
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def _select(ms: Iterable[Measure], **match: object) -> list[Measure]:
    return [m for m in ms if all(getattr(m, k) == v for k, v in match.items())]


def _keys(ms: Iterable[Measure], *names: str) -> list[tuple[Any, ...]]:
    """Distinct values of the named fields, in the order first seen."""
    return list(dict.fromkeys(tuple(getattr(m, n) for n in names) for m in ms))


def seconds(ms: Sequence[Measure]) -> float | None:
    """Median wall time of the runs that succeeded."""
    return median([m.wall_s for m in ms if m.ok])


def cell(
    ghpkg: Sequence[Measure], docker_s: float | None, show_via: bool = False, refused: bool = False
) -> str:
    """'4.79 (0.39x)', 'refused', or 'failed (n/n)' for ghpkg's runs of one cell.

    refused: ghpkg refused this transport on this engine elsewhere in the run (the harness does
    not ask again, so such a cell has no runs of its own).
    """
    if not ghpkg:
        return "refused" if refused else "—"
    if all(m.refused for m in ghpkg):
        return "refused"
    good = [m for m in ghpkg if m.ok]
    if not good:
        return f"failed ({len(ghpkg)}/{len(ghpkg)})"
    s = seconds(good)
    assert s is not None
    notes = [f"{s / docker_s:.2f}x"] if docker_s else []
    if show_via:
        notes += sorted({m.via for m in good if m.via})
    if len(good) < len(ghpkg):
        notes.append(f"{len(ghpkg) - len(good)}/{len(ghpkg)} failed")
    return f"{s:.2f} ({', '.join(notes)})" if notes else f"{s:.2f}"


def _row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _fmt(s: float | None) -> str:
    return "—" if s is None else f"{s:.2f}"


def transfer_table(ms: Sequence[Measure], op: str) -> list[str]:
    """Rows engine x workload; a column per transport: ghpkg's median (ratio to docker's)."""
    mine = _select(ms, op=op)
    transports = [t for (t,) in _keys(mine, "transport")]
    head = ["engine", "workload", "MB (gzip MB)", f"docker {op} s"]
    head += [f"ghpkg {op} --transport {t} s" for t in transports]
    head += ["ghpkg peak RSS MB", "pairs"]
    lines = [_row(head), _row(["---"] * len(head))]
    for engine, workload in _keys(mine, "engine", "workload"):
        row = _select(mine, engine=engine, workload=workload)
        docker_s = seconds(_select(row, tool="docker"))
        ghpkg = _select(row, tool="ghpkg")
        mb = next((m.extra["image_mb"] for m in row if "image_mb" in m.extra), "?")
        pushed = _select(ms, engine=engine, workload=workload, op="push")
        gz = median([m.extra["pushed_mb"] for m in pushed if "pushed_mb" in m.extra])
        mb = f"{mb} ({gz:.0f})" if gz is not None else mb
        rss = max((m.rss_mb for m in ghpkg if m.ok), default=None)
        refused = {m.transport for m in _select(ms, engine=engine, op=op) if m.refused}
        cells = [
            cell(_select(ghpkg, transport=t), docker_s, t == "auto", t in refused)
            for t in transports
        ]
        pairs = len(_keys(row, "pair"))
        lines.append(_row([engine, workload, mb, _fmt(docker_s), *cells, _fmt0(rss), pairs]))
    return lines


def _fmt0(x: float | None) -> str:
    return "—" if x is None else f"{x:.0f}"


def repush_table(ms: Sequence[Measure]) -> list[str]:
    """A push whose blobs are all in the registry: ghpkg with its digest cache and without."""
    mine = [m for m in ms if m.op.startswith("repush")]
    head = ["engine", "transport", "docker push s", "ghpkg push s (digest cache)", "(no cache)"]
    lines = [_row(head), _row(["---"] * len(head))]
    for engine, transport in _keys(mine, "engine", "transport"):
        row = _select(mine, engine=engine, transport=transport)
        docker_s = seconds(_select(row, tool="docker"))
        cached = cell(_select(row, tool="ghpkg", op="repush"), docker_s)
        uncached = cell(_select(row, tool="ghpkg", op="repush-nocache"), docker_s)
        lines.append(_row([engine, transport, _fmt(docker_s), cached, uncached]))
    return lines


def big_table(ms: Sequence[Measure]) -> list[str]:
    """The one big layer: ghpkg's time and peak RSS both ways, beside docker's time."""
    mine = _select(ms, workload="big")
    head = ["engine", "transport", "docker push s", "ghpkg push s", "push peak RSS MB"]
    head += ["docker pull s", "ghpkg pull s", "pull peak RSS MB"]
    lines = [_row(head), _row(["---"] * len(head))]
    for engine, transport in _keys(mine, "engine", "transport"):
        cells: list[str] = []
        for op in ("push", "pull"):
            row = _select(mine, engine=engine, transport=transport, op=op)
            docker_s = seconds(_select(row, tool="docker"))
            ghpkg = _select(row, tool="ghpkg")
            rss = max((m.rss_mb for m in ghpkg if m.ok), default=None)
            cells += [_fmt(docker_s), cell(ghpkg, docker_s), _fmt0(rss)]
        lines.append(_row([engine, transport, *cells]))
    return lines


BASELINES = {
    "fair": "docker: `docker login --password-stdin` + `docker push|pull`, timed as one command,"
    " through the bed's plain front (the same TLS, Basic auth and nginx, none of GHES's rules)",
    "plain": "docker: `docker push|pull` to the registry behind the bed (plain HTTP, no auth):"
    " this machine's limit, not what a user runs",
}


def render(result: dict[str, Any]) -> str:
    """Every table of a run, with what the run was."""
    ms = [Measure(**m) for m in result["measures"]]
    regular = [m for m in ms if m.workload != "big"]
    run = result["run"]
    lines = [
        f"Run of {run['date']} ({run.get('minutes', '?')} min): `{run['command']}`",
        f"{run['cores']} cores; load average (1 min) {run['load_min']:.1f}-{run['load_max']:.1f}"
        f" while it ran; docker CLI {run['docker_cli']}; deflate by {run['deflater']}; engines: "
        + ", ".join(f"{k} ({v})" for k, v in run["engines"].items()),
        BASELINES[run.get("baseline", "plain")],
        "",
        "Workloads: " + "; ".join(f"{w}: {DESCRIPTIONS[w]}" for (w,) in _keys(ms, "workload")),
    ]
    if _select(regular, op="push"):
        lines += [
            "",
            "Push (median s; ratio to docker push):",
            "",
            *transfer_table(regular, "push"),
        ]
    if _select(regular, op="pull"):
        lines += [
            "",
            "Pull (median s; ratio to docker pull):",
            "",
            *transfer_table(regular, "pull"),
        ]
    if any(m.op.startswith("repush") for m in ms):
        lines += ["", "Push with every blob already present:", "", *repush_table(ms)]
    if _select(ms, workload="big"):
        lines += ["", "One big layer:", "", *big_table(ms)]
    refusals = sorted({f"{m.engine} --transport {m.transport}: {m.error}" for m in ms if m.refused})
    failures = sorted(
        {
            f"{m.engine} {m.workload} {m.op} ({m.tool}, {m.transport}): {m.error}"
            for m in ms
            if not m.ok and not m.refused
        }
    )
    lines += ["", *(f"Refused: {r}" for r in refusals), *(f"Failed: {f}" for f in failures)]
    lines += [f"Harness problem: {p}" for p in result.get("problems", [])]
    if not run.get("complete", True):
        lines.append("The run stopped before its end: these are the cells it finished.")
    if help_ := result.get("help"):
        lines += [
            f"`{name}`: {h['median_s'] * 1000:.0f} ms (median of {len(h['runs_s'])})"
            for name, h in help_.items()
        ]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(json.loads(Path(sys.argv[1]).read_text())), end="")
