"""Profiles: the embedded default is ``params.yaml``; a profile file rewrites it for another scale.

A profile (``configs/paper.yaml``) has two parts:
- ``set``: values merged over the current params (dicts recursively, everything else replaced);
- ``evaluate_on``: ``{dataset: [pretrained model, ...]}``, the rows of the papers' tables. It is
  expanded into ``datasets``, ``pretrained`` (what ``fetch@`` downloads) and
  ``pretrained_evaluations`` (one ``evaluate_pretrained@<model>-<dataset>`` stage each), after
  checking every name exists and every model's keypoint layout matches its dataset's.

``plan`` says what ``dvc repro`` would then download, write and compute, with sizes, so a user
can see the cost before committing a GPU machine to it.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from robustpose.data.keypoints import DATASET_LAYOUTS, layout_for
from robustpose.data.sources import source


@dataclass(frozen=True)
class DatasetScale:
    """Facts for planning: evaluated images, mean JPEG size, and where the numbers come from."""
    val_images: int
    image_kb: float
    source_note: str
    megapixels: float = 0.28   # mean image size: COCO's (~640x480, often smaller)


# One image's corruption grid (params.yaml's 18 corruptions x 5 severities), robustpose, one
# thread, per megapixel: measured by benchmarks/corrupt_speed.py (its "s per megapixel" line; the
# README's paper-scale table is this times each split's images and megapixels). Re-measure and
# update it when the corruption code changes speed.
CORRUPT_SECONDS_PER_MEGAPIXEL = 7.86   # 2026-12-07, AMD EPYC (2 cores), 4 COCO val images at 480x640

# Approximate sizes of the evaluated splits (for the plan only; nothing is computed from them).
DATASET_SCALE = {
    "coco": DatasetScale(5000, 163, "val2017: 815.6 MB / 5000 images (cocodataset.org)"),
    "ochuman": DatasetScale(2500, 131, "OCHuman val; 667 MB / 5081 images"),
    "mpii": DatasetScale(2729, 516, "mpii_val.json: 2958 people in 2729 images; 12.9 GB / 24984 images", 0.92),
    "ap10k": DatasetScale(1002, 163, "val split 1 of 10,015 images split 7:1:2; image size assumed COCO-like"),
}
# Downloads whose exact size nobody publishes: the approximate size the publishers state.
APPROX_BYTES = {
    ("ochuman", "images.zip"): 667_000_000,                   # OCHumanApi README: "Images (667MB)"
    ("mpii", "mpii_human_pose_v1.tar.gz"): 12_900_000_000,    # MPII download page: ~12.9 GB
}


# Dicts that are lists keyed by name: a profile's list replaces the embedded one whole (the
# paper's attack runs must not keep attacking the synthetic models; an overlay's attack grid is
# the grid it runs, not extra rows on top of the embedded targeted ones).
REPLACED = frozenset({"attack.runs", "attack.grid", "models", "evaluations"})


def deep_merge(base: dict[str, Any], overlay: dict[str, Any], _path: str = "") -> dict[str, Any]:
    """``base`` with ``overlay`` merged in: nested dicts merge, any other value replaces; an
    empty dict and the run lists of ``REPLACED`` replace too."""
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        path = f"{_path}{key}"
        if isinstance(value, dict) and value and isinstance(out.get(key), dict) and path not in REPLACED:
            out[key] = deep_merge(out[key], value, f"{path}.")
        else:
            out[key] = copy.deepcopy(value)
    return out


def model_layout(model: str) -> str:
    """Keypoint layout of a pretrained model (the dataset it was trained on)."""
    from robustpose.models.pretrained import pretrained_model

    return layout_for(pretrained_model(model).dataset)


def _check_layout(where: str, model: str, dataset: str) -> None:
    """A model scored on a dataset must predict that dataset's keypoints."""
    if model_layout(model) != layout_for(dataset):
        raise ValueError(f"{where}: {model} predicts {model_layout(model)} keypoints, {dataset} has "
                         f"{layout_for(dataset)}")


def expand_profile(params: dict[str, Any], profile: dict[str, Any], source_name: str = "profile") -> dict[str, Any]:
    """New params: ``params`` with ``profile`` applied (see the module docstring).

    Raises:
        ValueError: unknown top-level key, unknown dataset or model, or a model evaluated on a
            dataset with another keypoint layout (the message names the profile and the pair).
    """
    from robustpose.models.pretrained import list_pretrained

    unknown = sorted(set(profile) - {"set", "evaluate_on", "tables"})
    if unknown:
        raise ValueError(f"{source_name}: unknown key(s) {unknown}; allowed: evaluate_on, set, tables")
    out = deep_merge(params, profile.get("set") or {})
    evaluate_on = profile.get("evaluate_on") or {}
    if not isinstance(evaluate_on, dict):
        raise ValueError(f"{source_name}: evaluate_on must map datasets to lists of models")
    pretrained: list[str] = []
    pairs: dict[str, dict[str, str]] = {}
    valid = set(list_pretrained())
    for dataset, models in evaluate_on.items():
        if dataset not in DATASET_LAYOUTS:
            raise ValueError(f"{source_name}: evaluate_on.{dataset}: unknown dataset; valid: {sorted(DATASET_LAYOUTS)}")
        for model in models or []:
            if model not in valid:
                raise ValueError(f"{source_name}: evaluate_on.{dataset}: unknown pretrained model {model!r}")
            _check_layout(f"{source_name}: evaluate_on.{dataset}", model, dataset)
            if model not in pretrained:
                pretrained.append(model)
            pairs[f"{model}-{dataset}"] = {"model": model, "dataset": dataset}
    if evaluate_on:
        out["pretrained"] = pretrained
        out["pretrained_evaluations"] = pairs
        datasets = list(out.get("datasets") or [])
        out["datasets"] = datasets + [d for d in evaluate_on if d not in datasets]
    _check_attack_runs(out, valid, source_name)
    return out


def _check_attack_runs(params: dict[str, Any], valid: set[str], source_name: str) -> None:
    """An attack run on a published model needs its checkpoint fetched and its dataset prepared;
    caught here, a typo costs a message instead of a failed ``dvc repro`` on a GPU machine."""
    attack = params.get("attack") or {}
    for key, run in (attack.get("runs") or {}).items():
        model, dataset = run.get("model"), run.get("dataset")
        if model not in valid:
            continue   # an embedded (trained) model: the train@ stage makes its checkpoint
        where = f"{source_name}: attack.runs.{key}"
        if model not in params.get("pretrained", []):
            raise ValueError(f"{where}: {model} is not fetched (add it to evaluate_on)")
        if run.get("checkpoint") != f"models/{model}.pth":
            raise ValueError(f"{where}: checkpoint must be models/{model}.pth (what fetch@{model} writes)")
        if dataset not in params.get("datasets", []):
            raise ValueError(f"{where}: dataset {dataset!r} is not prepared (not in datasets)")
        _check_layout(where, model, dataset)
    missing = [d for d in attack.get("datasets") or [] if d not in params.get("datasets", [])]
    if missing:
        raise ValueError(f"{source_name}: attack.datasets: {missing[0]!r} is not prepared (not in datasets)")


def _size(n: float | None) -> str:
    """Decimal units, as the publishers state their sizes (``815.6 MB``)."""
    if n is None:
        return "size unknown"
    unit = "B"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            break
        n /= 1000.0
    return f"{int(n)} B" if unit == "B" else f"{n:.1f} {unit}"


def corrupt_cpu_hours(scale: DatasetScale, pairs: int) -> float:
    """Single-thread hours to corrupt a split with ``pairs`` (corruption, severity) pairs
    (``corrupt.workers`` processes divide the wall time, not this), from the measured grid cost;
    the grid of the 18 x 5 the constant was measured on is assumed uniform across its pairs."""
    per_pair = CORRUPT_SECONDS_PER_MEGAPIXEL / (18 * 5)
    return scale.val_images * scale.megapixels * per_pair * pairs / 3600


def plan(params: dict[str, Any], crops_per_second: float = 400.0) -> list[str]:
    """Lines describing what ``dvc repro`` on ``params`` downloads, writes and computes."""
    from robustpose.models.fetch import published_file_name
    from robustpose.models.pretrained import missing_requirements, pretrained_model

    corruptions = params["corrupt"]["corruptions"]
    severities = params["corrupt"]["severities"]
    conditions = 1 + len(corruptions) * len(severities)
    lines = ["downloads (prepare@, fetch@: the only network steps; verified, resumable):"]
    total = 0.0
    unknown = 0
    for dataset in params.get("datasets", []):
        if dataset == "synthetic":
            lines.append("  synthetic: generated here, nothing to download")
            continue
        for f in source(dataset).files:
            n = f.bytes or APPROX_BYTES.get((dataset, f.name))
            total += n or 0
            unknown += n is None
            approx = "" if f.bytes or n is None else "~"
            lines.append(f"  {dataset}: {f.name}  {approx}{_size(n)}  [{f.status}]")
    models = params.get("pretrained", [])
    for model in models:
        m = pretrained_model(model)
        missing = missing_requirements(m)
        needs = f"  NEEDS {', '.join(missing)} (not installed)" if missing else ""
        lines.append(f"  checkpoint {model}: {published_file_name(m)}  (size not published){needs}")
    lines.append(f"  total known: {_size(total)} (+{unknown} files of unpublished size, "
                 f"+{len(models)} checkpoints, typically 0.05-2.5 GB each)")
    lines.append(f"corruption (corrupt@): {len(corruptions)} corruptions x {len(severities)} severities "
                 f"= {conditions - 1} copies of each evaluated split ({params['corrupt']['format']}):")
    for dataset in params.get("datasets", []):
        scale = DATASET_SCALE.get(dataset)
        if scale:
            n = scale.val_images * (conditions - 1)
            cpu_hours = corrupt_cpu_hours(scale, len(corruptions) * len(severities))
            lines.append(f"  {dataset}: ~{scale.val_images} images -> ~{n:,} corrupted images, "
                         f"~{_size(n * scale.image_kb * 1000)} on disk, ~{cpu_hours:.1f} CPU-hours "
                         f"({scale.source_note})")
    pairs = params.get("pretrained_evaluations", {}) or {}
    if pairs:
        lines.append(f"evaluation (evaluate_pretrained@): {len(pairs)} model-dataset pairs x {conditions} conditions:")
        flips = 2 if params.get("evaluate", {}).get("flip_test", True) else 1
        seconds = 0.0
        for key, pair in pairs.items():
            scale = DATASET_SCALE.get(pair["dataset"])
            images = scale.val_images if scale else 0
            crops = images * 2 * conditions * flips   # ~2 people per image, as in COCO val
            seconds += crops / crops_per_second
            lines.append(f"  {key}: ~{images * conditions:,} images scored")
        lines.append(f"  about {seconds / 3600:.1f} GPU-hours at {crops_per_second:.0f} crops/s "
                     f"(a rough guide: heavy models run slower, torchrun shards it across GPUs)")
    lines.extend(_attack_plan(params, crops_per_second))
    return lines


def _attack_plan(params: dict[str, Any], crops_per_second: float) -> list[str]:
    """GPU time of the attack@ stages: crops x gradient passes, one pass ~ 3 forwards."""
    from robustpose.attack.grid import AttackGrid

    attack = params.get("attack") or {}
    runs = attack.get("runs") or {}
    if not runs:
        return []
    lines = [f"adversarial attacks (attack@): {len(runs)} runs (gradient passes a crop + crop passes "
             "fitting the universal perturbations):"]
    seconds = 0.0
    for key, run in runs.items():
        grid = AttackGrid.from_section(attack, run.get("label", run.get("model")))
        per_crop, universal = grid.gradient_passes()
        scale = DATASET_SCALE.get(run["dataset"])
        images = scale.val_images if scale else 0
        if attack.get("max_images"):
            images = min(images, int(attack["max_images"]))
        passes = images * 1.1 * per_crop + universal   # MPII: ~1.1 people an image
        seconds += passes * 3 / crops_per_second
        lines.append(f"  {key}: {len(grid.conditions)} conditions, {per_crop} passes a crop + {universal:,}; "
                     f"~{images} images, ~{passes / 1e6:.1f} M crop gradient passes")
    lines.append(f"  about {seconds / 3600:.1f} GPU-hours at {crops_per_second:.0f} crops/s")
    return lines


__all__ = ["CORRUPT_SECONDS_PER_MEGAPIXEL", "DATASET_SCALE", "REPLACED", "corrupt_cpu_hours", "deep_merge", "expand_profile", "model_layout", "plan"]
