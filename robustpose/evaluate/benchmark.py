"""Evaluate one model on one dataset: clean and every corruption x severity.

Each condition's predictions are cached as ``<cache_dir>/<condition>.json`` together with a key
built from the checkpoint digest and the digests of the images scored, so an interrupted run
resumes at the first unfinished condition and a changed model or dataset is never scored with
stale predictions.
"""
from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from tqdm import tqdm

from robustpose._io import read_json, write_json_atomic
from robustpose.corrupt import benchmark_category, benchmark_family, benchmark_sets, category_of
from robustpose.corrupt.dataset import corrupted_image_index
from robustpose.evaluate.coco_metrics import load_coco
from robustpose.evaluate.distributed import World, unshard
from robustpose.evaluate.predict import predict_images
from robustpose.evaluate.robustness import robustness_summary
from robustpose.evaluate.scoring import Scorer, scorer_for
from robustpose.models.estimator import PoseEstimator

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Condition:
    corruption: str   # "clean" for the uncorrupted images
    severity: int     # 0 for clean

    @property
    def key(self) -> str:
        return "clean" if self.corruption == "clean" else f"{self.corruption}-{self.severity}"


def conditions(corruptions: list[str], severities: list[int]) -> list[Condition]:
    return [Condition("clean", 0)] + [Condition(c, s) for c in corruptions for s in severities]


def _cache_key(model_digest: str, image_digests: list[str]) -> str:
    h = hashlib.sha256(model_digest.encode())
    for d in image_digests:
        h.update(d.encode())
    return h.hexdigest()


def setup_digest(estimator: PoseEstimator, boxes: dict[int, np.ndarray],
                 box_scores: dict[int, np.ndarray] | None) -> str:
    """sha256 of everything besides the weights and pixels that shapes the predictions (the
    person boxes and their scores, flip test), so switching GT to detector boxes or flip test
    off never reuses predictions cached under the other setting."""
    h = hashlib.sha256(f"flip_test={getattr(estimator, 'flip_test', None)}".encode())
    for image_id in sorted(boxes):
        h.update(f"|{image_id}:".encode())
        h.update(np.ascontiguousarray(boxes[image_id], dtype=np.float64).tobytes())
        if box_scores is not None and image_id in box_scores:
            h.update(np.ascontiguousarray(box_scores[image_id], dtype=np.float64).tobytes())
    return h.hexdigest()


def _predict_sharded(world: World, estimator: PoseEstimator, images: list[dict], path: Callable[[dict], Path],
                     boxes: dict[int, np.ndarray], box_scores: dict[int, np.ndarray] | None) -> list[dict]:
    """``predict_images`` over this rank's shard, merged with the other ranks' shards in the
    one-process order (per-image result lists, so round-robin shards interleave back exactly)."""
    mine = world.shard(images)
    per_image: dict[int, list[dict]] = {im["id"]: [] for im in mine}
    for r in predict_images(estimator, mine, path, boxes, box_scores):
        per_image[r["image_id"]].append(r)
    parts = world.gather([per_image[im["id"]] for im in mine])
    return [r for image_results in unshard(parts) for r in image_results]


def unreadable_sources(manifests: dict[str, dict[str, str]]) -> set[str]:
    """Stems of the source images a corrupt stage skipped as unreadable (``on_bad_image: skip``),
    in any corruption's manifest: they are scored as missed in every condition, clean included,
    so clean and corrupted scores stay comparable (same people, same misses)."""
    return {Path(key.split("/", 1)[1]).stem for manifest in manifests.values()
            for key, digest in manifest.items() if digest.startswith("skipped")}


def evaluate_model(estimator: PoseEstimator, annotation_file: str | os.PathLike, images_dir: str | os.PathLike,
                   corrupted_dir: str | os.PathLike, corruptions: list[str], severities: list[int],
                   cache_dir: str | os.PathLike, model_digest: str, boxes: dict[int, np.ndarray],
                   box_scores: dict[int, np.ndarray] | None = None, scorer: Scorer | None = None,
                   clean_digests: dict[str, str] | None = None,
                   on_condition: Callable[[Condition, dict], None] | None = None,
                   world: World = World()) -> dict:
    """Metrics for clean + every (corruption, severity); see DESIGN.md for the JSON layout.

    Long for its arguments; the body is one loop over conditions (cached, predicted, scored),
    kept together so the resume logic is in one place.

    Args:
        corrupted_dir: ``<root>/<corruption>/{manifest.json,<severity>/...}`` as the corrupt stage writes.
        cache_dir: where per-condition predictions are kept (and found again on resume).
        model_digest: sha256 of the checkpoint file.
        scorer: the dataset's metric (``scoring.scorer_for``); OKS AP with COCO's sigmas when None.
            Its per-keypoint breakdown goes to ``metrics["per_keypoint"]`` (same nesting).
        clean_digests: file name -> digest of the clean images (keys the clean cache).
        world: under torchrun, each rank predicts its shard of the images and all ranks merge
            them in the one-process order (identical metrics); only rank 0 writes the cache.
    """
    model_digest = f"{model_digest}:{setup_digest(estimator, boxes, box_scores)}"
    gt = load_coco(annotation_file)
    scorer = scorer or scorer_for("coco", gt.dataset)
    images = sorted(gt.dataset["images"], key=lambda im: im["id"])
    metrics: dict = {"clean": {}, "corrupted": {}, "per_keypoint": {"clean": {}, "corrupted": {}}}
    manifests = {c: read_json(Path(corrupted_dir) / c / "manifest.json") for c in corruptions}
    unreadable = unreadable_sources(manifests)
    for cond in tqdm(conditions(corruptions, severities), desc="conditions", mininterval=5):
        skipped: set[str] = set()
        if cond.corruption == "clean":
            def path(im: dict) -> Path:
                return Path(images_dir) / im["file_name"]
            digests = [(clean_digests or {}).get(im["file_name"], im["file_name"]) for im in images]
            skipped = unreadable   # the same images are missed on clean data as under corruption
        else:
            manifest = manifests[cond.corruption]
            index = corrupted_image_index(manifest, cond.severity)
            # images the corrupt stage skipped (unreadable source, on_bad_image: skip) get no
            # predictions: their people count as missed, so AP reflects the loss honestly
            skipped = {stem for stem, name in index.items()
                       if manifest[f"{cond.severity}/{name}"].startswith("skipped")}
            missing = [im["file_name"] for im in images if Path(im["file_name"]).stem not in index]
            if missing:
                raise ValueError(f"{Path(corrupted_dir) / cond.corruption / 'manifest.json'}: no severity "
                                 f"{cond.severity} image for {missing[0]} (and {len(missing) - 1} more)")
            sev_dir = Path(corrupted_dir) / cond.corruption / str(cond.severity)

            def path(im: dict, sev_dir: Path = sev_dir, index: dict = index) -> Path:
                return sev_dir / index[Path(im["file_name"]).stem]
            digests = [manifest[f"{cond.severity}/{index[Path(im['file_name']).stem]}"] for im in images]
        key = _cache_key(model_digest, digests)
        cache_file = Path(cache_dir) / f"{cond.key}.json"
        cached = read_json(cache_file) if cache_file.exists() else None
        if cached is not None and cached.get("key") == key:
            preds = cached["predictions"]
        else:
            todo = [im for im in images if Path(im["file_name"]).stem not in skipped]
            preds = _predict_sharded(world, estimator, todo, path, boxes, box_scores)
            if world.is_main:
                write_json_atomic(cache_file, {"key": key, "predictions": preds}, indent=None)
        result, per_keypoint = scorer.score(gt, preds)
        if cond.corruption == "clean":
            metrics["clean"] = result
            metrics["per_keypoint"]["clean"] = per_keypoint
        else:
            metrics["corrupted"].setdefault(cond.corruption, {})[str(cond.severity)] = result
            metrics["per_keypoint"]["corrupted"].setdefault(cond.corruption, {})[str(cond.severity)] = per_keypoint
        if on_condition:
            on_condition(cond, result)
    return metrics


def corruption_categories(corruptions: list[str]) -> dict[str, str]:
    """``{corruption: category}`` in the grouping of the benchmark the set belongs to (PoseBench's
    ten get PoseBench's categories, COCO-C's fifteen ImageNet-C's)."""
    family = benchmark_family(list(corruptions))
    return {c: category_of(c, family) for c in corruptions}


def metrics_meta(label: str, dataset: str, model: dict[str, Any], metric: str, *, boxes: str, flip_test: bool,
                 corruptions: list[str], run: dict[str, Any]) -> dict[str, Any]:
    """The ``meta`` block of a metrics file: what was evaluated, how, and the run's identity.

    ``run`` (base_model, strategy, seed) is what the tables group by, so no reader has to parse
    it out of ``label``; ``model`` is ``describe_model``'s architecture description.
    """
    return {"model": label, "dataset": dataset, **model, "metric": metric, "boxes": boxes,
            "flip_test": flip_test, "categories": corruption_categories(corruptions), "run": dict(run)}


def summarise(metrics: dict, primary: str = "AP") -> dict:
    """``summary`` of a metrics file: mPC, rPC, mRR and per category for the primary metric.

    One summary per benchmark evaluated in full (``benchmark_sets``) under ``benchmarks``; the
    top-level numbers are the first one's (COCO-C's 15 when they were all run), so readers of
    ``summary["mPC"]`` keep Wang et al.'s definition when PoseBench's corruptions are added.
    """
    corrupted = {c: {s: m[primary] for s, m in sev.items()} for c, sev in metrics["corrupted"].items()}
    if not corrupted:
        return {}
    clean = metrics["clean"][primary]
    by_benchmark = {
        name: robustness_summary(clean, {c: corrupted[c] for c in members},
                                 {c: benchmark_category(c, name) for c in members})
        for name, members in benchmark_sets(list(corrupted)).items()}
    first = next(iter(by_benchmark))
    return {**by_benchmark[first], "benchmark": first, "benchmarks": by_benchmark}
