"""Every stage's dvc.yaml deps cover every project module its script imports (transitively,
lazy imports inside functions included), so `dvc status` never calls an output up to date whose
code changed. Static: the imports are read from the source with ``ast``, nothing is run."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "robustpose"


def _module_file(name: str) -> Path | None:
    """robustpose.a.b -> robustpose/a/b.py or robustpose/a/b/__init__.py (None if not ours)."""
    if name == "_common":
        return ROOT / "stages" / "_common.py"
    if name != PACKAGE and not name.startswith(PACKAGE + "."):
        return None
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _import_names(node: ast.AST, path: Path) -> list[str]:
    """Dotted module names one import statement loads (``from pkg import mod`` names ``pkg.mod``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:   # relative import
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        parts = parts[:-1] if path.name != "__init__.py" else parts[:-1]
        parts = parts[: len(parts) - node.level + 1]
        base = ".".join(parts + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    return [base] + [f"{base}.{a.name}" for a in node.names]


def _files(names: list[str]) -> set[Path]:
    """Project files of module names, with the packages above them (their __init__ runs too)."""
    found: set[Path] = set()
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            file = _module_file(".".join(parts[:i]))
            if file is not None:
                found.add(file)
    return found


def _imports(path: Path, helpers: set[str] | None = None) -> set[Path]:
    """Project files ``path`` imports. For the stages' shared ``_common.py``, imports inside
    functions count only for the helpers the stage calls (``helpers``): each helper imports
    what it needs lazily, so a stage that never asks for the attack grid does not run its code."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    if helpers is None:
        for node in ast.walk(tree):
            names += _import_names(node, path)
    else:
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                if node.name in helpers:
                    names += [n for sub in ast.walk(node) for n in _import_names(sub, path)]
            else:
                names += [n for sub in ast.walk(node) for n in _import_names(sub, path)]
    return _files(names)


def _helpers_called(script: Path) -> set[str]:
    """Names the script uses from ``_common`` (``C.name`` or ``from _common import name``), and
    the helpers those call in turn."""
    tree = ast.parse(script.read_text())
    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name) and n.value.id == "C"}
    used |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "_common"
             for a in n.names}
    common = ast.parse((ROOT / "stages" / "_common.py").read_text())
    bodies = {n.name: n for n in common.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    todo = list(used)
    while todo:
        body = bodies.get(todo.pop())
        for call in (ast.walk(body) if body else ()):
            if isinstance(call, ast.Name) and call.id in bodies and call.id not in used:
                used.add(call.id)
                todo.append(call.id)
    return used


def imported_files(script: Path) -> set[Path]:
    """The script and every project file it imports, transitively."""
    helpers = _helpers_called(script)
    common = ROOT / "stages" / "_common.py"
    seen: set[Path] = set()
    todo = [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo.extend(_imports(path, helpers if path == common else None) - seen)
    return seen


def _stages() -> list[tuple[str, Path, list[str]]]:
    """(stage name, script, static deps) of every dvc.yaml stage that runs a stages/ script."""
    dvc = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    out = []
    for name, stage in dvc["stages"].items():
        body = stage.get("do", stage)
        match = re.search(r"python (stages/\w+\.py)", str(body["cmd"]))
        if not match:
            continue
        deps = [d for d in body.get("deps", []) if "${" not in str(d)]
        out.append((name, ROOT / match.group(1), deps))
    return out


def _only_a_docstring(path: Path) -> bool:
    body = [n for n in ast.parse(path.read_text()).body
            if not (isinstance(n, ast.ImportFrom) and n.module == "__future__")]
    return all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in body)


def uncovered(script: Path, deps: list[str]) -> list[str]:
    """Imported project files no dep (a file, or a directory above it) covers."""
    dep_paths = [(ROOT / d).resolve() for d in deps]
    missing = []
    for file in sorted(imported_files(script)):
        if file == ROOT / PACKAGE / "__init__.py" and _only_a_docstring(file):
            continue   # the package root runs no code: nothing a stage computes depends on it
        if not any(file == d or d in file.parents for d in dep_paths):
            missing.append(str(file.relative_to(ROOT)))
    return missing


@pytest.mark.parametrize("name, script, deps", _stages(), ids=[s[0] for s in _stages()])
def test_stage_deps_cover_every_imported_module(name, script, deps):
    missing = uncovered(script, deps)
    assert not missing, f"dvc.yaml stage {name!r}: add to deps (imported by {script.name}): {missing}"


def test_the_check_catches_an_undeclared_module(tmp_path):
    """A stage whose deps leave out a module it imports is reported (the check can fail)."""
    script = ROOT / "stages" / "evaluate.py"
    deps = ["stages/evaluate.py", "stages/_common.py", "robustpose/evaluate", "robustpose/models", "robustpose/data"]
    missing = uncovered(script, deps)
    assert "robustpose/corrupt/__init__.py" in missing or any(m.startswith("robustpose/corrupt") for m in missing)
    assert "robustpose/_io.py" in missing
    assert not any(m.startswith("robustpose/models/") for m in missing)


def test_lazy_imports_count_for_the_helpers_a_stage_calls():
    """``_common.attack_grid`` imports the attack grid inside the function: it is a dep of the
    attack stage, which calls it, and not of prepare, which does not."""
    grid = ROOT / "robustpose" / "attack" / "grid.py"
    assert grid in imported_files(ROOT / "stages" / "attack.py")
    assert grid not in imported_files(ROOT / "stages" / "prepare.py")
    assert ROOT / "robustpose" / "corrupt" / "registry.py" in imported_files(ROOT / "stages" / "evaluate.py")
