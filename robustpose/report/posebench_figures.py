"""PoseBench's figures: mRR against clean mAP (its Figure 4a) and the radar of relative robustness.

Both read ``relative_robustness`` (PoseBench's ten corruptions), so the figures and the table
cannot disagree. Same conventions as ``robustpose.report.figures``: ``Figure`` objects, fixed size.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from robustpose.report.figures import _CONTEXT, _STYLE, _palette
from robustpose.report.posebench import DISPLAY, clean_value, relative_robustness


def plot_mrr_vs_clean(df: pd.DataFrame, dataset: str, metric: str = "AP") -> Figure:
    """Scatter: clean m<metric> (x, %) vs mRR over PoseBench's ten (y, %), one point per model.

    PoseBench's observation that robustness tracks clean accuracy is read off this plot.
    """
    rr = relative_robustness(df, dataset, metric)
    models = list(rr.index)
    palette = _palette(models)
    clean = [100.0 * clean_value(df, dataset, m, metric) for m in models]
    mrr = 100.0 * rr.mean(axis=1).to_numpy()
    with sns.axes_style(_STYLE), sns.plotting_context(**_CONTEXT):
        fig = Figure(figsize=(6.5, 5), layout="constrained")
        ax = fig.add_subplot()
        middle = 0.5 * (min(clean) + max(clean))
        for model, x, y in zip(models, clean, mrr):
            ax.scatter([x], [y], s=70, color=palette[model])
            left = x > middle
            ax.annotate(model, (x, y), xytext=(-7 if left else 7, 5), textcoords="offset points",
                        ha="right" if left else "left", fontsize=8)
        ax.margins(x=0.25, y=0.2)
        ax.set_xlabel(f"Clean m{metric} (%)")
        ax.set_ylabel("mRR (%) over PoseBench's 10 corruptions")
        ax.set_title(f"{dataset}: relative robustness vs clean m{metric}")
    return fig


def plot_robustness_radar(df: pd.DataFrame, dataset: str, metric: str = "AP") -> Figure:
    """Radar: RR (%) of each model on each of PoseBench's ten corruptions (one polygon a model)."""
    rr = relative_robustness(df, dataset, metric)
    models = list(rr.index)
    palette = _palette(models)
    labels = [DISPLAY[c] for c in rr.columns]
    angles = np.linspace(0.0, 2.0 * np.pi, len(labels), endpoint=False)
    closed = np.append(angles, angles[0])
    with sns.axes_style(_STYLE), sns.plotting_context(**_CONTEXT):
        fig = Figure(figsize=(7, 6), layout="constrained")
        ax = fig.add_subplot(projection="polar")
        for model in models:
            values = 100.0 * rr.loc[model].to_numpy(dtype=float)
            ax.plot(closed, np.append(values, values[0]), color=palette[model], lw=1.6, label=model)
            ax.fill(closed, np.append(values, values[0]), color=palette[model], alpha=0.08)
        ax.set_xticks(angles)
        ax.set_xticklabels(labels, fontsize=8)
        top = max(100.0, float(np.nanmax(100.0 * rr.to_numpy(dtype=float))))
        ax.set_ylim(0.0, top)
        ax.set_title(f"{dataset}: relative robustness per corruption (RR %, PoseBench)", fontsize=10)
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    return fig
