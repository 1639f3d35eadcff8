"""coco_keypoint_metrics equals pycocotools on the same input (real COCO samples)."""
from __future__ import annotations

import contextlib
import copy
import io
import json

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from robustpose.data.keypoints import AP10K_SIGMAS, COCO_SIGMAS
from robustpose.evaluate import coco_keypoint_metrics
from robustpose.evaluate.robustness import robustness_summary


def _noisy_results(annotations: dict, noise_px: float, seed: int) -> list[dict]:
    """Predictions = GT keypoints + Gaussian noise, scored randomly, plus one false positive."""
    rng = np.random.default_rng(seed)
    out = []
    for ann in annotations["annotations"]:
        if ann.get("num_keypoints", 0) == 0:
            continue
        kps = np.asarray(ann["keypoints"], float).reshape(-1, 3)
        kps[:, :2] += rng.normal(0, noise_px, size=(len(kps), 2))
        kps[:, 2] = 1.0
        out.append({"image_id": ann["image_id"], "category_id": 1, "keypoints": kps.ravel().tolist(),
                    "score": float(rng.uniform(0.3, 1.0))})
    im = annotations["images"][0]
    out.append({"image_id": im["id"], "category_id": 1, "score": 0.01,  # ranked last
                "keypoints": np.c_[rng.uniform(0, im["width"], (17, 2)), np.ones(17)].ravel().tolist()})
    return out


def _pycocotools_stats(ann_file: str, results: list[dict], sigmas=None) -> np.ndarray:
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(ann_file)
        ev = COCOeval(gt, gt.loadRes(copy.deepcopy(results)), iouType="keypoints")
        if sigmas is not None:
            ev.params.kpt_oks_sigmas = sigmas
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats


@pytest.mark.parametrize("noise_px,seed", [(0.0, 0), (3.0, 1), (12.0, 2)])
def test_equals_pycocotools_on_real_coco(realdata, noise_px, seed):
    ann_file = str(realdata / "coco" / "test_coco.json")
    annotations = json.loads((realdata / "coco" / "test_coco.json").read_text())
    results = _noisy_results(annotations, noise_px, seed)
    ours = coco_keypoint_metrics(ann_file, results)
    ref = _pycocotools_stats(ann_file, results)
    assert list(ours) == ["AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl"]
    np.testing.assert_array_equal(np.array(list(ours.values())), ref)
    if noise_px == 0.0:
        assert ours["AP"] == pytest.approx(1.0)  # exact keypoints; the false positive ranks last
    else:
        assert ours["AP"] < 1.0


def test_sigmas_change_the_score_as_pycocotools(realdata):
    ann_file = str(realdata / "coco" / "test_coco.json")
    annotations = json.loads((realdata / "coco" / "test_coco.json").read_text())
    results = _noisy_results(annotations, 6.0, 3)
    wide = coco_keypoint_metrics(ann_file, results, sigmas=COCO_SIGMAS * 3)
    np.testing.assert_array_equal(np.array(list(wide.values())),
                                  _pycocotools_stats(ann_file, results, COCO_SIGMAS * 3))
    assert wide["AP"] > coco_keypoint_metrics(ann_file, results)["AP"]


def test_ap10k_sigmas_equal_pycocotools(realdata):
    ann_file = str(realdata / "ap10k" / "test_ap10k.json")
    annotations = json.loads((realdata / "ap10k" / "test_ap10k.json").read_text())
    results = _noisy_results(annotations, 2.0, 4)
    for r in results:
        r["category_id"] = annotations["annotations"][0]["category_id"]
    ours = coco_keypoint_metrics(ann_file, results, sigmas=AP10K_SIGMAS)
    np.testing.assert_array_equal(np.array(list(ours.values())),
                                  _pycocotools_stats(ann_file, results, AP10K_SIGMAS))


def test_accepts_a_loaded_dict_and_empty_results(realdata):
    annotations = json.loads((realdata / "coco" / "test_coco.json").read_text())
    results = _noisy_results(annotations, 3.0, 5)
    from_dict = coco_keypoint_metrics(annotations, results)
    from_file = coco_keypoint_metrics(str(realdata / "coco" / "test_coco.json"), results)
    assert from_dict == from_file
    assert coco_keypoint_metrics(annotations, [])["AP"] == 0.0


def test_robustness_summary_by_hand():
    corrupted = {"a": {1: 0.6, 2: 0.4}, "b": {1: 0.3, 2: 0.1}}
    s = robustness_summary(0.8, corrupted, {"a": "noise", "b": "blur"})
    assert s["mPC"] == pytest.approx((0.5 + 0.2) / 2)
    assert s["rPC"] == pytest.approx(0.35 / 0.8)
    assert s["mRR"] == pytest.approx((0.5 / 0.8 + 0.2 / 0.8) / 2)
    assert s["per_category"]["noise"]["mPC"] == pytest.approx(0.5)
    assert s["per_category"]["blur"]["rPC"] == pytest.approx(0.25)
    with pytest.raises(ValueError):
        robustness_summary(0.8, {})
