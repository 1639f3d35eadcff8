"""Which metric scores which dataset: OKS AP for the COCO-style sets, PCKh@0.5 for MPII.

Each scorer returns ``(metrics, per_keypoint)``: ``metrics`` is a flat ``{name: number}`` dict
(the primary metric plus its companions, all fractions so the tables treat AP and PCKh alike)
and ``per_keypoint`` maps keypoint names to a per-keypoint score (OKS similarity for AP
datasets, PCKh for MPII), the breakdown behind the papers' per-joint analyses.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from pycocotools.coco import COCO

from robustpose.data.keypoints import sigmas_for
from robustpose.evaluate.coco_metrics import coco_keypoint_metrics
from robustpose.evaluate.pckh import pckh_from_coco

Scores = tuple[dict[str, float], dict[str, float]]


@dataclass(frozen=True)
class Scorer:
    """``score(gt, predictions) -> (metrics, per_keypoint)`` with ``primary`` the headline metric."""
    primary: str
    score: Callable[[COCO, list[dict]], Scores]


def per_keypoint_oks(gt: COCO, results: list[dict], sigmas: np.ndarray,
                     use_cats: bool = True) -> dict[str, float | None]:
    """Mean per-keypoint OKS similarity ``exp(-d^2 / (2 s^2 (2 sigma)^2))`` over labelled GT keypoints
    (None for a keypoint no person has labelled: JSON has no NaN).

    Each ground-truth person is paired with the prediction of highest OKS in its image (the
    pairing COCOeval's matching starts from); a person with no prediction scores 0. This says
    *which* joints a corruption breaks, which AP alone cannot.
    """
    names = gt.loadCats(gt.getCatIds())[0]["keypoints"]
    k = len(names)
    sums, counts = np.zeros(k), np.zeros(k)
    by_image: dict[int, list[np.ndarray]] = {}
    for r in results:
        if use_cats and r.get("category_id", 1) not in gt.getCatIds():
            continue
        by_image.setdefault(int(r["image_id"]), []).append(np.asarray(r["keypoints"], dtype=np.float64).reshape(k, 3))
    var = (2 * np.asarray(sigmas, dtype=np.float64)) ** 2
    for ann in gt.dataset["annotations"]:
        if ann.get("iscrowd", 0) or ann.get("num_keypoints", 0) == 0:
            continue
        g = np.asarray(ann["keypoints"], dtype=np.float64).reshape(k, 3)
        vis = g[:, 2] > 0
        sims = np.zeros(k)
        for p in by_image.get(int(ann["image_id"]), []):
            d2 = ((p[:, :2] - g[:, :2]) ** 2).sum(axis=1)
            e = np.exp(-d2 / var / (ann["area"] + np.spacing(1)) / 2)
            if e[vis].mean() > sims[vis].mean():
                sims = e
        sums += np.where(vis, sims, 0.0)
        counts += vis
    return {n: float(s / c) if c else None for n, s, c in zip(names, sums, counts)}


def _oks_scorer(dataset: str, use_cats: bool) -> Scorer:
    sigmas = sigmas_for(dataset)

    def score(gt: COCO, results: list[dict]) -> Scores:
        return (coco_keypoint_metrics(gt, results, sigmas=sigmas, use_cats=use_cats),
                per_keypoint_oks(gt, results, sigmas, use_cats))
    return Scorer("AP", score)


def _pckh_scorer() -> Scorer:
    def score(gt: COCO, results: list[dict]) -> Scores:
        # The converted annotations keep MPII's 1-based pixel coordinates; predictions are
        # 0-based image pixels, so they move by +1 before scoring (mmpose does the same).
        out = pckh_from_coco(gt.dataset, results, pred_offset=1.0)
        metrics = {"PCKh": out["Mean"] / 100.0, "PCKh@0.1": out["Mean@0.1"] / 100.0}
        # groups with no labelled joint (a tiny subset) are left out rather than written as NaN
        metrics.update({k: out[k] / 100.0 for k in ("Head", "Shoulder", "Elbow", "Wrist", "Hip", "Knee", "Ankle")
                        if np.isfinite(out[k])})
        return metrics, {n: v / 100.0 if np.isfinite(v) else None for n, v in out["per_joint"].items()}
    return Scorer("PCKh", score)


def scorer_for(dataset: str, annotations: dict[str, Any]) -> Scorer:
    """The scorer of ``dataset``: PCKh for MPII, OKS AP with the dataset's sigmas otherwise.

    Datasets with several categories sharing one keypoint layout (AP-10K's animal species) are
    scored category-agnostically (``useCats=0``): a model predicts the animal's keypoints, not
    its species, and the published AP-10K numbers pool all species the same way.
    """
    if dataset == "mpii":
        return _pckh_scorer()
    return _oks_scorer(dataset, use_cats=len(annotations.get("categories", [])) <= 1)

