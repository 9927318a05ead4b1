"""The layers docs/ARCHITECTURE.md declares: every module listed, no import going upward."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "ghpkg"


def declared_layers() -> dict[str, int]:
    """Module -> layer number, from the table in docs/ARCHITECTURE.md."""
    layers: dict[str, int] = {}
    for line in (ROOT / "docs" / "ARCHITECTURE.md").read_text().splitlines():
        row = re.match(r"^\| (\d+) [^|]*\| ([^|]*) \|", line)
        if row:
            for name in re.findall(r"`([\w.]+)`", row.group(2)):
                layers[name] = int(row.group(1))
    return layers


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    name = ".".join(parts[1:] if parts[-1] != "__init__" else parts[1:-1])
    return name or "ghpkg"


def imported(path: Path) -> set[str]:
    """The ghpkg modules a file imports (at any depth, deferred imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ghpkg"):
            if node.module == "ghpkg":
                found.update(alias.name for alias in node.names if alias.name != "__version__")
            else:
                found.add(node.module.removeprefix("ghpkg."))
        elif isinstance(node, ast.Import):
            found.update(
                a.name.removeprefix("ghpkg.") for a in node.names if a.name.startswith("ghpkg.")
            )
    return found


def test_every_module_has_a_layer() -> None:
    layers = declared_layers()
    modules = {module_name(path) for path in PACKAGE.rglob("*.py")}
    assert sorted(modules - set(layers)) == []
    assert sorted(set(layers) - modules) == []


def test_no_module_imports_a_higher_layer() -> None:
    layers = declared_layers()
    upward = [
        f"{module_name(path)} (layer {layers[module_name(path)]}) imports {name} "
        f"(layer {layers[name]})"
        for path in PACKAGE.rglob("*.py")
        for name in imported(path)
        if name in layers and layers[name] > layers[module_name(path)]
    ]
    assert upward == []
