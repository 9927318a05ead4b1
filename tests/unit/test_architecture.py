"""The rules docs/ARCHITECTURE.md declares, measured from the source with `ast`.

Every module in the layers' table, no import going upward, no import cycle (deferred and
TYPE_CHECKING imports counted, same layer included), no environment read outside the faces,
no class of more than MAX_FIELDS fields.
"""

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


def modules() -> dict[str, Path]:
    """Every module of ghpkg by its dotted name (`registry.client`; the package itself `ghpkg`)."""
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported(path: Path) -> set[str]:
    """The ghpkg modules a file imports (at any depth: deferred and TYPE_CHECKING ones included).

    `from ghpkg.registry import client` imports the module `registry.client`;
    `from ghpkg.registry import RegistryClient` imports the package `registry`.
    """
    known = modules()
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            if not (node.module or "").startswith("ghpkg"):
                continue
            package = str(node.module).removeprefix("ghpkg").removeprefix(".")
            for alias in node.names:
                child = f"{package}.{alias.name}" if package else alias.name
                found.add(child if child in known else package or "ghpkg")
        elif isinstance(node, ast.Import):
            found.update(
                a.name.removeprefix("ghpkg").removeprefix(".") or "ghpkg"
                for a in node.names
                if a.name.split(".")[0] == "ghpkg"
            )
    found.discard(module_name(path))
    return found


def import_cycles() -> list[list[str]]:
    """The groups of modules that import each other, round and round (Tarjan's components)."""
    graph = {name: imported(path) for name, path in modules().items()}
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(name: str) -> None:
        order[name] = low[name] = len(order)
        stack.append(name)
        for other in graph[name]:
            if other not in order:
                visit(other)
                low[name] = min(low[name], low[other])
            elif other in stack:
                low[name] = min(low[name], order[other])
        if low[name] == order[name]:
            group = [stack.pop()]
            while group[-1] != name:
                group.append(stack.pop())
            if len(group) > 1:
                cycles.append(sorted(group))

    for name in sorted(graph):
        if name not in order:
            visit(name)
    return cycles


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
        if name in layers
        and module_name(path) in layers
        and layers[name] > layers[module_name(path)]
    ]
    assert upward == []


def test_no_import_cycle() -> None:
    assert import_cycles() == []


def test_the_cycle_finder_sees_a_deferred_cycle(tmp_path: Path) -> None:
    """A cycle through an import inside a function is a cycle."""
    global PACKAGE
    package, PACKAGE = PACKAGE, tmp_path / "src" / "ghpkg"
    try:
        PACKAGE.mkdir(parents=True)
        (PACKAGE / "__init__.py").write_text("")
        (PACKAGE / "a.py").write_text("from ghpkg.b import f\n")
        (PACKAGE / "b.py").write_text("def f():\n    from ghpkg import a\n")
        assert import_cycles() == [["a", "b"]]
    finally:
        PACKAGE = package


# What reads the process's environment: os.environ, os.getenv (and from-imports of them),
# Path.home() and expanduser (both read HOME).
_ENV_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def environment_reads(path: Path) -> list[str]:
    """`file:line what` for each read of the process's environment in a file."""
    reads: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        what = ""
        if isinstance(node, ast.Attribute) and (
            (node.attr in _ENV_NAMES and isinstance(node.value, ast.Name) and node.value.id == "os")
            or node.attr in ("home", "expanduser")
        ):
            what = node.attr
        elif isinstance(node, ast.ImportFrom) and node.module in ("os", "os.path", "posix"):
            what = ",".join(a.name for a in node.names if a.name in _ENV_NAMES | {"expanduser"})
        if what:
            line = getattr(node, "lineno", 0)
            reads.append((line, f"{path.relative_to(ROOT)}:{line} {what}"))
    return [read for _, read in sorted(reads)]


def test_only_the_faces_read_the_environment() -> None:
    faces = PACKAGE / "faces"
    reads = [
        read
        for path in sorted(PACKAGE.rglob("*.py"))
        if faces not in path.parents and path != PACKAGE / "__main__.py"
        for read in environment_reads(path)
    ]
    assert reads == []


def test_an_environment_read_is_seen(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom os import getenv\nos.environ.get('X')\nPath.home()\n")
    global ROOT
    root, ROOT = ROOT, tmp_path
    try:
        assert [read.split(" ")[1] for read in environment_reads(module)] == [
            "getenv",
            "environ",
            "home",
        ]
    finally:
        ROOT = root


# The two HTTP stacks: the registry's Http (requests) in registry/, PyGithub in rest/; engine/
# reads docker-py's exceptions, which are requests' and urllib3's. No other module imports an
# HTTP client.
HTTP_CLIENTS = ("requests", "urllib3", "github", "http.client", "urllib.request", "httpx")
HTTP_HOMES = ("registry", "rest", "engine")


def http_imports(path: Path) -> set[str]:
    """The HTTP client libraries a file imports (at any depth)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom) and node.level == 0
            else []
        )
        found.update(
            client
            for name in names
            for client in HTTP_CLIENTS
            if name == client or name.startswith(client + ".")
        )
    return found


def test_only_the_two_http_stacks_import_an_http_client() -> None:
    others = [
        f"{module_name(path)} imports {client}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if module_name(path).split(".")[0] not in HTTP_HOMES
        for client in sorted(http_imports(path))
    ]
    assert others == []


MAX_FIELDS = 20


def fields(cls: ast.ClassDef) -> int:
    """How many fields a class declares: annotated names in its body, `self.x =` in __init__."""
    count = sum(isinstance(item, ast.AnnAssign) for item in cls.body)
    for item in cls.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            count += len(
                {
                    target.attr
                    for node in ast.walk(item)
                    for target in getattr(node, "targets", [getattr(node, "target", None)])
                    if isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "self"
                }
            )
    return count


def test_no_class_has_more_than_twenty_fields() -> None:
    wide = [
        f"{module_name(path)}.{node.name} ({fields(node)} fields)"
        for path in sorted(PACKAGE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef) and fields(node) > MAX_FIELDS
    ]
    assert wide == []


def test_fields_are_counted_from_annotations_and_init() -> None:
    source = "class Wide:\n" + "".join(f"    f{n}: int\n" for n in range(15))
    source += "    def __init__(self) -> None:\n" + "".join(
        f"        self.g{n} = {n}\n" for n in range(6)
    )
    (wide,) = ast.parse(source).body
    assert isinstance(wide, ast.ClassDef)
    assert fields(wide) == 21
