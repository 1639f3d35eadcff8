"""The spread of trained results over training seeds and CPU kernels, and which conclusions survive it.

Input: one summary per variant (``studies/spread.py`` writes them): its seed, its kernels
("default", or "lowered" = the stand-in for another CPU type, ``robustpose.other_cpu``) and, per
evaluated run ("<label>/<dataset>"), clean AP, mPC, rPC and mRR. Output: the mean +- sample std over
the default-kernel seeds, the lowered-kernel value beside it, the AdvMix deltas computed within each
variant (a fine-tuned model against the clean model it started from, same seed and kernels), and
the README's conclusions checked in every variant. A conclusion is called robust only when it holds
in all of them.
"""
from __future__ import annotations

import math
import re
from typing import Any, Callable

import pandas as pd

METRICS = ("AP_clean", "mPC", "rPC")
FINE_TUNED = re.compile(r"^(?P<model>[^+]+)\+(?P<strategy>[^/]+)-s(?P<seed>\d+)$")


def scores_from_metrics(metrics: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """{"<label>/<dataset>": metrics JSON} -> {"<label>/<dataset>": {AP_clean, mPC, rPC, mRR}}."""
    return {key: {"AP_clean": float(m["clean"]["AP"]), "mPC": float(m["summary"]["mPC"]),
                  "rPC": float(m["summary"]["rPC"]), "mRR": float(m["summary"]["mRR"])}
            for key, m in metrics.items()}


def advmix_deltas(scores: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Fine-tuned run minus its clean model, same variant: {"<label>/<dataset>": {dAP_clean, dmPC, drPC}}.

    Computed inside one variant because the fine-tuned model starts from that variant's clean
    checkpoint: the delta is what the fine-tuning did, with the clean model's own luck removed.
    """
    out = {}
    for key, s in scores.items():
        label, dataset = key.rsplit("/", 1)
        m = FINE_TUNED.match(label)
        base = scores.get(f"{m['model']}/{dataset}") if m else None
        if base is not None:
            out[key] = {f"d{q}": s[q] - base[q] for q in METRICS}
    return out


def _quantities(run: dict[str, Any]) -> dict[tuple[str, str], float]:
    values = {(key, q): v[q] for key, v in run["scores"].items() for q in METRICS}
    values.update({(key, q): v for key, d in advmix_deltas(run["scores"]).items() for q, v in d.items()})
    return values


def _order(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Default-kernel seeds first (by seed), then the lowered-kernel variants."""
    return sorted(runs, key=lambda r: (r["kernels"] != "default", r["kernels"], r["seed"]))


def _row_order(key: tuple[str, str]) -> tuple:
    """Clean models, each followed by its fine-tuned runs; levels before deltas."""
    label, dataset = key[0].rsplit("/", 1)
    return dataset, label.split("+")[0], "+" in label, label, key[1].startswith("d"), METRICS.index(key[1].lstrip("d"))


def _difference_column(run: dict[str, Any], default: list[dict[str, Any]]) -> str | None:
    """The column holding a lowered-kernel run minus the default-kernel run of the same seed
    (None when that seed has no default-kernel run)."""
    twin = next((d["variant"] for d in default if d["seed"] == run["seed"]), None)
    return f"{run['variant']} - {twin}" if twin else None


def spread_table(runs: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per (run, quantity): every variant's value, mean and sample std over the
    default-kernel seeds, and each lowered variant's difference from the same seed on default kernels."""
    runs = _order(runs)
    per_run = {r["variant"]: _quantities(r) for r in runs}
    default = [r for r in runs if r["kernels"] == "default"]
    keys = sorted({k for q in per_run.values() for k in q}, key=_row_order)
    rows = []
    for key, quantity in keys:
        row: dict[str, Any] = {"run": key, "quantity": quantity}
        for r in runs:
            row[r["variant"]] = per_run[r["variant"]].get((key, quantity))
        seeds = [row[r["variant"]] for r in default if row[r["variant"]] is not None]
        row["n_seeds"] = len(seeds)
        row["mean"] = sum(seeds) / len(seeds) if seeds else None
        row["std"] = (math.sqrt(sum((v - row["mean"]) ** 2 for v in seeds) / (len(seeds) - 1))
                      if len(seeds) > 1 else None)
        for r in runs:
            column = _difference_column(r, default) if r["kernels"] != "default" else None
            if column:
                a, b = row[r["variant"]], row[column.split(" - ")[1]]
                row[column] = a - b if a is not None and b is not None else None
        rows.append(row)
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- conclusions
def _get(scores: dict[str, dict[str, float]], label: str, quantity: str, dataset: str) -> float | None:
    s = scores.get(f"{label}/{dataset}")
    return None if s is None else s.get(quantity)


def _ranked(labels: tuple[str, ...], quantity: str) -> Callable[[dict, str], bool | None]:
    def test(scores: dict, dataset: str) -> bool | None:
        vals = [_get(scores, lab, quantity, dataset) for lab in labels]
        return None if None in vals else all(a > b for a, b in zip(vals, vals[1:]))
    return test


def _fine_tuned(quantity: str, threshold: float) -> Callable[[dict, str], bool | None]:
    """Every fine-tuned run's delta on ``quantity`` exceeds ``threshold`` (None if there is none)."""
    def test(scores: dict, dataset: str) -> bool | None:
        deltas = [d[quantity] for key, d in advmix_deltas(scores).items() if key.endswith(f"/{dataset}")]
        return None if not deltas else all(v > threshold for v in deltas)
    return test


EMBEDDED = ("simplebaseline_r18", "simcc_r18", "deeppose_r18")
CONCLUSIONS: tuple[tuple[str, Callable[[dict, str], bool | None]], ...] = (
    ("clean AP ranks SimpleBaseline > SimCC > DeepPose", _ranked(EMBEDDED, "AP_clean")),
    ("mPC ranks them the same way", _ranked(EMBEDDED, "mPC")),
    ("rPC ranks them the same way (heatmaps keep more of their clean AP than regression)", _ranked(EMBEDDED, "rPC")),
    ("AdvMix fine-tuning raises mPC over the clean model it starts from", _fine_tuned("dmPC", 0.0)),
    ("AdvMix fine-tuning raises rPC", _fine_tuned("drPC", 0.0)),
    ("AdvMix fine-tuning costs at most 1.5 points of clean AP (the paper's allowance)", _fine_tuned("dAP_clean", -0.015)),
)


def check_conclusions(runs: list[dict[str, Any]], dataset: str) -> list[tuple[str, list[bool | None]]]:
    """Each conclusion with its verdict in every variant (``_order``'s order)."""
    return [(text, [test(r["scores"], dataset) for r in _order(runs)]) for text, test in CONCLUSIONS]


# ----------------------------------------------------------------------------- markdown
QUANTITY_NAMES = {"AP_clean": "AP*", "mPC": "mPC", "rPC": "rPC",
                  "dAP_clean": "ΔAP* vs clean model", "dmPC": "ΔmPC vs clean model", "drPC": "ΔrPC vs clean model"}


def _pct(v: float | None, signed: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return f"{100 * v:+.1f}" if signed else f"{100 * v:.1f}"


def _verdict(results: list[bool | None]) -> str:
    known = [v for v in results if v is not None]
    if not known:
        return "n/a"
    held = sum(known)
    return ("survives" if held == len(known) else "holds nowhere" if held == 0 else "does not survive") + \
        f" ({held} of {len(known)})"


def render_markdown(runs: list[dict[str, Any]]) -> str:
    """The README's spread table (values in %) and the conclusions checked in every variant."""
    runs = _order(runs)
    frame = spread_table(runs)
    default = [r for r in runs if r["kernels"] == "default"]
    lowered = [r for r in runs if r["kernels"] != "default"]
    head = ["Run", "Quantity", *[f"seed {r['seed']}" for r in default], f"mean ± std ({len(default)} seed{'s' * (len(default) != 1)})",
            *[f"{r['kernels']} kernels, seed {r['seed']}" for r in lowered],
            *[f"{r['kernels']} − default, seed {r['seed']}" for r in lowered]]
    lines = ["| " + " | ".join(head) + " |", "| :--- | :--- |" + " ---: |" * (len(head) - 2)]
    differences = [_difference_column(r, default) for r in lowered]
    for row in frame.to_dict("records"):
        delta = row["quantity"].startswith("d")
        mean = _pct(row["mean"], delta)
        if row["std"] is not None and not math.isnan(row["std"]):
            mean += f" ± {100 * row['std']:.1f}"
        cells = [row["run"].rsplit("/", 1)[0], QUANTITY_NAMES.get(row["quantity"], row["quantity"]),
                 *[_pct(row[r["variant"]], delta) for r in default], mean,
                 *[_pct(row[r["variant"]], delta) for r in lowered],
                 *[_pct(row.get(c) if c else None, True) for c in differences]]
        lines.append("| " + " | ".join(cells) + " |")
    datasets = sorted({key.rsplit("/", 1)[1] for r in runs for key in r["scores"]})
    out = [f"Embedded default, AP in % (GT boxes, no flip test). Variants: "
           f"{', '.join(r['variant'] for r in runs)}; CPU {runs[0]['cpu']}.", "", *lines, ""]
    for dataset in datasets:
        verdicts = check_conclusions(runs, dataset)
        out += [f"Conclusions on `{dataset}`, checked in every variant "
                f"({', '.join(r['variant'] for r in runs)}):", "",
                "| Conclusion | " + " | ".join(r["variant"] for r in runs) + " | Verdict |",
                "| :--- |" + " :---: |" * len(runs) + " :--- |"]
        for text, results in verdicts:
            marks = ["yes" if v else "no" if v is not None else "n/a" for v in results]
            out.append(f"| {text} | " + " | ".join(marks) + f" | {_verdict(results)} |")
        out.append("")
    return "\n".join(out)
