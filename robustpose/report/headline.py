"""The headline numbers `dvc metrics` shows, and the long tables behind `dvc plots`.

Every AP/AR of every corruption x severity stays in the per-condition JSON files (plain
outputs); what a person compares between two experiments is a handful of numbers per model and
dataset. They are written one small file per row, all rows sharing a few short keys, because
`dvc metrics show` prints one row per file and one column per distinct key: a single nested
file would become one line hundreds of columns wide.

Rows and keys (fractions rounded to 3 decimals, a tenth of a point as the papers print them):
  * ``<model>/<dataset>``: the clean primary metric (``AP``, or ``PCKh`` for MPII), Wang et al.'s
    ``mPC`` and ``rPC`` over the dataset's benchmark, PoseBench's ``mRR`` and its four category
    mRRs (``RR_blur``, ``RR_comp``, ``RR_light``, ``RR_mask``) where the ten corruptions ran, and
    for an attacked model the single-step headline ``rAP_adv`` (FGSM-U at the smallest budget of
    the protocol: attacked / clean AP).
  * ``lift/<lifter>/<variant>``: ``MPJPE`` clean and ``MPJPE_c`` averaged over the corruptions, mm.
"""
from __future__ import annotations

from typing import Mapping

import pandas as pd

from robustpose.report.posebench import has_posebench, posebench_scores
from robustpose.report.results_table import CLEAN
from robustpose.report.tables import benchmark_rows, summary_metrics

# PoseBench category id -> the short key suffix (keeps `dvc metrics show` within 160 columns).
CATEGORY_KEYS = {"blur_noise": "RR_blur", "compression_color": "RR_comp", "lighting": "RR_light",
                 "masks": "RR_mask"}
# The attack summary's single-step untargeted conditions start with this; the first budget wins.
ATTACK_HEADLINE_PREFIX = "fgsm_u_eps"


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None or value != value else round(float(value), digits)


def attack_headline(summary: Mapping[str, object]) -> float | None:
    """FGSM-U's relative AP at the smallest budget in an attack summary, as a fraction.

    The summary holds it in percent under ``fgsm_u_eps<eps>`` (the paper's unit)."""
    keys = sorted((k for k in summary if k.startswith(ATTACK_HEADLINE_PREFIX)),
                  key=lambda k: float(k[len(ATTACK_HEADLINE_PREFIX):]))
    if not keys or summary[keys[0]] is None:
        return None
    return _r(float(summary[keys[0]]) / 100.0)


def headline_2d(df: pd.DataFrame, metrics: Mapping[str, str],
                attack: Mapping[str, Mapping[str, Mapping]] | None = None) -> dict[tuple[str, str], dict]:
    """``{(model, dataset): {key: value}}`` from the long results table and the attack summary.

    Args:
        df: ``reports/results.csv`` as read by ``read_results``.
        metrics: dataset -> primary metric.
        attack: ``reports/attack/metrics.json`` (``{dataset: {model: summary}}``), if attacks ran.
    """
    summary = summary_metrics(df, metrics)
    rows: dict[tuple[str, str], dict] = {}
    for dataset, per_model in summary.items():
        metric = metrics[dataset]
        posebench = posebench_scores(df, dataset, metric) if has_posebench(df, dataset) else {}
        for model, s in per_model.items():
            row = {metric: _r(s[f"{metric}_clean"]), "mPC": _r(s["mPC"]), "rPC": _r(s["rPC"])}
            if model in posebench:
                pb = posebench[model]
                row["mRR"] = _r(pb["mRR"])
                row.update({CATEGORY_KEYS.get(cat, f"RR_{cat}"): _r(v) for cat, v in pb.items() if cat != "mRR"})
            attacked = (attack or {}).get(dataset, {}).get(model)
            if attacked:
                row["rAP_adv"] = attack_headline(attacked)
            rows[(model, dataset)] = row
    return rows


def headline_lift(lift_metrics: Mapping[str, Mapping[str, Mapping]]) -> dict[tuple[str, str], dict]:
    """``{(lifter, variant): {"MPJPE", "MPJPE_c"}}`` from ``results/lift/metrics.json`` (mm, 1 decimal);
    its ``checks`` entries (pass/fail of the paper's claims) are not numbers to compare."""
    rows = {}
    for lifter, variants in sorted(lift_metrics.items()):
        for variant, m in sorted(variants.items()):
            if variant == "checks" or "clean_mpjpe" not in m:
                continue
            rows[(lifter, variant)] = {"MPJPE": _r(m["clean_mpjpe"], 1), "MPJPE_c": _r(m["corrupted_mpjpe"], 1)}
    return rows


def severity_curves(df: pd.DataFrame, metrics: Mapping[str, str]) -> pd.DataFrame:
    """Mean primary metric over the benchmark's corruptions at each severity (0 = clean), one
    series per ``model @ dataset``: the curve of Wang et al.'s Figure 1 for every model at once."""
    frames = []
    for dataset, metric in sorted(metrics.items()):
        rows = benchmark_rows(df, dataset)
        rows = rows[rows["metric"] == metric]
        clean = rows[rows["corruption"] == CLEAN].assign(severity=0)
        corrupted = rows[rows["corruption"] != CLEAN]
        curve = pd.concat([clean, corrupted]).groupby(["model", "severity"], as_index=False)["value"].mean()
        curve.insert(0, "model", curve.pop("model") + f" @ {dataset}")
        frames.append(curve.rename(columns={"value": "score"}).assign(metric=metric))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["model", "severity", "score", "metric"])
    out["severity"] = out["severity"].astype(int)
    out["score"] = out["score"].round(4)
    return out.sort_values(["model", "severity"], ignore_index=True)


__all__ = ["CATEGORY_KEYS", "attack_headline", "headline_2d", "headline_lift", "severity_curves"]
