"""Progress: the engine's push/pull JSON stream as a few readable lines (no flood in a log),
and on a terminal one bar redrawn in place; the one way sizes, rates and times are written.

Sizes are decimal, as docker and GitHub write them: kB = 10^3, MB = 10^6, GB = 10^9 bytes.
Times in seconds as Go and docker write them: `0.6s`, `12.3s`, `2m05s`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

# Where a module's log lines go: `outputs.Log`, a list's `append`, `print`.
Lines = Callable[[str], None]

_FINAL = ("Pushed", "Layer already exists", "Already exists", "Pull complete", "Mounted from")
_REDRAW = 0.2  # seconds between two redraws of a terminal's progress bar


def size(count: float) -> str:
    """Bytes for a reader, decimal units: `812 B`, `42.1 kB`, `3.5 MB`, `1.2 GB`."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{int(count)} B"


def part(done: float, total: float) -> str:
    """Bytes so far of a total, in the total's unit: `12.3/30.7 MB`."""
    whole = size(total)
    unit = whole.split()[-1]
    scale = {"GB": 1e9, "MB": 1e6, "kB": 1e3}.get(unit, 1.0)
    done_text = f"{done / scale:.1f}" if scale > 1 else f"{int(done)}"
    return f"{done_text}/{whole}"


def duration(seconds: float) -> str:
    """A time for a reader: `0.6s`, `12.3s`, `2m05s`."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def rate(count: float, seconds: float) -> str:
    """A speed: `41.2 MB/s`."""
    return f"{size(count / max(seconds, 1e-9))}/s"


def bar(done: int, total: int, width: int = 24, amount: str = "") -> str:
    """`[=========>           ]  40% 12.3/30.7 MB` (or the `amount` given instead of the bytes)."""
    share = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
    filled = int(share * width)
    arrow = ">" if filled < width else ""
    shape = ("=" * filled + arrow).ljust(width)[:width]
    return f"[{shape}] {share:4.0%} {amount or part(done, total)}"


class EngineProgress:
    """Prints each layer's start and end, and its progress at most every `interval` seconds.

    With `status` (a terminal), the progress of all layers together is one bar instead.
    """

    def __init__(
        self,
        log: Callable[[str], None],
        interval: float = 5.0,
        status: Callable[[str], None] | None = None,
    ) -> None:
        self._log = log
        self._interval = interval
        self._status_line = status
        self._last: dict[str, float] = {}
        self._status: dict[str, str] = {}
        self._bytes: dict[str, tuple[int, int]] = {}  # layer -> (current, total)
        self._drawn = 0.0

    def __call__(self, chunk: Mapping[str, Any]) -> None:
        layer = str(chunk.get("id", ""))
        status = str(chunk.get("status", ""))
        if not status:
            return
        if not layer or len(layer) < 12 or " " in layer:
            self._log(f"{layer}: {status}" if layer else status)
            return
        now = time.monotonic()
        changed = self._status.get(layer) != status
        due = now - self._last.get(layer, 0.0) >= self._interval
        final = status.startswith(_FINAL)
        if self._status_line is not None and not final and not changed:
            self._draw(layer, status, chunk.get("progressDetail"), now)
        elif (changed and (final or layer not in self._status)) or (due and not final):
            detail = chunk.get("progressDetail") or {}
            total = detail.get("total") if isinstance(detail, dict) else None
            current = detail.get("current") if isinstance(detail, dict) else None
            amount = f" {part(current, total)}" if current and total else ""
            self._log(f"{layer}: {status}{amount}")
            self._last[layer] = now
        self._status[layer] = status

    def _draw(self, layer: str, status: str, detail: object, now: float) -> None:
        """Redraw the terminal's bar: every layer's bytes so far, against all their totals."""
        if isinstance(detail, dict) and detail.get("total"):
            self._bytes[layer] = (int(detail.get("current") or 0), int(detail["total"]))
        if now - self._drawn < _REDRAW or not self._bytes or self._status_line is None:
            return
        self._drawn = now
        done = sum(current for current, _total in self._bytes.values())
        total = sum(total for _current, total in self._bytes.values())
        self._status_line(f"{status} {len(self._bytes)} layer(s) {bar(done, total)}")
