"""No function in assistant/answer/ is over 60 lines (its def line to its last line): a reader sees each whole."""

from __future__ import annotations

import ast
from pathlib import Path

import assistant.answer

MAX_LINES = 60
ANSWER = Path(assistant.answer.__file__).parent


def _sizes() -> dict[str, int]:
    sizes: dict[str, int] = {}
    for path in sorted(ANSWER.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno is not None
                sizes[f"{path.name}:{node.lineno} {node.name}"] = node.end_lineno - node.lineno + 1
    return sizes


def test_the_walk_sees_the_answer_layers_functions():
    sizes = _sizes()
    assert any(name.startswith("check.py:") and name.endswith(" check_answer") for name in sizes)
    assert len(sizes) > 100


def test_no_function_in_the_answer_layer_is_over_60_lines():
    long = {name: n for name, n in _sizes().items() if n > MAX_LINES}
    assert not long, f"functions over {MAX_LINES} lines: {long}"
