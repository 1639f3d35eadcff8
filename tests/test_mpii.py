"""MPII: joint layout, mmpose-json validation and conversion, head-box .mat loading, PCKh."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from robustpose.data.mpii import (
    MPII_FLIP_PAIRS, MPII_KEYPOINTS, MPII_SKELETON, image_sizes_from_dir, load_gt_val_mat,
    load_headboxes_mat, load_mpii_json, mpii_to_coco,
)
from robustpose.evaluate.pckh import head_sizes_from_boxes, pckh, pckh_from_coco

IDX = {n: i for i, n in enumerate(MPII_KEYPOINTS)}


def _one_line(err: pytest.ExceptionInfo) -> str:
    msg = str(err.value)
    assert "\n" not in msg
    return msg


# --------------------------------------------------------------------------- layout

def test_layout_flip_pairs_and_skeleton():
    assert len(MPII_KEYPOINTS) == 16
    assert MPII_KEYPOINTS[:6] == ("right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle")
    assert MPII_KEYPOINTS[9] == "head_top" and MPII_KEYPOINTS[15] == "left_wrist"
    for a, b in MPII_FLIP_PAIRS:
        na, nb = MPII_KEYPOINTS[a], MPII_KEYPOINTS[b]
        assert {na.split("_", 1)[0], nb.split("_", 1)[0]} == {"left", "right"}
        assert na.split("_", 1)[1] == nb.split("_", 1)[1]
    flipped = {i for p in MPII_FLIP_PAIRS for i in p}
    assert flipped == set(range(16)) - {6, 7, 8, 9}
    assert all(1 <= a <= 16 and 1 <= b <= 16 for a, b in MPII_SKELETON)
    assert {i for p in MPII_SKELETON for i in p} == set(range(1, 17))   # connected, 1-based


# --------------------------------------------------------------------------- PCKh by hand

def _hand_case():
    """Two people; A: head box (0,0)-(30,40) -> size 0.6*50 = 30, thr 15 px;
    B: head box (0,0)-(6,8) -> size 6, thr 3 px."""
    gt = np.tile(np.arange(16, dtype=float)[:, None] * 10.0, (2, 1, 2))      # (2,16,2)
    off = np.zeros((2, 16, 2))
    vis = np.ones((2, 16), dtype=bool)
    # person A
    off[0, IDX["right_ankle"]] = (9, 12)           # 15 px: exactly at the threshold -> correct
    off[0, IDX["right_knee"]] = (9, 11.999)        # just under -> correct
    off[0, IDX["left_ankle"]] = (9, 12.001)        # just over -> wrong
    off[0, IDX["left_knee"]] = (100, 0)            # wrong
    off[0, IDX["upper_neck"]] = (20, 0)            # wrong
    off[0, IDX["right_hip"]] = (3, 0)              # 0.1 head sizes: correct, also at 0.1
    off[0, IDX["left_hip"]] = (3.1, 0)             # 0.103: correct at 0.5, wrong at 0.1
    # person B
    off[1, IDX["right_ankle"]] = (3, 0)            # 3/6 = 0.5 -> correct
    off[1, IDX["right_knee"]] = (3.0001, 0)        # wrong
    off[1, IDX["left_ankle"]] = (500, 500)         # wrong, but not labelled -> ignored
    vis[1, IDX["left_ankle"]] = False
    # pelvis and thorax wrong for both: must not move Mean
    off[:, IDX["pelvis"]] = (1000, 0)
    off[:, IDX["thorax"]] = (0, 1000)
    boxes = np.array([[[0, 0], [30, 40]], [[0, 0], [6, 8]]], dtype=float)
    return gt + off, gt, vis, boxes


def test_head_size_is_sc_bias_times_diagonal():
    _, _, _, boxes = _hand_case()
    np.testing.assert_allclose(head_sizes_from_boxes(boxes), [30.0, 6.0])
    np.testing.assert_allclose(head_sizes_from_boxes(boxes.reshape(2, 4)), [30.0, 6.0])


def test_pckh_hand_computed():
    pred, gt, vis, boxes = _hand_case()
    m = pckh(pred, gt, vis, boxes)
    pj = m["per_joint"]
    assert pj["right_ankle"] == 100.0                 # at-threshold counts (<=), both people
    assert pj["left_ankle"] == 0.0                    # A over; B invisible -> excluded
    assert m["joint_count"]["left_ankle"] == 1
    assert pj["right_knee"] == 50.0 and pj["left_knee"] == 50.0
    assert pj["upper_neck"] == 50.0 and pj["head_top"] == 100.0
    assert pj["pelvis"] == 0.0 and pj["thorax"] == 0.0
    for name in ("right_hip", "left_hip", "right_shoulder", "left_shoulder",
                 "right_elbow", "left_elbow", "right_wrist", "left_wrist"):
        assert pj[name] == 100.0
    assert m["Ankle"] == 50.0 and m["Knee"] == 50.0
    assert m["Head"] == 75.0                          # toolkit: mean(upper_neck, head_top)
    assert pckh(pred, gt, vis, boxes, head_group="mmpose")["Head"] == 100.0   # head_top only
    assert m["Shoulder"] == m["Elbow"] == m["Wrist"] == m["Hip"] == 100.0
    # 14 joints x 2 people - 1 invisible = 27 labelled; wrong: A l_ankle, l_knee, upper_neck; B r_knee
    assert m["Mean"] == pytest.approx(100.0 * 23 / 27)
    # at 0.1 (A 3 px, B 0.6 px): A head_top, right_hip (exactly 3 px), shoulders, elbows,
    # wrists = 8 joints; B l_knee, upper_neck, head_top, hips, shoulders, elbows, wrists = 11
    assert m["Mean@0.1"] == pytest.approx(100.0 * 19 / 27)
    # the same through head sizes
    m2 = pckh(pred, gt, vis, head_sizes=[30.0, 6.0])
    assert m2["Mean"] == m["Mean"] and m2["per_joint"] == pj


def test_pckh_threshold_argument():
    pred, gt, vis, boxes = _hand_case()
    m = pckh(pred, gt, vis, boxes, threshold=1.0)
    assert m["per_joint"]["left_ankle"] == 100.0       # 15.0012 px <= 30 px
    assert m["per_joint"]["left_knee"] == 50.0         # 100 px still wrong for A


def test_pelvis_thorax_excluded_perfect_and_shift():
    rng = np.random.default_rng(0)
    gt = rng.uniform(0, 500, size=(5, 16, 2))
    vis = np.ones((5, 16), dtype=bool)
    boxes = np.stack([np.stack([c, c + rng.uniform(10, 60, size=2)]) for c in rng.uniform(0, 400, (5, 2))])
    sizes = head_sizes_from_boxes(boxes)
    np.testing.assert_allclose(sizes, 0.6 * np.linalg.norm(boxes[:, 1] - boxes[:, 0], axis=1))

    perfect = pckh(gt.copy(), gt, vis, boxes)
    assert perfect["Mean"] == 100.0 and perfect["Mean@0.1"] == 100.0
    assert all(v == 100.0 for v in perfect["per_joint"].values())

    wrong_torso = gt.copy()
    wrong_torso[:, [IDX["pelvis"], IDX["thorax"]]] += 1000.0
    m = pckh(wrong_torso, gt, vis, boxes)
    assert m["Mean"] == 100.0
    assert m["per_joint"]["pelvis"] == 0.0 and m["per_joint"]["thorax"] == 0.0

    eps = 1e-6
    over = gt.copy()
    over[..., 0] += (sizes * 0.5 + eps)[:, None]          # 0.6 * diag * 0.5 + eps
    m = pckh(over, gt, vis, boxes)
    assert m["Mean"] == 0.0 and all(v == 0.0 for v in m["per_joint"].values())
    under = gt.copy()
    under[..., 1] -= (sizes * 0.5 - eps)[:, None]
    assert pckh(under, gt, vis, boxes)["Mean"] == 100.0


def test_pckh_nan_predictions_wrong_and_bad_inputs():
    pred, gt, vis, boxes = _hand_case()
    pred = gt.copy()
    pred[0, IDX["head_top"]] = np.nan
    assert pckh(pred, gt, vis, boxes)["per_joint"]["head_top"] == 50.0
    novis = np.zeros_like(vis)
    m = pckh(pred, gt, novis, boxes)
    assert math.isnan(m["Mean"]) and math.isnan(m["Head"])
    with pytest.raises(ValueError, match="exactly one"):
        pckh(pred, gt, vis)
    with pytest.raises(ValueError, match="head size"):
        pckh(pred, gt, vis, head_sizes=[30.0, 0.0])
    with pytest.raises(ValueError, match="expected"):
        pckh(pred[:, :15], gt[:, :15], vis[:, :15], boxes)


# --------------------------------------------------------------------------- pckh_from_coco

def _entries():
    rng = np.random.default_rng(3)
    out = []
    for img, c in (("b.jpg", (100, 100)), ("a.jpg", (100, 100)), ("a.jpg", (300, 120))):
        joints = (np.asarray(c) + rng.uniform(-40, 40, size=(16, 2))).round(1)
        vis = [1] * 16
        out.append({"image": img, "center": [float(c[0]), float(c[1])], "scale": 0.5,
                    "joints": joints.tolist(), "joints_vis": vis})
    out[2]["joints"][0] = [-1.0, -1.0]
    out[2]["joints_vis"][0] = 0
    return out


def _results_from(coco, with_ann_id=False):
    res = []
    for a in coco["annotations"]:
        r = {"image_id": a["image_id"], "category_id": 1, "score": 0.9,
             "keypoints": [v if i % 3 != 2 else 0.9 for i, v in enumerate(a["keypoints"])]}
        if with_ann_id:
            r["ann_id"] = a["id"]
        res.append(r)
    return res


def test_pckh_from_coco_matching():
    entries = _entries()
    heads = np.array([[[0, 0], [30, 40]]] * 3, dtype=float)
    coco = mpii_to_coco(entries, None, heads)
    results = _results_from(coco)[::-1]                     # order must not matter
    m = pckh_from_coco(coco, results)
    assert m["Mean"] == 100.0 and m["num_unmatched"] == 0 and m["num_people"] == 3
    assert m["joint_count"]["right_ankle"] == 2             # entry 2's missing ankle excluded

    # a missing prediction counts as wrong: drop annotation 3's (13 labelled joints in the Mean)
    m = pckh_from_coco(coco, _results_from(coco)[:2])
    assert m["num_unmatched"] == 1
    scored = 3 * 14 - 1                                      # entry 2 lacks right_ankle
    assert m["Mean"] == pytest.approx(100.0 * (scored - 13) / scored)

    # ann_id wins over proximity: swap the two people of a.jpg by id -> both wrong
    res = _results_from(coco, with_ann_id=True)
    res[1]["ann_id"], res[2]["ann_id"] = res[2]["ann_id"], res[1]["ann_id"]
    m = pckh_from_coco(coco, res)
    assert m["per_joint"]["head_top"] == pytest.approx(100.0 / 3)

    # pred_offset shifts every prediction (here by a full head size -> all wrong)
    assert pckh_from_coco(coco, _results_from(coco), pred_offset=30.0)["Mean"] == 0.0

    no_heads = mpii_to_coco(entries, None, None)
    with pytest.raises(ValueError, match="head_box") as err:
        pckh_from_coco(no_heads, _results_from(no_heads))
    _one_line(err)
    with pytest.raises(ValueError, match="ann_id 99"):
        pckh_from_coco(coco, [dict(_results_from(coco)[0], ann_id=99)])


def test_headboxes_layouts_in_conversion():
    entries = _entries()
    heads = np.arange(12, dtype=float).reshape(3, 2, 2)
    a = mpii_to_coco(entries, None, heads)
    b = mpii_to_coco(entries, None, np.transpose(heads, (1, 2, 0)))     # mpii_gt_val.mat layout
    assert [x["head_box"] for x in a["annotations"]] == [x["head_box"] for x in b["annotations"]]
    assert a["annotations"][1]["head_box"] == [4.0, 5.0, 6.0, 7.0]
    with pytest.raises(ValueError, match="headboxes"):
        mpii_to_coco(entries, None, heads[:2])


# --------------------------------------------------------------------------- real sample

@pytest.fixture
def mpii_dir(realdata) -> Path:
    d = realdata / "mpii"
    if not (d / "test_mpii.json").is_file():
        pytest.skip(f"MPII sample {d / 'test_mpii.json'} not found")
    return d


def test_convert_real_sample(mpii_dir, tmp_path):
    entries = load_mpii_json(mpii_dir / "test_mpii.json")
    sizes = image_sizes_from_dir(mpii_dir, [e["image"] for e in entries])
    coco = mpii_to_coco(entries, sizes)
    assert len(coco["annotations"]) == len(entries)
    cat = coco["categories"][0]
    assert cat["keypoints"] == list(MPII_KEYPOINTS) and cat["skeleton"]
    names = sorted({e["image"] for e in entries})
    assert [im["file_name"] for im in coco["images"]] == names
    assert [im["id"] for im in coco["images"]] == list(range(1, len(names) + 1))
    id_to_name = {im["id"]: im["file_name"] for im in coco["images"]}
    saw_missing = False
    for e, a in zip(entries, coco["annotations"]):
        assert (mpii_dir / id_to_name[a["image_id"]]).is_file()
        assert id_to_name[a["image_id"]] == e["image"]
        kp = np.asarray(a["keypoints"], dtype=float)
        assert kp.shape == (48,)
        kp = kp.reshape(16, 3)
        jv = np.asarray(e["joints_vis"])
        np.testing.assert_array_equal(kp[:, 2] == 0, jv == 0)
        np.testing.assert_array_equal(kp[jv == 0], 0.0)
        saw_missing |= bool((jv == 0).any())
        # round trip: labelled keypoints equal the json joints exactly
        np.testing.assert_array_equal(kp[jv > 0, :2], np.asarray(e["joints"], dtype=float)[jv > 0])
        assert a["num_keypoints"] == int((jv > 0).sum())
        x, y, w, h = a["bbox"]
        im = next(i for i in coco["images"] if i["id"] == a["image_id"])
        assert 0 <= x and 0 <= y and x + w <= im["width"] + 1e-9 and y + h <= im["height"] + 1e-9
        vis_xy = kp[kp[:, 2] > 0, :2]
        assert np.all(vis_xy[:, 0] >= x) and np.all(vis_xy[:, 0] <= x + w)
        assert np.all(vis_xy[:, 1] >= y) and np.all(vis_xy[:, 1] <= y + h)
        assert a["area"] > 0
    assert saw_missing, "the sample is expected to contain missing joints (joints_vis 0)"
    # the converted file passes the project's COCO loader
    from robustpose.data.coco_format import load_annotations
    p = tmp_path / "annotations.json"
    p.write_text(json.dumps(coco))
    assert len(load_annotations(p)["annotations"]) == len(entries)


def test_convert_real_sample_box_convention(mpii_dir):
    entries = load_mpii_json(mpii_dir / "test_mpii.json")
    e = entries[1]
    coco = mpii_to_coco(entries, None)                       # no sizes: unclipped square
    ann = coco["annotations"][1]
    side = e["scale"] * 200 * 1.25
    np.testing.assert_allclose(ann["bbox"], [e["center"][0] - side / 2, e["center"][1] - side / 2, side, side])
    ann1 = mpii_to_coco(entries, None, padding=1.0)["annotations"][1]
    assert ann1["bbox"][2] == pytest.approx(e["scale"] * 200)


# --------------------------------------------------------------------------- .mat files

def test_headboxes_mat_roundtrip(tmp_path):
    from scipy.io import savemat
    n = 3
    boxes = np.arange(n * 4, dtype=float).reshape(n, 2, 2) + 1.5        # (N, 2, 2)
    pos = np.random.default_rng(1).uniform(0, 100, size=(n, 16, 2))
    missing = np.zeros((n, 16))
    missing[1, 0] = 1
    p = tmp_path / "gt.mat"
    savemat(p, {"headboxes_src": np.transpose(boxes, (1, 2, 0)),          # stored as (2, 2, N)
                "pos_gt_src": np.transpose(pos, (1, 2, 0)),
                "jnt_missing": missing.T,
                "dataset_joints": np.array([["rank", "rkne"] + ["x"] * 14], dtype=object)})
    hb = load_headboxes_mat(p)
    assert hb.shape == (n, 2, 2)
    np.testing.assert_array_equal(hb, boxes)
    gt = load_gt_val_mat(p)
    np.testing.assert_array_equal(gt["headboxes"], boxes)
    np.testing.assert_allclose(gt["pos_gt"], pos)
    assert gt["jnt_visible"].shape == (n, 16) and gt["jnt_visible"].dtype == bool
    assert not gt["jnt_visible"][1, 0] and gt["jnt_visible"].sum() == n * 16 - 1
    assert gt["dataset_joints"][:2] == ["rank", "rkne"]


def test_mat_missing_key_and_bad_shape(tmp_path):
    from scipy.io import savemat
    p = tmp_path / "nohead.mat"
    savemat(p, {"pos_gt_src": np.zeros((16, 2, 2))})
    with pytest.raises(ValueError, match="headboxes_src") as err:
        load_headboxes_mat(p)
    assert str(p) in _one_line(err)
    with pytest.raises(ValueError, match="headboxes_src") as err:
        load_gt_val_mat(p)
    assert str(p) in _one_line(err)
    q = tmp_path / "badshape.mat"
    savemat(q, {"headboxes_src": np.zeros((3, 2, 5))})
    with pytest.raises(ValueError, match=r"\(2, 2, N\)") as err:
        load_headboxes_mat(q)
    assert str(q) in _one_line(err)
    r = tmp_path / "garbage.mat"
    r.write_bytes(b"not a mat file at all")
    with pytest.raises(ValueError) as err:
        load_headboxes_mat(r)
    assert str(r) in _one_line(err)


# --------------------------------------------------------------------------- bad json

def _write(tmp_path, obj, name="bad.json"):
    p = tmp_path / name
    p.write_text(json.dumps(obj))
    return p


def test_bad_mpii_json(tmp_path):
    good = _entries()
    assert load_mpii_json(_write(tmp_path, good, "good.json")) == good
    bad = [dict(e) for e in good]
    bad[1]["joints"] = bad[1]["joints"][:15]
    p = _write(tmp_path, bad)
    with pytest.raises(ValueError, match="entry 1") as err:
        load_mpii_json(p)
    msg = _one_line(err)
    assert str(p) in msg and "15" in msg and "16" in msg
    for mutate, pattern in (
        (lambda e: e.update(scale="big"), "scale"),
        (lambda e: e.update(center=[1.0]), "center"),
        (lambda e: e.update(joints_vis=[1] * 3), "joints_vis"),
        (lambda e: e.pop("image"), "image"),
    ):
        bad = [dict(e) for e in good]
        mutate(bad[2])
        p = _write(tmp_path, bad)
        with pytest.raises(ValueError, match=pattern) as err:
            load_mpii_json(p)
        assert str(p) in _one_line(err) and "entry 2" in str(err.value)
    p = _write(tmp_path, {"not": "a list"})
    with pytest.raises(ValueError, match="list") as err:
        load_mpii_json(p)
    assert str(p) in _one_line(err)


def test_missing_joint_placeholders():
    e = _entries()[0]
    e["joints"][3] = [-1.0, -1.0]          # placeholder coordinates although joints_vis says 1
    e["joints"][4] = [0.0, 0.0]
    e["joints_vis"][5] = 0                 # joints_vis 0 with real-looking coordinates
    kp = np.asarray(mpii_to_coco([e])["annotations"][0]["keypoints"]).reshape(16, 3)
    assert list(np.flatnonzero(kp[:, 2] == 0)) == [3, 4, 5]
    np.testing.assert_array_equal(kp[[3, 4, 5]], 0.0)
    assert set(kp[:, 2]) == {0, 2}
