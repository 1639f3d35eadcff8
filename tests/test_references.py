"""Every file the code and documents point a reader to exists in the repository.

A clone has no ``../shared`` (papers, the source list, real-data samples), so nothing outside the
tests that skip without it may cite it; and a docstring naming ``tests/test_x.py`` or
``notes/x.md`` that was renamed sends the reader nowhere.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [*ROOT.glob("robustpose/**/*.py"), *ROOT.glob("stages/*.py"), *ROOT.glob("benchmarks/*.py"),
           *ROOT.glob("studies/*.py"), *ROOT.glob("notes/*.md"), *ROOT.glob("configs/*.yaml"),
           ROOT / "README.md", ROOT / "DESIGN.md", ROOT / "Makefile", ROOT / "dvc.yaml", ROOT / "params.yaml",
           ROOT / ".ci" / "run"]
# a path into one of the source trees, one of our (flat) configs, or a top-level document;
# mmpose's own ``configs/<task>/...`` paths have subdirectories and are not ours
PATH = re.compile(r"(?<![\w/.-])((?:robustpose|stages|tests|benchmarks|studies|notes)/[\w./-]*\w"
                  r"|configs/[\w.-]+\.ya?ml(?![\w/])|(?:DESIGN|README|STYLE)\.md)")
OUTSIDE = re.compile(r"\.\./shared|SOURCES\.yaml|shared/realdata")


def _text(path: Path) -> str:
    return path.read_text(errors="replace")


@pytest.mark.parametrize("path", [p for p in SOURCES if p.is_file()], ids=lambda p: str(p.relative_to(ROOT)))
def test_no_reference_outside_the_repository(path):
    hits = [ln for ln in _text(path).splitlines() if OUTSIDE.search(ln)]
    assert not hits, f"{path.relative_to(ROOT)} cites files a clone does not have: {hits[:3]}"


@pytest.mark.parametrize("path", [p for p in SOURCES if p.is_file()], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_cited_source_file_exists(path):
    missing = []
    for token in PATH.findall(_text(path)):
        token = token.rstrip(".")
        if any(c in token for c in "<{*$") or token.endswith(("/", "_")):
            continue
        candidates = [ROOT / token, ROOT / token.split("::")[0]]
        if not any(c.exists() for c in candidates) and not (ROOT / (token + ".py")).exists():
            missing.append(token)
    assert not missing, f"{path.relative_to(ROOT)} cites files that do not exist: {sorted(set(missing))}"


def test_the_check_sees_a_missing_file(tmp_path):
    assert PATH.findall("see notes/nowhere.md and robustpose/portable.py") == ["notes/nowhere.md",
                                                                              "robustpose/portable.py"]
    assert OUTSIDE.search("transcribed from ../shared/SOURCES.yaml")
