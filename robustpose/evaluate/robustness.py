"""Robustness summaries: mPC, rPC (Wang et al.) and mRR (PoseBench).

mPC = mean over corruptions of the mean over severities; rPC = mPC / clean; mRR = mean over
corruptions of (mean over severities / clean). With a per-corruption average the two relative
scores coincide when clean is a constant, but they are kept apart because PoseBench averages
ratios while Wang et al. take the ratio of averages, and category subsets differ.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


def per_corruption_mean(corrupted: Mapping[str, Mapping[object, float]]) -> dict[str, float]:
    """Mean over severities for each corruption."""
    return {c: float(np.mean(list(sev.values()))) for c, sev in corrupted.items()}


def relative_scores(clean: float, means: Sequence[float]) -> dict[str, float | None]:
    """mPC, rPC and mRR from the clean score and the per-corruption means over severities.

    The one place these three numbers are defined: the evaluate stage's summary, every table and
    ``reports/metrics.json`` call it, so they cannot disagree. A clean score of zero leaves the
    two relative scores undefined (``None``, JSON null), never a made-up 0.
    """
    values = np.asarray(means, dtype=float)
    if values.size == 0:
        raise ValueError("relative_scores needs at least one corruption")
    mpc = float(np.mean(values))
    if not clean > 0:
        return {"mPC": mpc, "rPC": None, "mRR": None}
    return {"mPC": mpc, "rPC": mpc / clean, "mRR": float(np.mean(values / clean))}


def robustness_summary(clean: float, corrupted: Mapping[str, Mapping[object, float]],
                       categories: Mapping[str, str] | None = None) -> dict:
    """mPC, rPC, mRR overall and per category for one primary metric.

    Args:
        clean: the metric on clean data.
        corrupted: ``{corruption: {severity: metric}}``.
        categories: ``{corruption: category}`` for the per-category breakdown.
    """
    if not corrupted:
        raise ValueError("robustness_summary needs at least one corruption")
    means = per_corruption_mean(corrupted)
    out = relative_scores(clean, [means[n] for n in sorted(means)])
    if categories:
        groups: dict[str, list[str]] = {}
        for name in sorted(means):
            groups.setdefault(categories.get(name, "other"), []).append(name)
        out["per_category"] = {cat: relative_scores(clean, [means[n] for n in names])
                               for cat, names in sorted(groups.items())}
    return out
