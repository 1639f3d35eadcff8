"""Whole-benchmark evaluation: conditions, cached predictions keyed by model and data digests."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from robustpose.corrupt.dataset import CorruptJob, corrupt_dataset
from robustpose.data.synthetic import SyntheticConfig, write_split
from robustpose.evaluate import benchmark
from robustpose.evaluate.benchmark import conditions, evaluate_model, summarise
from robustpose.evaluate.predict import gt_person_boxes
from robustpose.models import model_spec
from robustpose.models.estimator import PoseEstimator
from robustpose.models.net import PoseNet


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    ann_file = write_split(root / "val", SyntheticConfig(image_height=64, image_width=64), 0, "val", 3)
    for name in ("fog", "pixelate"):
        corrupt_dataset(CorruptJob(str(root / "val" / "images"), str(root / "corrupted" / name), "synthetic", name, 0),
                        ann_file, [1, 2])
    torch.manual_seed(0)
    net = PoseNet(model_spec("simplebaseline_r18", input_size=(64, 64), base_channels=8, deconv_channels=(8, 8, 8)))
    est = PoseEstimator(net, device=torch.device("cpu"), flip_test=False)
    ann = json.loads(Path(ann_file).read_text())
    return root, ann_file, est, gt_person_boxes(ann)


def _run(setup, cache: Path, digest: str = "model-a") -> dict:
    root, ann_file, est, boxes = setup
    return evaluate_model(est, ann_file, root / "val" / "images", root / "corrupted", ["fog", "pixelate"], [1, 2],
                          cache, digest, boxes)


def test_conditions_order():
    assert [c.key for c in conditions(["fog"], [1, 3])] == ["clean", "fog-1", "fog-3"]


def test_metrics_layout_and_summary(setup, tmp_path):
    m = _run(setup, tmp_path / "cache")
    assert set(m["corrupted"]) == {"fog", "pixelate"} and set(m["corrupted"]["fog"]) == {"1", "2"}
    assert set(m["clean"]) >= {"AP", "AR"}
    s = summarise(m)
    mean = np.mean([np.mean([m["corrupted"][c][k]["AP"] for k in ("1", "2")]) for c in ("fog", "pixelate")])
    assert s["mPC"] == pytest.approx(mean)
    assert set(s["per_category"]) == {"weather", "digital"}
    assert len(list((tmp_path / "cache").glob("*.json"))) == 5


def test_resume_uses_cache_and_a_new_model_does_not(setup, tmp_path, monkeypatch):
    first = _run(setup, tmp_path / "cache")
    calls = []
    real = benchmark.predict_images
    monkeypatch.setattr(benchmark, "predict_images", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert _run(setup, tmp_path / "cache") == first and calls == []       # everything cached
    (tmp_path / "cache" / "fog-2.json").unlink()                          # an interrupted run
    assert _run(setup, tmp_path / "cache") == first and len(calls) == 1
    _run(setup, tmp_path / "cache", digest="model-b")                     # stale cache ignored
    assert len(calls) == 6


def test_missing_corrupted_image_is_a_clear_error(setup, tmp_path):
    root, ann_file, est, boxes = setup
    with pytest.raises(ValueError, match="manifest.json: no severity 3 image"):
        evaluate_model(est, ann_file, root / "val" / "images", root / "corrupted", ["fog"], [3], tmp_path, "m", boxes)


def test_detector_boxes_come_with_scores_and_a_missing_file_is_named(tmp_path):
    from robustpose.evaluate.predict import person_boxes

    ann = {"images": [{"id": 1}, {"id": 2}],
           "annotations": [{"id": 5, "image_id": 1, "bbox": [1, 2, 3, 4], "num_keypoints": 3, "iscrowd": 0}]}
    boxes, scores = person_boxes("gt", ann, tmp_path)
    assert scores is None and boxes[1].tolist() == [[1, 2, 3, 4]] and boxes[2].shape == (0, 4)
    with pytest.raises(ValueError, match=r"person_boxes.json: no detector boxes"):
        person_boxes("detector", ann, tmp_path)
    (tmp_path / "person_boxes.json").write_text(json.dumps([
        {"image_id": 2, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.9},
        {"image_id": 2, "category_id": 2, "bbox": [0, 0, 9, 9], "score": 0.99}]))
    boxes, scores = person_boxes("detector", ann, tmp_path)
    assert boxes[2].tolist() == [[0, 0, 5, 5]] and scores[2].tolist() == [0.9] and 1 not in boxes


def test_changing_boxes_or_flip_test_changes_the_prediction_cache_key():
    from robustpose.evaluate.benchmark import setup_digest

    class Est:
        flip_test = True

    a = {1: np.array([[0.0, 0, 5, 5]])}
    b = {1: np.array([[0.0, 0, 5, 6]])}
    flipless = Est()
    flipless.flip_test = False
    assert len({setup_digest(Est(), a, None), setup_digest(Est(), b, None), setup_digest(flipless, a, None),
                setup_digest(Est(), a, {1: np.array([0.5])})}) == 4
    assert setup_digest(Est(), a, None) == setup_digest(Est(), {1: a[1].copy()}, None)


def test_images_skipped_as_unreadable_are_missed_in_every_condition_clean_included(tmp_path):
    """`corrupt.on_bad_image: skip`: the corrupt stage records two unreadable sources; evaluation
    must not stop on them in the clean condition, and scores them as missed everywhere (their
    people lower recall by the same amount in clean and corrupted conditions)."""
    root = tmp_path / "data"
    ann_file = write_split(root / "val", SyntheticConfig(image_height=64, image_width=64), 0, "val", 4)
    names = sorted(p.name for p in (root / "val" / "images").iterdir())
    for name in names[:2]:
        (root / "val" / "images" / name).write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    corrupt_dataset(CorruptJob(str(root / "val" / "images"), str(root / "corrupted" / "fog"), "synthetic", "fog", 0,
                               on_bad_image="skip"), ann_file, [1])
    ann = json.loads(Path(ann_file).read_text())
    torch.manual_seed(0)
    net = PoseNet(model_spec("simplebaseline_r18", input_size=(64, 64), base_channels=8, deconv_channels=(8, 8, 8)))
    est = PoseEstimator(net, device=torch.device("cpu"), flip_test=False)
    m = evaluate_model(est, ann_file, root / "val" / "images", root / "corrupted", ["fog"], [1], tmp_path / "cache",
                       "m", gt_person_boxes(ann))
    clean = json.loads((tmp_path / "cache" / "clean.json").read_text())["predictions"]
    fog = json.loads((tmp_path / "cache" / "fog-1.json").read_text())["predictions"]
    by_name = {im["id"]: im["file_name"] for im in ann["images"]}
    for preds in (clean, fog):
        predicted = {by_name[p["image_id"]] for p in preds}
        assert predicted == set(names[2:]), predicted
    assert m["clean"]["AR"] < 1.0   # the broken images' people count as missed
