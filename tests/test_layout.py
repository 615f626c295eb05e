"""The package's import graph runs one way, and ``import model`` stays light.

Every import statement of every module under ``model/`` counts, including those inside
functions and ``TYPE_CHECKING`` blocks.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from paths import ROOT

PACKAGE = ROOT / "model"
# Lower layers never import higher ones (same layer: allowed, if acyclic).
LAYERS = [
    ("model.errors", "model.atomic"),
    ("model.priors",),
    ("model.evidence",),
    ("model.inference",),
    ("model.triage",),
    ("model.results",),
    ("model.analysis",),
    ("model.api",),
    ("model",),
    ("model.interfaces",),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """The model modules ``name`` imports, resolved to modules (not the names inside them)."""
    tree = ast.parse(MODULES[name].read_text())
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


GRAPH = {name: imports_of(name) for name in MODULES}


def layer(name: str) -> int:
    best = max(
        (len(p), i)
        for i, ps in enumerate(LAYERS)
        for p in ps
        if name == p or name.startswith(p + ".")
    )
    return best[1]


def test_the_walk_sees_imports_inside_functions() -> None:
    assert "model.inference.pgmpy_adapter" in GRAPH["model.api"]  # imported lazily in api
    assert "model.analysis.batch" in GRAPH["model.api"]


def test_no_import_cycle() -> None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)


def test_imports_run_one_way() -> None:
    upward = [
        f"{a} imports {b}"
        for a, targets in sorted(GRAPH.items())
        for b in sorted(targets)
        if layer(b) > layer(a)
    ]
    assert not upward, upward


def test_import_model_does_not_load_pgmpy_pandas_scipy_or_numba() -> None:
    code = (
        "import sys, model; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pgmpy', 'pandas', 'scipy', 'sklearn', 'torch', 'numba'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
