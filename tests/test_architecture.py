"""The import graph of the product: no cycles, and the layers only depend downwards.

Every ``.py`` file under ``geo/``, ``layers/`` and ``ui/`` and ``app.py`` is parsed with
``ast`` (nothing is imported). Every import counts, also one inside a function; ``from x
import y`` points at the submodule ``x.y`` when there is one, else at ``x``; relative imports
are resolved against the importing module's package. Imports under ``if TYPE_CHECKING:``
never run, so they do not count for cycles, but they do count for the layer rules.

Rules:

1. no import cycles among project modules;
2. ``geo`` (computation and data) imports nothing from ``layers`` (maps) or ``ui`` (the app),
   except ``geo.cli`` / ``geo.__main__``, the command line that writes the map exports;
3. ``layers`` never imports ``ui``.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("geo", "layers", "ui")
SCRIPTS = ("app.py",)
#: geo modules allowed to import layers/ui: the command line (it writes the HTML exports).
GEO_ENTRY_POINTS = frozenset({"geo.cli", "geo.__main__"})

# ---------------------------------------------------------------------- the import graph


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    #: Under ``if TYPE_CHECKING:``: never executed.
    type_only: bool


def project_modules(
    root: Path, packages: Iterable[str] = PACKAGES, scripts: Iterable[str] = SCRIPTS
) -> dict[str, Path]:
    """Module name → file, for every ``.py`` file of ``packages`` and each script at the root."""
    modules: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    for script in scripts:
        if (root / script).is_file():
            modules[Path(script).stem] = root / script
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _owner(name: str, modules: Mapping[str, Path]) -> str | None:
    """The project module ``name`` refers to: itself or its nearest enclosing package; None if not ours."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def imports_of(module: str, path: Path, modules: Mapping[str, Path]) -> list[Import]:
    """Every import of a project module in ``path`` (at any depth: functions, classes, if/try blocks)."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []

    def add(name: str | None, line: int, type_only: bool) -> None:
        target = _owner(name, modules) if name else None
        if target is not None and target != module:
            found.append(Import(module, target, line, type_only))

    def visit(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_only)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno, type_only)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                base_name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                base_name = node.module or ""
            for alias in node.names:
                submodule = f"{base_name}.{alias.name}" if base_name else alias.name
                add(submodule if alias.name != "*" and submodule in modules else base_name, node.lineno, type_only)
        for child in ast.iter_child_nodes(node):
            visit(child, type_only)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), False)
    return found


def all_imports(root: Path = ROOT, **kwargs) -> list[Import]:
    modules = project_modules(root, **kwargs)
    return [imp for name, path in modules.items() for imp in imports_of(name, path, modules)]


def runtime_graph(imports: Iterable[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for imp in imports:
        graph.setdefault(imp.source, set())
        graph.setdefault(imp.target, set())
        if not imp.type_only:
            graph[imp.source].add(imp.target)
    return graph


# ---------------------------------------------------------------------- cycles


@dataclass(frozen=True)
class Cycle:
    #: All modules of the strongly connected component.
    members: frozenset[str]
    #: One shortest cycle through its first module, e.g. ``["a", "b", "a"]``.
    path: tuple[str, ...]

    def __str__(self) -> str:
        return " -> ".join(self.path)


def find_cycles(graph: Mapping[str, Iterable[str]]) -> list[Cycle]:
    """Every strongly connected component with a cycle (Tarjan), each with one example cycle."""
    edges = {n: sorted(set(vs)) for n, vs in graph.items()}
    for vs in list(edges.values()):
        for v in vs:
            edges.setdefault(v, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            components.append(component)

    for v in sorted(edges):
        if v not in index:
            connect(v)

    cycles = []
    for component in components:
        members = frozenset(component)
        start = min(members)
        if len(members) == 1 and start not in edges[start]:
            continue  # a single module that does not import itself
        cycles.append(Cycle(members, _shortest_cycle(edges, members, start)))
    return sorted(cycles, key=lambda c: c.path)


def _shortest_cycle(edges: Mapping[str, list[str]], members: frozenset[str], start: str) -> tuple[str, ...]:
    """Breadth-first from ``start`` back to ``start`` inside one component."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in edges[v]:
            if w not in members:
                continue
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return (start, *reversed(path[:-1]), start) if v != start else (start, start)
            if w not in came_from:
                came_from[w] = v
                queue.append(w)
    raise AssertionError(f"{start} is in a component without a cycle")  # not reached for a real component


def describe(cycle: Cycle, imports: Iterable[Import]) -> str:
    """``a -> b -> a`` with where each import is: ``a.py:12 imports b``."""
    first = {}
    for imp in imports:
        if not imp.type_only:
            first.setdefault((imp.source, imp.target), imp.line)
    steps = [f"{a}:{first.get((a, b), '?')} imports {b}" for a, b in pairwise(cycle.path)]
    return f"{cycle}  ({'; '.join(steps)})"


# ---------------------------------------------------------------------- the rules, on the product


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return all_imports(ROOT)


def test_the_parser_sees_the_whole_product(imports: list[Import]) -> None:
    """Guards the rules below against passing on an empty graph."""
    modules = project_modules(ROOT)
    expected = {"app", "geo", "geo.cli", "geo.data.files", "geo.network.graph", "layers.exports", "ui.sidebar"}
    assert expected <= set(modules)
    assert len(modules) > 50
    edges = {(i.source, i.target) for i in imports}
    assert ("layers.exports", "layers.decision_pack") in edges  # top-level `from layers.decision_pack import …`
    assert ("geo.cli", "layers.exports") in edges  # inside a function
    assert ("geo.data.build", "geo.data.files") in edges  # `from geo.data import files`: the submodule
    assert any(i.type_only for i in imports)  # TYPE_CHECKING imports are seen (and set apart)
    assert {i.source for i in imports} >= {"app", "geo.cli", "layers.exports", "ui.sidebar"}


def test_no_import_cycles(imports: list[Import]) -> None:
    cycles = [c for c in find_cycles(runtime_graph(imports)) ]
    assert not cycles, "import cycles among project modules:\n" + "\n".join(describe(c, imports) for c in cycles)


def test_geo_does_not_import_layers_or_ui(imports: list[Import]) -> None:
    bad = [
        f"{i.source}:{i.line} imports {i.target}"
        for i in imports
        if i.source.split(".")[0] == "geo"
        and i.source not in GEO_ENTRY_POINTS
        and i.target.split(".")[0] in ("layers", "ui")
    ]
    assert not bad, "geo must not depend on the map or app layers:\n" + "\n".join(bad)


def test_layers_do_not_import_ui(imports: list[Import]) -> None:
    bad = [
        f"{i.source}:{i.line} imports {i.target}"
        for i in imports
        if i.source.split(".")[0] == "layers" and i.target.split(".")[0] == "ui"
    ]
    assert not bad, "layers must not depend on the app (ui):\n" + "\n".join(bad)


# ---------------------------------------------------------------------- the tools, on made-up input


def test_cycle_finder_finds_a_three_cycle_and_nothing_in_a_dag() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"a"}}
    (cycle,) = find_cycles(graph)
    assert cycle.members == {"a", "b", "c"}
    assert str(cycle) == "a -> b -> c -> a"
    dag = {"app": {"ui", "geo"}, "ui": {"layers", "geo"}, "layers": {"geo"}, "geo": set()}
    assert find_cycles(dag) == []
    assert find_cycles({}) == []


def test_cycle_finder_reports_each_cycle_once_with_a_shortest_path() -> None:
    graph = {
        "x": {"y"}, "y": {"x"},                  # a 2-cycle
        "p": {"q", "s"}, "q": {"r"}, "r": {"p"},  # p -> q -> r -> p ...
        "s": {"p"},                              # ... and the shorter p -> s -> p in the same component
        "self": {"self"},                        # a module importing itself
    }  # fmt: skip
    cycles = find_cycles(graph)
    assert [c.members for c in cycles] == [{"p", "q", "r", "s"}, {"self"}, {"x", "y"}]
    assert [str(c) for c in cycles] == ["p -> s -> p", "self -> self", "x -> y -> x"]


def test_graph_builder_counts_function_level_relative_and_submodule_imports(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "from pkg.a import run\n",
        "pkg/a.py": "import json\n\ndef run():\n    from pkg import b  # submodule, inside a function\n    return b\n",
        "pkg/b.py": "from . import c\nfrom .sub.deep import VALUE\n",
        "pkg/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import run\nimport pkg.sub\n",
        "pkg/sub/__init__.py": "from ..c import *\n",
        "pkg/sub/deep.py": "VALUE = 1\nfrom ... import other  # beyond the project: ignored\n",
        "other/__init__.py": "",
        "main.py": "import pkg.sub.deep as d\nfrom pkg import run\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = all_imports(tmp_path, packages=("pkg",), scripts=("main.py",))
    got = {(i.source, i.target, i.type_only) for i in found}
    assert got == {
        ("pkg", "pkg.a", False),
        ("pkg.a", "pkg.b", False),
        ("pkg.b", "pkg.c", False),
        ("pkg.b", "pkg.sub.deep", False),
        ("pkg.c", "pkg.a", True),
        ("pkg.c", "pkg.sub", False),
        ("pkg.sub", "pkg.c", False),
        ("main", "pkg.sub.deep", False),
        ("main", "pkg", False),
    }
    # The TYPE_CHECKING import closes no cycle; pkg.c <-> pkg.sub is one.
    assert [c.members for c in find_cycles(runtime_graph(found))] == [{"pkg.c", "pkg.sub"}]


def test_every_app_cache_is_bounded() -> None:
    """A cache without ``max_entries`` or ``ttl`` grows with every weight combination many users try, until the
    server runs out of memory: every ``st.cache_data``/``st.cache_resource`` in the app says its bound."""
    unbounded = []
    for path in [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if isinstance(target, ast.Attribute) and target.attr in ("cache_data", "cache_resource"):
                    words = {k.arg for k in deco.keywords} if isinstance(deco, ast.Call) else set()
                    if not words & {"max_entries", "ttl"}:
                        unbounded.append(f"{path.name}:{node.lineno} {node.name}")
    assert unbounded == []
