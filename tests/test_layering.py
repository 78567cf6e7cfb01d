"""Imports between the package's modules: no cycle, and no import inside a function that hides one.

A function-level import is allowed to defer an optional or heavy dependency (torch, faiss, llama-cpp, gradio,
matplotlib, the index builder); it must never be the only thing that keeps two modules from importing each other.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "assistant"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> tuple[dict[str, set[str]], list[tuple[str, int, set[str]]]]:
    """Module-level imports between package modules, and the imports made inside functions (module, line,
    targets). ``from pkg import sub`` counts as importing ``pkg.sub``; TYPE_CHECKING blocks are skipped."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    top: dict[str, set[str]] = {m: set() for m in modules}
    local: list[tuple[str, int, set[str]]] = []

    def targets(node: ast.Import | ast.ImportFrom) -> set[str]:
        if isinstance(node, ast.Import):
            return {a.name for a in node.names if a.name in modules}
        if not node.module:
            return set()
        subs = {f"{node.module}.{a.name}" for a in node.names}
        found = {s for s in subs if s in modules}
        return found if found == subs else found | ({node.module} & modules.keys())

    def visit(module: str, node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                if in_function:
                    local.append((module, child.lineno, targets(child)))
                else:
                    top[module] |= targets(child)
            visit(module, child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    for module, path in modules.items():
        visit(module, ast.parse(path.read_text(encoding="utf-8")), False)
    return top, local


def _reaches(top: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, stack = set(), [start]
    while stack:
        for nxt in top.get(stack.pop(), ()):
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


def test_no_module_level_import_cycle() -> None:
    top, _ = _graph()
    assert len(top) > 80  # the walk found the package
    assert [m for m in top if _reaches(top, m, m)] == []


def test_no_function_level_import_hides_a_cycle() -> None:
    top, local = _graph()
    assert local  # there are deferred imports to check
    hidden = [f"{m}:{line} -> {t}" for m, line, ts in local for t in ts if t != m and _reaches(top, t, m)]
    assert hidden == []


@pytest.mark.parametrize("module", ["assistant.eval.report", "assistant.eval.records", "assistant.eval.runner",
                                    "assistant.corpus.fetch.http", "assistant.corpus.manifest",
                                    "assistant.corpus.cache"])
def test_each_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
