"""Run a pose estimator (top-down or bottom-up) over one image set and return COCO result dicts."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from robustpose._io import read_json
from robustpose.data.images import read_image
from robustpose.models.estimator import PoseEstimator, instance_score
from robustpose.models.mmpose_inference import BottomupEstimator


def gt_person_boxes(annotations: dict) -> dict[int, np.ndarray]:
    """Ground-truth boxes (xywh) of the non-crowd people with keypoints, per image id."""
    boxes: dict[int, list] = {im["id"]: [] for im in annotations["images"]}
    for ann in annotations["annotations"]:
        if not ann.get("iscrowd", 0) and ann.get("num_keypoints", 1) > 0:
            boxes[ann["image_id"]].append(ann["bbox"])
    return {k: np.asarray(v, dtype=np.float64).reshape(-1, 4) for k, v in boxes.items()}


def detection_boxes(detections: Iterable[dict], min_score: float = 0.0) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Detector boxes (COCO results format, person class) and their scores, per image id."""
    boxes: dict[int, list] = {}
    scores: dict[int, list] = {}
    for det in detections:
        if det.get("category_id", 1) != 1 or det.get("score", 1.0) < min_score:
            continue
        boxes.setdefault(det["image_id"], []).append(det["bbox"])
        scores.setdefault(det["image_id"], []).append(det.get("score", 1.0))
    return ({k: np.asarray(v, dtype=np.float64) for k, v in boxes.items()},
            {k: np.asarray(v, dtype=np.float64) for k, v in scores.items()})


def person_boxes(mode: str, annotations: dict, data_dir: str | os.PathLike
                 ) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray] | None]:
    """Boxes to crop people from, and their scores: ``gt`` (ground truth, score 1) or
    ``detector`` (the dataset's ``person_boxes.json``, e.g. COCO's AP_H 56 detections that the
    papers' top-down numbers use)."""
    if mode == "gt":
        return gt_person_boxes(annotations), None
    if mode != "detector":
        raise ValueError(f"person boxes must be 'gt' or 'detector', got {mode!r}")
    path = Path(data_dir) / "person_boxes.json"
    if not path.exists():
        raise ValueError(f"{path}: no detector boxes for this dataset; use evaluate.boxes: gt")
    return detection_boxes(read_json(path))


def coco_result(image_id: int, keypoints: np.ndarray, score: float, box: np.ndarray | None = None) -> dict:
    """One COCO keypoint result; coordinates rounded to 0.01 px so files are compact and stable.

    A top-down result keeps the person box it was cropped from (``bbox``): PCKh pairs results
    with annotated people by box centre, which for GT boxes is exact (pycocotools ignores it).
    """
    result = {
        "image_id": int(image_id), "category_id": 1,
        "keypoints": [round(float(v), 2) for v in np.c_[keypoints[:, :2], keypoints[:, 2:]].ravel()],
        "score": round(float(score), 5),
    }
    if box is not None:
        result["bbox"] = [round(float(v), 2) for v in box]
    return result


def predict_images(estimator: PoseEstimator | BottomupEstimator, images: list[dict],
                   image_path: Callable[[dict], str | os.PathLike], boxes: dict[int, np.ndarray],
                   box_scores: dict[int, np.ndarray] | None = None, batch_images: int = 16) -> list[dict]:
    """COCO keypoint results for ``images`` (COCO image dicts).

    Top-down (``PoseEstimator``): one result per person box; instance score = box score x mean
    keypoint confidence (mmpose's top-down rescoring). Bottom-up (``BottomupEstimator``): the
    boxes are not used; one result per person the model finds, scored with mmpose's bottom-up
    instance score.
    """
    results: list[dict] = []
    for s in range(0, len(images), batch_images):
        chunk = images[s:s + batch_images]
        arrays = [read_image(image_path(im)) for im in chunk]
        if isinstance(estimator, BottomupEstimator):
            preds, scores = estimator.predict(arrays)
            for im, kps, inst in zip(chunk, preds, scores):
                results.extend(coco_result(im["id"], kp, sc) for kp, sc in zip(kps, inst))
            continue
        chunk_boxes = [boxes.get(im["id"], np.zeros((0, 4))) for im in chunk]
        preds = estimator.predict(arrays, chunk_boxes)
        for im, kps in zip(chunk, preds):
            bs = (box_scores or {}).get(im["id"], np.ones(len(kps)))
            results.extend(coco_result(im["id"], kp, float(b) * instance_score(kp), box)
                           for kp, b, box in zip(kps, bs, np.asarray(boxes.get(im["id"], np.zeros((0, 4)))).reshape(-1, 4)))
    return results
