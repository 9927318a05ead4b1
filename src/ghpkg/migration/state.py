"""The state file that lets an interrupted `ghpkg migrate` continue: what was copied, by digest.

It holds registry names, tags and digests only, never a token. Each copied tag is written at
once (to a new temporary file beside it, made by mkstemp so nothing planted at a guessable name
is followed, then renamed), so a run stopped at any moment leaves a whole file. It is a hint,
not proof: migrate still asks the destination for every tag it calls done.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from pathlib import Path

FORMAT = 1


class MigrationState:
    """Tags already copied: `HOST/OWNER/REPOSITORY/IMAGE:TAG` -> the manifest digest."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.warning = ""
        self._done: dict[str, str] = {}
        self._lock = threading.Lock()
        if path is not None and path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                done = data.get("done") if data.get("format") == FORMAT else None
                if not isinstance(done, dict):
                    raise ValueError("no done table")
                self._done = {str(k): str(v) for k, v in done.items()}
            except (OSError, ValueError, AttributeError) as exc:
                self.warning = f"state file {path} is unreadable ({exc}); starting afresh"

    def __len__(self) -> int:
        return len(self._done)

    def digest(self, source: str) -> str | None:
        """The digest recorded for a source tag, if an earlier run copied it."""
        return self._done.get(source)

    def record(self, source: str, digest: str) -> None:
        """Remember a copied tag and write the file at once."""
        with self._lock:
            self._done[source] = digest
            self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"format": FORMAT, "done": dict(sorted(self._done.items()))}
        descriptor, temporary = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                stream.write(json.dumps(document, indent=1) + "\n")
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
