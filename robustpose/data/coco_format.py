"""Loading and validating COCO keypoint annotations.

Validation happens once, where the file enters, so that a malformed annotation fails with a
one-line error naming the file and the annotation instead of a shape error deep in training.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from robustpose._io import read_json


@dataclass(frozen=True)
class Instance:
    """One annotated person: box xywh, keypoints (K,3) and the ids that tie it to COCO."""
    ann_id: int
    image_id: int
    bbox: np.ndarray        # (4,) x, y, w, h in pixels
    keypoints: np.ndarray   # (K, 3) x, y, v
    area: float


def load_annotations(path: str | os.PathLike, num_keypoints: int | None = None) -> dict:
    """Read and validate a COCO keypoint file.

    Args:
        path: annotations.json.
        num_keypoints: expected K; taken from the first category's ``keypoints`` when None.

    Raises:
        ValueError: missing sections, an annotation whose keypoint list is not 3*K numbers, a
            reference to an unknown image, or a non-positive box; the message names the file.
    """
    data = read_json(path)
    for key in ("images", "annotations", "categories"):
        if key not in data:
            raise ValueError(f"{path}: not a COCO keypoint file (missing {key!r})")
    if num_keypoints is None:
        cats = [c for c in data["categories"] if "keypoints" in c]
        if not cats:
            raise ValueError(f"{path}: no category lists 'keypoints'")
        num_keypoints = len(cats[0]["keypoints"])
    image_ids = {im["id"] for im in data["images"]}
    for ann in data["annotations"]:
        kps = ann.get("keypoints")
        if kps is None or len(kps) != 3 * num_keypoints:
            got = "none" if kps is None else f"{len(kps)} numbers ({len(kps) / 3:g} keypoints)"
            raise ValueError(f"{path}: annotation id {ann.get('id')} has {got}; expected "
                             f"{3 * num_keypoints} numbers ({num_keypoints} keypoints x [x, y, v])")
        if ann.get("image_id") not in image_ids:
            raise ValueError(f"{path}: annotation id {ann.get('id')} refers to unknown image_id {ann.get('image_id')}")
        bbox = ann.get("bbox")
        if bbox is None or len(bbox) != 4 or bbox[2] <= 0 or bbox[3] <= 0:
            raise ValueError(f"{path}: annotation id {ann.get('id')} has an invalid bbox {bbox}")
    return data


def instances_by_image(data: dict, min_keypoints: int = 1) -> dict[int, list[Instance]]:
    """Non-crowd instances with at least ``min_keypoints`` labelled keypoints, grouped by image id."""
    out: dict[int, list[Instance]] = {im["id"]: [] for im in data["images"]}
    for ann in data["annotations"]:
        if ann.get("iscrowd", 0) or ann.get("num_keypoints", 1) < min_keypoints:
            continue
        out[ann["image_id"]].append(Instance(
            ann_id=int(ann["id"]), image_id=int(ann["image_id"]),
            bbox=np.asarray(ann["bbox"], dtype=np.float64),
            keypoints=np.asarray(ann["keypoints"], dtype=np.float64).reshape(-1, 3),
            area=float(ann.get("area", ann["bbox"][2] * ann["bbox"][3])),
        ))
    return out


def image_context(instances: list[Instance]) -> dict[str, np.ndarray]:
    """Context for person-aware corruptions: boxes (N,4) xyxy and keypoints (N,K,3)."""
    if not instances:
        return {"boxes": np.zeros((0, 4)), "keypoints": np.zeros((0, 0, 3))}
    boxes = np.stack([np.r_[i.bbox[:2], i.bbox[:2] + i.bbox[2:]] for i in instances])
    return {"boxes": boxes, "keypoints": np.stack([i.keypoints for i in instances])}


def image_path(root: str | os.PathLike, image: dict) -> Path:
    return Path(root) / "images" / image["file_name"]
