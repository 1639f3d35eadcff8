"""Tests for the synthetic animals generator (robustpose.data.synthetic_animals)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, load_script

from robustpose import other_cpu
from robustpose.data.coco_split import coco_keypoint_dict
from robustpose.data.keypoints import AP10K_FLIP_PAIRS, AP10K_KEYPOINTS, AP10K_SKELETON
from robustpose.data.synthetic import SyntheticConfig
from robustpose.data.synthetic_animals import (AnimalConfig, coco_annotations, render_scene,
                                               synthesize_split, write_split)
from robustpose.data.synthetic_animals.animal import sample_animal
from robustpose.data.synthetic_animals.projection import View
from robustpose.data.synthetic_animals.scene import MIN_VISIBLE, paint_animals, place
from robustpose.data.synthetic_animals.skeleton import KP
from robustpose.data.synthetic_animals.species import SPECIES
from robustpose.evaluate.scoring import scorer_for
from robustpose.seeding import rng_for

SMALL = AnimalConfig(image_height=96, image_width=128)
GREY = np.array([128.0, 128.0, 128.0])
DIGESTS = "tests/synthetic_animals_digests.py"


def _scenes(cfg: AnimalConfig, n: int, tag: str = "test"):
    return [render_scene(rng_for(0, tag, i), cfg) for i in range(n)]


@pytest.fixture(scope="module")
def scenes():
    """40 default-config scenes, shared by the checks that only read them."""
    return _scenes(AnimalConfig(), 40)


def _read_tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _items(cfg: AnimalConfig, n: int, split: str = "val"):
    return [(name, im.shape[0], im.shape[1], animals)
            for name, im, animals in synthesize_split(cfg, 0, split, n)]


# ---------------------------------------------------------------------------------- config

@pytest.mark.parametrize("kwargs, field", [
    ({"min_animals": 3, "max_animals": 2}, "max_animals"),
    ({"min_animals": 0}, "min_animals"),
    ({"image_height": 16}, "image_height"),
    ({"image_width": 100.5}, "image_width"),
    ({"max_animals": True}, "max_animals"),
    ({"min_animal_scale": 0.9, "max_animal_scale": 0.5}, "max_animal_scale"),
    ({"min_animal_scale": 0.0}, "min_animal_scale"),
    ({"max_animal_scale": "big"}, "max_animal_scale"),
])
def test_config_validation_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        AnimalConfig(**kwargs)


def test_default_config_and_type_checks():
    cfg = AnimalConfig()
    assert (cfg.image_height, cfg.image_width, cfg.min_animals, cfg.max_animals) == (192, 192, 1, 2)
    with pytest.raises(TypeError, match="AnimalConfig"):
        render_scene(rng_for(0), SyntheticConfig())
    with pytest.raises(ValueError, match="n_images"):
        next(synthesize_split(cfg, 0, "val", -1))
    with pytest.raises(ValueError, match="species"):
        sample_animal(rng_for(0), GREY, species="unicorn")


# ---------------------------------------------------------------------------------- scenes

def test_render_scene_shapes_and_types():
    for image, animals in _scenes(SMALL, 10):
        assert image.shape == (96, 128, 3) and image.dtype == np.uint8
        assert 1 <= len(animals) <= 2
        for animal in animals:
            kps = animal["keypoints"]
            assert kps.shape == (17, 3) and kps.dtype == np.float64
            assert set(np.unique(kps[:, 2])) <= {0.0, 1.0, 2.0}
            assert (kps[:, 2] == 2).sum() >= MIN_VISIBLE
            assert len(animal["bbox"]) == 4 and all(isinstance(b, float) for b in animal["bbox"])
            assert isinstance(animal["area"], float)
            assert 0 < animal["area"] <= animal["bbox"][2] * animal["bbox"][3]
            assert animal["category_id"] in {s.category_id for s in SPECIES}


def test_keypoints_inside_image_when_labelled_and_zero_otherwise(scenes):
    n_outside = 0
    for image, animals in scenes:
        h, w = image.shape[:2]
        for animal in animals:
            kps = animal["keypoints"]
            on = kps[:, 2] > 0
            assert (kps[on, 0] >= 0).all() and (kps[on, 0] <= w - 1).all()
            assert (kps[on, 1] >= 0).all() and (kps[on, 1] <= h - 1).all()
            assert (kps[~on, :2] == 0).all()
            n_outside += int((~on).sum())
    assert n_outside > 0, "animals near the border should have some keypoints cut off"


def test_bbox_contains_labelled_keypoints(scenes):
    for _, animals in scenes:
        for animal in animals:
            x, y, w, h = animal["bbox"]
            kps = animal["keypoints"][animal["keypoints"][:, 2] > 0]
            assert (kps[:, 0] >= x - 2).all() and (kps[:, 0] <= x + w + 2).all()
            assert (kps[:, 1] >= y - 2).all() and (kps[:, 1] <= y + h + 2).all()


def test_variety_sizes_and_flags(scenes):
    """Many species, animals of a reasonable size, both kinds of hidden keypoints."""
    cats, heights, flags = set(), [], {0: 0, 1: 0, 2: 0}
    for image, animals in scenes:
        heights.append(max(a["bbox"][3] for a in animals) / image.shape[0])
        for animal in animals:
            cats.add(animal["category_id"])
            for v in animal["keypoints"][:, 2]:
                flags[int(v)] += 1
    assert len(cats) >= 7
    assert 0.25 < np.median(heights) < 0.9
    assert flags[1] > 20 and flags[2] > 4 * flags[1]       # v=1: mostly far eyes in profile


def test_animals_per_image_follow_config():
    counts = [len(a) for _, a in _scenes(AnimalConfig(min_animals=2, max_animals=2), 12)]
    assert max(counts) == 2 and np.mean(counts) > 1.7


# ---------------------------------------------------------------------------------- visibility

def _occlusion_scene() -> list[dict]:
    """A dog facing right with its tail root 3 px left of the image, and a bear lying facing
    left whose trunk is centred on the dog's head, drawn in front of it; behind both, a small
    cat that the bear's trunk hides completely."""
    back = sample_animal(rng_for(0, "back"), GREY, species="dog", pose="stand",
                         view=View(0.0, 0.0, 1.0), pose_overrides={"head_yaw": 0.0})
    back = place(back, 80, (60.0, 70.0))
    root = back.view.project(back.skeleton.joints)[KP["root_of_tail"]]
    back = place(back, 80, (60.0 - root[0] - 3.0, 70.0))
    front = sample_animal(rng_for(0, "front"), GREY, species="brown bear", pose="lie",
                          view=View(180.0, 0.0, 1.0), pose_overrides={"head_yaw": 0.0})
    front = place(front, 60, (0.0, 0.0))
    trunk = front.view.project(front.skeleton.trunk_origin[None])[0]
    head = back.view.project(back.skeleton.head.centre[None])[0]
    front = place(front, 60, (head[0] - trunk[0], head[1] - trunk[1]))
    hidden = sample_animal(rng_for(0, "hidden"), GREY, species="cat", pose="stand")
    hidden = place(hidden, 10, (head[0], head[1]))
    img = np.full((3, 128, 160), 128.0, np.float32)
    return paint_animals(img, [hidden, back, front], np.array([0.0, -1.0]))


def test_occlusion_and_outside_flags_on_a_constructed_scene():
    dog, bear = _occlusion_scene()          # the hidden cat is drawn but not annotated
    assert (dog["category_id"], bear["category_id"]) == (8, 51)
    # The dog's eyes, nose and neck lie under the bear's trunk (v=1), its tail root is outside
    # the image (v=0, x=y=0), legs and hips are in the open (v=2).
    expected_dog = [1, 1, 1, 1, 0] + [2] * 12
    assert dog["keypoints"][:, 2].astype(int).tolist() == expected_dog
    assert dog["keypoints"][KP["root_of_tail"]].tolist() == [0.0, 0.0, 0.0]
    # The bear faces left, showing its left side: its right eye is on the far side of the head.
    expected_bear = [2, 1] + [2] * 15
    assert bear["keypoints"][:, 2].astype(int).tolist() == expected_bear


def _head_flags(head_yaw: float, yaw: float = 0.0) -> list[int]:
    animal = sample_animal(rng_for(1, "head"), GREY, species="dog", pose="stand",
                           view=View(yaw, 0.0, 1.0),
                           pose_overrides={"head_yaw": head_yaw, "head_pitch": 0.0})
    animal = animal._replace(geo=dict(animal.geo, eye_az=40.0))
    animal = place(animal, 90, (80.0, 64.0))
    img = np.full((3, 128, 160), 128.0, np.float32)
    (ann,) = paint_animals(img, [animal], np.array([0.0, -1.0]))
    return ann["keypoints"][:3, 2].astype(int).tolist()


def test_a_turned_head_hides_the_far_eye_and_then_the_nose():
    """Facing right shows the right side: in profile the left (far) eye is hidden; turned
    towards the camera both eyes show; turned away from it neither eye nor the nose does.
    Facing left mirrors it."""
    assert _head_flags(0.0) == [1, 2, 2]           # left_eye, right_eye, nose
    assert _head_flags(80.0) == [2, 2, 2]
    assert _head_flags(-85.0) == [1, 1, 1]
    assert _head_flags(0.0, yaw=180.0) == [2, 1, 2]


# ---------------------------------------------------------------------------------- annotations

def test_annotations_follow_ap10k(tmp_path):
    from pycocotools.coco import COCO

    path = write_split(tmp_path, SMALL, 0, "val", 4)
    data = json.loads(path.read_text())
    coco = COCO(str(path))
    assert [im["id"] for im in data["images"]] == [1, 2, 3, 4]
    assert [im["file_name"] for im in data["images"]] == [f"val_{i:06d}.png" for i in range(4)]
    assert [a["id"] for a in data["annotations"]] == list(range(1, len(data["annotations"]) + 1))
    assert all((tmp_path / "images" / im["file_name"]).is_file() for im in data["images"])
    cat_ids = {c["id"] for c in data["categories"]}
    assert len(cat_ids) == len(SPECIES) > 1                  # several: scoring pools them
    for cat in data["categories"]:
        assert cat["keypoints"] == list(AP10K_KEYPOINTS)
        assert cat["skeleton"] == [list(p) for p in AP10K_SKELETON]
        assert cat["supercategory"][0].isupper() and cat["supercategory"].endswith("idae")
    assert {c["name"]: c["id"] for c in data["categories"]}["dog"] == 8
    for ann in coco.loadAnns(coco.getAnnIds()):
        kps = ann["keypoints"]
        assert len(kps) == 51 and all(isinstance(v, int) for v in kps[2::3])
        assert ann["num_keypoints"] == sum(v > 0 for v in kps[2::3]) > 0
        assert ann["category_id"] in cat_ids and ann["iscrowd"] == 0 and ann["area"] > 0
    assert data["info"]["config"]["max_animals"] == 2


def test_ap10k_layout_constants():
    assert len(AP10K_KEYPOINTS) == 17 and len(AP10K_SKELETON) == 17
    names = dict(enumerate(AP10K_KEYPOINTS))
    for a, b in AP10K_FLIP_PAIRS:                               # flip pairs swap left and right
        assert names[a].replace("left", "right") == names[b]


def test_keypoint_names_match_the_real_ap10k(realdata):
    path = realdata / "ap10k" / "test_ap10k.json"
    if not path.is_file():
        pytest.skip(f"no real AP-10K sample annotations at {path}")
    real = json.loads(path.read_text())
    for cat in real["categories"]:
        assert cat["keypoints"] == list(AP10K_KEYPOINTS)
        assert cat["skeleton"] == [list(p) for p in AP10K_SKELETON]
    real_cats = {c["id"]: (c["name"], c["supercategory"]) for c in real["categories"]}
    for species in SPECIES:                                      # our ids are AP-10K's ids
        assert real_cats[species.category_id] == (species.name, species.supercategory)


def test_scoring_pools_species_and_gives_ap_1_for_the_ground_truth():
    data = coco_annotations(SMALL, _items(SMALL, 5))
    results = [{"image_id": a["image_id"], "category_id": 1, "score": 1.0,
                "keypoints": [float(v) if i % 3 != 2 else 1.0 for i, v in enumerate(a["keypoints"])]}
               for a in data["annotations"]]
    from robustpose.evaluate.coco_metrics import load_coco
    metrics, per_kp = scorer_for("synthetic_animals", data).score(load_coco(data), results)
    assert metrics["AP"] == pytest.approx(1.0)
    assert list(per_kp) == list(AP10K_KEYPOINTS)


def test_shared_coco_helper_refuses_a_wrong_keypoint_count_naming_the_file():
    with pytest.raises(ValueError, match="a.png: keypoints of shape \\(5, 3\\); expected \\(17, 3\\)"):
        coco_keypoint_dict([("a.png", 8, 8, [{"keypoints": np.zeros((5, 3)), "bbox": [0, 0, 1, 1],
                                              "area": 1.0}])], 17, [], {})


# ---------------------------------------------------------------------------------- splits

def test_synthesize_split_names_and_per_index_seeding():
    items = list(synthesize_split(SMALL, 7, "val", 3))
    assert [name for name, _, _ in items] == ["val_000000.png", "val_000001.png", "val_000002.png"]
    name, image, animals = list(synthesize_split(SMALL, 7, "val", 2))[1]
    assert name == items[1][0] and np.array_equal(image, items[1][1])
    assert len(animals) == len(items[1][2])
    assert not np.array_equal(items[0][1], items[1][1])            # indices differ
    other = next(synthesize_split(SMALL, 7, "train", 1))[1]
    assert not np.array_equal(other, items[0][1])                  # splits differ


def test_write_split_is_deterministic(tmp_path):
    cfg = AnimalConfig(image_height=64, image_width=64)
    a = write_split(tmp_path / "a", cfg, 3, "train", 4)
    write_split(tmp_path / "b", cfg, 3, "train", 4)
    write_split(tmp_path / "c", cfg, 4, "train", 4)
    tree_a, tree_b, tree_c = (_read_tree(tmp_path / d) for d in "abc")
    assert a == tmp_path / "a" / "annotations.json"
    assert sorted(tree_a) == ["annotations.json"] + [f"images/train_{i:06d}.png" for i in range(4)]
    assert tree_a == tree_b
    assert tree_a["annotations.json"] != tree_c["annotations.json"]
    assert all(tree_a[k] != tree_c[k] for k in tree_a if k.startswith("images/"))


@pytest.fixture(scope="module")
def digests() -> tuple[dict[str, str], dict[str, str]]:
    """(in this process, in a subprocess with lowered SIMD) digests of the first val images."""
    in_process = load_script(DIGESTS).digests()
    env = {**os.environ, **other_cpu.SIMD}
    out = subprocess.run([sys.executable, str(ROOT / DIGESTS)], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return in_process, json.loads(out.stdout)


def test_write_split_bytes_do_not_depend_on_the_rendering_processes(tmp_path):
    """prepare@ renders on every core: 2 forked workers must write the bytes 1 process writes."""
    cfg = AnimalConfig(image_height=64, image_width=64)
    write_split(tmp_path / "one", cfg, 3, "val", 5)
    write_split(tmp_path / "two", cfg, 3, "val", 5, workers=2)
    assert _read_tree(tmp_path / "one") == _read_tree(tmp_path / "two")


def test_lowered_simd_gives_the_same_bytes(digests):
    default, lowered = digests
    assert len(default) >= 5
    changed = sorted(k for k in default if default[k] != lowered.get(k))
    assert not changed, f"differ with SIMD lowered: {changed}"


def test_matches_the_committed_golden_digests(digests):
    golden = json.loads((ROOT / "tests" / "golden" / "synthetic_animals_digests.json").read_text())
    default, _ = digests
    changed = sorted(k for k in golden if default.get(k) != golden[k])
    assert golden and not changed, (
        f"generator output changed: {changed}; if intended, regenerate with "
        f"`python {DIGESTS} --write-golden` and say why in the commit")
