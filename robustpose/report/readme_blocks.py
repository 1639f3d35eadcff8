"""Generated tables quoted in the README, kept identical to the files the pipeline writes.

A number copied into the README by hand drifts the next time ``dvc repro`` runs. The README
therefore quotes a generated table only between two markers::

    <!-- generated: reports/attack/tables/findings_synthetic.md -->
    ...the file's content, verbatim...
    <!-- end generated -->

``python -m robustpose.report.readme_blocks`` rewrites every such block from its file (run it
after ``dvc repro``), and the test suite fails while any block differs from its file, so a
committed README cannot disagree with the committed results.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from robustpose._io import write_text_atomic

BLOCK = re.compile(r"(<!-- generated: (?P<path>[^ >]+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S)


def _content(root: Path, rel: str) -> str:
    path = root / rel
    if not path.is_file():
        raise FileNotFoundError(f"README quotes {rel}, which does not exist (run dvc repro, or fix the marker)")
    text = path.read_text()
    return text if text.endswith("\n") else text + "\n"


def stale_blocks(readme: str, root: str | Path) -> list[str]:
    """Paths of the generated files whose README block differs from the file (empty: all current)."""
    return [m["path"] for m in BLOCK.finditer(readme) if m["body"] != _content(Path(root), m["path"])]


def quoted_files(readme: str) -> list[str]:
    """Every generated file the README quotes, in order."""
    return [m["path"] for m in BLOCK.finditer(readme)]


def sync(readme: str, root: str | Path) -> str:
    """``readme`` with every generated block replaced by its file's current content."""
    return BLOCK.sub(lambda m: m[1] + _content(Path(root), m["path"]) + m[4], readme)


def main(argv: list[str] | None = None) -> None:
    """Rewrite README.md (or the file given) in place from the generated files it quotes."""
    args = sys.argv[1:] if argv is None else argv
    readme = Path(args[0] if args else "README.md")
    text = readme.read_text()
    stale = stale_blocks(text, readme.parent)
    if stale:
        write_text_atomic(readme, sync(text, readme.parent))
    print(f"{readme}: {len(quoted_files(text))} generated blocks, {len(stale)} rewritten: {', '.join(stale) or '-'}")


if __name__ == "__main__":
    main()
