"""The house: floors, public faces and the top-level namespace (docs/architecture.md).

Read from the source with ``ast``, so a violation is found whether or not the code path runs:
every import, at module level or inside a function, is an edge of the graph.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bifwatch

ROOT = Path(bifwatch.__file__).parent

#: Floors from the ground up; a module may import from its own floor's package or below.
FLOORS = {
    "_json": 0, "_validation": 0, "_progress": 0, "_format": 0, "sweep": 0,
    "models": 1,
    "metrics": 2,
    "datasets": 2,
    "search": 2,
    "bifurcations": 3, "ghosts": 3,
    "training": 4,
    "studies": 5, "studies.toy": 5, "studies.lowrank": 5, "studies.loss_jumps": 5,
    "studies.demo": 5,
    "monitor": 5,
    "plotting": 6,
    "cli": 7, "__main__": 7,
}
STUDIES = ("studies.toy", "studies.lowrank", "studies.loss_jumps", "studies.demo")
#: Packages on one floor that must not lean on each other.
SIBLINGS_APART = {("bifurcations", "ghosts"), ("ghosts", "bifurcations"),
                  # each study stands alone, but the demo trains the loss-jumps study's student
                  *({(a, b) for a in STUDIES for b in STUDIES if a != b}
                    - {("studies.demo", "studies.loss_jumps")}),
                  *{("monitor", b) for b in STUDIES}}  # the studies use the monitor, never the reverse


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path):
    """(target module, imported names, enclosing function or None) of every bifwatch import."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target.split(".")[0] == "bifwatch":
                    for alias in child.names:
                        sub = f"{target}.{alias.name}"
                        found.append((sub if sub in MODULES else target, alias.name, function))
            elif isinstance(child, ast.Import):
                found.extend((a.name, a.name, function) for a in child.names if a.name.startswith("bifwatch"))
            visit(child, inner)

    visit(tree, None)
    return found


def _package(module: str) -> str:
    """The package a module belongs to; each study is a package of its own."""
    parts = module.split(".")
    if len(parts) > 2 and parts[1] == "studies":
        return ".".join(parts[1:3])
    return parts[1] if len(parts) > 1 else ""


EDGES = [(m, t, n, f) for m, p in MODULES.items() for t, n, f in _imports(m, p)]


def test_every_package_has_a_floor():
    assert {_package(m) for m in MODULES} - {""} <= set(FLOORS)


def test_no_import_runs_up_a_floor():
    """Module-level imports go down; the one way up is a result's ``plot`` asking for its figure."""
    wrong = []
    for module, target, _, function in EDGES:
        a, b = _package(module), _package(target)
        if not a or not b or a == b:
            continue
        up = FLOORS[b] > FLOORS[a] or (a, b) in SIBLINGS_APART
        if up and not (b == "plotting" and function is not None and function.startswith("plot")):
            wrong.append(f"{module} -> {target} (in {function or 'module'})")
    assert wrong == []


def test_no_import_circle():
    """Not even through function-level imports: the figures never import what they draw."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, target, _, _ in EDGES:
        if target in MODULES and target != module and target != "bifwatch":
            graph[module].add(target)
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node):
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                raise AssertionError("import circle: " + " -> ".join([*stack[stack.index(nxt):], nxt]))
            if nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module)


def test_no_private_module_of_another_package():
    wrong = []
    for module, target, _, _ in EDGES:
        a, b = _package(module), _package(target)
        private = any(part.startswith("_") for part in target.split(".")[1 + b.count(".") + 1:])
        if a != b and private and not b.startswith("_"):
            wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_plotting_imports_no_analysis():
    """A figure draws what it is given: plotting takes only models and the small utilities."""
    allowed = {"plotting", "models", "_validation", "_json", "_format"}
    wrong = [f"{m} -> {t}" for m, t, _, _ in EDGES
             if _package(m) == "plotting" and _package(t) not in allowed]
    assert wrong == []


@pytest.mark.parametrize("package", sorted({m for m, p in MODULES.items() if p.name == "__init__.py"}))
def test_every_package_lists_its_public_names(package):
    """``__all__`` names exactly what the package re-exports, and every name exists."""
    module = __import__(package, fromlist=["__all__"])
    tree = ast.parse(MODULES[package].read_text())
    exported = {a.asname for node in tree.body if isinstance(node, ast.ImportFrom)
                for a in node.names if a.asname}
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)}
    assert hasattr(module, "__all__"), f"{package} has no __all__"
    assert exported <= set(module.__all__) <= exported | defined
    assert all(hasattr(module, name) for name in module.__all__)


def test_top_level_holds_the_core_only():
    """Models, search, bifurcations, slow points, the Monitor: no study names, no figures, no plumbing."""
    names = set(bifwatch.__all__)
    assert {"PLRNN", "find_cycles", "bifurcation_diagram", "parameter_map", "exact_slow_points",
            "find_slow_points", "SlowPoints", "load_model"} <= names
    studies = {n for pkg in STUDIES for n in __import__(f"bifwatch.{pkg}", fromlist=["__all__"]).__all__}
    assert names & studies == set()
    assert not any(n.startswith(("toy_", "plot_")) for n in names)
    assert len(names) <= 45
