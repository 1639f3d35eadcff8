"""A reader can take any function in at once: none runs over ~60 lines unless its docstring says
why it is long (a table, a protocol that must not be split, a training loop kept in order)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted([*ROOT.glob("robustpose/**/*.py"), *ROOT.glob("stages/*.py"), *ROOT.glob("studies/*.py")])
LIMIT = 60
REASONS = ("Long ", "on purpose")


def long_functions(path: Path) -> list[str]:
    """``name (lines)`` of every function over ``LIMIT`` lines whose docstring gives no reason."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            doc = ast.get_docstring(node) or ""
            if length > LIMIT and not any(r in doc for r in REASONS):
                out.append(f"{node.name} ({length} lines)")
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_long_function_without_a_reason(path):
    assert not long_functions(path), f"{path.relative_to(ROOT)}: split or say why in the docstring"


def test_the_check_sees_a_long_function(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    (tmp_path / "m.py").write_text(f'def f():\n    """Short doc."""\n{body}\n')
    assert long_functions(tmp_path / "m.py") == [f"f ({LIMIT + 2} lines)"]
