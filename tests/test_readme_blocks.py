"""The README quotes generated tables only verbatim: a stale copy fails here, not in a reader's hands."""
from __future__ import annotations

from pathlib import Path

import pytest

from robustpose.report.readme_blocks import main, quoted_files, stale_blocks, sync

ROOT = Path(__file__).resolve().parents[1]


def test_committed_readme_quotes_the_committed_tables():
    readme = (ROOT / "README.md").read_text()
    assert "reports/tables/table1_synthetic.md" in quoted_files(readme)
    assert stale_blocks(readme, ROOT) == [], "run: python -m robustpose.report.readme_blocks"


def test_sync_rewrites_only_the_block(tmp_path):
    (tmp_path / "t.md").write_text("| a |\n| 2 |\n")
    text = "intro\n<!-- generated: t.md -->\n| a |\n| 1 |\n<!-- end generated -->\noutro 1\n"
    assert stale_blocks(text, tmp_path) == ["t.md"]
    fixed = sync(text, tmp_path)
    assert fixed == "intro\n<!-- generated: t.md -->\n| a |\n| 2 |\n<!-- end generated -->\noutro 1\n"
    assert stale_blocks(fixed, tmp_path) == []
    (tmp_path / "README.md").write_text(text)
    main([str(tmp_path / "README.md")])
    assert (tmp_path / "README.md").read_text() == fixed


def test_missing_generated_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="gone.md"):
        stale_blocks("<!-- generated: gone.md -->\nx\n<!-- end generated -->\n", tmp_path)
