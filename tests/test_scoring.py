"""Dataset-specific scoring: per-keypoint OKS, AP-10K's species pooled, MPII by PCKh."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from robustpose.data.keypoints import AP10K_SIGMAS, COCO_KEYPOINTS, COCO_SIGMAS, coco_category
from robustpose.data.mpii import mpii_category
from robustpose.evaluate.coco_metrics import coco_keypoint_metrics, load_coco
from robustpose.evaluate.scoring import per_keypoint_oks, scorer_for


def _person(image_id: int, ann_id: int, x0: float, cat: int = 1) -> dict:
    rng = np.random.default_rng(ann_id)
    xy = np.c_[x0 + rng.uniform(0, 60, 17), rng.uniform(20, 140, 17)]
    kps = np.c_[xy, np.full(17, 2.0)]
    return {"id": ann_id, "image_id": image_id, "category_id": cat, "iscrowd": 0, "num_keypoints": 17,
            "keypoints": kps.ravel().tolist(), "bbox": [x0, 20.0, 60.0, 120.0], "area": 60.0 * 120.0}


def _dataset(cats: list[int]) -> dict:
    anns = [_person(1 + i // 2, 1 + i, 10.0 + 100 * (i % 2), cat) for i, cat in enumerate(cats)]
    categories = [dict(coco_category(), id=c, name=f"c{c}") for c in sorted(set(cats))]
    images = [{"id": i, "file_name": f"{i}.png", "width": 200, "height": 160} for i in sorted({a["image_id"] for a in anns})]
    return {"images": images, "annotations": anns, "categories": categories}


def _perfect(data: dict, category_id: int | None = None) -> list[dict]:
    return [{"image_id": a["image_id"], "category_id": category_id or a["category_id"],
             "keypoints": list(a["keypoints"]), "score": 1.0} for a in data["annotations"]]


def test_per_keypoint_oks_matches_hand_formula():
    data = _dataset([1])
    preds = _perfect(data)
    kp = np.asarray(preds[0]["keypoints"]).reshape(17, 3)
    kp[9, :2] += (3.0, 4.0)   # left wrist 5 px off
    preds[0]["keypoints"] = kp.ravel().tolist()
    got = per_keypoint_oks(load_coco(data), preds, COCO_SIGMAS)
    expected = math.exp(-25.0 / (2 * 7200.0 * (2 * COCO_SIGMAS[9]) ** 2))
    assert got["left_wrist"] == pytest.approx(expected, rel=1e-12)
    assert all(got[n] == pytest.approx(1.0) for n in COCO_KEYPOINTS if n != "left_wrist")


def test_per_keypoint_oks_counts_a_missed_person_as_zero():
    data = _dataset([1, 1])
    got = per_keypoint_oks(load_coco(data), _perfect(data)[:1], COCO_SIGMAS)
    assert got["nose"] == pytest.approx(0.5)


def test_ap10k_species_are_pooled():
    data = _dataset([1, 2, 3, 3])
    preds = _perfect(data, category_id=1)   # a pose model does not name the species
    metrics, per_kp = scorer_for("ap10k", data).score(load_coco(data), preds)
    assert metrics["AP"] == pytest.approx(1.0)
    assert per_kp["left_eye"] == pytest.approx(1.0)   # AP-10K's keypoint names come from its category
    strict = coco_keypoint_metrics(data, preds, AP10K_SIGMAS, use_cats=True)   # COCOeval's default
    assert strict["AP"] == pytest.approx(1 / 3)   # only species 1 (1 of 3) can be matched


def test_mpii_is_scored_by_pckh_with_the_one_pixel_offset():
    rng = np.random.default_rng(0)
    anns = []
    for i in range(4):
        xy = rng.uniform(50, 150, (16, 2))
        anns.append({"id": i + 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "num_keypoints": 16,
                     "keypoints": np.c_[xy, np.ones(16)].ravel().tolist(), "bbox": [0, 0, 10, 10],
                     "area": 100.0, "head_box": [0.0, 0.0, 30.0, 40.0]})   # head size 0.6 * 50 = 30 px
    data = {"images": [{"id": 1, "file_name": "a.jpg", "width": 200, "height": 200}], "annotations": anns,
            "categories": [mpii_category()]}
    preds = []
    for a in anns:
        kp = np.asarray(a["keypoints"]).reshape(16, 3).copy()
        kp[:, :2] -= 1.0                         # predictions are 0-based pixels
        if a["id"] == 1:
            kp[0, 0] += 16.0                     # right ankle 16 px off: > 0.5 * 30
        preds.append({"image_id": 1, "category_id": 1, "keypoints": kp.ravel().tolist(), "score": 1.0,
                      "ann_id": a["id"]})
    scorer = scorer_for("mpii", data)
    metrics, per_joint = scorer.score(load_coco(data), preds)
    assert scorer.primary == "PCKh"
    assert per_joint["right_ankle"] == pytest.approx(0.75)
    assert metrics["Ankle"] == pytest.approx((0.75 + 1.0) / 2)
    assert metrics["PCKh"] == pytest.approx(1 - 1 / (14 * 4))   # pelvis and thorax are not in the mean
    shifted = copy.deepcopy(preds)
    for p in shifted:
        p["keypoints"] = (np.asarray(p["keypoints"]).reshape(16, 3) + [16.0, 0, 0]).ravel().tolist()
    assert scorer.score(load_coco(data), shifted)[0]["PCKh"] == 0.0


def test_synthetic_animals_are_scored_with_ap10k_sigmas_species_pooled():
    """The embedded animals are scored as AP-10K is: its sigmas (not COCO's) and species pooled;
    the number equals pycocotools run with those sigmas and useCats=0 on the same input."""
    from robustpose.data.synthetic_animals import AnimalConfig, coco_annotations, synthesize_split

    cfg = AnimalConfig(image_height=128, image_width=128)
    items = [(n, im.shape[0], im.shape[1], a) for n, im, a in synthesize_split(cfg, 0, "val", 6)]
    data = coco_annotations(cfg, items)
    rng = np.random.default_rng(0)
    preds = []
    for a in data["annotations"]:
        kp = np.asarray(a["keypoints"], dtype=float).reshape(17, 3)
        kp[:, :2] += rng.normal(0, 2.5, (17, 2))   # a few pixels off: where the sigmas matter
        preds.append({"image_id": a["image_id"], "category_id": 1, "keypoints": kp.ravel().tolist(),
                      "score": 0.9})
    metrics, _ = scorer_for("synthetic_animals", data).score(load_coco(data), preds)
    ap10k = coco_keypoint_metrics(data, preds, AP10K_SIGMAS, use_cats=False)
    coco = coco_keypoint_metrics(data, preds, COCO_SIGMAS, use_cats=False)
    assert metrics["AP"] == ap10k["AP"] and 0.05 < metrics["AP"] < 0.95
    assert coco["AP"] != ap10k["AP"]
