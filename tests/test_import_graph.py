"""The import graph of raytune_ms/ and actors/ has no cycles between files, and the core never
imports Ray or actors/.

Every .py file is parsed with `ast`; each import (also inside functions, relative ones resolved)
is an edge to the module it names, `from pkg import x` is an edge to `pkg.x` when that is a
module, and a name a package re-exports (`from ..tir import Var`) is an edge to the file its
`__init__.py` takes it from. Cycles are strongly connected components of more than one file.
Edges into an `__init__.py` itself are left out of the cycle search: a package importing its
submodules to re-export them would otherwise close a cycle with every submodule that imports a
sibling through the package, and such a cycle is only an artefact of re-exporting.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("raytune_ms", "actors")


def _modules() -> dict:
    """module name -> path of every .py file under PACKAGES."""
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _resolve(name: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    """The absolute module name of a `from ... import` statement in module `name`."""
    if not node.level:
        return node.module
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _reexports(modules: dict) -> dict:
    """package -> {name: submodule it is imported from} for every package's `__init__.py`."""
    out = {}
    for m, path in modules.items():
        if path.name != "__init__.py":
            continue
        names = {}
        for node in ast.parse(path.read_text(), str(path)).body:
            if isinstance(node, ast.ImportFrom):
                source = _resolve(m, True, node)
                if source in modules:
                    names.update((a.asname or a.name, source) for a in node.names)
        out[m] = names
    return out


def _imports(name: str, path: Path, modules: dict, reexports: dict) -> set:
    """Names of the modules (among `modules`, or top-level names otherwise) `name` imports."""
    is_pkg = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), str(path))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(name, is_pkg, node)
            out.add(target)
            for a in node.names:
                sub = f"{target}.{a.name}"
                if sub in modules:
                    out.add(sub)
                elif a.name in reexports.get(target, {}):
                    out.add(reexports[target][a.name])
    return out


def _graph() -> tuple:
    modules = _modules()
    reexports = _reexports(modules)
    return modules, {m: _imports(m, p, modules, reexports) for m, p in modules.items()}


def _cycles(modules: dict, edges: dict) -> list:
    """Strongly connected components of size > 1 (Tarjan), re-export edges left out."""
    graph = {m: sorted(t for t in ts if t in modules and t != m and modules[t].name != "__init__.py")
             for m, ts in edges.items()}
    index, low, stack, on, comps = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(comps)


def test_no_import_cycles_between_files():
    modules, edges = _graph()
    cycles = _cycles(modules, edges)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_cycle_finder_sees_a_cycle():
    modules = {"a": Path("a.py"), "b": Path("b.py"), "c": Path("c.py")}
    assert _cycles(modules, {"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_core_imports_neither_ray_nor_actors():
    modules, edges = _graph()
    bad = sorted(f"{m} imports {t}" for m, ts in edges.items() if m.startswith("raytune_ms")
                 for t in ts if t.split(".")[0] in ("ray", "actors"))
    assert not bad, "\n".join(bad)
