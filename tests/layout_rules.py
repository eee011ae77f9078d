"""The declared import direction of gsctl's packages, and a checker for it.

Imports point down the pipeline::

    cli -> export, render -> reconcile -> manifests -> flows -> api -> core (model, errors)

``LAYERS`` says, per package, which packages it may import. Every ``import`` and
``from ... import`` counts, including those inside functions and under ``TYPE_CHECKING``.
The checker also refuses import cycles between modules, and any import of the emulator
from outside ``cli`` (the emulator itself may import only the kinds table).

Run it by hand with ``python tests/layout_rules.py`` (prints each violation, exits 1);
``tests/project/test_layout.py`` runs it in CI.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

CORE = "core"  # gsctl/__init__.py, model.py, errors.py

LAYERS: dict[str, frozenset[str]] = {
    CORE: frozenset({CORE}),
    "api": frozenset({"api", CORE}),
    "flows": frozenset({"flows", "api", CORE}),
    "manifests": frozenset({"manifests", "flows", "api", CORE}),
    "reconcile": frozenset({"reconcile", "manifests", "flows", "api", CORE}),
    "render": frozenset({"render", "reconcile", CORE}),
    "export": frozenset({"export", "reconcile", "manifests", "flows", "api", CORE}),
    "cli": frozenset(
        {"cli", "emulator", "export", "render", "reconcile", "manifests", "flows", "api", CORE}
    ),
    # The emulator is a separate program: its own modules plus the kinds table.
    "emulator": frozenset({"emulator"}),
}
# Single modules a package may import although their package is not in its layer list.
EXTRA_MODULES: dict[str, frozenset[str]] = {"emulator": frozenset({"gsctl.api.kinds"})}
# Who may import the emulator at all (besides itself).
EMULATOR_USERS = frozenset({"cli", "emulator"})


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def package_of(module: str) -> str:
    """``gsctl.reconcile.plan`` -> ``reconcile``; top-level modules are ``core``."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in LAYERS:
        return parts[1]
    if module == "gsctl.__main__":
        return "cli"
    return CORE


def module_names(root: Path) -> dict[str, Path]:
    """Every module under ``root`` (the folder that holds ``gsctl/``), by dotted name."""
    out = {}
    for path in sorted((root / "gsctl").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int]]:
    """The gsctl modules ``module`` imports, with line numbers (nested imports too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.startswith("gsctl")]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, is_package, node)
            if not base.startswith("gsctl"):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((sub if sub in known else base, node.lineno))
    return sorted(set(found))


def check(root: Path) -> list[Violation]:
    """Every wrong-way import and every import cycle under ``root``/gsctl."""
    known = module_names(root)
    graph: dict[str, set[str]] = {m: set() for m in known}
    out: list[Violation] = []
    for module, path in known.items():
        rel = str(path.relative_to(root))
        mine = package_of(module)
        for target, line in imports_of(module, path, known):
            graph[module].add(target)
            theirs = package_of(target)
            if theirs == "emulator" and mine not in EMULATOR_USERS:
                out.append(Violation(rel, line, f"{module} imports the emulator ({target})"))
            elif theirs not in LAYERS[mine] and target not in EXTRA_MODULES.get(mine, ()):
                allowed = ", ".join(sorted(LAYERS[mine]))
                out.append(
                    Violation(
                        rel,
                        line,
                        f"{module} ({mine}) imports {target} ({theirs}); {mine} may import "
                        f"only: {allowed}",
                    )
                )
    out += [Violation(str(known[c[0]].relative_to(root)), 1, _cycle_text(c)) for c in cycles(graph)]
    return out


def _cycle_text(cycle: list[str]) -> str:
    return "import cycle: " + " -> ".join([*cycle, cycle[0]])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One representative cycle per strongly connected component of more than one module
    (package ``__init__`` edges to their own submodules are not cycles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def edges(node: str) -> list[str]:
        # An __init__ importing its own submodules is how packages re-export; not a cycle.
        return [t for t in graph.get(node, ()) if t in graph and not t.startswith(node + ".")]

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges(node):
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


if __name__ == "__main__":
    problems = check(Path(__file__).resolve().parents[1])
    for problem in problems:
        print(problem)
    print(f"{len(problems)} import violation(s)")
    sys.exit(1 if problems else 0)
