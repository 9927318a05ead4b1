"""Progress: the engine's push/pull JSON stream as a few readable lines (no flood in a log),
and on a terminal one bar redrawn in place."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

_FINAL = ("Pushed", "Layer already exists", "Already exists", "Pull complete", "Mounted from")
_REDRAW = 0.2  # seconds between two redraws of a terminal's progress bar


def bar(done: int, total: int, width: int = 24, amount: str = "") -> str:
    """`[=========>           ]  40% 12.3/30.7 MB` (or the `amount` given instead of the MB)."""
    part = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
    filled = int(part * width)
    arrow = ">" if filled < width else ""
    shape = ("=" * filled + arrow).ljust(width)[:width]
    return f"[{shape}] {part:4.0%} {amount or f'{done / 1e6:.1f}/{total / 1e6:.1f} MB'}"


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
            size = f" {current / 1e6:.1f}/{total / 1e6:.1f} MB" if current and total else ""
            self._log(f"{layer}: {status}{size}")
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
