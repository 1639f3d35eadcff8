"""Robustness summaries: mPC, rPC (Wang et al.) and mRR (PoseBench).

mPC = mean over corruptions of the mean over severities; rPC = mPC / clean; mRR = mean over
corruptions of (mean over severities / clean). With a per-corruption average the two relative
scores coincide when clean is a constant, but they are kept apart because PoseBench averages
ratios while Wang et al. take the ratio of averages, and category subsets differ.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np


def per_corruption_mean(corrupted: Mapping[str, Mapping[object, float]]) -> dict[str, float]:
    """Mean over severities for each corruption."""
    return {c: float(np.mean(list(sev.values()))) for c, sev in corrupted.items()}


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

    def block(names: list[str]) -> dict[str, float]:
        mpc = float(np.mean([means[n] for n in names]))
        return {
            "mPC": mpc,
            "rPC": mpc / clean if clean > 0 else 0.0,
            "mRR": float(np.mean([means[n] / clean for n in names])) if clean > 0 else 0.0,
        }

    out = block(sorted(means))
    if categories:
        groups: dict[str, list[str]] = {}
        for name in sorted(means):
            groups.setdefault(categories.get(name, "other"), []).append(name)
        out["per_category"] = {cat: block(names) for cat, names in sorted(groups.items())}
    return out
