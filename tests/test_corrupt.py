"""Corruption registry, seeded determinism, reference recipe, dataset-level generation."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from robustpose import corrupt
from robustpose._io import pixel_digest
from robustpose.corrupt.dataset import CorruptJob, corrupt_dataset
from robustpose.data.images import write_image
from conftest import kill_after_files

ALL = corrupt.names()


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    """A 48x64 image with structure (gradient + a bright square) so blurs and noise show."""
    y, x = np.mgrid[0:48, 0:64]
    img = np.stack([x * 4, y * 5, (x + y) * 2], axis=2).astype(np.uint8)
    img[10:30, 20:40] = 230
    return img


def test_registry_has_the_coco_c_15_in_paper_order_and_the_4_extra():
    assert corrupt.names("imagenet_c") == [
        "gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "glass_blur", "motion_blur",
        "zoom_blur", "snow", "frost", "fog", "brightness", "contrast", "elastic_transform", "pixelate",
        "jpeg_compression"]
    assert corrupt.names("imagenet_c_extra") == ["speckle_noise", "gaussian_blur", "spatter", "saturate"]
    assert corrupt.names(pattern="*_blur") == ["defocus_blur", "glass_blur", "motion_blur", "zoom_blur", "gaussian_blur"]
    assert corrupt.category_of("fog") == "weather" and corrupt.category_of("pixelate") == "digital"


def test_unknown_name_lists_valid_ones(image):
    with pytest.raises(KeyError, match="unknown corruption 'gaussian'.*gaussian_noise"):
        corrupt.apply(image, "gaussian", 1, 0)
    with pytest.raises(ValueError, match=r"unknown corruption\(s\) \['nope'\]"):
        corrupt.check_names(["fog", "nope"])
    with pytest.raises(ValueError, match="severity"):
        corrupt.apply(image, "fog", 6, 0)


# one person in the fixture's bright square, for the person-aware corruptions (PoseBench mask)
CONTEXT = {"boxes": np.array([[20.0, 10.0, 40.0, 30.0]]),
           "keypoints": np.array([[[25.0, 15.0, 2.0], [35.0, 25.0, 2.0], [30.0, 20.0, 0.0]]])}


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_output_and_contract(image, name):
    a = corrupt.apply(image, name, 3, 11, CONTEXT)
    b = corrupt.apply(image, name, 3, np.random.default_rng(11), CONTEXT)
    assert a.shape == image.shape and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, image), f"{name} at severity 3 left the image unchanged"


@pytest.mark.parametrize("name", ["gaussian_noise", "impulse_noise", "glass_blur", "frost", "snow", "elastic_transform"])
def test_different_seeds_differ_and_global_state_is_untouched(image, name):
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    a = corrupt.apply(image, name, 4, 1)
    b = corrupt.apply(image, name, 4, 2)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_severity_increases_damage(image):
    errs = [np.abs(corrupt.apply(image, "gaussian_noise", s, 0).astype(int) - image).mean() for s in range(1, 6)]
    assert errs == sorted(errs) and errs[-1] > 2 * errs[0]


def test_grayscale_and_rgba_are_handled(image):
    gray = image[:, :, 0].copy()
    out = corrupt.apply(gray, "contrast", 2, 0)
    assert out.shape == gray.shape and out.dtype == np.uint8
    rgba = np.concatenate([image, np.full(image.shape[:2] + (1,), 77, np.uint8)], axis=2)
    out = corrupt.apply(rgba, "fog", 2, 0)
    assert out.shape == rgba.shape
    assert (out[:, :, 3] == 77).all()
    np.testing.assert_array_equal(out[:, :, :3], corrupt.apply(image, "fog", 2, 0))


# every corruption whose library output depends only on numpy's global seed (not impulse
# noise and glass blur, which draw from their own generators in that recipe)
@pytest.mark.parametrize("name", [n for n in corrupt.names("imagenet_c") + corrupt.names("imagenet_c_extra")
                                  if n not in ("impulse_noise", "glass_blur")])
def test_reference_recipe_is_imagecorruptions_after_seed_1(image, name):
    import imagecorruptions

    np.random.seed(1)
    expected = imagecorruptions.corrupt(image, severity=2, corruption_name=name)
    np.testing.assert_array_equal(corrupt.apply_reference(image, name, 2), expected)


def test_digests_are_identical_in_another_process(image):
    names = ["impulse_noise", "glass_blur", "zoom_blur"]
    here = [pixel_digest(corrupt.apply(image, n, 2, 5)) for n in names]
    code = (
        "import numpy as np, sys;from robustpose import corrupt;from robustpose._io import pixel_digest;"
        "y, x = np.mgrid[0:48, 0:64];img = np.stack([x * 4, y * 5, (x + y) * 2], axis=2).astype(np.uint8);"
        "img[10:30, 20:40] = 230;"
        f"print([pixel_digest(corrupt.apply(img, n, 2, 5)) for n in {names!r}])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert out.stdout.strip() == str(here)


def _tiny_dataset(root: Path, n: int = 4) -> Path:
    rng = np.random.default_rng(0)
    images, anns = [], []
    for i in range(n):
        name = f"img_{i}.png"
        write_image(root / "images" / name, (rng.random((40, 48, 3)) * 255).astype(np.uint8))
        images.append({"id": i + 1, "file_name": name, "height": 40, "width": 48})
        anns.append({"id": i + 1, "image_id": i + 1, "category_id": 1, "bbox": [5, 5, 20, 30], "area": 600,
                     "iscrowd": 0, "num_keypoints": 1, "keypoints": [10, 10, 2] + [0] * 48})
    ann = {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "person",
                                                                   "keypoints": [str(k) for k in range(17)]}]}
    (root / "annotations.json").write_text(json.dumps(ann))
    return root / "annotations.json"


def test_dataset_corruption_is_worker_independent_and_resumable(tmp_path):
    ann = _tiny_dataset(tmp_path / "src")
    jobs = {w: CorruptJob(str(tmp_path / "src" / "images"), str(tmp_path / f"out{w}"), "toy", "shot_noise", seed=3)
            for w in (1, 2)}
    m1 = corrupt_dataset(jobs[1], ann, [1, 3], workers=1)
    m2 = corrupt_dataset(jobs[2], ann, [1, 3], workers=2)
    assert m1 == m2 and len(m1) == 8
    assert (tmp_path / "out1" / "manifest.json").read_bytes() == (tmp_path / "out2" / "manifest.json").read_bytes()
    # resume: remove two outputs, keep the others; finished files are not rewritten
    kept = tmp_path / "out1" / "1" / "img_0.png"
    mtime = kept.stat().st_mtime_ns
    (tmp_path / "out1" / "3" / "img_2.png").unlink()
    (tmp_path / "out1" / "manifest.json").unlink()
    assert corrupt_dataset(jobs[1], ann, [1, 3], workers=1) == m1
    assert kept.stat().st_mtime_ns == mtime


def test_jpeg_output_digest_is_of_decoded_pixels(tmp_path):
    ann = _tiny_dataset(tmp_path / "src", n=2)
    job = CorruptJob(str(tmp_path / "src" / "images"), str(tmp_path / "out"), "toy", "fog", seed=0, fmt="jpeg")
    manifest = corrupt_dataset(job, ann, [2])
    from robustpose.data.images import read_image
    assert manifest == {f"2/img_{i}.jpg": pixel_digest(read_image(tmp_path / "out" / "2" / f"img_{i}.jpg"))
                        for i in range(2)}


def test_a_changed_job_never_reuses_old_files(tmp_path):
    ann = _tiny_dataset(tmp_path / "src", n=2)
    out = tmp_path / "out"
    first = corrupt_dataset(CorruptJob(str(tmp_path / "src" / "images"), str(out), "toy", "gaussian_noise", seed=1),
                            ann, [2])
    second = corrupt_dataset(CorruptJob(str(tmp_path / "src" / "images"), str(out), "toy", "gaussian_noise", seed=2),
                             ann, [2])
    assert first.keys() == second.keys() and all(first[k] != second[k] for k in first)
    # a changed source image invalidates too
    write_image(tmp_path / "src" / "images" / "img_0.png", np.zeros((40, 48, 3), np.uint8))
    third = corrupt_dataset(CorruptJob(str(tmp_path / "src" / "images"), str(out), "toy", "gaussian_noise", seed=2),
                            ann, [2])
    assert third["2/img_0.png"] != second["2/img_0.png"] and third["2/img_1.png"] == second["2/img_1.png"]


def test_changed_corruption_code_never_reuses_old_files(tmp_path, monkeypatch):
    """DVC reruns corrupt@ when the corruption code changes; the rerun must not resume from the
    files the old code wrote (the job stamp holds the code's digest)."""
    from robustpose.corrupt import dataset as D

    ann = _tiny_dataset(tmp_path / "src", n=2)
    job = CorruptJob(str(tmp_path / "src" / "images"), str(tmp_path / "out"), "toy", "contrast", seed=1)
    corrupt_dataset(job, ann, [1])
    stale = tmp_path / "out" / "1" / "img_0.png"
    write_image(stale, np.zeros((40, 48, 3), np.uint8))   # what an older implementation left
    assert corrupt_dataset(job, ann, [1])["1/img_0.png"] == pixel_digest(np.zeros((40, 48, 3), np.uint8))
    monkeypatch.setattr(D, "code_digest", lambda: "another implementation")
    fresh = corrupt_dataset(job, ann, [1])
    assert fresh["1/img_0.png"] != pixel_digest(np.zeros((40, 48, 3), np.uint8))


def test_unreadable_source_image_is_a_one_line_error_or_skipped(tmp_path):
    ann = _tiny_dataset(tmp_path / "src", n=4)
    (tmp_path / "src" / "images" / "img_1.png").write_bytes(b"\x89PNG\r\n\x1a\ntruncated")
    (tmp_path / "src" / "images" / "img_3.png").write_bytes(b"")
    job = CorruptJob(str(tmp_path / "src" / "images"), str(tmp_path / "out"), "toy", "contrast", seed=0)
    with pytest.raises(ValueError, match=r"2 unreadable source image\(s\): .*img_1\.png: unreadable image") as err:
        corrupt_dataset(job, ann, [1, 2], workers=2)
    # every unreadable image named once (not once per severity), in one line, with the way out
    assert "\n" not in str(err.value) and str(err.value).count("img_3.png:") == 1
    assert "on_bad_image: skip" in str(err.value)
    assert (tmp_path / "out" / "1" / "img_0.png").exists()   # finished work is kept
    assert not (tmp_path / "out" / "manifest.json").exists()   # ... but the stage did not finish
    skip = CorruptJob(str(tmp_path / "src" / "images"), str(tmp_path / "out"), "toy", "contrast", seed=0,
                      on_bad_image="skip")
    manifest = corrupt_dataset(skip, ann, [1])
    assert manifest["1/img_1.png"].startswith("skipped: ") and len(manifest) == 4
    assert not (tmp_path / "out" / "1" / "img_1.png").exists()


def test_a_damaged_output_of_an_earlier_run_is_written_again(tmp_path, caplog):
    """A persisted corrupt directory whose file was damaged after the run (disk, a hand edit):
    the rerun says so and writes it again, instead of stopping on it."""
    ann = _tiny_dataset(tmp_path / "src", n=2)
    job = CorruptJob(str(tmp_path / "src" / "images"), str(tmp_path / "out"), "toy", "fog", seed=0)
    first = corrupt_dataset(job, ann, [1])
    damaged = tmp_path / "out" / "1" / "img_1.png"
    damaged.write_bytes(damaged.read_bytes()[:40])
    with caplog.at_level("WARNING"):
        assert corrupt_dataset(job, ann, [1]) == first
    assert any("img_1.png" in r.message and "writing it again" in r.message for r in caplog.records)


def test_example_images_are_the_files_the_stage_wrote(tmp_path):
    from robustpose.corrupt.dataset import example_images
    from robustpose.data.images import read_image

    ann = _tiny_dataset(tmp_path / "val", n=2)
    for name in ("fog", "contrast"):
        corrupt_dataset(CorruptJob(str(tmp_path / "val" / "images"), str(tmp_path / "c" / name), "toy", name, seed=0),
                        ann, [1, 4])
    name, clean, rows = example_images(tmp_path / "val", tmp_path / "c", ["fog", "contrast"], [1, 4])
    assert name == "img_0.png" and list(rows) == ["fog", "contrast"]
    np.testing.assert_array_equal(clean, read_image(tmp_path / "val" / "images" / "img_0.png"))
    np.testing.assert_array_equal(rows["contrast"][1], read_image(tmp_path / "c" / "contrast" / "4" / "img_0.png"))
    with pytest.raises(ValueError, match="no severity 5 image for img_0.png"):
        example_images(tmp_path / "val", tmp_path / "c", ["fog"], [5])


@pytest.mark.slow
def test_killed_midway_then_resumed_equals_an_uninterrupted_run(tmp_path):
    ann = _tiny_dataset(tmp_path / "src", n=24)
    src = str(tmp_path / "src" / "images")
    code = ("import sys; from robustpose.corrupt.dataset import CorruptJob, corrupt_dataset;"
            f"corrupt_dataset(CorruptJob({src!r}, sys.argv[1], 'toy', 'glass_blur', seed=4), {str(ann)!r}, [1, 2, 3, 4, 5], "
            "workers=2)")
    killed = tmp_path / "killed"
    done = kill_after_files([sys.executable, "-c", code, str(killed)], killed, "*/*.png", 20)
    assert 20 <= len(done) < 120 and not (killed / "manifest.json").exists()
    job = CorruptJob(src, str(killed), "toy", "glass_blur", seed=4)
    resumed = corrupt_dataset(job, ann, [1, 2, 3, 4, 5], workers=1)
    assert all(p.stat().st_mtime_ns == t for p, t in done.items()), "finished images were redone"
    assert not list(killed.glob("*/.*.tmp"))
    fresh = corrupt_dataset(CorruptJob(src, str(tmp_path / "fresh"), "toy", "glass_blur", seed=4), ann,
                            [1, 2, 3, 4, 5], workers=2)
    assert resumed == fresh and len(fresh) == 120


def test_a_corruption_dropped_from_params_leaves_the_dataset_output(tmp_path):
    """All corruptions of a dataset share one persisted DVC output: a dropped one's folder must go,
    a folder that no corruption job wrote (no job.json) stays."""
    from robustpose.corrupt.dataset import remove_stale_corruptions

    ann = _tiny_dataset(tmp_path / "src", n=1)
    for name in ("fog", "contrast"):
        corrupt_dataset(CorruptJob(str(tmp_path / "src" / "images"), str(tmp_path / "out" / name), "toy", name,
                                   seed=0), ann, [1])
    (tmp_path / "out" / "notes").mkdir()
    assert remove_stale_corruptions(tmp_path / "out", keep=["fog"]) == ["contrast"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["fog", "notes"]
    assert remove_stale_corruptions(tmp_path / "missing", keep=[]) == []


def test_the_stage_writes_every_corruption_of_params_and_only_those(tmp_path):
    """`stages/corrupt.py` (one DVC stage per dataset) loops over params' corruptions; the digest of
    each equals what a single-corruption job writes."""
    ann = _tiny_dataset(tmp_path / "src", n=2)
    params = {"seed": 0, "corrupt": {"corruptions": ["fog", "mask"], "severities": [2], "format": "png",
                                     "jpeg_quality": 75, "workers": 1, "on_bad_image": "error"}}
    import yaml
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    out = tmp_path / "out"
    (out / "contrast").mkdir(parents=True)
    (out / "contrast" / "job.json").write_text("{}")   # a corruption of an earlier params.yaml
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, str(root / "stages" / "corrupt.py"), "--dataset", "toy", "--data",
                          str(tmp_path / "src"), "--out", str(out)], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == ["fog", "mask"]
    alone = corrupt_dataset(CorruptJob(str(tmp_path / "src" / "images"), str(tmp_path / "alone"), "toy", "mask",
                                       seed=0), ann, [2])
    assert json.loads((out / "mask" / "manifest.json").read_text()) == alone
