"""Turn the engine's push/pull JSON stream into a few readable lines (no flood in a log)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

_FINAL = ("Pushed", "Layer already exists", "Already exists", "Pull complete", "Mounted from")


class EngineProgress:
    """Prints each layer's start and end, and its progress at most every `interval` seconds."""

    def __init__(self, log: Callable[[str], None], interval: float = 5.0) -> None:
        self._log = log
        self._interval = interval
        self._last: dict[str, float] = {}
        self._status: dict[str, str] = {}

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
        if (changed and (final or layer not in self._status)) or (due and not final):
            detail = chunk.get("progressDetail") or {}
            total = detail.get("total") if isinstance(detail, dict) else None
            current = detail.get("current") if isinstance(detail, dict) else None
            size = f" {current / 1e6:.1f}/{total / 1e6:.1f} MB" if current and total else ""
            self._log(f"{layer}: {status}{size}")
            self._last[layer] = now
        self._status[layer] = status
