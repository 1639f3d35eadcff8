"""PoseBench's tables and findings (Ma et al. 2024) from the long results table.

PoseBench scores a model on its 10 corruptions (``robustpose.corrupt.names("posebench")``), in
four categories, by clean mAP and mAR and by mRR, the mean over corruptions of the relative
robustness ``RR_c = mean_s P_{c,s} / P_clean``. Everything here is computed from
``benchmark_rows(df, dataset, "posebench")``, so the seven corruptions PoseBench shares with
COCO-C are the same numbers in both benchmarks' tables.

Its findings checked here, each decided on the generated numbers:
  * motion blur and contrast hurt most (the worst corruption per model);
  * regression heads resist the mask corruption best relative to their clean score, though
    they are not the best on clean images;
  * human and animal pose show different robustness patterns (the per-corruption RR of the same
    architecture trained on people and on animals, compared by rank correlation).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from robustpose.corrupt import names
from robustpose.corrupt.registry import category_of
from robustpose.evaluate.robustness import relative_scores
from robustpose.models.registry import REGRESSION_HEADS
from robustpose.report.results_table import CLEAN
from robustpose.report.tables import _pct, benchmark_rows, robustness_parts

POSEBENCH = "posebench"
# PoseBench's category names, as its tables print them.
CATEGORY_NAMES = {"blur_noise": "Blur & Noise", "compression_color": "Compression & Colour",
                  "lighting": "Lighting", "masks": "Masks"}
# Column headers for PoseBench's ten (its names, shortened to fit a table).
DISPLAY = {"motion_blur": "Motion", "gaussian_noise": "Gauss", "impulse_noise": "Impulse",
           "pixelate": "Pixel", "jpeg_compression": "JPEG", "color_quantization": "ColorQ",
           "brightness": "Bright", "darkness": "Dark", "contrast": "Contrast", "mask": "Mask"}
# The paper's worst corruptions (its Figure 3 / sec. 4.2).
PAPER_WORST = ("motion_blur", "contrast")
# Recall metric reported beside each precision metric (PoseBench: mAP and mAR).
_RECALL = {"AP": "AR"}


def has_posebench(df: pd.DataFrame, dataset: str) -> bool:
    """Whether ``dataset`` was evaluated on all ten PoseBench corruptions."""
    present = set(df.loc[df["dataset"] == dataset, "corruption"])
    return set(names(POSEBENCH)) <= present


def relative_robustness(df: pd.DataFrame, dataset: str, metric: str = "AP") -> pd.DataFrame:
    """RR per model (rows) and PoseBench corruption (columns, PoseBench order), fractions."""
    clean, per_corr, _ = robustness_parts(benchmark_rows(df, dataset, POSEBENCH), dataset, metric)
    rr = per_corr.div(clean.where(clean > 0), axis=0)
    return rr[names(POSEBENCH)]


def clean_value(df: pd.DataFrame, dataset: str, model: str, metric: str) -> float:
    rows = df[(df["dataset"] == dataset) & (df["model"] == model) & (df["corruption"] == CLEAN)
              & (df["metric"] == metric)]
    return float(rows["value"].iloc[0]) if len(rows) else float("nan")


def posebench_scores(df: pd.DataFrame, dataset: str, metric: str = "AP") -> dict[str, dict[str, float | None]]:
    """Per model: PoseBench's ``mRR`` and one mRR per category (keyed by category id), fractions.

    The one computation behind both the main table (in percent) and the headline metrics."""
    clean, per_corr, categories = robustness_parts(benchmark_rows(df, dataset, POSEBENCH), dataset, metric)
    order = names(POSEBENCH)
    cat_order = list(dict.fromkeys(categories[c] for c in order))
    out: dict[str, dict[str, float | None]] = {}
    for model in clean.index:
        c = float(clean[model])
        scores = {"mRR": relative_scores(c, per_corr.loc[model, order].to_numpy())["mRR"]}
        for cat in cat_order:
            members = [n for n in order if categories[n] == cat]
            scores[cat] = relative_scores(c, per_corr.loc[model, members].to_numpy())["mRR"]
        out[model] = scores
    return out


def posebench_table(df: pd.DataFrame, info: pd.DataFrame, dataset: str, metric: str = "AP") -> pd.DataFrame:
    """PoseBench's main table for one dataset: one row per model.

    Columns: ``Method, Head, Input size, mAP, mAR, mRR``, one ``<category> mRR`` per category,
    then the mAP of each of the ten corruptions (mean over severities) grouped by category, in
    percent. (``mAR`` is left out for a metric without a recall twin, e.g. PCKh.)
    """
    clean, per_corr, _ = robustness_parts(benchmark_rows(df, dataset, POSEBENCH), dataset, metric)
    scores = posebench_scores(df, dataset, metric)
    meta = info[info["dataset"] == dataset].set_index("model")
    order = names(POSEBENCH)
    recall = _RECALL.get(metric)
    rows = []
    for model in clean.index:
        row = {"Method": model, "Head": meta.loc[model, "head"], "Input size": meta.loc[model, "input_size"],
               f"m{metric}": _pct(float(clean[model]))}
        if recall:
            row[f"m{recall}"] = _pct(clean_value(df, dataset, model, recall))
        row.update({(f"{CATEGORY_NAMES.get(k, k)} mRR" if k != "mRR" else k): _pct(v)
                    for k, v in scores[model].items()})
        row.update({DISPLAY.get(n, n): _pct(per_corr.loc[model, n]) for n in order})
        rows.append(row)
    return pd.DataFrame(rows)


def worst_corruptions(df: pd.DataFrame, dataset: str, metric: str = "AP") -> pd.DataFrame:
    """Per model: the PoseBench corruption with the lowest RR, its RR and the runner-up."""
    rr = relative_robustness(df, dataset, metric)
    rows = []
    for model, values in rr.iterrows():
        ranked = values.sort_values(kind="mergesort")
        rows.append({"Method": model, "Worst": ranked.index[0], "Worst RR": _pct(ranked.iloc[0]),
                     "Second": ranked.index[1], "Second RR": _pct(ranked.iloc[1])})
    return pd.DataFrame(rows)


def humans_vs_animals_table(df: pd.DataFrame, datasets: list[str], metric: str = "AP") -> pd.DataFrame:
    """RR (%) per PoseBench corruption (rows, by category) for every model of every dataset given
    (columns ``<model> (<dataset>)``), then the mRR row: the two tasks' patterns side by side."""
    columns = {}
    for dataset in datasets:
        for model, values in relative_robustness(df, dataset, metric).iterrows():
            columns[f"{model} ({dataset})"] = values
    rr = pd.DataFrame(columns)
    rows = [{"Category": CATEGORY_NAMES[category_of(n, POSEBENCH)], "Corruption": DISPLAY[n],
             **{k: _pct(v) for k, v in rr.loc[n].items()}} for n in rr.index]
    rows.append({"Category": "all", "Corruption": "mRR", **{k: _pct(v) for k, v in rr.mean().items()}})
    return pd.DataFrame(rows)


def _spearman(a: pd.Series, b: pd.Series) -> float:
    """Spearman rank correlation (average ranks for ties) of two equal-length series."""
    ra, rb = a.rank().to_numpy(), b.rank().to_numpy()
    return float(np.corrcoef(ra, rb)[0, 1])


def _heads(info: pd.DataFrame, dataset: str) -> dict[str, str]:
    return info[info["dataset"] == dataset].set_index("model")["head"].to_dict()


def _worst_finding(df: pd.DataFrame, datasets: list[str], metric: str) -> list[str]:
    lines, hits, total = [], 0, 0
    for dataset in datasets:
        for row in worst_corruptions(df, dataset, metric).itertuples(index=False):
            total += 1
            hits += row.Worst in PAPER_WORST
            lines.append(f"  - {row.Method} ({dataset}): worst {row.Worst} (RR {row[2]:.1f} %), "
                         f"then {row.Second} ({row[4]:.1f} %)")
    verdict = "holds" if hits * 2 > total else "does not hold"
    return [f"- **Worst corruption** (paper: motion blur and contrast): {verdict} here, "
            f"{hits} of {total} models have one of them as their worst.", *lines]


def _mask_finding(df: pd.DataFrame, info: pd.DataFrame, dataset: str, metric: str) -> list[str]:
    """Regression vs heatmap under mask, relative to clean, on one dataset."""
    heads = _heads(info, dataset)
    rr = relative_robustness(df, dataset, metric)
    groups = {"regression": [m for m in rr.index if heads.get(m) in REGRESSION_HEADS],
              "heatmap": [m for m in rr.index if heads.get(m) == "heatmap"]}
    if not all(groups.values()):
        return [f"- **Regression vs heatmap under mask** ({dataset}): needs a model of each head; "
                f"have {sorted(set(heads.values()))}."]
    best = {g: max(groups[g], key=lambda m: rr.loc[m, "mask"]) for g in groups}
    mask = {g: float(rr.loc[best[g], "mask"]) for g in groups}
    lead = {g: float(rr.loc[best[g], "mask"] - rr.loc[best[g]].mean()) for g in groups}
    clean = {g: clean_value(df, dataset, best[g], metric) for g in groups}
    # A model far below the other (an undertrained one) sits near the floor, where a ratio of
    # small APs says little: compare relative robustness only between models of like accuracy.
    comparable = clean["regression"] >= 0.5 * clean["heatmap"]
    verdict = ("cannot be judged" if not comparable else
               "holds" if mask["regression"] > mask["heatmap"] else "does not hold")
    caveat = ("" if comparable else
              f" The regression model's clean {metric} is under half the heatmap model's: it is far "
              f"from trained, and relative robustness near the floor divides small numbers.")
    return [f"- **Regression resists the mask best, relative to clean** ({dataset}): {verdict} here. "
            f"Mask RR: {best['regression']} {100 * mask['regression']:.1f} % (clean {metric} "
            f"{100 * clean['regression']:.1f}) vs {best['heatmap']} {100 * mask['heatmap']:.1f} % "
            f"(clean {100 * clean['heatmap']:.1f}); mask RR minus the model's own mRR: "
            f"{100 * lead['regression']:+.1f} vs {100 * lead['heatmap']:+.1f} points.{caveat}"]


def _animal_finding(df: pd.DataFrame, humans: str, animals: str, metric: str) -> list[str]:
    """The same architecture on people and on animals: do their corruption rankings agree?"""
    rr_h, rr_a = relative_robustness(df, humans, metric), relative_robustness(df, animals, metric)
    pairs = [(h, a) for a in rr_a.index for h in rr_h.index if a.startswith(h)]
    if not pairs:
        return [f"- **Humans vs animals**: no model of {animals} shares an architecture "
                f"(name prefix) with one of {humans}."]
    lines = []
    for h, a in pairs:
        rho = _spearman(rr_h.loc[h], rr_a.loc[a])
        gap = (rr_a.loc[a] - rr_h.loc[h]).sort_values()
        verdict = "different" if rho < 0.8 else "similar"
        lines.append(f"- **Humans vs animals** ({h} on {humans} vs {a} on {animals}): {verdict} patterns, "
                     f"Spearman rank correlation of the ten RRs {rho:.2f}; mRR {100 * rr_h.loc[h].mean():.1f} vs "
                     f"{100 * rr_a.loc[a].mean():.1f} %; animals lose most relative to people under "
                     f"{gap.index[0]} ({100 * gap.iloc[0]:+.1f} points) and least under {gap.index[-1]} "
                     f"({100 * gap.iloc[-1]:+.1f}).")
    return lines


def findings_markdown(df: pd.DataFrame, info: pd.DataFrame, metric: str = "AP",
                      animal_datasets: tuple[str, ...] = ()) -> str:
    """PoseBench's three findings, decided on the results (markdown bullet list).

    Args:
        df: long results table; every dataset with all ten PoseBench corruptions is used.
        info: ``model_info``, for each model's head.
        animal_datasets: which of those datasets hold animals (the rest hold people).
    """
    datasets = [d for d in sorted(set(df["dataset"])) if has_posebench(df, d)]
    if not datasets:
        raise ValueError("findings_markdown: no dataset was evaluated on all ten PoseBench corruptions")
    lines = _worst_finding(df, datasets, metric)
    humans = [d for d in datasets if d not in animal_datasets]
    for dataset in humans:
        lines += _mask_finding(df, info, dataset, metric)
    for h in humans:
        for a in (d for d in datasets if d in animal_datasets):
            lines += _animal_finding(df, h, a, metric)
    return "\n".join(lines) + "\n"
