"""Test files mirror modules: `tests/unit/test_X.py` and `tests/testbed/test_X.py` name one.

X is a module's dotted path with `_` for `.` (`registry_client` for `ghpkg.registry.client`,
`ghes_tokens` for `testbed.ghes.tokens`), optionally followed by `_ASPECT` when a module's tests
are split (`engine_retry`). Unit tests name a module of ghpkg, of scripts/ or of bench/; the
bed's tests a module of testbed. Integration tests are named after what a user does instead.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Files that test no one module, and what they test instead.
CROSS_CUTTING = {
    "action_requirements": "action/requirements.txt against the dependencies pyproject names",
    "architecture": "the layers of docs/ARCHITECTURE.md, over every module",
    "test_layout": "this rule, over the test files",
    "workflows": "ghpkg's own .github/workflows",
}


def module_names(top: Path, prefix: str = "") -> set[str]:
    """Each module and package under `top` (itself included), dots written as underscores."""
    names = {prefix.rstrip("_")} if prefix else set()
    for path in top.rglob("*.py"):
        parts = path.relative_to(top).with_suffix("").parts
        if parts[-1] in ("__init__", "__main__"):
            parts = parts[:-1]
        if parts:
            names.add(prefix + "_".join(parts))
    return names


def unnamed(folder: Path, modules: set[str]) -> list[str]:
    """The test files in `folder` whose names name no module (nor an aspect of one)."""
    return [
        path.name
        for path in sorted(folder.glob("test_*.py"))
        if (stem := path.stem.removeprefix("test_")) not in CROSS_CUTTING
        and not any(stem == name or stem.startswith(f"{name}_") for name in modules)
    ]


def test_each_unit_test_file_names_a_module_of_ghpkg_scripts_or_bench() -> None:
    modules = (
        module_names(ROOT / "src" / "ghpkg")
        | module_names(ROOT / "scripts")
        | module_names(ROOT / "bench", "bench_")
    )
    assert unnamed(ROOT / "tests" / "unit", modules) == []


def test_each_test_bed_test_file_names_a_module_of_the_bed() -> None:
    assert unnamed(ROOT / "tests" / "testbed", module_names(ROOT / "testbed")) == []


def test_the_cross_cutting_files_exist_and_name_no_module() -> None:
    modules = module_names(ROOT / "src" / "ghpkg") | module_names(ROOT / "scripts")
    for stem in CROSS_CUTTING:
        assert (ROOT / "tests" / "unit" / f"test_{stem}.py").exists(), stem
        assert stem not in modules, f"test_{stem}.py names a module: drop it from CROSS_CUTTING"


def test_a_file_named_after_no_module_is_found(tmp_path: Path) -> None:
    for name in ("test_cli.py", "test_registry_client.py", "test_engine_retry.py", "test_x.py"):
        (tmp_path / name).write_text("")
    assert unnamed(tmp_path, {"cli", "engine", "registry", "registry_client"}) == ["test_x.py"]
