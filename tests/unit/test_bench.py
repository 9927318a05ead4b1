"""The benchmark's own logic: timing a child, pair order, refusals, and the tables' cells."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bench import timing
from bench.report import Measure, cell, transfer_table
from bench.workloads import MB, WORKLOADS, layers


def _measure(tool: str, wall_s: float, pair: int = 0, **fields: object) -> Measure:
    values: dict[str, object] = {
        "engine": "26.1",
        "workload": "mixed",
        "op": "push",
        "transport": "registry",
        "pair": pair,
        "tool": tool,
        "first": True,
        "wall_s": wall_s,
        "rss_mb": 50.0,
        "exit_code": 0,
    }
    return Measure(**(values | fields))  # type: ignore[arg-type]


def test_run_times_one_child_and_reads_its_stdin() -> None:
    code = (
        "import sys; data = sys.stdin.read(); bytearray(64 << 20); "
        "print('error: no', data.strip(), file=sys.stderr); sys.exit(3)"
    )
    child = timing.run([sys.executable, "-c", code], os.environ, stdin="tok\n")
    assert child.exit_code == 3
    assert child.error == "error: no tok"
    assert child.rss_mb >= 64  # this child's peak, from wait4
    assert 0 < child.wall_s < 30
    small = timing.run([sys.executable, "-c", "pass"], os.environ)
    assert small.exit_code == 0
    assert small.error == ""
    assert small.rss_mb < 64  # not the largest child so far, as RUSAGE_CHILDREN would say


def test_pairs_alternate_docker_first_then_ghpkg_first() -> None:
    assert [timing.docker_first(i) for i in range(4)] == [True, False, True, False]


def test_refused_is_an_error_that_sends_the_user_to_another_transport() -> None:
    said = "Docker engine 28.5.2: pushing via engine (as asked)\n"
    refusal = timing.Child(
        0.5, 1, 40, "", "error: cannot push through the engine; use --transport registry\n"
    )
    failure = timing.Child(3.0, 1, 40, "", said + "== Push 1 to x\nerror: broken pipe\n")
    assert timing.refused(refusal)
    assert not timing.refused(failure)
    assert not timing.refused(timing.Child(0.5, 0, 40, "", "hint: --transport auto\n"))
    assert timing.transport_used(said) == "engine"
    assert failure.error == "error: broken pipe"


def test_cell_is_the_median_and_its_ratio_to_docker() -> None:
    runs = [_measure("ghpkg", s) for s in (3.0, 1.0, 2.0)]
    assert cell(runs, 4.0) == "2.00 (0.50x)"
    failed = [*runs, _measure("ghpkg", 9.0, exit_code=1)]
    assert cell(failed, 4.0) == "2.00 (0.50x, 1/4 failed)"
    refused = [_measure("ghpkg", 0.4, exit_code=1, refused=True)]
    assert cell(refused, 4.0) == "refused"
    assert cell([], 4.0, refused=True) == "refused"
    assert cell([_measure("ghpkg", 1.0, exit_code=1)], 4.0) == "failed (1/1)"


def test_transfer_table_has_a_row_per_engine_and_workload() -> None:
    ms = [
        _measure("docker", 2.0, extra={"image_mb": 300}),
        _measure("ghpkg", 1.0, extra={"image_mb": 300, "pushed_mb": 207.2}),
        _measure("docker", 4.0, pair=1, first=False),
        _measure("ghpkg", 3.0, pair=1),
        _measure("ghpkg", 0.3, transport="engine", exit_code=1, refused=True),
        _measure("docker", 1.0, workload="text"),
        _measure("ghpkg", 1.5, workload="text", transport="auto", via="registry"),
    ]
    head, rule, mixed, text = transfer_table(ms, "push")
    assert head.count("|") == rule.count("|") == mixed.count("|") == text.count("|")
    assert "--transport engine" in head
    # docker: median of 2.0 and 4.0; ghpkg registry: median of 1.0 and 3.0
    assert mixed == "| 26.1 | mixed | 300 (207) | 3.00 | 2.00 (0.67x) | refused | — | 50 | 2 |"
    assert text == "| 26.1 | text | ? | 1.00 | — | refused | 1.50 (1.50x, registry) | 50 | 1 |"


def test_workloads_add_up_to_the_size_asked() -> None:
    for workload in WORKLOADS:
        planned = layers(workload, 300)
        assert abs(sum(size for _kind, size in planned) - 300 * MB) <= 40, workload
    assert len(layers("layers40", 300)) == 40
    assert {kind for kind, _size in layers("random", 300)} == {"random"}
    assert {kind for kind, _size in layers("text", 300)} == {"text"}


def test_trees_keep_their_order_and_become_absolute_paths() -> None:
    found = timing.trees(["before=/tmp/base/src", "after=src"])
    assert list(found) == ["before", "after"]
    assert found["before"] == Path("/tmp/base/src")
    assert found["after"] == Path("src").resolve()
