"""Target poses for targeted attacks (Shah et al.): another person's ground truth, placed in the
crop as it sat in its own crop, chosen so the model does not already predict it.

For instance ``i`` the candidates are the other validation instances with at least half their
keypoints labelled. A candidate's pose is taken in its own crop's pixels and laid into ``i``'s
crop at the same place (the papers' crops are normalised single-person images, so a pose is
defined relative to its crop), then mapped to ``i``'s image. Among the candidates whose
PCK against ``i``'s clean prediction is 0 one is drawn from a generator seeded by
(params seed, dataset, annotation id); if none has PCK 0, the lowest-PCK candidate is taken.

"Correct" follows the dataset's metric: for OKS datasets a keypoint is correct when its OKS
similarity to the target is at least 0.5 (radius ``2 sigma_k sqrt(2 ln 2 area)``); for MPII
when it lies within half the head size (PCKh@0.5, head size = 0.6 x head-box diagonal).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from robustpose.models import crop as C
from robustpose.seeding import rng_for


@dataclass(frozen=True)
class TargetPoses:
    """Per attacked instance: the chosen source instance, its pose in crop and image pixels."""
    source: np.ndarray          # (N,) index of the instance whose pose is the target
    crop_keypoints: np.ndarray  # (N, K, 2) target in the attacked crop's pixels
    visible: np.ndarray         # (N, K) 0/1 target keypoints that count (labelled and inside the crop)
    image_keypoints: np.ndarray  # (N, K, 2) target in the attacked image's pixels
    clean_pck: np.ndarray       # (N,) PCK of the clean prediction against the chosen target


def correct_radius(annotation: dict, sigmas: np.ndarray | None) -> np.ndarray:
    """(K,) image-pixel radius within which a keypoint counts as correct (module docstring)."""
    if sigmas is None:   # MPII: PCKh@0.5
        x1, y1, x2, y2 = annotation["head_box"]
        size = 0.6 * float(np.hypot(x2 - x1, y2 - y1))
        return np.full(len(annotation["keypoints"]) // 3, 0.5 * size)
    area = float(annotation.get("area") or annotation["bbox"][2] * annotation["bbox"][3])
    return 2 * np.asarray(sigmas, dtype=np.float64) * np.sqrt(2 * np.log(2) * area)


def pck(pred: np.ndarray, target: np.ndarray, visible: np.ndarray, radius: np.ndarray) -> float:
    """Fraction of the visible target keypoints within ``radius`` of the prediction (0 if none)."""
    vis = visible > 0
    if not vis.any():
        return 0.0
    d = np.linalg.norm(pred - target, axis=-1)
    return float((d[vis] <= radius[vis]).mean())


def choose_targets(crop_keypoints: np.ndarray, crop_visible: np.ndarray, inverses: np.ndarray,
                   clean_image_pred: np.ndarray, radii: np.ndarray, ann_ids: np.ndarray,
                   seed: int, dataset: str, input_hw: tuple[int, int]) -> TargetPoses:
    """Target poses for every instance (module docstring).

    Args:
        crop_keypoints, crop_visible: (N,K,2) / (N,K) ground truth of every instance in its crop.
        inverses: (N,2,3) crop -> image affine of every instance.
        clean_image_pred: (N,K,2) clean predictions in image pixels.
        radii: (N,K) ``correct_radius`` of every instance.
        ann_ids: (N,) annotation ids (the per-instance seed).
    """
    n, k = crop_visible.shape
    h, w = input_hw
    labelled = crop_visible.sum(axis=1) >= max(1, k // 2)
    source = np.zeros(n, dtype=np.int64)
    clean = np.zeros(n)
    for i in range(n):
        candidates = [j for j in range(n) if j != i and labelled[j]]
        if not candidates:
            raise ValueError("targeted attacks need at least two instances with half their keypoints labelled")
        scores = np.array([pck(clean_image_pred[i], C.apply_affine(crop_keypoints[j], inverses[i]),
                               crop_visible[j], radii[i]) for j in candidates])
        zero = [c for c, s in zip(candidates, scores) if s == 0.0]
        rng = rng_for(seed, dataset, "attack-target", int(ann_ids[i]))
        source[i] = zero[int(rng.integers(len(zero)))] if zero else candidates[int(np.argmin(scores))]
        clean[i] = 0.0 if zero else float(scores.min())
    kp = crop_keypoints[source]
    inside = (kp[..., 0] >= 0) & (kp[..., 0] < w) & (kp[..., 1] >= 0) & (kp[..., 1] < h)
    visible = ((crop_visible[source] > 0) & inside).astype(np.float32)
    image_kp = np.stack([C.apply_affine(kp[i], inverses[i]) for i in range(n)]) if n else kp
    return TargetPoses(source=source, crop_keypoints=kp, visible=visible, image_keypoints=image_kp, clean_pck=clean)


def target_annotations(annotations: dict, ann_ids: np.ndarray, targets: TargetPoses) -> dict:
    """A copy of ``annotations`` whose attacked people carry their target pose as ground truth,
    so the dataset's own metric scores how well an attack reached its targets (the "target
    metric"); box, area and head box stay the attacked person's."""
    out = copy.deepcopy(annotations)
    by_id = {int(a): i for i, a in enumerate(ann_ids)}
    for ann in out["annotations"]:
        i = by_id.get(int(ann["id"]))
        if i is None:
            continue
        vis = targets.visible[i] > 0
        kps = np.c_[targets.image_keypoints[i], np.where(vis, 2, 0)]
        kps[~vis, :2] = 0
        ann["keypoints"] = [float(v) for v in kps.ravel()]
        ann["num_keypoints"] = int(vis.sum())
    return out


__all__ = ["TargetPoses", "choose_targets", "correct_radius", "pck", "target_annotations"]
