"""Robustness tables (Wang et al., Table 1 layout) recomputed from the long results table.

Definitions (Wang et al., Eq. 1-4; PoseBench for mRR), with ``P_{c,s}`` the metric on corruption
``c`` at severity ``s`` and ``P_clean`` the metric on clean data, per model:

    mPC = mean_c mean_s P_{c,s}
    rPC = mPC / P_clean
    mRR = mean_c (mean_s P_{c,s} / P_clean)

With one clean value per model, mRR equals rPC algebraically; both are reported because the two
papers name them differently. All three come from ``robustpose.evaluate.robustness.relative_scores``,
the one definition the evaluate stage uses too. Every corruption present in the DataFrame for the dataset enters the
means: the caller picks the set by filtering the DataFrame. Tables show percent with one decimal,
as the paper does (AP 0.714 -> 71.4); ``summary_metrics`` keeps fractions for ``dvc metrics diff``.
"""
from __future__ import annotations

import io
import math
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from robustpose._io import write_text_atomic
from robustpose.corrupt import benchmark_category, benchmark_sets
from robustpose.evaluate.robustness import relative_scores
from robustpose.report.results_table import CLEAN, corruption_order, display_name

# Primary metric per dataset when the caller does not say (COCO-style first, then MPII).
_PRIMARY_METRICS = ("AP", "PCKh")


def _metric_rows(df: pd.DataFrame, dataset: str, metric: str) -> pd.DataFrame:
    if dataset not in set(df["dataset"]):
        raise ValueError(f"dataset {dataset!r} not in results; available: {sorted(set(df['dataset']))}")
    sub = df[(df["dataset"] == dataset) & (df["metric"] == metric)]
    if sub.empty:
        known = sorted(set(df.loc[df["dataset"] == dataset, "metric"]))
        raise ValueError(f"dataset {dataset!r} has no rows for metric {metric!r}; available: {known}")
    return sub


def dataset_benchmarks(df: pd.DataFrame, dataset: str) -> dict[str, list[str]]:
    """``benchmark_sets`` of the corruptions ``dataset`` was evaluated on (see there)."""
    present = corruption_order(df.loc[df["dataset"] == dataset, "corruption"])
    return benchmark_sets(present)


def benchmark_rows(df: pd.DataFrame, dataset: str, benchmark: str | None = None) -> pd.DataFrame:
    """``dataset``'s clean rows and those of one benchmark's corruptions, in that benchmark's
    categories: the DataFrame a benchmark's tables and figures are computed from.

    ``benchmark`` None is the dataset's first benchmark (``dataset_benchmarks``): COCO-C's 15 when
    all were evaluated, so Table 1 keeps Wang et al.'s definition when PoseBench's are added.
    """
    sets = dataset_benchmarks(df, dataset)
    benchmark = benchmark or next(iter(sets))
    if benchmark not in sets:
        raise ValueError(f"dataset {dataset!r}: benchmark {benchmark!r} was not evaluated in full "
                         f"(complete: {sorted(sets)})")
    sub = df[(df["dataset"] == dataset) & df["corruption"].isin([CLEAN, *sets[benchmark]])].copy()
    corrupted = sub["corruption"] != CLEAN
    sub.loc[corrupted, "category"] = [benchmark_category(c, benchmark) for c in sub.loc[corrupted, "corruption"]]
    return sub


def robustness_parts(df: pd.DataFrame, dataset: str, metric: str) -> tuple[pd.Series, pd.DataFrame, dict]:
    """Clean value per model, mean-over-severities per model x corruption, corruption -> category.

    Returns:
        ``(clean, per_corruption, categories)``: ``clean`` indexed by model (sorted),
        ``per_corruption`` with one column per corruption in table order, all fractions.

    Raises:
        ValueError: a model lacks its clean row, has no corrupted rows, or was evaluated on a
            different (corruption, severity) grid than the other models of the dataset (its
            mPC would then average over a different set and not be comparable).
    """
    sub = _metric_rows(df, dataset, metric)
    clean_rows = sub[sub["corruption"] == CLEAN]
    cor = sub[sub["corruption"] != CLEAN]
    models = sorted(set(sub["model"]))

    counts = clean_rows.groupby("model")["value"].size()
    for model in models:
        if counts.get(model, 0) != 1:
            raise ValueError(f"dataset {dataset!r}, model {model!r}: expected one clean {metric} row, "
                             f"found {counts.get(model, 0)}")
    clean = clean_rows.set_index("model")["value"].loc[models]

    grids = {m: frozenset(zip(g["corruption"], g["severity"])) for m, g in cor.groupby("model")}
    if not grids:
        raise ValueError(f"dataset {dataset!r}: no corrupted rows for metric {metric!r}")
    union = frozenset().union(*grids.values())
    for model in models:
        missing = sorted(union - grids.get(model, frozenset()))
        if missing:
            raise ValueError(
                f"dataset {dataset!r}, model {model!r}: lacks {len(missing)} (corruption, severity) "
                f"conditions that other models have, e.g. {missing[:3]}; evaluate them or filter the "
                f"DataFrame to a common set"
            )

    order = corruption_order(cor["corruption"])
    per_corr = cor.groupby(["model", "corruption"])["value"].mean().unstack("corruption")
    per_corr = per_corr.loc[models, order]

    cats = cor.groupby("corruption")["category"].agg(lambda s: sorted(set(s)))
    for corruption, names in cats.items():
        if len(names) != 1:
            raise ValueError(f"dataset {dataset!r}: corruption {corruption!r} has categories {names}")
    categories = {c: cats[c][0] for c in order}
    return clean, per_corr, categories


def _pct(x: float | None) -> float:
    return float("nan") if x is None else round(100.0 * float(x), 1)


def metric_label(metric: str) -> str:
    """Clean-metric column header as in the paper: ``AP*``, ``PCKh*``."""
    return f"{metric}*"


def robustness_table(df: pd.DataFrame, info: pd.DataFrame, dataset: str, metric: str = "AP") -> pd.DataFrame:
    """Wang et al. Table 1 for one dataset: one row per model.

    Args:
        df: long results table (``collect_results`` / ``read_results``).
        info: ``model_info`` table (for the input size).
        dataset: dataset name as in ``df``.
        metric: primary metric ("AP" for COCO-style data, "PCKh" for MPII).

    Returns:
        Columns ``Method, Input size, <metric>*, mPC, rPC, mRR`` then one column per corruption
        (paper header names, paper order; mean over severities). Values in percent, one decimal.

    Raises:
        ValueError: unknown dataset or metric, a model missing from ``info``, or an incomplete
            (corruption, severity) grid (see ``robustness_parts``).
    """
    clean, per_corr, _ = robustness_parts(df, dataset, metric)
    sizes = info[info["dataset"] == dataset].set_index("model")["input_size"]
    rows = []
    for model in clean.index:
        if model not in sizes.index:
            raise ValueError(f"dataset {dataset!r}: model {model!r} missing from model info "
                             f"(has {sorted(sizes.index)})")
        means = per_corr.loc[model]
        scores = relative_scores(float(clean[model]), means.to_numpy())
        row = {"Method": model, "Input size": sizes[model], metric_label(metric): _pct(clean[model]),
               **{k: _pct(scores[k]) for k in ("mPC", "rPC", "mRR")}}
        row.update({display_name(c): _pct(v) for c, v in means.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def category_table(df: pd.DataFrame, dataset: str, metric: str = "AP") -> pd.DataFrame:
    """mPC and rPC per corruption category (noise, blur, ...) for each model, in percent.

    Returns:
        Columns ``Method, <metric>*`` then ``<Category> mPC, <Category> rPC`` per category, the
        categories in the order their first corruption appears in the paper's order.
    """
    clean, per_corr, categories = robustness_parts(df, dataset, metric)
    cat_order = list(dict.fromkeys(categories.values()))
    rows = []
    for model in clean.index:
        row = {"Method": model, metric_label(metric): _pct(clean[model])}
        for cat in cat_order:
            scores = relative_scores(float(clean[model]),
                                     per_corr.loc[model, [c for c, k in categories.items() if k == cat]].to_numpy())
            label = cat.replace("_", " ").title()
            row[f"{label} mPC"] = _pct(scores["mPC"])
            row[f"{label} rPC"] = _pct(scores["rPC"])
        rows.append(row)
    return pd.DataFrame(rows)


def severity_table(df: pd.DataFrame, dataset: str, metric: str = "AP") -> pd.DataFrame:
    """Metric per model x corruption x severity, in percent.

    Returns:
        One row per (model, corruption) in table order; columns ``Method, Corruption, Clean``,
        one column per severity (``"1"``..``"5"``) and ``Mean`` (over severities).
    """
    clean, _, _ = robustness_parts(df, dataset, metric)
    sub = _metric_rows(df, dataset, metric)
    cor = sub[sub["corruption"] != CLEAN]
    grid = cor.pivot_table(index=["model", "corruption"], columns="severity", values="value", aggfunc="mean")
    severities = sorted(grid.columns)
    rows = []
    for model in clean.index:
        for corruption in corruption_order(cor["corruption"]):
            values = grid.loc[(model, corruption)]
            row = {"Method": model, "Corruption": display_name(corruption), "Clean": _pct(clean[model])}
            row.update({str(s): _pct(values[s]) for s in severities})
            row["Mean"] = _pct(values.mean())
            rows.append(row)
    return pd.DataFrame(rows)


def infer_metric(df: pd.DataFrame, dataset: str) -> str:
    """The primary metric of ``dataset``: the first of ("AP", "PCKh") present in ``df``."""
    present = set(df.loc[df["dataset"] == dataset, "metric"])
    for metric in _PRIMARY_METRICS:
        if metric in present:
            return metric
    raise ValueError(f"dataset {dataset!r}: none of {list(_PRIMARY_METRICS)} among its metrics "
                     f"{sorted(present)}; pass the metric explicitly")


def summary_metrics(df: pd.DataFrame, metrics: Mapping[str, str] | None = None) -> dict:
    """Per dataset and model: clean metric, mPC, rPC, mRR as fractions rounded to 4 decimals, over
    the dataset's first benchmark (``benchmark_rows``).

    Args:
        df: long results table.
        metrics: dataset -> primary metric; datasets not listed use ``infer_metric``.

    Returns:
        ``{dataset: {model: {"<metric>_clean", "mPC", "rPC", "mRR"}}}`` (``AP_clean`` for COCO-style
        datasets), the structure ``reports/metrics.json`` holds for ``dvc metrics diff``.
    """
    metrics = dict(metrics or {})
    out: dict[str, dict] = {}
    for dataset in sorted(set(df["dataset"])):
        metric = metrics.get(dataset) or infer_metric(df, dataset)
        clean, per_corr, _ = robustness_parts(benchmark_rows(df, dataset), dataset, metric)
        out[dataset] = {}
        for model in clean.index:
            c = float(clean[model])
            scores = relative_scores(c, per_corr.loc[model].to_numpy())
            out[dataset][model] = {f"{metric}_clean": round(c, 4),
                                   **{k: None if v is None else round(v, 4) for k, v in scores.items()}}
    return out


# ---------------------------------------------------------------- writers

def _cell(value: object, float_format: str) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else float_format % value
    return str(value)


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype)


def to_markdown(df: pd.DataFrame, float_format: str = "%.1f") -> str:
    """GitHub markdown table; text columns left-aligned, numeric columns right-aligned."""
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    header = "| " + " | ".join(esc(str(c)) for c in df.columns) + " |"
    align = "| " + " | ".join("---:" if _is_numeric(df[c]) else ":---" for c in df.columns) + " |"
    body = ["| " + " | ".join(esc(_cell(v, float_format)) for v in row) + " |"
            for row in df.itertuples(index=False, name=None)]
    return "\n".join([header, align, *body]) + "\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    """Escape LaTeX special characters (``_`` -> ``\\_`` etc.) in plain text."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def to_latex(df: pd.DataFrame, float_format: str = "%.1f") -> str:
    """A booktabs ``tabular`` (needs ``\\usepackage{booktabs}``); every cell LaTeX-escaped."""
    spec = "".join("r" if _is_numeric(df[c]) else "l" for c in df.columns)
    lines = [
        f"\\begin{{tabular}}{{{spec}}}",
        "\\toprule",
        " & ".join(latex_escape(str(c)) for c in df.columns) + " \\\\",
        "\\midrule",
        *(" & ".join(latex_escape(_cell(v, float_format)) for v in row) + " \\\\"
          for row in df.itertuples(index=False, name=None)),
        "\\bottomrule",
        "\\end{tabular}",
    ]
    return "\n".join(lines) + "\n"


def to_csv(df: pd.DataFrame, float_format: str = "%.1f") -> str:
    """CSV text with fixed float formatting and ``\\n`` line ends (byte-identical reruns)."""
    buf = io.StringIO()
    df.to_csv(buf, index=False, float_format=float_format, lineterminator="\n")
    return buf.getvalue()


def write_table(df: pd.DataFrame, out_stem: str | Path, float_format: str = "%.1f") -> list[Path]:
    """Write ``<stem>.md``, ``<stem>.csv`` and ``<stem>.tex`` atomically.

    Returns:
        The three paths written, in that order.
    """
    stem = Path(out_stem)
    paths = [stem.with_name(stem.name + ext) for ext in (".md", ".csv", ".tex")]
    for path, render in zip(paths, (to_markdown, to_csv, to_latex)):
        write_text_atomic(path, render(df, float_format))
    return paths
