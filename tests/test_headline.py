"""The headline metrics (`dvc metrics show`) and severity curves (`dvc plots show`)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from robustpose._io import write_json_atomic
from robustpose.report import read_results
from robustpose.report.headline import attack_headline, headline_2d, headline_lift, severity_curves

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "reports" / "results.csv"   # committed outputs of the embedded default
METRICS = {"synthetic": "AP", "synthetic_animals": "AP"}


@pytest.fixture(scope="module")
def results() -> pd.DataFrame:
    return read_results(RESULTS)


@pytest.fixture(scope="module")
def rows(results) -> dict:
    attack = json.loads((ROOT / "reports/attack/metrics.json").read_text())
    return headline_2d(results, METRICS, attack)


def test_headline_agrees_with_the_tables_it_summarises(rows):
    """Clean AP, mPC and rPC equal reports/metrics.json; mRR and the category RRs equal
    PoseBench's table (percent, one decimal) - three code paths over the same results."""
    summary = json.loads((ROOT / "reports/metrics.json").read_text())
    for dataset, per_model in summary.items():
        posebench = pd.read_csv(ROOT / f"reports/tables/posebench_{dataset}.csv").set_index("Method")
        for model, s in per_model.items():
            row = rows[(model, dataset)]
            assert row["AP"] == pytest.approx(s["AP_clean"], abs=6e-4)
            assert row["mPC"] == pytest.approx(s["mPC"], abs=6e-4)
            assert row["rPC"] == pytest.approx(s["rPC"], abs=6e-4)
            pb = posebench.loc[model]
            for key, column in (("mRR", "mRR"), ("RR_blur", "Blur & Noise mRR"), ("RR_comp", "Compression & Colour mRR"),
                                ("RR_light", "Lighting mRR"), ("RR_mask", "Masks mRR")):
                assert 100 * row[key] == pytest.approx(pb[column], abs=0.06), (model, key)


def test_attacked_models_carry_the_single_step_headline(rows):
    attack = json.loads((ROOT / "reports/attack/metrics.json").read_text())["synthetic"]
    for model, summary in attack.items():
        assert rows[(model, "synthetic")]["rAP_adv"] == pytest.approx(summary["fgsm_u_eps8"] / 100, abs=6e-4)
    assert "rAP_adv" not in rows[("simplebaseline_r18_animal", "synthetic_animals")]


def test_attack_headline_takes_the_smallest_budget():
    assert attack_headline({"fgsm_u_eps16": 10.0, "fgsm_u_eps8": 4.44, "igsm_u_10_eps8": 0.0}) == 0.044
    assert attack_headline({"igsm_u_10_eps8": 0.0}) is None


def test_lift_rows_leave_out_the_checks():
    rows = headline_lift({"tcn": {"baseline": {"clean_mpjpe": 62.67, "corrupted_mpjpe": 94.76},
                                  "checks": {"tagn_passes": True}}})
    assert rows == {("tcn", "baseline"): {"MPJPE": 62.7, "MPJPE_c": 94.8}}


def test_severity_curves_start_at_the_clean_score(results, rows):
    curves = severity_curves(results, METRICS)
    sb = curves[curves["model"] == "simplebaseline_r18 @ synthetic"].set_index("severity")["score"]
    assert list(sb.index) == [0, 1, 2, 3, 4, 5]
    assert sb[0] == pytest.approx(rows[("simplebaseline_r18", "synthetic")]["AP"], abs=6e-4)
    assert sb[5] < sb[1] < sb[0]   # harder corruptions cost more
    # the mean over severities 1-5 is mPC (the same benchmark corruptions, equal weights)
    assert sb.loc[1:5].mean() == pytest.approx(rows[("simplebaseline_r18", "synthetic")]["mPC"], abs=1e-3)


def test_dvc_metrics_show_fits_a_screen(tmp_path, rows):
    """The headline rows, as `dvc metrics show` prints them: at most 60 lines of at most 160 columns."""
    for (model, dataset), values in rows.items():
        write_json_atomic(tmp_path / "metrics" / model / f"{dataset}.json", values)
    lift = json.loads((ROOT / "results/lift/metrics.json").read_text())
    for (lifter, variant), values in headline_lift(lift).items():
        write_json_atomic(tmp_path / "metrics" / "lift" / lifter / f"{variant}.json", values)
    (tmp_path / "dvc.yaml").write_text("metrics:\n  - metrics\n")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    for cmd in (["git", "init", "-q"], ["dvc", "init", "-q"]):
        subprocess.run(cmd, cwd=tmp_path, check=True, capture_output=True, env=env)
    shown = subprocess.run(["dvc", "metrics", "show"], cwd=tmp_path, capture_output=True, text=True, env=env,
                           timeout=120)
    lines = shown.stdout.splitlines()
    assert shown.returncode == 0, shown.stderr
    assert len(lines) == 1 + len(rows) + len(headline_lift(lift)) <= 60
    assert max(map(len, lines)) <= 160, max(lines, key=len)
    assert lines[0].split()[:2] == ["Path", "AP"]
