"""The images the benchmark pushes and pulls: layers of incompressible or text-like bytes.

Every build gets a fresh seed, so no blob of it is in the registry or the engine yet.
"""

from __future__ import annotations

MB = 1 << 20

# The share of the image each layer takes, and what it holds: the README's image since the
# first benchmark (60 % incompressible, 40 % text).
_MIX = (("random", 0.35), ("text", 0.25), ("random", 0.25), ("text", 0.15))
MANY_LAYERS = 40

WORKLOADS = ("mixed", "random", "text", "layers40")
DESCRIPTIONS = {
    "mixed": "4 layers, 60 % incompressible, 40 % text",
    "random": "4 layers, all incompressible",
    "text": "4 layers, all text",
    "layers40": f"{MANY_LAYERS} layers, alternately incompressible and text",
    "big": "1 layer, incompressible",
}


def layers(workload: str, size_mb: int) -> list[tuple[str, int]]:
    """(kind, bytes) of each layer of a workload of size_mb in all (testbed.images' format)."""
    if workload == "mixed":
        return [(kind, max(1, round(size_mb * share)) * MB) for kind, share in _MIX]
    if workload in ("random", "text"):
        return [(workload, max(1, round(size_mb * share)) * MB) for _kind, share in _MIX]
    if workload == "layers40":
        each = max(size_mb * MB // MANY_LAYERS, 1)
        return [(("random", "text")[i % 2], each) for i in range(MANY_LAYERS)]
    if workload == "big":
        return [("random", size_mb * MB)]
    raise ValueError(f"unknown workload {workload!r}; choose from {', '.join(WORKLOADS)}")
