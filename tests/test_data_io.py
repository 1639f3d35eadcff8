"""Bad input gives a one-line error naming the file; atomic writes; seeding."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from robustpose._io import pixel_digest, read_json, write_json_atomic
from robustpose.data.coco_format import image_context, instances_by_image, load_annotations
from robustpose.data.images import decode_image, encode_image, read_image, write_image
from robustpose.seeding import derive_entropy, rng_for


def _coco(num_kp_numbers: int = 51) -> dict:
    return {
        "images": [{"id": 1, "file_name": "a.png", "height": 64, "width": 64}],
        "annotations": [{"id": 7, "image_id": 1, "category_id": 1, "bbox": [1, 2, 30, 40], "area": 900,
                         "iscrowd": 0, "num_keypoints": 1, "keypoints": [10, 12, 2] + [0] * (num_kp_numbers - 3)}],
        "categories": [{"id": 1, "name": "person", "keypoints": [f"k{i}" for i in range(17)]}],
    }


def test_wrong_keypoint_count_names_file_and_annotation(tmp_path):
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(_coco(48)))
    with pytest.raises(ValueError) as err:
        load_annotations(path)
    msg = str(err.value)
    assert str(path) in msg and "annotation id 7" in msg and "16 keypoints" in msg and "\n" not in msg


def test_valid_annotations_load_and_group(tmp_path):
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(_coco()))
    data = load_annotations(path)
    inst = instances_by_image(data)[1]
    assert len(inst) == 1 and inst[0].keypoints.shape == (17, 3)
    ctx = image_context(inst)
    np.testing.assert_array_equal(ctx["boxes"], [[1, 2, 31, 42]])


def test_malformed_json_names_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="broken.json: not valid JSON"):
        read_json(path)


@pytest.mark.parametrize("content", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_unreadable_image_names_file(tmp_path, content):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(ValueError) as err:
        read_image(path)
    assert str(path) in str(err.value) and "unreadable image" in str(err.value)
    with pytest.raises(ValueError, match="not found"):
        read_image(tmp_path / "missing.png")


def test_png_roundtrip_is_lossless_and_jpeg_is_not(tmp_path):
    img = (np.random.default_rng(0).random((40, 50, 3)) * 255).astype(np.uint8)
    write_image(tmp_path / "x.png", img)
    np.testing.assert_array_equal(read_image(tmp_path / "x.png"), img)
    jpeg = decode_image(encode_image(img, "jpeg", 75))
    assert jpeg.shape == img.shape and not np.array_equal(jpeg, img)
    assert pixel_digest(img) != pixel_digest(jpeg)


def test_atomic_write_leaves_no_temp_files(tmp_path):
    write_json_atomic(tmp_path / "m.json", {"b": 1, "a": 2})
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]
    assert (tmp_path / "m.json").read_text().index('"a"') < (tmp_path / "m.json").read_text().index('"b"')


def test_seeds_are_stable_across_processes_and_distinct():
    here = rng_for(0, "coco", "1.jpg", "fog", 3).integers(0, 2**62, size=4).tolist()
    code = ("from robustpose.seeding import rng_for;"
            "print(rng_for(0, 'coco', '1.jpg', 'fog', 3).integers(0, 2**62, size=4).tolist())")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "123", "PYTHONPATH": str(__import__("pathlib").Path(__file__).parents[1])})
    assert str(here) == other.stdout.strip()
    assert derive_entropy(0, "coco", "1.jpg", "fog", 3) != derive_entropy(0, "coco", "1.jpg", "fog", 4)
    assert derive_entropy(1, "coco") != derive_entropy(0, "coco")


def test_atomic_writes_get_the_umask_mode_not_mkstemps_0600(tmp_path):
    """A colleague on a shared machine must be able to read the results (every metrics JSON used
    to be 0600): a written file gets the mode a plain open() gives under the umask."""
    import os
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[1])
    code = ("import os, sys; os.umask(int(sys.argv[3], 8)); sys.path.insert(0, sys.argv[2]); "
            "from robustpose._io import write_text_atomic; write_text_atomic(sys.argv[1], 'x')")
    for umask, mode in (("022", 0o644), ("077", 0o600), ("002", 0o664)):
        out = tmp_path / f"u{umask}.txt"
        subprocess.run([sys.executable, "-c", code, str(out), root, umask], check=True)
        assert out.stat().st_mode & 0o777 == mode, (umask, oct(out.stat().st_mode))
    write_json_atomic(tmp_path / "m.json", {"a": 1})
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "m.json").stat().st_mode & 0o777 == 0o666 & ~mask
