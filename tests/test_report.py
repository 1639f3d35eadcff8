"""Tests for robustpose.report: long results table, robustness tables, writers, stages, figures."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from conftest import load_script

from robustpose.report import (
    category_table,
    collect_results,
    metrics_to_rows,
    model_info,
    read_results,
    robustness_table,
    severity_table,
    summary_metrics,
    write_results,
    write_table,
)


def _dump(path: Path, metrics: dict) -> Path:
    path.write_text(json.dumps(metrics))
    return path
from robustpose.report.results_table import PAPER_CORRUPTION_ORDER, corruption_order, display_name
from robustpose.report.tables import latex_escape, to_markdown

CATEGORIES = {"gaussian_noise": "noise", "motion_blur": "blur", "mask": "occlusion"}

# Primary-metric values per model: clean, then corruption -> (severity 1, severity 2).
# Keys deliberately not in paper order; "mask" is not an ImageNet-C corruption (sorts last).
TOY = {
    "model_a": (0.8, {"motion_blur": (0.7, 0.5), "mask": (0.4, 0.2), "gaussian_noise": (0.6, 0.4)}),
    "model_b": (0.5, {"motion_blur": (0.45, 0.35), "mask": (0.25, 0.15), "gaussian_noise": (0.4, 0.2)}),
}


def make_metrics(model: str, dataset: str = "toy", metric: str = "AP") -> dict:
    """A metrics JSON as written by the evaluate stage; the second key is primary + 0.05."""
    clean, corrupted = TOY[model]
    second = "AR" if metric == "AP" else "PCKh@0.1"

    def values(v: float) -> dict:
        return {metric: v, second: v + 0.05}

    return {
        "meta": {"model": model, "dataset": dataset, "input_size": [128, 96], "head": "heatmap",
                 "metric": metric, "categories": dict(CATEGORIES)},
        "clean": values(clean),
        "corrupted": {c: {str(s + 1): values(v) for s, v in enumerate(sev)} for c, sev in corrupted.items()},
        "summary": {"mPC": -1.0, "rPC": -1.0, "mRR": -1.0, "per_category": {}},  # must be ignored
    }


def write_metrics(root: Path, datasets=(("toy", "AP"),)) -> list[Path]:
    paths = []
    for dataset, metric in datasets:
        for model in TOY:
            path = root / model / f"{dataset}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(make_metrics(model, dataset, metric)))
            paths.append(path)
    return paths


def load_stage(name: str):
    return load_script(f"stages/{name}.py")


@pytest.fixture
def toy(tmp_path):
    files = write_metrics(tmp_path / "metrics")
    return collect_results(files), model_info(files)


# ------------------------------------------------------------------ long table

def test_metrics_to_rows_counts_and_values():
    rows = metrics_to_rows(make_metrics("model_a"))
    assert len(rows) == 2 * (1 + 3 * 2)  # 2 metric keys x (clean + 3 corruptions x 2 severities)
    clean = [r for r in rows if r["corruption"] == "clean"]
    assert [(r["metric"], r["value"], r["severity"], r["category"]) for r in clean] == [
        ("AP", 0.8, 0, "clean"), ("AR", pytest.approx(0.85), 0, "clean")]
    blur2 = [r for r in rows if r["corruption"] == "motion_blur" and r["severity"] == 2 and r["metric"] == "AP"]
    assert blur2 == [dict(dataset="toy", model="model_a", base_model="model_a", strategy="clean", run_seed=None,
                          corruption="motion_blur", category="blur",
                          severity=2, metric="AP", value=0.5)]


def test_collect_results_sorted_in_paper_order(toy):
    df, info = toy
    assert list(df.columns) == ["dataset", "model", "base_model", "strategy", "run_seed", "corruption", "category",
                                "severity", "metric", "value"]
    assert len(df) == 28
    first = df[df["model"] == "model_a"]
    assert list(dict.fromkeys(first["corruption"])) == ["clean", "gaussian_noise", "motion_blur", "mask"]
    assert list(df["model"].unique()) == ["model_a", "model_b"]
    assert info.to_dict("records")[0] == dict(model="model_a", dataset="toy", input_size="128x96",
                                              head="heatmap", metric="AP")


def test_corruption_order_and_display_names():
    shuffled = ["zoom_blur", "mask", "clean", *reversed(PAPER_CORRUPTION_ORDER), "darkness"]
    assert corruption_order(shuffled) == [*PAPER_CORRUPTION_ORDER, "darkness", "mask"]
    assert [display_name(c) for c in PAPER_CORRUPTION_ORDER] == [
        "Gauss", "Shot", "Impulse", "Defocus", "Glass", "Motion", "Zoom", "Snow", "Frost", "Fog",
        "Bright", "Contrast", "Elastic", "Pixel", "JPEG"]
    assert display_name("color_quantization") == "Color Quantization"


@pytest.mark.parametrize("mutate, key", [
    (lambda m: m["meta"].pop("metric"), "meta.metric"),
    (lambda m: m.pop("clean"), "clean"),
    (lambda m: m.pop("corrupted"), "corrupted"),
    (lambda m: m["meta"]["categories"].pop("mask"), "meta.categories.mask"),
    (lambda m: m["corrupted"]["mask"]["1"].pop("AP"), "corrupted.mask.1.AP"),
    (lambda m: m["corrupted"]["mask"].update({"x": {"AP": 0.1}}), "severity key 'x'"),
    (lambda m: m["clean"].update({"AR": "high"}), "clean.AR"),
])
def test_malformed_file_names_file_and_key(tmp_path, mutate, key):
    metrics = make_metrics("model_a")
    mutate(metrics)
    path = tmp_path / "model_a" / "toy.json"
    path.parent.mkdir()
    path.write_text(json.dumps(metrics))
    with pytest.raises(ValueError) as err:
        collect_results([path])
    assert str(path) in str(err.value) and key in str(err.value)


def test_model_info_rejects_bad_input_size(tmp_path):
    metrics = make_metrics("model_a")
    metrics["meta"]["input_size"] = [128]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(metrics))
    with pytest.raises(ValueError, match="input_size"):
        model_info([path])


# ------------------------------------------------------------------ tables

def test_robustness_table_matches_hand_computation(toy):
    df, info = toy
    table = robustness_table(df, info, "toy")
    assert list(table.columns) == ["Method", "Input size", "AP*", "mPC", "rPC", "mRR", "Gauss", "Motion", "Mask"]
    a, b = table.to_dict("records")
    # model_a: means over severities 0.5, 0.6, 0.3 -> mPC 1.4/3; rPC = mPC/0.8; mRR = mean(.625,.75,.375)
    assert a == dict(Method="model_a", **{"Input size": "128x96", "AP*": 80.0}, mPC=46.7, rPC=58.3,
                     mRR=58.3, Gauss=50.0, Motion=60.0, Mask=30.0)
    # model_b: means 0.3, 0.4, 0.2 -> mPC 0.3; rPC = 0.3/0.5
    assert (b["AP*"], b["mPC"], b["rPC"], b["mRR"], b["Gauss"], b["Motion"], b["Mask"]) == (
        50.0, 30.0, 60.0, 60.0, 30.0, 40.0, 20.0)


def test_category_and_severity_tables(toy):
    df, _ = toy
    cats = category_table(df, "toy").set_index("Method")
    assert list(cats.columns) == ["AP*", "Noise mPC", "Noise rPC", "Blur mPC", "Blur rPC",
                                  "Occlusion mPC", "Occlusion rPC"]
    assert cats.loc["model_a"].tolist() == [80.0, 50.0, 62.5, 60.0, 75.0, 30.0, 37.5]
    sev = severity_table(df, "toy")
    assert list(sev.columns) == ["Method", "Corruption", "Clean", "1", "2", "Mean"]
    assert sev.iloc[0].tolist() == ["model_a", "Gauss", 80.0, 60.0, 40.0, 50.0]
    assert len(sev) == 2 * 3


def test_summary_metrics_structure(toy):
    df, _ = toy
    summary = summary_metrics(df)
    assert set(summary) == {"toy"} and set(summary["toy"]) == {"model_a", "model_b"}
    assert summary["toy"]["model_a"] == {"AP_clean": 0.8, "mPC": 0.4667, "rPC": 0.5833, "mRR": 0.5833}
    assert all(isinstance(v, float) for m in summary["toy"].values() for v in m.values())


def test_primary_metric_is_generic(tmp_path):
    files = write_metrics(tmp_path, datasets=(("mpii", "PCKh"),))
    df, info = collect_results(files), model_info(files)
    assert robustness_table(df, info, "mpii", metric="PCKh").columns[2] == "PCKh*"
    assert summary_metrics(df)["mpii"]["model_b"]["PCKh_clean"] == 0.5
    with pytest.raises(ValueError, match="no rows for metric 'AP'"):
        robustness_table(df, info, "mpii", metric="AP")


def test_incomplete_grid_is_an_error(toy):
    df, info = toy
    partial = df[~((df["model"] == "model_b") & (df["corruption"] == "mask") & (df["severity"] == 2))]
    with pytest.raises(ValueError, match="model_b.*lacks 1"):
        robustness_table(partial, info, "toy")


def test_markdown_and_latex_writers(toy, tmp_path):
    df, info = toy
    table = robustness_table(df, info, "toy")
    md = to_markdown(table).splitlines()
    assert md[0].startswith("| Method | Input size | AP* | mPC |")
    assert set(md[1].replace("|", "").split()) == {":---", "---:"}
    assert len(md) == 2 + 2 and md[2].startswith("| model_a | 128x96 | 80.0 | 46.7 |")
    paths = write_table(table, tmp_path / "t" / "table1_toy")
    assert [p.name for p in paths] == ["table1_toy.md", "table1_toy.csv", "table1_toy.tex"]
    tex = paths[2].read_text()
    assert "\\toprule" in tex and "\\bottomrule" in tex and "model\\_a & 128x96 & 80.0" in tex
    assert "model_a" not in tex
    assert latex_escape("a_b & 5% {x}") == "a\\_b \\& 5\\% \\{x\\}"
    assert paths[1].read_text().splitlines()[1] == "model_a,128x96,80.0,46.7,58.3,58.3,50.0,60.0,30.0"


# ------------------------------------------------------------------ stages

def run_tables(tmp_path, out: str):
    args = ["--metrics", str(tmp_path / "metrics"), "--out-csv", str(tmp_path / out / "results.csv"),
            "--tables-dir", str(tmp_path / out / "tables"), "--metrics-out", str(tmp_path / out / "metrics.json")]
    load_stage("tables").main(args)
    return tmp_path / out


def test_tables_stage_is_deterministic(tmp_path):
    write_metrics(tmp_path / "metrics", datasets=(("toy", "AP"), ("mpii", "PCKh")))
    first, second = run_tables(tmp_path, "a"), run_tables(tmp_path, "b")
    names = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert names == ["metrics.json", "results.csv"] + [
        f"tables/{kind}_{ds}.{ext}" for kind in ("categories", "table1") for ds in ("mpii", "toy")
        for ext in ("csv", "md", "tex")]
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    lines = (first / "results.csv").read_text().splitlines()
    assert lines[0] == "dataset,model,base_model,strategy,run_seed,corruption,category,severity,metric,value"
    assert lines[1] == "mpii,model_a,model_a,clean,,clean,clean,0,PCKh,0.8"
    summary = json.loads((first / "metrics.json").read_text())
    assert summary["toy"]["model_b"]["rPC"] == 0.6 and "PCKh_clean" in summary["mpii"]["model_a"]


def test_figures_stage_writes_pngs(tmp_path):
    write_metrics(tmp_path / "metrics")
    out = run_tables(tmp_path, "reports")
    figures = tmp_path / "figures"
    load_stage("figures").main(["--results", str(out / "results.csv"), "--metrics", str(tmp_path / "metrics"),
                                "--out-dir", str(figures)])
    pngs = sorted(p.name for p in figures.iterdir())
    assert pngs == ["ap_per_corruption_toy.png", "ap_vs_severity_toy.png", "rpc_vs_clean_toy.png"]
    for name in pngs:
        data = (figures / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000, name


def test_summary_block_is_ignored(tmp_path):
    metrics = make_metrics("model_a")
    other = copy.deepcopy(metrics)
    other["summary"] = {"mPC": 123.0}
    assert metrics_to_rows(metrics) == metrics_to_rows(other)


def test_corruption_grid_has_a_cell_per_corruption_and_severity_plus_clean():
    import numpy as np

    from robustpose.report import plot_corruption_grid

    clean = np.zeros((40, 60, 3), np.uint8)
    rows = {"fog": [clean + 10, clean + 20], "zoom_blur": [clean + 30, clean + 40]}
    fig = plot_corruption_grid(clean, rows, [2, 5], "toy: a.png")
    axes = fig.get_axes()
    assert len(axes) == 6
    assert [ax.get_title() for ax in axes[:3]] == ["clean", "severity 2", "severity 5"]
    assert [axes[i].get_ylabel() for i in (0, 3)] == [display_name("fog"), display_name("zoom_blur")]
    assert axes[4].get_images()[0].get_array()[0, 0, 0] == 30


def test_results_csv_round_trips_every_float_exactly(tmp_path):
    """The tables are drawn from results.csv, so reading it back must give the metrics' own floats
    (a fixed 6-decimal format moved a table value whenever one sat near a rounding boundary)."""
    metrics = make_metrics("model_a")
    metrics["clean"]["AP"] = 0.1 + 0.2             # 0.30000000000000004
    metrics["meta"]["run"] = {"base_model": "model_0", "strategy": "advmix", "seed": 3}
    df = collect_results([_dump(tmp_path / "m.json", metrics)])
    write_results(df, tmp_path / "r.csv")
    back = read_results(tmp_path / "r.csv")
    assert back["value"].tolist() == df["value"].tolist()
    assert back.loc[back["corruption"] == "clean", "value"].iloc[0] == 0.1 + 0.2
    assert set(back["base_model"]) == {"model_0"} and set(back["run_seed"]) == {3}


def test_a_malformed_run_block_names_the_file(tmp_path):
    metrics = make_metrics("model_a")
    metrics["meta"]["run"] = {"base_model": "m", "strategy": "advmix", "seed": "zero"}
    with pytest.raises(ValueError, match=r"m.json: 'meta.run.seed' must be an integer"):
        collect_results([_dump(tmp_path / "m.json", metrics)])
