"""Figures of the adversarial study: Shah et al.'s Figure 2, the transfer matrices, examples.

Same conventions as ``robustpose.report.figures``: plain ``matplotlib.figure.Figure`` objects
(no pyplot registry, Agg rendering), the seaborn whitegrid style and one fixed colour per model,
so equal inputs give equal PNG bytes. A panel whose attack was not run says "not run" instead of
failing: a reduced grid (CI, a quick profile) still gets its report.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from robustpose.report.attack_tables import (
    attack_label,
    attack_value,
    family_of,
    is_targeted,
    metric_of,
    transfer_table,
)
from robustpose.report.figures import _CONTEXT, _STYLE, _palette, save_figure

_REGRESSION = ("regression", "rle")     # direct coordinate regression (panel c's dashed lines)
_LINESTYLE = {"heatmap": "-", "regression": "--", "rle": "--"}


def _not_run(ax: Axes, what: str) -> None:
    ax.text(0.5, 0.5, f"{what}: not run", ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


def _eps_values(results: Mapping[str, dict], attack: str) -> list[float]:
    return sorted({float(e) for r in results.values() for e in r.get("attacks", {}).get(attack, {})})


def _x(eps: float, smallest: float) -> float:
    """log2 position of an epsilon; eps 0 (the clean point) one octave left of the smallest."""
    return math.log2(eps) if eps > 0 else math.log2(smallest) - 1.0


def _curve_panel(ax: Axes, results: Mapping[str, dict], attack: str, palette: dict, title: str,
                 models: list[str] | None = None, styles: Mapping[str, str] | None = None) -> bool:
    """Metric vs epsilon, one line per model, clean at eps 0 (100% relative; for a targeted
    attack the clean prediction's target metric). False when no model ran ``attack``."""
    metric = metric_of(results)
    eps = [e for e in _eps_values(results, attack) if e > 0]
    models = [m for m in (models if models is not None else list(results)) if attack in results[m].get("attacks", {})]
    ax.set_title(title, fontsize=10)
    if not eps or not models:
        _not_run(ax, attack_label(attack))
        return False
    targeted = is_targeted(attack)
    for model in models:
        res = results[model]
        if targeted:
            clean = res.get("clean", {}).get("target_metric", {}).get(metric)
            start = [] if clean is None else [(0.0, 100.0 * clean)]
        else:
            start = [(0.0, 100.0)]
        points = start + [(e, attack_value(res, attack, e, metric)) for e in eps]
        points = [(e, v) for e, v in points if not math.isnan(v)]
        ax.plot([_x(e, eps[0]) for e, _ in points], [v for _, v in points], marker="o", markersize=3.5,
                color=palette[model], linestyle=(styles or {}).get(model, "-"), linewidth=1.4)
    ticks = [0.0, *eps]
    ax.set_xticks([_x(e, eps[0]) for e in ticks], [f"{e:g}" for e in ticks])
    ax.set_xlabel("ε (grey levels, log2; 0 = clean)")
    ax.set_ylabel(f"target {metric} (%)" if targeted else f"relative {metric} (%)")
    ax.set_ylim(bottom=0)
    return True


def _bar_panel(ax: Axes, results: Mapping[str, dict], attacks: tuple[str, str], eps: float,
               palette: dict, title: str) -> None:
    """Bars at one epsilon: the same attack with few vs many iterations, per model."""
    metric = metric_of(results)
    rows = [{"model": m, "attack": attack_label(a), "value": attack_value(results[m], a, eps, metric)}
            for m in results for a in attacks]
    data = pd.DataFrame(rows).dropna()
    ax.set_title(title, fontsize=10)
    if data.empty:
        _not_run(ax, " / ".join(attack_label(a) for a in attacks) + f" at ε={eps:g}")
        return
    sns.barplot(data=data, x="attack", y="value", hue="model", hue_order=list(results), palette=palette,
                order=[attack_label(a) for a in attacks], errorbar=None, legend=False, ax=ax)
    for i, attack in enumerate(attacks):
        if attack_label(attack) not in set(data["attack"]):
            ax.text(i, 0, "not run", ha="center", va="bottom", color="0.4")
    ax.set_xlabel(f"ε = {eps:g}")
    ax.set_ylabel(("target " if is_targeted(attacks[0]) else "relative ") + f"{metric} (%)")


def plot_figure2(results: Mapping[str, dict], eps: float = 8.0) -> Figure:
    """Shah et al. Figure 2 for one dataset (``{label: attack json}``), six panels:
    (a) FGSM-U, (b) IGSM-U-10, (c) heatmap vs regression under IGSM-U-10, (d) IGSM-T-20 target
    metric, all against epsilon; (e) 10 vs 100 untargeted and (f) 20 vs 100 targeted iterations
    at ``eps``. One legend: the model colours (and in (c) the family line styles)."""
    models = sorted(results)
    palette = _palette(models)
    families = {m: family_of(results[m]) for m in models}
    dataset = next((r.get("meta", {}).get("dataset") for r in results.values()), "")
    with sns.axes_style(_STYLE), sns.plotting_context(**_CONTEXT):
        fig = Figure(figsize=(14, 8), layout="constrained")
        axes = fig.subplots(2, 3).flat
        _curve_panel(axes[0], results, "fgsm-u", palette, "(a) FGSM-U")
        _curve_panel(axes[1], results, "igsm-u-10", palette, "(b) IGSM-U-10")
        pair = [m for m in models if families[m] == "heatmap" or families[m] in _REGRESSION]
        _curve_panel(axes[2], results, "igsm-u-10", palette, "(c) IGSM-U-10: heatmap (solid)\nvs regression (dashed)",
                     models=pair, styles={m: _LINESTYLE.get(families[m], "-") for m in pair})
        _curve_panel(axes[3], results, "igsm-t-20", palette, "(d) IGSM-T-20")
        _bar_panel(axes[4], results, ("igsm-u-10", "igsm-u-100"), eps, palette, "(e) 10 vs 100 iterations, untargeted")
        _bar_panel(axes[5], results, ("igsm-t-20", "igsm-t-100"), eps, palette, "(f) 20 vs 100 iterations, targeted")
        handles = [Line2D([], [], color=palette[m], marker="o", markersize=4) for m in models]
        labels = [f"{m} ({families[m]})" for m in models]
        fig.legend(handles, labels, title="Model", loc="outside right upper")
        fig.suptitle(f"{dataset}: adversarial attacks (relative metric: lower = stronger; "
                     "target metric: higher = stronger)")
    return fig


def plot_transfer(transfer: dict) -> Figure:
    """The image-specific and the universal transfer matrices side by side (relative metric, %;
    rows = attacked model, columns = model the perturbation was crafted on)."""
    meta = transfer.get("meta", {})
    panels = (("image_specific", f"image-specific ({meta.get('image_specific', '?')})"),
              ("universal", f"universal (ε={meta.get('universal_eps', '?')})"))
    with sns.axes_style("white"), sns.plotting_context(**_CONTEXT):
        n = max(len(transfer.get(k) or {}) for k, _ in panels) or 1
        fig = Figure(figsize=(2 * (1.0 * n + 2.5), 0.8 * n + 2.2), layout="constrained")
        axes = fig.subplots(1, 2)
        for ax, (kind, title) in zip(axes, panels):
            table = transfer_table(transfer, kind).drop(columns="Vulner.").set_index("Target")
            ax.set_title(title, fontsize=10)
            if table.empty:
                _not_run(ax, kind)
                continue
            sns.heatmap(table.astype(float), vmin=0, vmax=100, cmap="rocket", annot=True, fmt=".0f",
                        cbar=ax is axes[-1], square=True, ax=ax)
            ax.set_xlabel("source (perturbation crafted on)")
            ax.set_ylabel("target (attacked)")
        fig.suptitle(f"{meta.get('dataset', '')}: transfer of adversarial perturbations, "
                     f"relative {meta.get('metric', 'metric')} (%)")
    return fig


def _draw_pose(ax: Axes, kp: np.ndarray, visible: np.ndarray, skeleton: Sequence[tuple[int, int]]) -> None:
    vis = np.asarray(visible) > 0
    for a, b in skeleton:
        if vis[a] and vis[b]:
            ax.plot(kp[[a, b], 0], kp[[a, b], 1], color="lime", linewidth=1.2)
    ax.scatter(kp[vis, 0], kp[vis, 1], s=6, c="yellow", zorder=3)


def plot_examples(clean: np.ndarray, adversarial: np.ndarray, clean_kp: np.ndarray, adv_kp: np.ndarray,
                  visible: np.ndarray, skeleton: Sequence[tuple[int, int]], title: str = "") -> Figure:
    """A few crops, one per column: clean with its predicted skeleton, attacked with its
    prediction, and the perturbation stretched to the full range (grey = 0), so a reader sees
    both that the image looks unchanged and that the prediction is not (the paper's finding 7:
    attacked skeletons stay plausible).

    Args:
        clean: (n, H, W, 3) uint8 crops.
        adversarial: (n, H, W, 3) float crops in 0..255 (not re-quantised).
        clean_kp, adv_kp: (n, K, 2) predicted keypoints in crop pixels.
        visible: (n, K) which keypoints to draw.
        skeleton: 0-based keypoint index pairs.
    """
    n, h, w = clean.shape[:3]
    delta = adversarial.astype(np.float64) - clean.astype(np.float64)
    peak = float(np.abs(delta).max())
    gain = 127.5 / peak if peak > 0 else 1.0
    cell = 1.8
    fig = Figure(figsize=(n * cell * w / max(h, w) + 1.0, 3 * cell * h / max(h, w) + 0.6), layout="constrained")
    axes = fig.subplots(3, n, squeeze=False)
    for i in range(n):
        panels = ((clean[i], clean_kp[i], "clean"),
                  (np.clip(adversarial[i], 0, 255).astype(np.float64) / 255.0, adv_kp[i], "attacked"),
                  (np.clip(0.5 + delta[i] * gain / 255.0, 0.0, 1.0), None,
                   f"perturbation x{gain:.0f} (max |δ| {peak:.1f})"))
        for r, (img, kp, label) in enumerate(panels):
            ax = axes[r][i]
            ax.imshow(img, interpolation="nearest")
            if kp is not None:
                _draw_pose(ax, np.asarray(kp), visible[i], skeleton)
            ax.set_xlim(-0.5, w - 0.5)
            ax.set_ylim(h - 0.5, -0.5)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_ylabel(label, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


__all__ = ["plot_examples", "plot_figure2", "plot_transfer", "save_figure"]
