"""PoseBench beside COCO-C: per-benchmark summaries, PoseBench's table, findings and figures."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from robustpose.corrupt import benchmark_sets, names
from robustpose.evaluate.benchmark import summarise
from robustpose.report.posebench import (
    findings_markdown,
    has_posebench,
    humans_vs_animals_table,
    posebench_table,
    relative_robustness,
    worst_corruptions,
)
from robustpose.report.posebench_figures import plot_mrr_vs_clean, plot_robustness_radar
from robustpose.report.figures import figure_png_bytes
from robustpose.report.tables import benchmark_rows, robustness_table

ALL18 = list(dict.fromkeys([*names("imagenet_c"), *names("posebench")]))
SEVERITIES = (1, 2, 3, 4, 5)


def _ap(model_index: int, corruption: str, severity: int) -> float:
    """A deterministic, distinct AP per condition (falls with severity)."""
    base = 0.3 + 0.02 * (ALL18.index(corruption) % 7) + 0.05 * model_index
    return round(base - 0.03 * severity, 6)


def long_results(models: dict[str, tuple[str, str, float]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(results, info) for ``{model: (dataset, head, clean AP)}`` on all 18 corruptions."""
    rows, info = [], []
    for i, (model, (dataset, head, clean)) in enumerate(models.items()):
        base = dict(dataset=dataset, model=model, base_model=model, strategy="clean", run_seed=None)
        rows += [dict(base, corruption="clean", category="clean", severity=0, metric="AP", value=clean),
                 dict(base, corruption="clean", category="clean", severity=0, metric="AR", value=clean + 0.04)]
        for c in ALL18:
            for s in SEVERITIES:
                rows.append(dict(base, corruption=c, category="x", severity=s, metric="AP", value=_ap(i, c, s)))
        info.append(dict(model=model, dataset=dataset, input_size="128x96", head=head, metric="AP"))
    return pd.DataFrame(rows), pd.DataFrame(info)


MODELS = {"simplebaseline_r18": ("synthetic", "heatmap", 0.6), "deeppose_r18": ("synthetic", "regression", 0.3),
          "simplebaseline_r18_animal": ("synthetic_animals", "heatmap", 0.55)}


@pytest.fixture(scope="module")
def toy():
    return long_results(MODELS)


def test_benchmark_sets_keep_each_papers_own_set():
    sets = benchmark_sets(ALL18)
    assert list(sets) == ["imagenet_c", "posebench"]
    assert len(sets["imagenet_c"]) == 15 and len(sets["posebench"]) == 10
    assert benchmark_sets(["gaussian_noise", "fog"]) == {"imagenet_c": ["gaussian_noise", "fog"]}
    assert benchmark_sets(["mask", "fog"]) == {"custom": ["mask", "fog"]}


def test_summary_is_coco_c_mean_and_posebench_mrr_is_over_its_ten():
    corrupted = {c: {str(s): {"AP": _ap(0, c, s)} for s in SEVERITIES} for c in ALL18}
    summary = summarise({"clean": {"AP": 0.6}, "corrupted": corrupted})
    means = {c: np.mean([_ap(0, c, s) for s in SEVERITIES]) for c in ALL18}
    assert summary["benchmark"] == "imagenet_c"
    assert summary["mPC"] == pytest.approx(np.mean([means[c] for c in names("imagenet_c")]))
    pose = summary["benchmarks"]["posebench"]
    assert pose["mRR"] == pytest.approx(np.mean([means[c] / 0.6 for c in names("posebench")]))
    assert set(pose["per_category"]) == {"blur_noise", "compression_color", "lighting", "masks"}


def test_table1_ignores_posebench_only_corruptions(toy):
    df, info = toy
    only15 = df[~df["corruption"].isin(["color_quantization", "darkness", "mask"])]
    a = robustness_table(benchmark_rows(df, "synthetic"), info, "synthetic")
    b = robustness_table(only15, info, "synthetic")
    pd.testing.assert_frame_equal(a, b)
    assert len(a.columns) == 6 + 15


def test_posebench_table_has_the_papers_columns_and_numbers(toy):
    df, info = toy
    table = posebench_table(df, info, "synthetic")
    assert list(table.columns) == [
        "Method", "Head", "Input size", "mAP", "mAR", "mRR", "Blur & Noise mRR", "Compression & Colour mRR",
        "Lighting mRR", "Masks mRR", "Motion", "Gauss", "Impulse", "Pixel", "JPEG", "ColorQ", "Bright", "Dark",
        "Contrast", "Mask"]
    assert list(table["Method"]) == ["deeppose_r18", "simplebaseline_r18"]
    row = table.set_index("Method").loc["simplebaseline_r18"]
    i = list(MODELS).index("simplebaseline_r18")
    rr = [np.mean([_ap(i, c, s) for s in SEVERITIES]) / 0.6 for c in names("posebench")]
    assert row["mRR"] == round(100 * np.mean(rr), 1)
    assert row["mAR"] == 64.0
    assert row["Mask"] == round(100 * np.mean([_ap(i, "mask", s) for s in SEVERITIES]), 1)
    assert row["Masks mRR"] == round(100 * rr[-1], 1)


def test_posebench_needs_all_ten(toy):
    df, _ = toy
    assert has_posebench(df, "synthetic")
    assert not has_posebench(df[df["corruption"] != "darkness"], "synthetic")


def test_worst_corruption_is_the_lowest_rr(toy):
    df, _ = toy
    worst = worst_corruptions(df, "synthetic").set_index("Method")
    rr = relative_robustness(df, "synthetic")
    for model in rr.index:
        assert worst.loc[model, "Worst"] == rr.loc[model].idxmin()


def test_humans_vs_animals_rows_and_columns(toy):
    df, _ = toy
    table = humans_vs_animals_table(df, ["synthetic", "synthetic_animals"])
    assert list(table.columns) == ["Category", "Corruption", "deeppose_r18 (synthetic)",
                                   "simplebaseline_r18 (synthetic)", "simplebaseline_r18_animal (synthetic_animals)"]
    assert list(table["Corruption"]) == ["Motion", "Gauss", "Impulse", "Pixel", "JPEG", "ColorQ", "Bright", "Dark",
                                         "Contrast", "Mask", "mRR"]


def test_findings_decide_on_the_numbers(toy):
    df, info = toy
    text = findings_markdown(df, info, animal_datasets=("synthetic_animals",))
    # deeppose (clean 0.3) keeps a larger fraction under mask than simplebaseline (clean 0.6)
    assert "Regression resists the mask best, relative to clean** (synthetic): holds here" in text
    assert "simplebaseline_r18 on synthetic vs simplebaseline_r18_animal on synthetic_animals" in text
    # make the heatmap model keep more under mask: the verdict must flip
    flipped = df.copy()
    sel = (flipped["model"] == "deeppose_r18") & (flipped["corruption"] == "mask")
    flipped.loc[sel, "value"] = 0.01
    assert "(synthetic): does not hold here" in findings_markdown(flipped, info, animal_datasets=("synthetic_animals",))
    # a regression model under half the heatmap model's clean AP is not compared
    weak = df.copy()
    sel = (weak["model"] == "deeppose_r18") & (weak["corruption"] == "clean") & (weak["metric"] == "AP")
    weak.loc[sel, "value"] = 0.2
    assert "(synthetic): cannot be judged here" in findings_markdown(weak, info, animal_datasets=("synthetic_animals",))


def test_posebench_figures_render_deterministically(toy):
    df, _ = toy
    for plot in (plot_mrr_vs_clean, plot_robustness_radar):
        a, b = figure_png_bytes(plot(df, "synthetic")), figure_png_bytes(plot(df, "synthetic"))
        assert a == b and len(a) > 10_000


def test_relative_robustness_undefined_for_zero_clean():
    df, _ = long_results({"m": ("synthetic", "heatmap", 0.0)})
    assert all(math.isnan(v) for v in relative_robustness(df, "synthetic").loc["m"])
