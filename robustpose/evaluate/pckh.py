"""PCKh on MPII (Andriluka et al., CVPR'14), as the MPII toolkit, HRNet and mmpose compute it.

Conventions, with where each comes from:

* **Head size** = ``SC_BIAS * ||headbox[1] - headbox[0]||`` with ``SC_BIAS = 0.6``: 60% of the head
  box diagonal (MPII toolkit ``util_get_head_size.m``; HRNet ``MPIIDataset.evaluate``; mmpose
  ``MpiiDataset`` multiplies the same diagonal by ``SC_BIAS = 0.6``).
* **Correct** when ``error / head_size <= threshold`` (inclusive, as the toolkit's ``computePCK`` and
  HRNet's ``scaled_uv_err <= threshold``; mmpose 1.x's ``_distance_acc`` uses ``<``, which differs
  only for errors exactly on the threshold). Non-finite predictions are wrong (the toolkit sets
  NaN predictions to ``inf``).
* **Only labelled ground-truth joints count** (``visible``, i.e. not ``jnt_missing`` / COCO ``v>0``).
  A joint with no labelled instance has PCKh NaN.
* **Groups** average left and right per-joint PCKh, ``0.5 * (left + right)`` (toolkit
  ``evaluatePCKh.m`` plots ``mean(pck(:, [l r]))``; HRNet/mmpose the same). ``Head`` is the mean of
  ``upper_neck`` and ``head_top`` in the toolkit (``head_group="toolkit"``, default) but ``head_top``
  alone in HRNet/mmpose (``head_group="mmpose"``); per-joint values are returned either way.
* **Mean** pools all labelled joints except ``pelvis`` and ``thorax`` (the toolkit's 14-joint
  total; HRNet/mmpose mask indices 6:8 and weight per-joint PCKh by joint counts, which is the same
  pooled ratio). ``Mean@0.1`` is the same at threshold 0.1 (mmpose ``pckAll[10]``; HRNet's
  ``pckAll[11]`` is threshold 0.11, a known off-by-one not reproduced here).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from robustpose.data.mpii import MPII_KEYPOINTS, NUM_MPII_KEYPOINTS

SC_BIAS = 0.6
_IDX = {name: i for i, name in enumerate(MPII_KEYPOINTS)}
EXCLUDED_FROM_MEAN = (_IDX["pelvis"], _IDX["thorax"])
GROUPS: dict[str, tuple[str, str]] = {
    "Shoulder": ("left_shoulder", "right_shoulder"),
    "Elbow": ("left_elbow", "right_elbow"),
    "Wrist": ("left_wrist", "right_wrist"),
    "Hip": ("left_hip", "right_hip"),
    "Knee": ("left_knee", "right_knee"),
    "Ankle": ("left_ankle", "right_ankle"),
}
SUMMARY_KEYS = ("Head", "Shoulder", "Elbow", "Wrist", "Hip", "Knee", "Ankle", "Mean", "Mean@0.1")


def head_sizes_from_boxes(head_boxes: Any) -> np.ndarray:
    """(N,) normalisers ``0.6 * diagonal`` from (N, 2, 2) corner pairs or (N, 4) ``[x1, y1, x2, y2]``."""
    hb = np.asarray(head_boxes, dtype=np.float64)
    if hb.ndim == 2 and hb.shape[1] == 4:
        hb = hb.reshape(-1, 2, 2)
    if hb.ndim != 3 or hb.shape[1:] != (2, 2):
        raise ValueError(f"head boxes have shape {hb.shape}; expected (N, 2, 2) or (N, 4)")
    return SC_BIAS * np.linalg.norm(hb[:, 1] - hb[:, 0], axis=-1)


def _mean_defined(values: list[float]) -> float:
    vals = [v for v in values if np.isfinite(v)]
    return float(np.mean(vals)) if vals else float("nan")


def pckh(pred: Any, gt: Any, visible: Any, head_boxes: Any = None, threshold: float = 0.5, *,
         head_sizes: Any = None, head_group: str = "toolkit") -> dict[str, Any]:
    """MPII PCKh (%) of ``pred`` against ``gt``.

    Long for its arguments and result layout; the computation is the MPII toolkit's, step by
    step, to be checked against it line by line.

    Args:
        pred, gt: (N, 16, 2) joint coordinates in MPII order (same pixel convention for both).
        visible: (N, 16) bool, the labelled ground-truth joints; the others are ignored.
        head_boxes: (N, 2, 2) ``[(x1, y1), (x2, y2)]`` or (N, 4) head boxes; the normaliser is
            ``0.6 * diagonal``. Give this or ``head_sizes``.
        threshold: PCKh threshold as a fraction of the head size.
        head_sizes: (N,) normalisers already including the 0.6 factor (mmpose's ``head_size``).
        head_group: ``"toolkit"`` (Head = mean of upper_neck, head_top) or ``"mmpose"`` (head_top).

    Returns:
        ``Head, Shoulder, Elbow, Wrist, Hip, Knee, Ankle, Mean, Mean@0.1`` floats (%), plus
        ``per_joint`` {joint name: PCKh %} and ``joint_count`` {joint name: labelled instances}.
        Groups average the defined (non-NaN) sides; a value with no labelled joint is NaN.

    Raises:
        ValueError: wrong shapes, both or neither of head_boxes/head_sizes, an unknown
            head_group, or a non-positive / non-finite head size for a person with labelled joints.
    """
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    visible = np.asarray(visible).astype(bool)
    k = NUM_MPII_KEYPOINTS
    if gt.ndim != 3 or gt.shape[1:] != (k, 2):
        raise ValueError(f"gt has shape {gt.shape}; expected (N, {k}, 2)")
    n = gt.shape[0]
    if pred.shape != gt.shape:
        raise ValueError(f"pred has shape {pred.shape}; expected {gt.shape} like gt")
    if visible.shape != (n, k):
        raise ValueError(f"visible has shape {visible.shape}; expected ({n}, {k})")
    if head_group not in ("toolkit", "mmpose"):
        raise ValueError(f"head_group {head_group!r} unknown; choose 'toolkit' or 'mmpose'")
    if (head_boxes is None) == (head_sizes is None):
        raise ValueError("give exactly one of head_boxes and head_sizes")
    sizes = head_sizes_from_boxes(head_boxes) if head_boxes is not None else \
        np.asarray(head_sizes, dtype=np.float64).reshape(-1)
    if sizes.shape != (n,):
        raise ValueError(f"{sizes.shape[0]} head sizes for {n} people")
    bad = visible.any(axis=1) & ~(np.isfinite(sizes) & (sizes > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"person {i} has labelled joints but head size {sizes[i]!r} (needs > 0); "
                         f"{int(bad.sum())} such people")

    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.linalg.norm(pred - gt, axis=-1) / np.where(sizes > 0, sizes, np.nan)[:, None]
    scaled = np.where(np.isfinite(scaled), scaled, np.inf)      # NaN/inf predictions are wrong
    count = visible.sum(axis=0)
    keep = np.ones(k, dtype=bool)
    keep[list(EXCLUDED_FROM_MEAN)] = False

    def rates(thr: float) -> tuple[np.ndarray, float]:
        correct = (visible & (scaled <= thr)).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            per = np.where(count > 0, 100.0 * correct / np.maximum(count, 1), np.nan)
        total = count[keep].sum()
        mean = 100.0 * correct[keep].sum() / total if total > 0 else float("nan")
        return per, float(mean)

    per, mean = rates(threshold)
    _, mean01 = rates(0.1)
    pj = {name: float(per[i]) for i, name in enumerate(MPII_KEYPOINTS)}
    out: dict[str, Any] = {}
    if head_group == "toolkit":
        out["Head"] = _mean_defined([pj["upper_neck"], pj["head_top"]])
    else:
        out["Head"] = pj["head_top"]
    for group, (left, right) in GROUPS.items():
        out[group] = _mean_defined([pj[left], pj[right]])
    out["Mean"] = mean
    out["Mean@0.1"] = mean01
    out["per_joint"] = pj
    out["joint_count"] = {name: int(count[i]) for i, name in enumerate(MPII_KEYPOINTS)}
    return out


def _result_centre(res: dict) -> np.ndarray:
    if res.get("bbox") is not None and len(res["bbox"]) == 4:
        x, y, w, h = (float(v) for v in res["bbox"])
        return np.array([x + w / 2.0, y + h / 2.0])
    xy = np.asarray(res["keypoints"], dtype=np.float64).reshape(-1, 3)[:, :2]
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    return xy.mean(axis=0) if len(xy) else np.array([np.nan, np.nan])


def pckh_from_coco(annotations: dict, results: list[dict], threshold: float = 0.5, *,
                   pred_offset: float = 0.0, head_group: str = "toolkit") -> dict[str, Any]:
    """PCKh of COCO-format keypoint ``results`` against MPII ``annotations`` carrying ``head_box``.

    One function on purpose: the person matching and the scoring share their per-image state.

    Every non-crowd annotation is one person. A result with an ``ann_id`` goes to that annotation
    (the highest-scoring one when several name it); the others are matched within their image,
    greedily by the smallest distance between the result's centre (its ``bbox`` centre, else the
    mean of its keypoints) and the annotation's box centre, each side used once. Unmatched
    annotations count as all-wrong; unmatched results are ignored.

    Args:
        annotations: COCO keypoint dict from :func:`robustpose.data.mpii.mpii_to_coco` with
            ``headboxes`` (each annotation needs ``head_box`` = ``[x1, y1, x2, y2]``).
        results: COCO results (``image_id``, ``keypoints`` 16*3, optional ``score``/``ann_id``/``bbox``).
        pred_offset: added to predicted x and y before scoring. The converted annotations keep MPII's
            1-based coordinates; mmpose adds 1.0 to its 0-based predictions for that reason. Keep 0
            when the model was trained on these annotations.
        threshold, head_group: as in :func:`pckh`.

    Returns:
        :func:`pckh`'s dict plus ``num_people`` and ``num_unmatched`` (annotations without a result).

    Raises:
        ValueError: an annotation without ``head_box``, a result with the wrong keypoint count,
            or an ``ann_id`` that is not in the annotations (one line each).
    """
    anns = sorted((a for a in annotations["annotations"] if not a.get("iscrowd", 0)), key=lambda a: a["id"])
    k = NUM_MPII_KEYPOINTS
    n = len(anns)
    gt = np.zeros((n, k, 2))
    visible = np.zeros((n, k), dtype=bool)
    head_boxes = np.zeros((n, 4))
    row_of: dict[int, int] = {}
    by_image: dict[Any, list[int]] = {}
    for r, a in enumerate(anns):
        kp = np.asarray(a.get("keypoints", []), dtype=np.float64)
        if kp.size != 3 * k:
            raise ValueError(f"annotation id {a['id']} has {kp.size} keypoint numbers; expected {3 * k}")
        kp = kp.reshape(k, 3)
        gt[r], visible[r] = kp[:, :2], kp[:, 2] > 0
        if a.get("head_box") is None or len(a["head_box"]) != 4:
            raise ValueError(f"annotation id {a['id']} has no 'head_box' [x1, y1, x2, y2]; PCKh needs "
                             f"MPII head boxes (convert with mpii_to_coco(..., headboxes=...))")
        head_boxes[r] = a["head_box"]
        row_of[int(a["id"])] = r
        by_image.setdefault(a["image_id"], []).append(r)

    chosen: dict[int, dict] = {}
    pending: dict[Any, list[dict]] = {}
    for j, res in enumerate(results):
        kp = res.get("keypoints")
        if kp is None or len(kp) != 3 * k:
            got = "no" if kp is None else len(kp)
            raise ValueError(f"result {j} (image_id {res.get('image_id')}) has {got} keypoint numbers; expected {3 * k}")
        if res.get("ann_id") is not None:
            aid = int(res["ann_id"])
            if aid not in row_of:
                raise ValueError(f"result {j} names ann_id {aid}, which is not a scored annotation")
            r = row_of[aid]
            if r not in chosen or float(res.get("score", 0.0)) > float(chosen[r].get("score", 0.0)):
                chosen[r] = res
        else:
            pending.setdefault(res.get("image_id"), []).append(res)

    for image_id, cands in pending.items():
        rows = [r for r in by_image.get(image_id, []) if r not in chosen]
        if not rows:
            continue
        pairs = []
        for j, res in enumerate(cands):
            c = _result_centre(res)
            for r in rows:
                x, y, w, h = (float(v) for v in anns[r]["bbox"])
                d = float(np.hypot(c[0] - (x + w / 2.0), c[1] - (y + h / 2.0)))
                pairs.append((d if np.isfinite(d) else np.inf, j, r))
        pairs.sort()
        used: set[int] = set()
        for _, j, r in pairs:
            if j in used or r in chosen:
                continue
            chosen[r] = cands[j]
            used.add(j)

    pred = np.full((n, k, 2), np.nan)
    for r, res in chosen.items():
        pred[r] = np.asarray(res["keypoints"], dtype=np.float64).reshape(k, 3)[:, :2] + pred_offset
    out = pckh(pred, gt, visible, head_boxes, threshold, head_group=head_group)
    out["num_people"] = n
    out["num_unmatched"] = n - len(chosen)
    return out
