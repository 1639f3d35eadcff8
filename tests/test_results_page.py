"""The results page (reports/index.html): what it shows, built from the committed outputs, and
how it behaves in a real browser (headless Chromium, network blocked)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from robustpose.report import html as H
from browser import Browser, require_chromium
from conftest import load_script
from robustpose.report.site import DATA_FILES, build_page, classify, stage_freshness

ROOT = Path(__file__).resolve().parents[1]
# committed outputs the page reads (the figures and checkpoints are DVC-cached, made below)
COMMITTED = ["reports/tables", "reports/attack/tables", "reports/lift/tables", "reports/grids", "reports/spread",
             "reports/results.csv", "reports/attack/metrics.json", "results/lift/metrics.json", "results/metrics"]
FIGURES = ["reports/figures/ap_vs_severity_synthetic.png", "reports/figures/corruptions_synthetic.png",
           "reports/figures/posebench_mrr_vs_clean_synthetic_animals.png",   # a long caption on a phone
           "reports/attack/figures/figure2_synthetic.png", "reports/lift/figures/lift_skeleton.png"]


def _tracked(rel: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", rel], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return out.split()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A tree with the committed tables and metrics, small generated figures, a training log."""
    root = tmp_path_factory.mktemp("site")
    for top in COMMITTED:
        for rel in _tracked(top):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, root / rel)
    rng = np.random.default_rng(0)
    for rel in FIGURES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / rel), rng.integers(0, 255, (60, 90, 3), dtype=np.uint8))
    log = root / "results/train/simplebaseline_r18/plots/metrics/loss.tsv"
    log.parent.mkdir(parents=True)
    log.write_text("step\tloss\n50\t0.011\n100\t0.0076\n150\t0.0063\n")
    (root / "params.yaml").write_text("seed: 0\n")
    load_script("stages/headline.py").main([   # the headline metrics, as the stage writes them
        "--results", str(root / "reports/results.csv"), "--metrics", str(root / "results/metrics"),
        "--attack", str(root / "reports/attack/metrics.json"), "--lift", str(root / "results/lift/metrics.json"),
        "--out", str(root / "metrics"), "--plots-dir", str(root / "reports/plots")])
    out = root / "reports" / "index.html"
    out.write_text(build_page(root, out))
    return root


def test_known_outputs_land_in_their_paper_section():
    assert classify("reports/tables/table1_coco.csv")[:2] == ("Wang et al.: COCO-C style robustness",
                                                             "Table 1: clean AP, mPC and rPC on coco-C")
    assert classify("reports/tables/advmix_corruptions_coco.csv")[0] == "AdvMix"
    assert classify("reports/tables/posebench_ap10k.csv")[0] == "PoseBench"
    assert classify("reports/attack/figures/figure2_mpii.png")[0] == "Adversarial attacks"
    assert classify("reports/lift_video/hrnet/tables/lift_table.csv")[0] == "3D lifting: Human3.6M-C"
    assert classify("reports/tables/something_new.csv")[:2] == ("Other outputs", "something new")


def test_every_committed_table_and_figure_is_on_the_page(site):
    page = (site / "reports/index.html").read_text()
    csvs = [p for p in site.rglob("*.csv") if "reports" in p.relative_to(site).parts[:1]]
    assert len(csvs) > 20
    for csv in csvs:
        href = csv.relative_to(site / "reports")
        assert f'href="{href.as_posix()}"' in page, f"{csv.relative_to(site)} is not linked"
    for rel in FIGURES:
        assert f'src="{Path(rel).relative_to("reports").as_posix()}"' in page, rel
    tables = re.findall(r"<table class=\"sortable\" id=\"([^\"]+)\"", page)
    assert len(tables) == len(set(tables)), "table ids must be unique"
    md_only = [p for p in site.rglob("*.md") if not p.with_suffix(".csv").exists()]
    data = {site / rel for _, rel in DATA_FILES}   # linked from the overview, too long to show
    assert len(tables) == len(set(csvs) - data) + 2   # + the two headline tables; markdown-only files are text
    assert md_only and all(f'href="{p.relative_to(site / "reports").as_posix()}"' in page for p in md_only)


def test_the_page_needs_no_network_and_says_where_its_numbers_come_from(site):
    page = (site / "reports/index.html").read_text()
    assert not re.search(r"(src|href)=\"(https?:)?//", page), "no request may leave the machine"
    assert "<script src" not in page and "@import" not in page
    for words in ("Provenance", "params.yaml sha256", "machine", "Models", "training loss", "sha256"):
        assert words in page, words
    # the model card of a trained model draws its loss curve inline
    assert re.search(r'<svg viewBox="0 0 320 120" role="img" aria-label="training loss">', page)


def test_stage_freshness_compares_with_the_committed_lock():
    committed = {"stages": {"a": {"outs": [{"md5": "1"}]}, "b": {"outs": [{"md5": "2"}]}}}
    workspace = {"stages": {"a": {"outs": [{"md5": "1"}]}, "b": {"outs": [{"md5": "3"}]}, "c": {"cmd": "x"}}}
    assert stage_freshness(workspace, committed) == {"a": False, "b": True, "c": True}


def test_markdown_nests_lists_and_escapes():
    out = H.markdown("- **Worst** `x`\n  - a <b>\n- c\n\nplain")
    assert out.count("<ul>") == out.count("</ul>") == 2
    assert "<strong>Worst</strong> <code>x</code>" in out and "a &lt;b&gt;" in out and "<p>plain</p>" in out


def test_table_marks_numbers_and_shows_missing_values_as_a_dash():
    out = H.table(pd.DataFrame({"model": ["a", "b"], "AP": [0.5, float("nan")]}), "t")
    assert '<th scope="col" class="num">AP</th>' in out and "<td>-</td>" not in out.split("</tr>")[1]
    assert '<td class="num">-</td>' in out and '<td class="num">0.5</td>' in out


def test_the_page_in_a_real_browser(site, tmp_path):
    """Headless Chromium opens the page from disk with the network blocked: nothing tries to leave
    the machine, every image decodes, every table has rows, no console error, the top is not
    blank; on a phone the page does not scroll sideways (wide tables scroll in their own box).
    The desktop screenshot is kept as a test artefact: .artifacts/results_page_top.png."""
    require_chromium()
    artefact = ROOT / ".artifacts" / "results_page_top.png"
    artefact.parent.mkdir(exist_ok=True)
    page = site / "reports" / "index.html"
    with Browser() as browser:
        desk = browser.inspect(page, artefact, width=1280, height=900)
        phone = browser.inspect(page, tmp_path / "phone.png", width=390, height=844, mobile=True)
    for report in (desk, phone):
        assert report.external_requests == [] and report.external_loaded == []
        assert not report.errors, report.errors
    assert len(desk.images) == len(FIGURES) and not desk.broken_images, desk.broken_images
    assert len(desk.tables) > 20 and all(t.body_rows > 0 for t in desk.tables), [t for t in desk.tables if not t.body_rows]
    assert not desk.screenshot_blank and desk.title == "robustpose results"
    assert phone.fits_viewport, (phone.scroll_width, phone.client_width)


def test_sorting_a_table_in_the_browser(tmp_path):
    """A click on a numeric column sorts its rows by value (not as text: 10 after 9)."""
    require_chromium()
    page = tmp_path / "t.html"
    df = pd.DataFrame({"model": ["a", "b", "c"], "AP": [9.0, 10.0, 2.5]})
    page.write_text(H.page("t", "", [("Sorting", H.table(df, "t"))]))
    script = ("document.querySelector('#t thead th:nth-child(2)').click();"
              "Array.from(document.querySelectorAll('#t tbody tr td:first-child')).map(c => c.textContent).join('')")
    with Browser() as browser:
        report = browser.inspect(page, tmp_path / "t.png", script=script)
    assert not report.errors, report.errors
    assert report.evaluated == "cab"   # 2.5, 9, 10 ascending
