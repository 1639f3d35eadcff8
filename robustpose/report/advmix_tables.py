"""AdvMix tables (Wang et al. Table 2 and the mixing ablation) from the long results table.

Each run's base model, strategy and seed are columns of the long table (``RUN_FIELDS``, from the
metrics file's ``meta.run``); a run with strategy ``clean`` is the clean model, the paper's "Standard". Repeats over seeds are averaged and their
spread shown as ``mean ± std`` (sample std, n in its own column), so a reader sees whether a
difference between strategies is larger than the noise of one fine-tuning run.
"""
from __future__ import annotations

import pandas as pd

from robustpose.evaluate.robustness import relative_scores
from robustpose.report.results_table import CLEAN_STRATEGY, display_name
from robustpose.report.tables import metric_label, robustness_parts

# Row labels and order of the paper's ablation (Table 6) plus the controls we add.
STRATEGY_LABELS = {
    "clean": "Standard (clean model)",
    "standard": "Standard, fine-tuned (same steps)",
    "autoaugment": "AutoAugment",
    "gridmask": "GridMask",
    "sequential": "SequentialMix",
    "equal": "EqualMix",
    "dirichlet": "DirichletMix",
    "advmix_image": "AdvMix-Image",
    "advmix": "AdvMix",
    "advmix_nokd": "AdvMix w/o KD",
}


def run_identities(df: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """One row per run (``model``) of ``dataset``: its base model, strategy and seed."""
    sub = df[df["dataset"] == dataset]
    runs = sub[["model", "base_model", "strategy", "run_seed"]].drop_duplicates()
    clashing = runs["model"][runs["model"].duplicated()]
    if len(clashing):
        raise ValueError(f"dataset {dataset!r}: run {clashing.iloc[0]!r} has more than one identity "
                         f"(base_model, strategy, run_seed) in the results")
    return runs.rename(columns={"base_model": "base", "run_seed": "seed"}).set_index("model")


def strategy_groups(runs: pd.DataFrame) -> list[tuple[str, str, list[str]]]:
    """``(base, strategy, models)`` for each base model that has fine-tuned variants, the clean
    model first and then the strategies in ``STRATEGY_LABELS`` order (the tables' row order)."""
    groups = []
    for base in sorted(set(runs.loc[runs["strategy"] != CLEAN_STRATEGY, "base"])):
        for strategy in STRATEGY_LABELS:
            members = sorted(runs.index[(runs["base"] == base) & (runs["strategy"] == strategy)])
            if members:
                groups.append((base, strategy, members))
    return groups


def per_run_scores(df: pd.DataFrame, dataset: str, metric: str) -> pd.DataFrame:
    """One row per evaluated model: base, strategy, seed, clean, mPC, rPC (fractions)."""
    clean, per_corr, _ = robustness_parts(df, dataset, metric)
    ids = run_identities(df, dataset)
    rows = []
    for model in clean.index:
        scores = relative_scores(float(clean[model]), per_corr.loc[model].to_numpy())
        rows.append({"model": model, "base": ids.at[model, "base"], "strategy": ids.at[model, "strategy"],
                     "seed": ids.at[model, "seed"], "clean": float(clean[model]), "mPC": scores["mPC"],
                     "rPC": scores["rPC"]})
    return pd.DataFrame(rows)


def _mean_std(values: pd.Series, signed: bool = False) -> str:
    v = 100.0 * values.to_numpy(dtype=float)
    mean = f"{v.mean():+.1f}" if signed else f"{v.mean():.1f}"
    return mean if len(v) == 1 else f"{mean} ± {v.std(ddof=1):.1f}"


def ablation_table(df: pd.DataFrame, dataset: str, metric: str = "AP") -> pd.DataFrame:
    """The mixing ablation for each base model that has fine-tuned variants: one row per strategy
    (the clean model first, then the paper's order), ``clean / mPC / rPC`` as mean ± std in %.

    When plain fine-tuning (``standard``) ran too, two more columns give each strategy's change
    against it *paired by seed* (mean ± std of the per-seed differences). Every strategy sees the
    same instances and base crops at a given step and seed, so the paired difference removes the
    run-to-run noise the strategies share and is the number that says whether mixing helped.
    """
    runs = per_run_scores(df, dataset, metric).set_index("model")
    label = metric_label(metric)
    delta_cols = [f"Δ{label} vs FT", "ΔmPC vs FT"]
    rows = []
    for base, strategy, members in strategy_groups(runs):
        g = runs.loc[members]
        control = runs[(runs["base"] == base) & (runs["strategy"] == "standard")].set_index("seed")
        row = {"Model": base, "Method": STRATEGY_LABELS[strategy], "n": len(g),
               label: _mean_std(g["clean"]), "mPC": _mean_std(g["mPC"]), "rPC": _mean_std(g["rPC"])}
        paired = g.set_index("seed").join(control, rsuffix="_ft", how="inner")
        for col, key in zip(delta_cols, ("clean", "mPC")):
            diff = paired[key] - paired[f"{key}_ft"]
            row[col] = _mean_std(diff, signed=True) if strategy not in ("clean", "standard") and len(diff) else ""
        rows.append(row)
    columns = ["Model", "Method", "n", label, "mPC", "rPC"]
    if any(r[c] for r in rows for c in delta_cols):
        columns += delta_cols
    return pd.DataFrame(rows, columns=columns)


def standard_vs_advmix_table(df: pd.DataFrame, dataset: str, metric: str = "AP") -> pd.DataFrame:
    """Wang et al. Table 2: per model, Standard (the clean model) vs AdvMix (mean over seeds)."""
    runs = per_run_scores(df, dataset, metric)
    rows = []
    label = metric_label(metric)
    for base in sorted(set(runs.loc[runs["strategy"] == "advmix", "base"])):
        std = runs[(runs["base"] == base) & (runs["strategy"] == "clean")]
        adv = runs[(runs["base"] == base) & (runs["strategy"] == "advmix")]
        if std.empty:
            continue
        row = {"Method": base}
        for name, g in (("Standard", std), ("AdvMix", adv)):
            row.update({f"{name} {label}": _mean_std(g["clean"]), f"{name} mPC": _mean_std(g["mPC"]),
                        f"{name} rPC": _mean_std(g["rPC"])})
        row["ΔmPC"] = f"{100.0 * (adv['mPC'].mean() - std['mPC'].mean()):+.1f}"
        row[f"Δ{label}"] = f"{100.0 * (adv['clean'].mean() - std['clean'].mean()):+.1f}"
        rows.append(row)
    return pd.DataFrame(rows)


def per_corruption_table(df: pd.DataFrame, dataset: str, metric: str = "AP") -> pd.DataFrame:
    """Wang et al. Table 3 shape: per base model, one row per strategy (the clean model first),
    the clean metric, mPC, and each corruption's mean over severities, every value averaged over
    the strategy's seeds (``n``), in percent. Shows *which* corruptions a strategy moves."""
    clean, per_corr, _ = robustness_parts(df, dataset, metric)
    rows = []
    for base, strategy, models in strategy_groups(run_identities(df, dataset)):
        means = per_corr.loc[models].mean(axis=0)
        row = {"Model": base, "Method": STRATEGY_LABELS[strategy], "n": len(models),
               metric_label(metric): f"{100.0 * clean.loc[models].mean():.1f}", "mPC": f"{100.0 * means.mean():.1f}"}
        row.update({display_name(c): f"{100.0 * v:.1f}" for c, v in means.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def has_finetuned(df: pd.DataFrame) -> bool:
    """Whether any run in ``df`` is a fine-tuned one (the AdvMix tables are written only then)."""
    return bool((df["strategy"] != CLEAN_STRATEGY).any())


__all__ = ["STRATEGY_LABELS", "ablation_table", "has_finetuned", "per_corruption_table", "per_run_scores",
           "run_identities", "standard_vs_advmix_table", "strategy_groups"]
