"""Per-model metrics JSON files -> one long-format results table.

The long table (``reports/results.csv``) has one row per
``(dataset, model, corruption, severity, metric)`` with the columns in ``RESULT_COLUMNS``.
Clean data appears as ``corruption="clean", category="clean", severity=0``. Every table and
figure is drawn from it, so the sort order is fixed here: dataset, model, corruption in the
paper's order (``corruption_order``), severity, metric.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from robustpose._io import read_json, write_text_atomic

RESULT_COLUMNS = ("dataset", "model", "base_model", "strategy", "run_seed", "corruption", "category", "severity",
                  "metric", "value")
# A run's identity, from the metrics file's ``meta.run`` (evaluate stage): the clean model a
# fine-tuned run started from, its fine-tuning strategy and seed. Tables group by these fields;
# nothing parses them out of the run's name. A file without ``meta.run`` is a model evaluated as
# itself (``strategy="clean"``, no seed).
RUN_FIELDS = ("base_model", "strategy", "run_seed")
CLEAN_STRATEGY = "clean"
INFO_COLUMNS = ("model", "dataset", "input_size", "head", "metric")
CLEAN = "clean"

# Column order of Wang et al., Table 1 (the ImageNet-C order of Hendrycks & Dietterich, 2019).
PAPER_CORRUPTION_ORDER = (
    "gaussian_noise", "shot_noise", "impulse_noise",
    "defocus_blur", "glass_blur", "motion_blur", "zoom_blur",
    "snow", "frost", "fog", "brightness",
    "contrast", "elastic_transform", "pixelate", "jpeg_compression",
)
# Column headers as printed in the paper ("Defoucs" there is a typo; we print "Defocus").
DISPLAY_NAMES = {
    "gaussian_noise": "Gauss", "shot_noise": "Shot", "impulse_noise": "Impulse",
    "defocus_blur": "Defocus", "glass_blur": "Glass", "motion_blur": "Motion",
    "zoom_blur": "Zoom", "snow": "Snow", "frost": "Frost", "fog": "Fog",
    "brightness": "Bright", "contrast": "Contrast", "elastic_transform": "Elastic",
    "pixelate": "Pixel", "jpeg_compression": "JPEG",
}
_PAPER_RANK = {name: i for i, name in enumerate(PAPER_CORRUPTION_ORDER)}


def corruption_sort_key(name: str) -> tuple[int, int, str]:
    """Sort key: ``clean`` first, then the paper's 15 in paper order, then the rest by name."""
    if name == CLEAN:
        return (0, 0, "")
    if name in _PAPER_RANK:
        return (1, _PAPER_RANK[name], "")
    return (2, 0, name)


def corruption_order(names: Iterable[str]) -> list[str]:
    """Distinct corruption names (``clean`` excluded) in table order."""
    return sorted({n for n in names if n != CLEAN}, key=corruption_sort_key)


def display_name(corruption: str) -> str:
    """Column header for a corruption: the paper's short name, else the title-cased name."""
    return DISPLAY_NAMES.get(corruption, corruption.replace("_", " ").title())


def _require(mapping: Any, key: str, where: str, source: str) -> Any:
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{source}: '{where}' must be a JSON object, got {type(mapping).__name__}")
    if key not in mapping:
        full = f"{where}.{key}" if where else key
        raise ValueError(f"{source}: missing key '{full}' (see DESIGN.md 'Data contracts' for the schema)")
    return mapping[key]


def _metric_rows(values: Any, where: str, primary: str, source: str) -> list[tuple[str, float]]:
    _require(values, primary, where, source)  # also checks that ``values`` is an object
    rows = []
    for key in sorted(values):
        val = values[key]
        if isinstance(val, bool) or not isinstance(val, (int, float)):
            raise ValueError(f"{source}: '{where}.{key}' must be a number, got {val!r}")
        rows.append((str(key), float(val)))
    return rows


def metrics_to_rows(metrics: Mapping[str, Any], source: str = "<metrics dict>") -> list[dict]:
    """Turn one metrics JSON (``results/metrics/<model>/<ds>.json``) into long-format rows.

    Args:
        metrics: the parsed JSON: ``meta`` (model, dataset, metric, categories), ``clean``
            (metric name -> value) and ``corrupted`` (corruption -> severity "1".."5" -> metric
            name -> value). ``summary`` is ignored: tables recompute it from these rows.
        source: how to name the input in error messages (the file path).

    Returns:
        One dict per (condition, metric key) with the keys of ``RESULT_COLUMNS``; clean rows have
        ``corruption="clean", category="clean", severity=0``. Values are fractions as stored.

    Raises:
        ValueError: a required key is missing, a severity is not an integer >= 1, a value is not a
            number, or a corruption has no entry in ``meta.categories``. The message names
            ``source`` and the key.
    """
    meta = _require(metrics, "meta", "", source)
    model = str(_require(meta, "model", "meta", source))
    run = _run_identity(meta, model, source)
    dataset = str(_require(meta, "dataset", "meta", source))
    primary = str(_require(meta, "metric", "meta", source))
    categories = _require(meta, "categories", "meta", source)
    clean = _require(metrics, "clean", "", source)
    corrupted = _require(metrics, "corrupted", "", source)
    if not isinstance(corrupted, Mapping):
        raise ValueError(f"{source}: 'corrupted' must be a JSON object, got {type(corrupted).__name__}")

    rows = [
        dict(dataset=dataset, model=model, **run, corruption=CLEAN, category=CLEAN, severity=0, metric=k, value=v)
        for k, v in _metric_rows(clean, "clean", primary, source)
    ]
    for corruption in corruption_order(corrupted):
        category = str(_require(categories, corruption, "meta.categories", source))
        by_severity = corrupted[corruption]
        if not isinstance(by_severity, Mapping) or not by_severity:
            raise ValueError(f"{source}: 'corrupted.{corruption}' must map severities '1'..'5' to metrics")
        for sev_key, values in by_severity.items():
            try:
                severity = int(sev_key)
            except (TypeError, ValueError):
                severity = 0
            if severity < 1 or str(severity) != str(sev_key):
                raise ValueError(
                    f"{source}: severity key '{sev_key}' under 'corrupted.{corruption}' is not an integer >= 1"
                )
            where = f"corrupted.{corruption}.{sev_key}"
            rows.extend(
                dict(dataset=dataset, model=model, **run, corruption=corruption, category=category,
                     severity=severity, metric=k, value=v)
                for k, v in _metric_rows(values, where, primary, source)
            )
    return rows


def _run_identity(meta: Mapping[str, Any], model: str, source: str) -> dict[str, Any]:
    run = meta.get("run")
    if run is None:
        return {"base_model": model, "strategy": CLEAN_STRATEGY, "run_seed": None}
    if not isinstance(run, Mapping):
        raise ValueError(f"{source}: 'meta.run' must be a JSON object, got {type(run).__name__}")
    seed = run.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"{source}: 'meta.run.seed' must be an integer or null, got {seed!r}")
    return {"base_model": str(_require(run, "base_model", "meta.run", source)),
            "strategy": str(_require(run, "strategy", "meta.run", source)), "run_seed": seed}


def sort_results(df: pd.DataFrame) -> pd.DataFrame:
    """Sort a long table by dataset, model, corruption (table order), severity, metric."""
    rank = {name: i for i, name in enumerate([CLEAN, *corruption_order(df["corruption"])])}
    out = df.assign(_rank=df["corruption"].map(rank))
    out = out.sort_values(["dataset", "model", "_rank", "severity", "metric"], kind="mergesort")
    return out.drop(columns="_rank").reset_index(drop=True)


def _frame(rows: list[dict]) -> pd.DataFrame:
    return _typed(pd.DataFrame(rows, columns=list(RESULT_COLUMNS)))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    return df.astype({"severity": "int64", "value": "float64", "run_seed": "Int64"})


def _load(path: Path) -> dict:
    metrics = read_json(path)
    if not isinstance(metrics, dict):
        raise ValueError(f"{path}: expected a JSON object at top level, got {type(metrics).__name__}")
    return metrics


def collect_results(metric_files: Iterable[str | Path]) -> pd.DataFrame:
    """Read metrics JSON files into one long, deterministically sorted DataFrame.

    Args:
        metric_files: paths of ``results/metrics/<model>/<ds>.json`` files (any order).

    Returns:
        DataFrame with columns ``RESULT_COLUMNS`` sorted by ``sort_results``.

    Raises:
        ValueError: a file is malformed (message names the file and the key), no file was given,
            or two files describe the same (dataset, model).
    """
    rows: list[dict] = []
    seen: dict[tuple[str, str], Path] = {}
    for path in sorted(Path(p) for p in metric_files):
        file_rows = metrics_to_rows(_load(path), source=str(path))
        key = (file_rows[0]["dataset"], file_rows[0]["model"])
        if key in seen:
            raise ValueError(f"{path}: dataset {key[0]!r}, model {key[1]!r} already read from {seen[key]}")
        seen[key] = path
        rows.extend(file_rows)
    if not seen:
        raise ValueError("collect_results: no metrics files given (expected results/metrics/<model>/<ds>.json)")
    return sort_results(_frame(rows))


def model_info(metric_files: Iterable[str | Path]) -> pd.DataFrame:
    """One row per metrics file: model, dataset, input size ("HxW"), head, primary metric.

    Raises:
        ValueError: ``meta`` or one of its keys model, dataset, input_size, head, metric is missing,
            or ``input_size`` is not a list of two positive integers.
    """
    rows = []
    for path in sorted(Path(p) for p in metric_files):
        source = str(path)
        meta = _require(_load(path), "meta", "", source)
        size = _require(meta, "input_size", "meta", source)
        if (not isinstance(size, (list, tuple)) or len(size) != 2
                or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in size)):
            raise ValueError(f"{source}: 'meta.input_size' must be [height, width] in pixels, got {size!r}")
        rows.append(dict(
            model=str(_require(meta, "model", "meta", source)),
            dataset=str(_require(meta, "dataset", "meta", source)),
            input_size=f"{size[0]}x{size[1]}",
            head=str(_require(meta, "head", "meta", source)),
            metric=str(_require(meta, "metric", "meta", source)),
        ))
    df = pd.DataFrame(rows, columns=list(INFO_COLUMNS))
    return df.sort_values(["dataset", "model"], kind="mergesort").reset_index(drop=True)


def dataset_metric(info: pd.DataFrame, dataset: str) -> str:
    """The primary metric (e.g. "AP", "PCKh") shared by all models of ``dataset`` in ``info``.

    Raises:
        ValueError: the dataset is not in ``info`` or its models disagree on the metric.
    """
    metrics = sorted(set(info.loc[info["dataset"] == dataset, "metric"]))
    if len(metrics) != 1:
        known = sorted(set(info["dataset"]))
        raise ValueError(
            f"dataset {dataset!r}: expected one primary metric, found {metrics} (datasets in info: {known})"
        )
    return metrics[0]


def write_results(df: pd.DataFrame, path: str | Path) -> None:
    """Write the long table as CSV atomically (byte-identical reruns).

    Values are written in full (shortest round-trip) precision: the tables are drawn from this
    file, so reading it back must give the very floats the metrics files hold."""
    missing = [c for c in RESULT_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"write_results: DataFrame lacks columns {missing}; expected {list(RESULT_COLUMNS)}")
    buf = io.StringIO()
    sort_results(df[list(RESULT_COLUMNS)]).to_csv(buf, index=False, lineterminator="\n")
    write_text_atomic(path, buf.getvalue())


def read_results(path: str | Path) -> pd.DataFrame:
    """Read ``reports/results.csv`` back into the long DataFrame (same dtypes as ``collect_results``).

    Raises:
        ValueError: a column of ``RESULT_COLUMNS`` is missing.
    """
    df = pd.read_csv(path, dtype={"dataset": str, "model": str, "base_model": str, "strategy": str,
                                  "corruption": str, "category": str, "metric": str}, keep_default_na=False,
                     na_values={"run_seed": [""]})
    missing = [c for c in RESULT_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}; expected {list(RESULT_COLUMNS)}")
    return sort_results(_typed(df[list(RESULT_COLUMNS)]))
