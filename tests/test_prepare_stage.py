"""Stage `prepare@<real dataset>`: download from a mirror, verify, unpack, convert (offline).

The archives are the ones ``test_prepare_real`` builds from ../shared/realdata, served from
127.0.0.1; the registry entries are pointed at them with the test archives' checksums.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import load_script
import yaml

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT.parent / "shared" / "realdata"
pytestmark = pytest.mark.skipif(not REALDATA.is_dir(), reason=f"{REALDATA} is not available")


@pytest.fixture(scope="module")
def mirror():
    """A local HTTP mirror of the coco files; the registry is pointed at it for the module."""
    from test_prepare_real import _served_files, mirrored_registry

    with mirrored_registry({"coco": _served_files()["coco"]}) as base:
        yield base


def _stage():
    return load_script("stages/prepare.py")


def test_prepare_coco_stage_downloads_verifies_and_converts(mirror, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"coco": {"max_images": 2, "urls": {}, "sha256": {}}}))
    _stage().main(["--dataset", "coco", "--out", "data/prepared/coco", "--raw", "data/raw"])
    sample = json.loads((REALDATA / "coco" / "test_coco.json").read_text())
    kept = sorted(im["id"] for im in sample["images"])[:2]
    ann = json.loads((tmp_path / "data/prepared/coco/val/annotations.json").read_text())
    assert sorted(im["id"] for im in ann["images"]) == kept
    assert sorted(a["id"] for a in ann["annotations"]) == sorted(a["id"] for a in sample["annotations"]
                                                                 if a["image_id"] in kept)
    boxes = json.loads((tmp_path / "data/prepared/coco/val/person_boxes.json").read_text())
    assert boxes and {b["image_id"] for b in boxes} <= set(kept)
    for im in ann["images"]:
        assert (tmp_path / "data/prepared/coco/val/images" / im["file_name"]).read_bytes() == \
            (REALDATA / "coco" / im["file_name"]).read_bytes()


def test_prepare_stage_rejects_bad_params(tmp_path, monkeypatch):
    stage = _stage()
    import _common as C

    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"coco": {"max_images": -1, "urls": {}, "sha256": {}}}))
    with pytest.raises(C.ParamsError, match="coco.max_images must be >= 0"):
        stage.main(["--dataset", "coco", "--out", "out"])
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"coco": {"max_images": 0, "url": {}}}))
    with pytest.raises(C.ParamsError, match=r"unknown key\(s\) \['coco.url'\]"):
        stage.main(["--dataset", "coco", "--out", "out"])
    with pytest.raises(C.ParamsError, match="ochuman"):
        stage.main(["--dataset", "cocoo", "--out", "out"])
