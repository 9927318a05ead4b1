"""Helpers shared by unit and integration tests."""

from __future__ import annotations

from pathlib import Path


def read_outputs(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT-style file (key=value lines and key<<DELIM heredocs)."""
    values: dict[str, str] = {}
    lines = iter(path.read_text().splitlines())
    for line in lines:
        head = line.split("=", 1)[0]
        if "<<" in head:
            key, delimiter = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            values[key] = "\n".join(body)
        else:
            key, _, value = line.partition("=")
            values[key] = value
    return values
