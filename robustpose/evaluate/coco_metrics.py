"""OKS-based keypoint AP/AR, computed by pycocotools itself.

We call ``COCOeval(iouType="keypoints")`` rather than re-implementing it so that our numbers are
the ones the papers report; the only knobs are the per-dataset OKS sigmas.
"""
from __future__ import annotations

import contextlib
import copy
import io
import os
from typing import Any, Iterable

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


STAT_NAMES: tuple[str, ...] = ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")


def load_coco(annotation: str | os.PathLike | dict | COCO) -> COCO:
    """A quiet ``COCO`` object from a path, an already-loaded dict or a COCO instance."""
    if isinstance(annotation, COCO):
        return annotation
    with contextlib.redirect_stdout(io.StringIO()):
        if isinstance(annotation, dict):
            coco = COCO()
            coco.dataset = copy.deepcopy(annotation)
            coco.createIndex()
            return coco
        return COCO(str(annotation))


def _pooled(gt: COCO, results: list[dict[str, Any]]) -> tuple[COCO, list[dict[str, Any]]]:
    """Ground truth and results with every category relabelled as the first one."""
    cats = sorted(gt.getCatIds())
    if len(cats) <= 1:
        return gt, results
    data = copy.deepcopy(gt.dataset)
    data["categories"] = [c for c in data["categories"] if c["id"] == cats[0]]
    for ann in data["annotations"]:
        ann["category_id"] = cats[0]
    return load_coco(data), [dict(r, category_id=cats[0]) for r in results]


def coco_keypoint_metrics(annotation_file: str | os.PathLike | dict | COCO,
                          results: Iterable[dict[str, Any]],
                          sigmas: np.ndarray | None = None, use_cats: bool = True) -> dict[str, float]:
    """COCO keypoint AP/AR of ``results`` against ``annotation_file``.

    Args:
        annotation_file: COCO keypoint annotations (path, dict or COCO object).
        results: COCO result dicts ``{"image_id", "category_id", "keypoints": [51 floats], "score"}``.
        sigmas: per-keypoint OKS sigmas; COCO's when None.
        use_cats: match predictions to ground truth of the same ``category_id`` only (COCOeval's
            default); False pools categories (AP-10K's species share one keypoint layout). Pooling
            relabels every annotation and result with the first category: COCOeval's own
            ``useCats=0`` does not work for keypoints (``computeOks`` looks up ``(image, -1)``,
            which holds nothing, so every AP is 0).

    Returns:
        ``{"AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl"}`` exactly as
        ``COCOeval.stats`` (pycocotools reports -1 for an empty area range; kept as is). With no
        results at all every value is 0.0 (pycocotools cannot load an empty result list).
    """
    results = list(results)
    if not results:
        return {name: 0.0 for name in STAT_NAMES}
    gt = load_coco(annotation_file)
    if not use_cats:
        gt, results = _pooled(gt, results)
    with contextlib.redirect_stdout(io.StringIO()):
        dt = gt.loadRes(copy.deepcopy(results))
        ev = COCOeval(gt, dt, iouType="keypoints")
        if sigmas is not None:
            ev.params.kpt_oks_sigmas = np.asarray(sigmas, dtype=float)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return {name: float(v) for name, v in zip(STAT_NAMES, ev.stats)}
