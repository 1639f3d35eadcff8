"""3D lifting robustness report: tables (md/csv/tex) and figures from the lift results JSON.

Reads the dict ``robustpose.lift.benchmark.run_benchmark`` returns (``results/lift/results.json``).
Main table (the layout of Hoang et al.'s Human3.6M-C table): one row per lifter x remedy
{baseline, TAGN, CA-Conv, TAGN+CA-Conv}, columns clean MPJPE, MPJPE per corruption (mean over
severities), the mean over all corrupted conditions, and P-MPJPE clean / corrupted; every cell
``mean ± std`` over the model seeds (sample std). The CSV holds the same numbers as separate
``<column> mean`` / ``<column> std`` columns so it stays machine-readable.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from robustpose._io import write_text_atomic
from robustpose.report.figures import save_figure
from robustpose.report.tables import to_csv, to_latex, to_markdown

VARIANT_NAMES = {"baseline": "Baseline", "tagn": "TAGN", "caconv": "CA-Conv", "tagn_caconv": "TAGN + CA-Conv"}
LIFTER_NAMES = {"tcn": "VideoPose3D (TCN, 27f)", "transformer": "Transformer (MotionBERT-style, 27f)"}
CORRUPTION_NAMES = {"occlusion": "Occlusion", "motion_blur": "Motion blur", "noise_jitter": "Noise jitter",
                    "left_right_swap": "L/R swap", "frame_drop": "Frame drop"}


def _name(table: dict, key: str) -> str:
    return table.get(key, key)


def _pm(stat: dict) -> str:
    return f"{stat['mean']:.1f} ± {stat['std']:.1f}"


def _models(results: dict):
    """``(lifter, variant, entry)`` in the configured order (JSON files come back key-sorted)."""
    by_model = results["summary"]["by_model"]
    for lifter in results["config"]["lifters"]:
        for variant in results["config"]["variants"]:
            yield lifter, variant, by_model[lifter][variant]


def _main_columns(results: dict) -> list[tuple[str, callable]]:
    """(column title, entry -> {"mean", "std"}) for the main table, in paper order."""
    cols = [("Clean", lambda e: e["clean_mpjpe"])]
    for c in results["config"]["corruptions"]:
        cols.append((_name(CORRUPTION_NAMES, c), lambda e, c=c: e["per_corruption"][c]))
    cols += [("Mean corrupted", lambda e: e["corrupted_mpjpe"]),
             ("P-MPJPE clean", lambda e: e["clean_p_mpjpe"]),
             ("P-MPJPE corrupted", lambda e: e["corrupted_p_mpjpe"])]
    return cols


def main_table(results: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(display, numeric)``: MPJPE (mm) per lifter x variant, clean and per corruption.

    ``display`` has ``mean ± std`` strings (for md/tex), ``numeric`` separate mean/std columns.
    """
    cols = _main_columns(results)
    shown, numeric = [], []
    for lifter, variant, entry in _models(results):
        head = {"Lifter": _name(LIFTER_NAMES, lifter), "Training": _name(VARIANT_NAMES, variant)}
        shown.append({**head, **{title: _pm(get(entry)) for title, get in cols}})
        row = dict(head)
        for title, get in cols:
            row[f"{title} mean"], row[f"{title} std"] = get(entry)["mean"], get(entry)["std"]
        numeric.append(row)
    return pd.DataFrame(shown), pd.DataFrame(numeric)


def severity_table(results: dict) -> pd.DataFrame:
    """MPJPE (mm, mean over seeds) per lifter x variant x corruption and severity (0 = clean)."""
    rows = []
    for lifter, variant, entry in _models(results):
        for c in results["config"]["corruptions"]:
            row = {"Lifter": lifter, "Training": variant, "Corruption": c, "0": entry["clean_mpjpe"]["mean"]}
            row.update({str(s): entry["per_severity"][c][str(s)]["mean"] for s in results["config"]["severities"]})
            rows.append(row)
    return pd.DataFrame(rows)


def per_joint_table(results: dict) -> pd.DataFrame:
    """MPJPE (mm, mean over seeds) per joint: clean and mean corrupted for every lifter x variant."""
    table = pd.DataFrame({"Joint": results["joint_names"]})
    for lifter, variant, entry in _models(results):
        table[f"{lifter}/{variant} clean"] = entry["per_joint_clean"]
        table[f"{lifter}/{variant} corrupted"] = entry["per_joint_corrupted"]
    return table


def _write(display: pd.DataFrame, numeric: pd.DataFrame, stem: Path) -> list[Path]:
    paths = [stem.with_name(stem.name + ext) for ext in (".md", ".csv", ".tex")]
    write_text_atomic(paths[0], to_markdown(display))
    write_text_atomic(paths[1], to_csv(numeric))
    write_text_atomic(paths[2], to_latex(display).replace("±", r"$\pm$"))
    return paths


def plot_mpjpe_vs_severity(results: dict) -> Figure:
    """One panel per lifter x corruption: MPJPE vs severity (0 = clean) per variant, ±1 std."""
    by_model = results["summary"]["by_model"]
    lifters = list(results["config"]["lifters"])
    corruptions = results["config"]["corruptions"]
    severities = [0] + list(results["config"]["severities"])
    variants = list(results["config"]["variants"])
    palette = dict(zip(variants, sns.color_palette("colorblind", n_colors=len(variants))))
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.85):
        fig = Figure(figsize=(2.6 * len(corruptions) + 1.8, 2.4 * len(lifters) + 0.8), layout="constrained")
        axes = fig.subplots(len(lifters), len(corruptions), sharex=True, sharey="row", squeeze=False)
        for r, lifter in enumerate(lifters):
            for k, c in enumerate(corruptions):
                ax = axes[r, k]
                for v in variants:
                    entry = by_model[lifter][v]
                    stats = [entry["clean_mpjpe"]] + [entry["per_severity"][c][str(s)] for s in severities[1:]]
                    mean = np.array([s["mean"] for s in stats])
                    std = np.array([s["std"] for s in stats])
                    ax.plot(severities, mean, marker="o", markersize=3.5, color=palette[v])
                    ax.fill_between(severities, mean - std, mean + std, color=palette[v], alpha=0.18, linewidth=0)
                ax.set_xticks(severities)
                if r == 0:
                    ax.set_title(_name(CORRUPTION_NAMES, c))
                if k == 0:
                    ax.set_ylabel(f"{lifter}\nMPJPE (mm)")
        handles = [Line2D([], [], color=palette[v], marker="o", markersize=4) for v in variants]
        fig.legend(handles, [_name(VARIANT_NAMES, v) for v in variants], title="Training", loc="outside right upper")
        fig.supxlabel("Severity (0 = clean)")
        fig.suptitle("MPJPE vs corruption severity (mean ± std over seeds)")
    return fig


def _draw_skeleton_3d(ax, pose: np.ndarray, parents: list[int], colour: str, style: str = "-") -> None:
    # camera frame (x right, y down, z forward) -> plot axes (x, depth, up)
    for j, p in enumerate(parents):
        if p >= 0:
            ax.plot(pose[[p, j], 0], pose[[p, j], 2], -pose[[p, j], 1], style, color=colour, linewidth=2)


def plot_skeleton_example(results: dict, parents: list[int]) -> Figure:
    """The stored example window: clean vs corrupted 2D input, then ground truth vs the
    baseline's and the robust variant's 3D prediction (root-relative, metres)."""
    ex = results["example"]
    if not ex:
        raise ValueError("results have no example (the benchmark needs the baseline and a remedy)")
    clean2d, in2d = np.array(ex["clean_2d"]), np.array(ex["input_2d"])
    target, base, robust = (np.array(ex[k]) for k in ("target_3d", "baseline_3d", "robust_3d"))
    fig = Figure(figsize=(13, 4.4), layout="constrained")
    ax2d = fig.add_subplot(1, 3, 1)
    for j, p in enumerate(parents):
        if p >= 0:
            ax2d.plot(clean2d[[p, j], 0], clean2d[[p, j], 1], "-", color="0.6", linewidth=2)
            ax2d.plot(in2d[[p, j], 0], in2d[[p, j], 1], "-", color="tab:red", linewidth=1.5)
    ax2d.scatter(in2d[:, 0], in2d[:, 1], c=in2d[:, 2], cmap="viridis", vmin=0, vmax=1, s=18, zorder=3)
    ax2d.invert_yaxis()
    ax2d.set_aspect("equal", adjustable="datalim")
    ax2d.set_title(f"2D input: clean (grey) vs {ex['condition']} s{ex['severity']} (red;\n"
                   "dots coloured by confidence)", fontsize=9)
    lim = float(np.abs(np.concatenate([target, base, robust])).max()) * 1.05
    for i, (pred, label, mm) in enumerate(((base, "baseline", ex["baseline_mpjpe"]),
                                           (robust, _name(VARIANT_NAMES, ex["robust_variant"]), ex["robust_mpjpe"]))):
        ax = fig.add_subplot(1, 3, i + 2, projection="3d")
        _draw_skeleton_3d(ax, target, parents, "0.45")
        _draw_skeleton_3d(ax, pred, parents, "tab:red" if i == 0 else "tab:blue", "--")
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_zlim(-lim, lim)
        ax.view_init(elev=12, azim=-70)
        ax.set_title(f"{label}: MPJPE {mm:.0f} mm\n(grey: ground truth)", fontsize=9)
        ax.set_xlabel("x (m)")
        ax.set_ylabel("depth (m)")
        ax.set_zlabel("up (m)")
    fig.suptitle(f"{ex['lifter']}, seed {ex['seed']}: a hard window (75th-percentile baseline error)")
    return fig


def write_lift_reports(results: dict, tables_dir: str | Path, figures_dir: str | Path) -> list[Path]:
    """Write ``lift_table``, ``lift_severity``, ``lift_per_joint`` (md/csv/tex) and the figures
    ``lift_mpjpe_vs_severity.png``, ``lift_skeleton.png``; returns every path written."""
    from robustpose.lift.skeleton import skeleton_for

    tables_dir, figures_dir = Path(tables_dir), Path(figures_dir)
    display, numeric = main_table(results)
    paths = _write(display, numeric, tables_dir / "lift_table")
    sev = severity_table(results)
    paths += _write(sev, sev, tables_dir / "lift_severity")
    joints = per_joint_table(results)
    paths += _write(joints, joints, tables_dir / "lift_per_joint")
    fig_path = figures_dir / "lift_mpjpe_vs_severity.png"
    save_figure(plot_mpjpe_vs_severity(results), fig_path)
    paths.append(fig_path)
    if results.get("example"):
        skel_path = figures_dir / "lift_skeleton.png"
        parents = list(skeleton_for(len(results["joint_names"]))[1])
        save_figure(plot_skeleton_example(results, parents), skel_path)
        paths.append(skel_path)
    return paths
