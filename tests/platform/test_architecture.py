"""The shape of the code, checked: no import circle among the app's modules (function-local
imports count too), no module over 500 lines (data files aside), and the dashboard's pages and
callbacks lay out what a read model returns — they import neither the services nor the database.

The same check from the command line: ``.venv/bin/python tests/platform/test_architecture.py``.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("backend", "dashboard")
MAX_LINES = 500
DATA_FILES = {"backend/demo/content.py"}  # the demo companies, in words and numbers

pytestmark = pytest.mark.no_db


def modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    if level == 0:
        return name or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([name] if name else []))


def import_graph() -> dict[str, set[str]]:
    """module -> the app modules it imports, anywhere in its body."""
    mods = modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for module, path in mods.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(module, is_package, node.level, node.module)
                subs = [f"{base}.{a.name}" for a in node.names]
                known = [t for t in subs if t in mods]
                # "from package import module" imports the module; "from module import name" the module.
                targets = known + ([base] if len(known) < len(subs) else [])
            for target in targets:
                while target and target not in mods:
                    target = target.rpartition(".")[0]
                if target and target != module:
                    graph[module].add(target)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def test_no_import_circle_among_the_apps_modules():
    assert import_cycles(import_graph()) == []


def test_the_checker_finds_a_circle():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


PAGE_MODULES = ("dashboard", "dashboard.pages")  # the router and the pages with their callbacks
FORBIDDEN_FOR_PAGES = ("backend.services", "backend.extensions", "backend.models")


def test_pages_and_callbacks_import_neither_services_nor_the_database():
    graph = import_graph()
    offending = {module: sorted(t for t in targets if t.startswith(FORBIDDEN_FOR_PAGES))
                 for module, targets in graph.items()
                 if module == PAGE_MODULES[0] or module.startswith(PAGE_MODULES[1])}
    assert {m: t for m, t in offending.items() if t} == {}


def test_no_module_is_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in modules().values()
            if (n := len(p.read_text().splitlines())) > MAX_LINES and str(p.relative_to(ROOT)) not in DATA_FILES}
    assert long == {}


if __name__ == "__main__":
    found = import_cycles(import_graph())
    for cycle in found:
        print("import circle:", " -> ".join(cycle))
    print(f"{len(modules())} modules, {len(found)} import circles")
    raise SystemExit(1 if found else 0)
