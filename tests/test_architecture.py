"""The house's rules, read from the source (docs/architecture.md draws them).

Every import counts, at module level or inside a function: a function-level import that
dodges a circle still makes one. `TYPE_CHECKING` blocks are left out (they never run).
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("config", "matching", "models", "web", "worker", "scripts")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:   # Alembic's scripts are loaded by Alembic, not imported
                continue
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(tree: ast.AST):
    """Every node but those under `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _targets(module: str, path: Path, source: str | None = None):
    """The project modules `module` imports, each with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    for node in _walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path, node)
            for alias in node.names:
                if f"{base}.{alias.name}" in MODULES:   # `from pkg import submodule`
                    yield f"{base}.{alias.name}", node.lineno
                elif base in MODULES:
                    yield base, node.lineno


def import_graph() -> dict[str, dict[str, int]]:
    """module -> {imported project module: line}."""
    graph: dict[str, dict[str, int]] = defaultdict(dict)
    for module, path in MODULES.items():
        for target, line in _targets(module, path):
            if target != module:
                graph[module].setdefault(target, line)
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(MODULES):
        if node not in index:
            visit(node)
    return found


def _describe(component: list[str], graph) -> str:
    members = set(component)
    edges = [f"{a} -> {b} (line {line})" for a in component for b, line in sorted(graph.get(a, {}).items())
             if b in members]
    return "circle of " + ", ".join(component) + ":\n    " + "\n    ".join(edges)


def test_the_graph_sees_function_level_imports():
    # An import inside a function is an edge; one under TYPE_CHECKING is not.
    source = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from web import errors\n"
              "def f():\n    from matching import scoring\n    from . import queueing\n")
    found = {t for t, _ in _targets("worker.jobs", ROOT / "worker" / "jobs.py", source)}
    assert found == {"matching.scoring", "worker.queueing"}


def test_no_import_circle_anywhere():
    graph = import_graph()
    found = cycles(graph)
    assert not found, "\n".join(_describe(c, graph) for c in found)


def test_cycle_finder_finds_a_planted_circle():
    graph = {"web.a": {"web.b": 1}, "web.b": {"web.c": 2}, "web.c": {"web.a": 3}, "web.d": {"web.a": 4}}
    saved = dict(MODULES)
    MODULES.update({name: ROOT for name in graph})
    try:
        assert cycles(graph) == [["web.a", "web.b", "web.c"]]
    finally:
        MODULES.clear()
        MODULES.update(saved)


# Which room may import which (docs/architecture.md). The core is pure; config only loads data;
# models and the worker never reach up into the web; the web enqueues through one helper.
FORBIDDEN = {
    "matching": ("config", "models", "web", "worker", "scripts"),
    "config": ("models", "web", "worker", "scripts"),
    "models": ("web", "worker", "scripts"),
    "worker": ("web", "scripts"),
    "web": ("scripts",),
}
FORBIDDEN_THIRD_PARTY = {
    "matching": ("flask", "flask_babel", "rq", "redis", "sqlalchemy", "werkzeug"),
    "config": ("flask", "rq", "redis", "sqlalchemy"),
}


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_rooms_import_only_downwards(room):
    graph = import_graph()
    wrong = [f"{a} -> {b} (line {line})" for a, targets in graph.items() if a.split(".")[0] == room
             for b, line in targets.items() if b.split(".")[0] in FORBIDDEN[room]]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("room", sorted(FORBIDDEN_THIRD_PARTY))
def test_pure_rooms_import_no_service_library(room):
    wrong = []
    for module, path in MODULES.items():
        if module.split(".")[0] != room:
            continue
        for node in _walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            wrong += [f"{module}:{node.lineno} {n}" for n in names if n.split(".")[0] in FORBIDDEN_THIRD_PARTY[room]]
    assert not wrong, "\n".join(wrong)


def _room(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_the_webs_two_rooms_do_not_import_each_other_and_what_is_below_them_imports_neither():
    # web.api answers JSON, web.pages answers HTML; what both need lives below them in web/.
    rooms = ("web.api", "web.pages")
    graph = import_graph()
    wrong = [f"{a} -> {b} (line {line})" for a, targets in graph.items() if a.startswith("web")
             for b, line in targets.items()
             if _room(b) in rooms and a != "web" and _room(a) != _room(b)]
    assert not wrong, "\n".join(wrong)


def test_the_web_reaches_the_worker_only_through_its_queueing_helper():
    graph = import_graph()
    wrong = [f"{a} -> {b}" for a, targets in graph.items() if a.startswith("web")
             for b in targets if b.startswith("worker") and b != "worker.queueing"]
    assert not wrong, "\n".join(wrong)


def _environment_reads(tree: ast.AST):
    """Lines that read os.environ / os.getenv; setting a variable for a library is not reading."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "getenv":
            yield node.lineno
        if not (isinstance(node, ast.Attribute) and node.attr == "environ"):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Store | ast.Del):
            continue
        if isinstance(parent, ast.Attribute) and parent.attr == "setdefault":
            continue
        yield node.lineno


def test_the_environment_reader_tells_reading_from_setting():
    source = "import os\nos.environ['A'] = '1'\nos.environ.setdefault('B', '2')\nx = os.environ.get('C')\n" \
             "y = dict(os.environ)\nz = os.getenv('D')\n"
    assert sorted(_environment_reads(ast.parse(source))) == [4, 5, 6]


def test_only_config_reads_the_environment():
    wrong = [f"{module}:{line}" for module, path in MODULES.items() if module.split(".")[0] not in ("config", "scripts")
             for line in _environment_reads(ast.parse(path.read_text(encoding="utf-8")))]
    assert not wrong, "\n".join(wrong)


def _function_of_complexity(n: int) -> str:
    return "def f(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(n - 1)) + "    return -1\n"


def test_the_complexity_gate_counts_past_radons_grades(tmp_path):
    from scripts.complexity import over

    (tmp_path / "fifteen.py").write_text(_function_of_complexity(15))
    method = "class C:\n    " + _function_of_complexity(16).replace("\n", "\n    ")
    nested = "def outer():\n    " + _function_of_complexity(17).replace("\n", "\n    ") + "return f\n"
    (tmp_path / "over.py").write_text(method.rstrip() + "\n\n\n" + nested)
    assert sorted(line.split(" ", 1)[1] for line in over([tmp_path])) == ["f (16)", "f (17)"]


def test_no_function_over_complexity_15():
    from scripts.complexity import over

    found = over([ROOT / room for room in (*PACKAGES, "tests")])
    assert not found, "\n".join(found)
