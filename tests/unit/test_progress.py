"""Progress: one bar redrawn in place on a terminal, plain throttled lines everywhere else."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from ghpkg import progress
from ghpkg.outputs import Log
from ghpkg.progress import EngineProgress, bar, duration, part, rate, size

LAYER_A, LAYER_B = "a" * 12, "b" * 12


def chunk(layer: str, status: str, current: int = 0, total: int = 0) -> dict[str, object]:
    detail = {"current": current, "total": total} if total else {}
    return {"id": layer, "status": status, "progressDetail": detail}


def test_the_bar_fills_with_the_bytes_done() -> None:
    assert bar(0, 100) == "[>                       ]   0% 0/100 B"
    assert bar(50_000_000, 100_000_000) == "[============>           ]  50% 50.0/100.0 MB"
    assert bar(7, 7).startswith("[========================] 100%")
    assert "0%" in bar(5, 0)  # no total known yet
    assert bar(3, 12, amount="3/12 images").endswith("  25% 3/12 images")


def test_on_a_terminal_progress_is_redrawn_and_gives_way_to_the_next_line() -> None:
    stream = io.StringIO()
    log = Log(stream=stream, terminal=True)
    log.status("layer 1/1: [=>   ]  10%")
    log.status("layer 1/1: [===> ]  60%")
    log.info("done")
    assert stream.getvalue() == (
        "\r\x1b[Klayer 1/1: [=>   ]  10%\r\x1b[Klayer 1/1: [===> ]  60%\r\x1b[Kdone\n"
    )


def test_elsewhere_progress_is_a_plain_line_and_quiet_hides_it() -> None:
    stream = io.StringIO()
    Log(stream=stream).status("layer 1/1: 10%")
    Log(stream=stream, quiet=True, terminal=True).status("hidden")
    assert stream.getvalue() == "layer 1/1: 10%\n"


def test_settle_takes_the_bar_off_before_the_result() -> None:
    stream = io.StringIO()
    log = Log(stream=stream, terminal=True)
    log.settle()
    assert stream.getvalue() == ""
    log.status("50%")
    log.settle()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_the_engine_stream_becomes_one_bar_for_all_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([100.0, 100.1, 100.5, 101.0, 101.1, 102.0])
    monkeypatch.setattr(progress, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    lines: list[str] = []
    bars: list[str] = []
    watch = EngineProgress(lines.append, status=bars.append)
    watch(chunk(LAYER_A, "Pushing", 0, 1_000_000))  # a new layer: a line
    watch(chunk(LAYER_A, "Pushing", 500_000, 1_000_000))  # 100.1: drawn
    watch(chunk(LAYER_B, "Pushing", 0, 3_000_000))  # a new layer: a line
    watch(chunk(LAYER_B, "Pushing", 1_000_000, 3_000_000))  # 101.0: drawn
    watch(chunk(LAYER_A, "Pushing", 600_000, 1_000_000))  # 101.1: too soon, not drawn
    watch(chunk(LAYER_A, "Pushed"))  # final: a line
    assert lines == [f"{LAYER_A}: Pushing", f"{LAYER_B}: Pushing", f"{LAYER_A}: Pushed"]
    assert len(bars) == 2
    assert bars[0].startswith("Pushing 1 layer(s) [")
    assert "0.5/1.0 MB" in bars[0]
    assert "2 layer(s)" in bars[1]
    assert "1.5/4.0 MB" in bars[1]


def test_without_a_terminal_the_engine_stream_stays_a_few_lines() -> None:
    lines: list[str] = []
    watch = EngineProgress(lines.append)
    for current in range(0, 1_000_000, 100_000):
        watch(chunk(LAYER_A, "Pushing", current, 1_000_000))
    watch(chunk(LAYER_A, "Pushed"))
    assert lines == [f"{LAYER_A}: Pushing", f"{LAYER_A}: Pushed"]


def test_sizes_are_decimal_and_say_so() -> None:
    """MB = 10^6 bytes, as docker and GitHub write them; one formatter for every line."""
    assert [size(n) for n in (812, 42_100, 3_500_000, 5_000_000_000)] == [
        "812 B",
        "42.1 kB",
        "3.5 MB",
        "5.0 GB",
    ]
    assert size(5 * 1024**3) == "5.4 GB"  # 5 GiB is not 5 GB
    assert part(1_500_000, 2_000_000_000) == "0.0/2.0 GB"
    assert part(12_300_000, 30_700_000) == "12.3/30.7 MB"
    assert rate(82_000_000, 2.0) == "41.0 MB/s"


def test_times_are_written_one_way() -> None:
    assert [duration(t) for t in (0.64, 12.34, 125.0)] == ["0.6s", "12.3s", "2m05s"]
