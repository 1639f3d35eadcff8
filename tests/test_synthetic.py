"""Tests for the synthetic people generator (robustpose.data.synthetic)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from robustpose.data.keypoints import COCO_KEYPOINTS
from robustpose.data.synthetic import (SyntheticConfig, coco_annotations, render_scene,
                                       synthesize_split, write_split)
from robustpose.data.synthetic.visibility import keypoint_flags
from robustpose.seeding import rng_for

SMALL = SyntheticConfig(image_height=96, image_width=128)
CROWDED = SyntheticConfig(min_people=3, max_people=3, min_person_scale=0.6, max_person_scale=0.95)
KP = {name: i for i, name in enumerate(COCO_KEYPOINTS)}


def _scenes(cfg: SyntheticConfig, n: int, tag: str = "test"):
    return [render_scene(rng_for(0, tag, i), cfg) for i in range(n)]


def _read_tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


# ---------------------------------------------------------------------------------- config

@pytest.mark.parametrize("kwargs, field", [
    ({"min_people": 3, "max_people": 2}, "max_people"),
    ({"min_people": 0}, "min_people"),
    ({"image_height": 16}, "image_height"),
    ({"image_width": 100.5}, "image_width"),
    ({"min_person_scale": 0.9, "max_person_scale": 0.5}, "max_person_scale"),
    ({"min_person_scale": 0.0}, "min_person_scale"),
    ({"max_person_scale": "big"}, "max_person_scale"),
    ({"max_people": True}, "max_people"),
])
def test_config_validation_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        SyntheticConfig(**kwargs)


def test_default_config_is_valid():
    cfg = SyntheticConfig()
    assert (cfg.image_height, cfg.image_width, cfg.min_people, cfg.max_people) == (192, 192, 1, 3)


# ---------------------------------------------------------------------------------- scenes

def test_render_scene_shapes_and_types():
    for image, people in _scenes(SMALL, 12):
        assert image.shape == (96, 128, 3) and image.dtype == np.uint8
        assert 1 <= len(people) <= 3
        for person in people:
            kps = person["keypoints"]
            assert kps.shape == (17, 3) and kps.dtype == np.float64
            assert set(np.unique(kps[:, 2])) <= {0.0, 1.0, 2.0}
            assert (kps[:, 2] > 0).any()
            assert len(person["bbox"]) == 4 and all(isinstance(b, float) for b in person["bbox"])
            assert person["bbox"][2] > 0 and person["bbox"][3] > 0
            assert isinstance(person["area"], float)
            assert 0 < person["area"] <= person["bbox"][2] * person["bbox"][3]


def test_keypoints_inside_image_when_labelled_and_zero_otherwise():
    cfg = SyntheticConfig(image_height=96, image_width=96, max_person_scale=1.3)
    n_outside = 0
    for image, people in _scenes(cfg, 30):
        h, w = image.shape[:2]
        for person in people:
            kps = person["keypoints"]
            on = kps[:, 2] > 0
            assert (kps[on, 0] >= 0).all() and (kps[on, 0] <= w - 1).all()
            assert (kps[on, 1] >= 0).all() and (kps[on, 1] <= h - 1).all()
            assert (kps[~on, :2] == 0).all()
            n_outside += int((~on).sum())
    assert n_outside > 0, "big people near the border should have some keypoints cut off"


def test_bbox_contains_labelled_keypoints():
    for image, people in _scenes(SyntheticConfig(), 30):
        for person in people:
            x, y, w, h = person["bbox"]
            kps = person["keypoints"][person["keypoints"][:, 2] > 0]
            assert (kps[:, 0] >= x - 2).all() and (kps[:, 0] <= x + w + 2).all()
            assert (kps[:, 1] >= y - 2).all() and (kps[:, 1] <= y + h + 2).all()


def test_people_per_image_follow_config():
    counts = [len(p) for _, p in _scenes(SyntheticConfig(min_people=2, max_people=2), 15)]
    # People entirely outside the image are dropped, which placement makes rare.
    assert max(counts) == 2 and np.mean(counts) > 1.8


# ---------------------------------------------------------------------------------- visibility

def test_keypoint_flags_follow_coco_semantics():
    """v=0 (and x=y=0) outside, v=1 under a later person's mask, v=2 otherwise; a joint on
    the occluder's edge stays visible (one pixel tolerance)."""
    cover = np.zeros((40, 50), np.float32)
    cover[10:20, 10:20] = 1.0                     # a person drawn in front
    joints = np.full((17, 2), 30.0)
    joints[5] = (15.0, 15.0)                      # well inside the occluder
    joints[6] = (10.0, 15.0)                      # on its edge
    joints[7] = (-1.0, 5.0)                       # left of the image
    joints[8] = (49.0, 39.0)                      # last pixel: inside
    joints[9] = (49.6, 39.0)                      # beyond the last pixel centre
    face_depth = np.ones(5)                       # all face features turned to the camera
    kps = keypoint_flags(joints, face_depth, cover)
    assert kps.shape == (17, 3)
    assert kps[5, 2] == 1 and kps[6, 2] == 2 and kps[8, 2] == 2
    assert kps[7].tolist() == [0, 0, 0] and kps[9].tolist() == [0, 0, 0]
    assert (kps[10:, 2] == 2).all()
    np.testing.assert_allclose(kps[5, :2], (15.0, 15.0))


def test_face_features_turned_away_are_occluded():
    joints = np.full((17, 2), 5.0)
    face_depth = np.array([1.0, 0.9, -0.2, 0.5, -0.9])     # right eye and right ear turned away
    kps = keypoint_flags(joints, face_depth, np.zeros((20, 20), np.float32))
    assert kps[KP["right_eye"], 2] == 1 and kps[KP["right_ear"], 2] == 1
    assert kps[KP["nose"], 2] == 2 and kps[KP["left_eye"], 2] == 2 and kps[KP["left_ear"], 2] == 2


def test_overlapping_people_produce_occluded_body_joints():
    body = slice(KP["left_shoulder"], 17)
    occluded_front, occluded_behind = 0, 0
    for _, people in _scenes(CROWDED, 40, tag="crowded"):
        for rank, person in enumerate(people):
            n = int((person["keypoints"][body, 2] == 1).sum())
            if rank == len(people) - 1:
                occluded_front += n
            else:
                occluded_behind += n
    assert occluded_behind > 20
    # The last-drawn person has nobody in front; the only way to occlude it is an unannotated
    # person drawn later, which is rare.
    assert occluded_front <= occluded_behind / 10


def test_left_limbs_look_different_from_right_limbs():
    """The left/right cue: left limbs carry a dark axial stripe, so their axis is darker."""
    luminance = {"left": [], "right": []}
    for image, people in _scenes(SyntheticConfig(min_person_scale=0.6), 40, tag="sides"):
        grey = image.astype(np.float64).mean(axis=2)
        for person in people:
            kps = person["keypoints"]
            for side in ("left", "right"):
                for a, b in (("shoulder", "elbow"), ("hip", "knee"), ("knee", "ankle")):
                    pa, pb = kps[KP[f"{side}_{a}"]], kps[KP[f"{side}_{b}"]]
                    if pa[2] == 2 and pb[2] == 2:
                        x, y = np.round((pa[:2] + pb[:2]) / 2).astype(int)
                        luminance[side].append(grey[y, x])
    assert min(len(v) for v in luminance.values()) > 50
    assert np.mean(luminance["right"]) - np.mean(luminance["left"]) > 10


# ---------------------------------------------------------------------------------- splits

def test_synthesize_split_names_and_per_index_seeding():
    items = list(synthesize_split(SMALL, 7, "val", 3))
    assert [name for name, _, _ in items] == ["val_000000.png", "val_000001.png", "val_000002.png"]
    # Image i depends only on (seed, split, i), not on how many images came before it.
    name, image, people = list(synthesize_split(SMALL, 7, "val", 2))[1]
    assert name == items[1][0] and np.array_equal(image, items[1][1])
    assert len(people) == len(items[1][2])
    other = next(synthesize_split(SMALL, 7, "train", 1))[1]
    assert not np.array_equal(other, items[0][1])


def test_write_split_is_deterministic(tmp_path):
    cfg = SyntheticConfig(image_height=64, image_width=64)
    a = write_split(tmp_path / "a", cfg, 3, "train", 5)
    write_split(tmp_path / "b", cfg, 3, "train", 5)
    write_split(tmp_path / "c", cfg, 4, "train", 5)
    tree_a, tree_b, tree_c = (_read_tree(tmp_path / d) for d in "abc")
    assert a == tmp_path / "a" / "annotations.json"
    assert sorted(tree_a) == ["annotations.json"] + [f"images/train_{i:06d}.png" for i in range(5)]
    assert tree_a == tree_b
    assert tree_a["annotations.json"] != tree_c["annotations.json"]
    assert all(tree_a[k] != tree_c[k] for k in tree_a if k.startswith("images/"))


def test_write_split_bytes_do_not_depend_on_the_rendering_processes(tmp_path):
    """prepare@ renders on every core: 2 forked workers must write the bytes 1 process writes."""
    cfg = SyntheticConfig(image_height=64, image_width=64)
    write_split(tmp_path / "one", cfg, 3, "val", 5)
    write_split(tmp_path / "two", cfg, 3, "val", 5, workers=2)
    assert _read_tree(tmp_path / "one") == _read_tree(tmp_path / "two")


def test_written_annotations_load_in_pycocotools(tmp_path):
    from pycocotools.coco import COCO

    path = write_split(tmp_path, SMALL, 0, "val", 4)
    coco = COCO(str(path))
    assert sorted(coco.getImgIds()) == [1, 2, 3, 4]
    assert coco.loadCats(1)[0]["keypoints"] == list(COCO_KEYPOINTS)
    anns = coco.loadAnns(coco.getAnnIds())
    assert [a["id"] for a in anns] == list(range(1, len(anns) + 1))
    for ann in anns:
        kps = ann["keypoints"]
        assert len(kps) == 51 and all(isinstance(v, int) for v in kps[2::3])
        assert ann["num_keypoints"] == sum(v > 0 for v in kps[2::3]) > 0
        assert ann["category_id"] == 1 and ann["iscrowd"] == 0 and ann["area"] > 0
    img = coco.loadImgs(1)[0]
    assert (img["file_name"], img["height"], img["width"]) == ("val_000000.png", 96, 128)
    assert (tmp_path / "images" / "val_000003.png").is_file()


def test_coco_annotations_ids_and_rounding():
    kps = np.zeros((17, 3))
    kps[0] = (1.23456, 7.891011, 2)
    kps[1] = (3.0, 4.0, 1)
    person = {"keypoints": kps, "bbox": [0.123, 1.0, 10.5, 20.004], "area": 99.0}
    data = coco_annotations(SMALL, [("a.png", 96, 128, [person, person]), ("b.png", 96, 128, []),
                                    ("c.png", 96, 128, [person])])
    assert [im["id"] for im in data["images"]] == [1, 2, 3]
    assert [(a["id"], a["image_id"]) for a in data["annotations"]] == [(1, 1), (2, 1), (3, 3)]
    ann = data["annotations"][0]
    assert ann["keypoints"][:6] == [1.23, 7.89, 2, 3.0, 4.0, 1]
    assert ann["bbox"] == [0.12, 1.0, 10.5, 20.0]
    assert ann["num_keypoints"] == 2 and ann["iscrowd"] == 0 and ann["category_id"] == 1
    assert data["info"]["config"]["image_width"] == 128
    json.dumps(data)                              # plain JSON types only
    with pytest.raises(ValueError, match="a.png"):
        coco_annotations(SMALL, [("a.png", 96, 128, [{**person, "keypoints": kps[:5]}])])
