"""Tables of the adversarial study (Shah et al., "On the Robustness of Human Pose Estimation").

Inputs are the JSON records of the ``attack``/``attack_transfer`` stages, loaded as dicts; every
function returns a DataFrame and does no I/O (only ``load_*`` read files), so the tables can be
rebuilt from hand-made dicts in tests.

Units follow the paper: untargeted and universal attacks are reported as the *relative* metric
(attacked / clean x 100, lower = stronger attack); targeted attacks as the *target* metric x 100
(the prediction scored against the target pose, higher = stronger attack). The two are never
mixed in one number, so every table says which one a cell holds.

Choices where the paper is silent (documented here, applied everywhere):
- "Another family" for Table 1's Vulner. column compares the ``family`` strings of the models
  (heatmap, simcc, regression, rle) literally; a source whose family is unknown is left out.
- Per-joint tables average left and right over the keypoints that have a value (null = joint
  never visible); MPII's pelvis has no column (the paper's Table 2 has none), thorax and
  upper_neck make "Neck", head_top "Head"; for COCO layouts "Head" is nose, eyes and ears.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from robustpose._io import read_json

Results = Mapping[str, dict]   # label -> one attack JSON (one dataset)

# Joint groups in the paper's Table 2 order; keypoint names of both layouts map into them.
JOINT_ORDER = ("Ankle", "Knee", "Hip", "Neck", "Head", "Shoulder", "Elbow", "Wrist")
_COCO_GROUPS = {
    "Ankle": ("left_ankle", "right_ankle"), "Knee": ("left_knee", "right_knee"),
    "Hip": ("left_hip", "right_hip"), "Head": ("nose", "left_eye", "right_eye", "left_ear", "right_ear"),
    "Shoulder": ("left_shoulder", "right_shoulder"), "Elbow": ("left_elbow", "right_elbow"),
    "Wrist": ("left_wrist", "right_wrist"),
}
_MPII_GROUPS = {**{k: v for k, v in _COCO_GROUPS.items() if k != "Head"},
                "Neck": ("upper_neck", "thorax"), "Head": ("head_top",)}
# Family sort order: heatmap-like first, direct regression last (the paper's column order).
_FAMILY_ORDER = ("heatmap", "simcc", "rle", "regression")


# ------------------------------------------------------------------ loading

def load_attack_results(directory: str | Path) -> dict[str, dict[str, dict]]:
    """``{dataset: {label: json}}`` from ``<directory>/<label>/<dataset>.json``.

    The label is the folder name (``meta.model`` holds the same); both keys are sorted.
    """
    out: dict[str, dict[str, dict]] = {}
    for path in sorted(Path(directory).glob("*/*.json")):
        out.setdefault(path.stem, {})[path.parent.name] = read_json(path)
    return {ds: dict(sorted(v.items())) for ds, v in sorted(out.items())}


def load_corruption_metrics(directory: str | Path) -> dict[str, dict[str, dict]]:
    """``{dataset: {label: json}}`` from the corruption stage's ``<directory>/<label>/<dataset>.json``
    (empty when the folder is missing: at paper scale some models are attacked but not corrupted)."""
    return load_attack_results(directory) if Path(directory).is_dir() else {}


# ------------------------------------------------------------------ names and records

def attack_label(name: str) -> str:
    """Readable attack name: ``igsm-u-10`` -> ``IGSM-U-10``, ``universal-u+flip`` -> ``Universal +flip``."""
    base, _, defence = name.partition("+")
    if base == "universal-u":
        text = "Universal"
    elif base == "clean":
        text = "Clean"
    else:
        text = base.upper()
    return text + (f" +{defence}" if defence else "")


def eps_label(eps: str | float) -> str:
    """Column header of one epsilon: ``ε=8``."""
    return f"ε={float(eps):g}"


def is_targeted(name: str) -> bool:
    """``fgsm-t``, ``igsm-t-20`` (and their defended variants) are targeted."""
    parts = name.partition("+")[0].split("-")
    return len(parts) > 1 and parts[1] == "t"


def _attack_sort_key(name: str) -> tuple:
    """fgsm before igsm (fewer iterations first) before universal; untargeted before targeted;
    the undefended attack before its defences; clean(+smooth) last."""
    base, _, defence = name.partition("+")
    parts = base.split("-")
    kind = {"fgsm": 0, "igsm": 1, "universal": 2}.get(parts[0], 3)
    iters = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0
    return (kind, is_targeted(name), iters, defence, name)


def metric_of(results: Results) -> str:
    """Primary metric shared by the models of one dataset (``meta.metric``, e.g. AP or PCKh)."""
    metrics = {r.get("meta", {}).get("metric") for r in results.values()} - {None}
    if len(metrics) > 1:
        raise ValueError(f"models of one dataset report different primary metrics: {sorted(metrics)}")
    return metrics.pop() if metrics else "AP"


def family_of(result: dict) -> str:
    return str(result.get("meta", {}).get("family", "unknown"))


def _record(result: dict, attack: str, eps: str | float) -> dict | None:
    by_eps = result.get("attacks", {}).get(attack, {})
    return by_eps.get(f"{float(eps):g}")


def _num(value: object) -> float:
    return float("nan") if value is None else float(value)


def attack_value(result: dict, attack: str, eps: str | float, metric: str) -> float:
    """The paper's number for one condition: relative metric (%) for untargeted/universal
    attacks, target metric x 100 for targeted ones; NaN when the condition was not run."""
    rec = _record(result, attack, eps)
    if rec is None:
        return float("nan")
    if is_targeted(attack):
        return 100.0 * _num(rec.get("target_metric", {}).get(metric))
    return _num(rec.get("relative"))


def model_order(results: Results) -> list[str]:
    """Labels heatmap-like first, direct regression last (the paper's column order), then by name."""
    def key(label: str) -> tuple:
        fam = family_of(results[label])
        return (_FAMILY_ORDER.index(fam) if fam in _FAMILY_ORDER else len(_FAMILY_ORDER), label)
    return sorted(results, key=key)


# ------------------------------------------------------------------ tables

def grid_table(results: Results) -> pd.DataFrame:
    """Every (model, attack) of one dataset against every epsilon, ascending.

    Returns:
        Columns ``Model, Family, Attack, Value`` (``relative`` or ``target``: which number the row
        holds, see the module docstring) then one ``ε=<eps>`` column per epsilon; a cell is
        empty where that attack was not run at that epsilon.
    """
    eps_all = sorted({float(e) for r in results.values() for by in r.get("attacks", {}).values() for e in by})
    metric = metric_of(results)
    rows = []
    for label in model_order(results):
        res = results[label]
        for attack in sorted(res.get("attacks", {}), key=_attack_sort_key):
            row = {"Model": label, "Family": family_of(res), "Attack": attack_label(attack),
                   "Value": "target" if is_targeted(attack) else "relative"}
            row.update({eps_label(e): attack_value(res, attack, e, metric) for e in eps_all})
            rows.append(row)
    return pd.DataFrame(rows, columns=["Model", "Family", "Attack", "Value", *map(eps_label, eps_all)])


def transfer_table(transfer: dict, kind: str = "universal") -> pd.DataFrame:
    """Transfer matrix (Shah et al. Table 1 layout) of ``transfer[kind]``.

    Rows are target models, columns the model whose perturbation was applied (the diagonal is
    the white-box attack), values the relative metric (%). ``Vulner.`` is the row mean over
    sources of another family than the target: how much a model suffers from perturbations
    crafted without any knowledge of its kind (NaN when no such source exists).
    """
    matrix: dict = transfer.get(kind) or {}
    families: dict = transfer.get("meta", {}).get("families", {})

    def key(label: str) -> tuple:
        fam = families.get(label)
        return (_FAMILY_ORDER.index(fam) if fam in _FAMILY_ORDER else len(_FAMILY_ORDER), label)

    sources = sorted({s for row in matrix.values() for s in row}, key=key)
    rows = []
    for target in sorted(matrix, key=key):
        row: dict = {"Target": target}
        other = []
        for source in sources:
            rec = matrix[target].get(source)
            value = _num(rec.get("relative")) if rec else float("nan")
            row[source] = value
            fam_t, fam_s = families.get(target), families.get(source)
            if fam_t is not None and fam_s is not None and fam_s != fam_t and not math.isnan(value):
                other.append(value)
        row["Vulner."] = float(np.mean(other)) if other else float("nan")
        rows.append(row)
    return pd.DataFrame(rows, columns=["Target", *sources, "Vulner."])


def universal_transfer_table(transfer: dict) -> pd.DataFrame:
    """Table 1: universal perturbations across networks ("doubly black-box")."""
    return transfer_table(transfer, "universal")


def image_transfer_table(transfer: dict) -> pd.DataFrame:
    """Image-specific perturbations (``meta.image_specific``, e.g. igsm-u-10@8) across networks."""
    return transfer_table(transfer, "image_specific")


def _joint_groups(names: list[str]) -> dict[str, tuple[str, ...]]:
    groups = _MPII_GROUPS if "head_top" in names else _COCO_GROUPS
    return {j: groups[j] for j in JOINT_ORDER if j in groups}


def _group_means(values: Mapping[str, float | None], groups: dict[str, tuple[str, ...]],
                 scale: float) -> dict[str, float]:
    out = {}
    for joint, names in groups.items():
        present = [scale * float(values[n]) for n in names if values.get(n) is not None]
        out[joint] = float(np.mean(present)) if present else float("nan")
    return out


def per_joint_table(results: Results, untargeted: str = "igsm-u-10", targeted: str = "igsm-t-20",
                    eps: str = "8") -> pd.DataFrame:
    """Table 2: the attack's effect per joint, left and right averaged.

    Two blocks, each a row per model then an ``Average`` row (mean over the models): the
    untargeted attack's relative per-keypoint metric (%) and the targeted attack's per-keypoint
    target metric x 100. Models that did not run a condition have no row in its block; a block
    with no rows is left out.
    """
    blocks = ((f"untargeted {attack_label(untargeted)} {eps_label(eps)}", untargeted, "relative_per_keypoint", 1.0),
              (f"targeted {attack_label(targeted)} {eps_label(eps)}", targeted, "target_per_keypoint", 100.0))
    names = [n for r in results.values() for n in r.get("clean", {}).get("per_keypoint", {})]
    groups = _joint_groups(names)
    rows = []
    for block, attack, field, scale in blocks:
        block_rows = []
        for label in model_order(results):
            rec = _record(results[label], attack, eps)
            if rec is None or field not in rec:
                continue
            block_rows.append({"block": block, "Model": label, **_group_means(rec[field], groups, scale)})
        if block_rows:
            mean = pd.DataFrame(block_rows)[list(groups)].mean(axis=0, skipna=True)
            rows += block_rows + [{"block": block, "Model": "Average", **mean.to_dict()}]
    return pd.DataFrame(rows, columns=["block", "Model", *groups])


def cross_robustness_table(attack_results: Results, corruption_metrics: Mapping[str, dict] | None = None,
                           eps: str = "8", universal_eps: str = "16") -> pd.DataFrame:
    """Does corruption robustness buy adversarial robustness? One row per attacked model.

    ``<m>* attack`` is the clean metric on the attacked crops, ``<m>* corr.``, ``mPC`` and ``rPC``
    come from the corruption benchmark (its own, usually larger, image set; empty when that
    model was not benchmarked). The attack columns follow the module's units.
    """
    metric = metric_of(attack_results)
    corruption_metrics = corruption_metrics or {}
    conditions = ((f"FGSM-U {eps_label(eps)}", "fgsm-u", eps),
                  (f"IGSM-U-10 {eps_label(eps)}", "igsm-u-10", eps),
                  (f"Universal {eps_label(universal_eps)}", "universal-u", universal_eps),
                  (f"IGSM-T-20 {eps_label(eps)} (target)", "igsm-t-20", eps))
    rows = []
    for label in model_order(attack_results):
        res = attack_results[label]
        cor = corruption_metrics.get(label) or {}
        summary = cor.get("summary", {})
        row = {"Model": label, "Family": family_of(res),
               f"{metric}* attack": 100.0 * _num(res.get("clean", {}).get("metric", {}).get(metric)),
               f"{metric}* corr.": 100.0 * _num(cor.get("clean", {}).get(metric)),
               "mPC": 100.0 * _num(summary.get("mPC")), "rPC": 100.0 * _num(summary.get("rPC"))}
        row.update({col: attack_value(res, attack, e, metric) for col, attack, e in conditions})
        rows.append(row)
    return pd.DataFrame(rows)


def defence_table(results: Results, eps: str = "8", universal_eps: str = "16") -> pd.DataFrame:
    """Relative metric (%) of the image-specific and the universal attack, bare, with the
    perturbation flipped and with the input smoothed, and smoothing alone on clean input (its
    cost). The paper: flipping undoes image-specific perturbations but not universal ones."""
    conditions = ((f"IGSM-U-10 {eps_label(eps)}", "igsm-u-10", eps),
                  ("IGSM-U-10 +flip", "igsm-u-10+flip", eps),
                  ("IGSM-U-10 +smooth", "igsm-u-10+smooth", eps),
                  (f"Universal {eps_label(universal_eps)}", "universal-u", universal_eps),
                  ("Universal +flip", "universal-u+flip", universal_eps),
                  ("Universal +smooth", "universal-u+smooth", universal_eps),
                  ("Clean +smooth", "clean+smooth", "0"))
    metric = metric_of(results)
    rows = [{"Model": label, "Family": family_of(results[label]),
             **{col: attack_value(results[label], attack, e, metric) for col, attack, e in conditions}}
            for label in model_order(results)]
    return pd.DataFrame(rows, columns=["Model", "Family", *(c for c, _, _ in conditions)])


def _round(value: object) -> object:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    return value


def headline_metrics(attack_results: Mapping[str, Results],
                     transfers: Mapping[str, dict] | None = None) -> dict[str, dict[str, dict]]:
    """``{dataset: {label: summary}}`` for ``dvc metrics``: each attack file's ``summary`` (clean
    metric as a fraction, headline conditions as the paper's numbers) plus, where a transfer
    file exists, the model's ``vulner_universal`` and ``vulner_image`` (Table 1's last column)."""
    transfers = transfers or {}
    out: dict[str, dict[str, dict]] = {}
    for dataset, results in sorted(attack_results.items()):
        out[dataset] = {label: {k: _round(v) for k, v in results[label].get("summary", {}).items()}
                        for label in sorted(results)}
        transfer = transfers.get(dataset)
        if not transfer:
            continue
        for kind, table in (("universal", universal_transfer_table(transfer)),
                            ("image", image_transfer_table(transfer))):
            for target, value in zip(table["Target"], table["Vulner."]):
                if target in out[dataset]:
                    out[dataset][target][f"vulner_{kind}"] = _round(float(value))
    return out


__all__ = ["JOINT_ORDER", "attack_label", "attack_value", "cross_robustness_table", "defence_table",
           "eps_label", "family_of", "grid_table", "headline_metrics", "image_transfer_table", "is_targeted",
           "load_attack_results", "load_corruption_metrics", "metric_of", "model_order", "per_joint_table",
           "transfer_table", "universal_transfer_table"]
