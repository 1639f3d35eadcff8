"""Figures from the long results table (seaborn on plain matplotlib ``Figure`` objects).

Figures are built with ``matplotlib.figure.Figure`` rather than ``pyplot`` so that no global
figure registry or GUI backend is involved; PNGs are rendered by Agg. Sizes and dpi are fixed
and the PNG "Software" tag is dropped, so the same data gives the same bytes.
"""
from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from robustpose._io import write_bytes_atomic
from robustpose.report.results_table import CLEAN, display_name
from robustpose.report.tables import robustness_parts

DPI = 150  # dots per inch of saved PNGs
_STYLE = "whitegrid"
_CONTEXT = dict(context="notebook", font_scale=0.9)
_PANEL_COLUMNS = 5  # small multiples per row in plot_ap_vs_severity


def _palette(models: list[str]) -> dict[str, tuple]:
    """Fixed model -> colour map (colour-blind safe; models sorted so colours are stable)."""
    colours = sns.color_palette("colorblind", n_colors=max(len(models), 1))
    return dict(zip(models, colours))


def _rotate_xticks(ax, degrees: int = 40) -> None:
    for label in ax.get_xticklabels():
        label.set_rotation(degrees)
        label.set_horizontalalignment("right")
        label.set_rotation_mode("anchor")


def plot_ap_per_corruption(df: pd.DataFrame, dataset: str, metric: str = "AP") -> Figure:
    """Grouped bars: metric per corruption (mean over severities) per model, clean as dashed lines.

    Args:
        df: long results table.
        dataset: dataset to plot.
        metric: primary metric ("AP", "PCKh").

    Returns:
        The figure (12 x 5 in).
    """
    clean, per_corr, _ = robustness_parts(df, dataset, metric)
    models = list(clean.index)
    palette = _palette(models)
    order = [display_name(c) for c in per_corr.columns]
    data = (per_corr.rename(columns=display_name).rename_axis(index="model", columns="corruption")
            .stack().rename("value").reset_index())
    data["value"] = 100.0 * data["value"]

    with sns.axes_style(_STYLE), sns.plotting_context(**_CONTEXT):
        fig = Figure(figsize=(12, 5), layout="constrained")
        ax = fig.add_subplot()
        sns.barplot(data=data, x="corruption", y="value", hue="model", order=order, hue_order=models,
                    palette=palette, errorbar=None, ax=ax)
        for model in models:
            ax.axhline(100.0 * clean[model], color=palette[model], linestyle="--", linewidth=1.3)
        _rotate_xticks(ax)
        ax.set_xlabel("Corruption")
        ax.set_ylabel(f"{metric} (%)")
        ax.set_ylim(0, 100.0 * max(clean.max(), per_corr.max().max()) * 1.08)
        ax.set_title(f"{dataset}: {metric} per corruption, mean over severities "
                     f"(dashed: clean {metric})")
        handles, labels = ax.get_legend_handles_labels()
        handles.append(Line2D([], [], color="0.3", linestyle="--"))
        labels.append(f"clean {metric} (model colour)")
        ax.legend(handles, labels, title="Model", loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  borderaxespad=0.0)
    return fig


def plot_ap_vs_severity(df: pd.DataFrame, dataset: str, metric: str = "AP") -> Figure:
    """Small multiples: one panel per corruption, metric vs severity (0 = clean) per model.

    Returns:
        The figure: up to five panels per row, shared axes, one legend on the right.
    """
    clean, per_corr, _ = robustness_parts(df, dataset, metric)
    models = list(clean.index)
    palette = _palette(models)
    corruptions = list(per_corr.columns)
    sub = df[(df["dataset"] == dataset) & (df["metric"] == metric)]
    cor = sub[sub["corruption"] != CLEAN]
    points = cor.groupby(["model", "corruption", "severity"])["value"].mean().reset_index()
    # Severity 0 is the clean score, repeated in every panel as the curves' common start.
    zero = pd.DataFrame([dict(model=m, corruption=c, severity=0, value=clean[m])
                         for m in models for c in corruptions])
    points = pd.concat([zero, points], ignore_index=True)
    points["value"] = 100.0 * points["value"]
    max_sev = int(points["severity"].max())

    ncols = min(_PANEL_COLUMNS, len(corruptions))
    nrows = math.ceil(len(corruptions) / ncols)
    with sns.axes_style(_STYLE), sns.plotting_context(**_CONTEXT):
        # At least 7.5 in wide so that the title and the legend do not collide with few panels.
        fig = Figure(figsize=(max(2.5 * ncols + 1.8, 7.5), 2.2 * nrows + 0.7), layout="constrained")
        axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
        for i, ax in enumerate(axes.flat):
            if i >= len(corruptions):
                ax.set_visible(False)
                continue
            corruption = corruptions[i]
            sns.lineplot(data=points[points["corruption"] == corruption], x="severity", y="value",
                         hue="model", hue_order=models, palette=palette, marker="o", markersize=4,
                         errorbar=None, legend=False, ax=ax)
            ax.set_title(display_name(corruption))
            ax.set_xticks(range(0, max_sev + 1))
            ax.set_xlabel("")
            ax.set_ylabel("")
            # The last row may be partly empty: give every panel its own severity tick labels.
            ax.tick_params(axis="x", labelbottom=True)
        axes.flat[0].set_ylim(0, float(points["value"].max()) * 1.08)
        handles = [Line2D([], [], color=palette[m], marker="o", markersize=4) for m in models]
        fig.legend(handles, models, title="Model", loc="outside right upper")
        fig.supxlabel("Severity (0 = clean)")
        fig.supylabel(f"{metric} (%)")
        fig.suptitle(f"{dataset}: {metric} vs corruption severity")
    return fig


def plot_rpc_vs_clean(df: pd.DataFrame, dataset: str, metric: str = "AP") -> Figure:
    """Scatter: clean metric (x, %) vs rPC (y, %), one labelled point per model.

    Returns:
        The figure (6.5 x 5 in).
    """
    clean, per_corr, _ = robustness_parts(df, dataset, metric)
    models = list(clean.index)
    palette = _palette(models)
    data = pd.DataFrame({"model": models, "clean": 100.0 * clean.values,
                         "rpc": 100.0 * per_corr.mean(axis=1).values / clean.values})

    with sns.axes_style(_STYLE), sns.plotting_context(**_CONTEXT):
        fig = Figure(figsize=(6.5, 5), layout="constrained")
        ax = fig.add_subplot()
        sns.scatterplot(data=data, x="clean", y="rpc", hue="model", hue_order=models, palette=palette,
                        s=70, legend=False, ax=ax)
        # Labels point away from the centre so that the outermost ones stay inside the axes.
        middle = 0.5 * (data["clean"].min() + data["clean"].max())
        for row in data.itertuples(index=False):
            left = row.clean > middle
            ax.annotate(row.model, (row.clean, row.rpc), xytext=(-7 if left else 7, 5),
                        textcoords="offset points", ha="right" if left else "left", fontsize=8)
        ax.margins(x=0.25, y=0.2)
        ax.set_xlabel(f"Clean {metric} (%)")
        ax.set_ylabel("rPC (%) = mPC / clean")
        ax.set_title(f"{dataset}: robustness vs clean {metric}")
    return fig


def figure_png_bytes(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes at ``DPI`` without the "Software" tag (deterministic bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def save_figure(fig: Figure, path: str | Path) -> None:
    """Write ``fig`` as PNG to ``path`` atomically, then release it."""
    data = figure_png_bytes(fig)
    write_bytes_atomic(path, data)
    # Figures built here are not in pyplot's registry; clearing frees their artists either way.
    fig.clear()


def plot_corruption_grid(clean: np.ndarray, rows: dict[str, list[np.ndarray]],
                         severities: list[int], title: str = "") -> Figure:
    """One example image under every corruption (rows) and severity (columns), clean first.

    So a reader can see what "severity 3 fog" means before reading a number about it.
    """
    n_rows, n_cols = len(rows), len(severities) + 1
    h, w = clean.shape[:2]
    cell = 1.5
    fig = Figure(figsize=(n_cols * cell * w / max(h, w) + 1.2, n_rows * cell * h / max(h, w) + 0.6),
                 layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for r, (name, images) in enumerate(rows.items()):
        for c, img in enumerate([clean, *images]):
            ax = axes[r][c]
            ax.imshow(img, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title("clean" if c == 0 else f"severity {severities[c - 1]}", fontsize=9)
            if c == 0:
                ax.set_ylabel(display_name(name), fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_mixing_examples(examples: dict[str, np.ndarray], title: str = "") -> Figure:
    """Training samples of a mixing strategy: the proposals, the weight each gets per pixel, the mix.

    One row per sample: the proposals (the original first), their attention maps (0..1, the
    same colour scale, so a map that is bright everywhere shows a degenerate generator) and
    the mixed image the student trains on, with its keypoints.
    """
    props, attn, mixed = examples["proposals"], examples["attention"], examples["mixed"]
    n, p = props.shape[:2]
    cols = 2 * p + 1
    h, w = mixed.shape[1:3]
    cell = 1.3
    fig = Figure(figsize=(cols * cell * w / max(h, w) + 0.8, n * cell * h / max(h, w) + 0.6), layout="constrained")
    axes = fig.subplots(n, cols, squeeze=False)
    for r in range(n):
        panels = [(props[r, i], f"proposal {i}" if i else "original") for i in range(p)]
        panels += [(attn[r, i], f"weight {i}") for i in range(p)] + [(mixed[r], "mixed")]
        for c, (img, label) in enumerate(panels):
            ax = axes[r][c]
            if img.ndim == 2:
                ax.imshow(img, cmap="magma", vmin=0.0, vmax=1.0, interpolation="nearest")
            else:
                ax.imshow(img, interpolation="nearest")
            if c == cols - 1:
                vis = examples["visible"][r] > 0
                ax.scatter(examples["keypoints"][r][vis, 0], examples["keypoints"][r][vis, 1], s=4, c="lime")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(label, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
