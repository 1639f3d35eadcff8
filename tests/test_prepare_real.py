"""Offline integration test of the paper-scale ``prepare`` path: download -> extract -> convert.

Archives laid out like the real ones (SOURCES.yaml members) are built from the real samples in
../shared/realdata, served by a local HTTP server on 127.0.0.1, fetched with the real
downloader (registry entries patched to the local URLs and checksums), then converted with
:mod:`robustpose.data.prepare_real`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import shutil
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
if not REALDATA.is_dir():
    pytest.skip(f"real-data samples not found at {REALDATA} (../shared is not checked out beside "
                "the repository)", allow_module_level=True)

from robustpose._registry import Registry  # noqa: E402
from robustpose.data import sources  # noqa: E402
from robustpose.data.coco_format import load_annotations  # noqa: E402
from robustpose.data.download import fetch  # noqa: E402
from robustpose.data.mpii import image_sizes_from_dir, mpii_to_coco  # noqa: E402
from robustpose.data.prepare_real import PREPARERS, prepare_dataset  # noqa: E402

DATASETS = ("coco", "ochuman", "ap10k", "mpii")
SAMPLE_JSON = {"coco": "coco/test_coco.json", "ochuman": "ochuman/test_ochuman.json",
               "ap10k": "ap10k/test_ap10k.json", "mpii": "mpii/test_mpii.json"}
COCO_DETS = "coco/test_coco_det_AP_H_56.json"


# --------------------------------------------------------------------------------------------
# samples and archives
# --------------------------------------------------------------------------------------------
def _sample(ds: str):
    return json.loads((REALDATA / SAMPLE_JSON[ds]).read_text())


def _jpgs(ds: str) -> list[Path]:
    return sorted((REALDATA / ds).glob("*.jpg"))


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2017, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def _tar(members: dict[str, bytes], mode: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _headboxes(entries: list[dict]) -> np.ndarray:
    """Plausible head boxes, (2, 2, N) = (corner, xy, person) as in mpii_gt_val.mat: a square
    around the upper-neck-to-head-top segment (joints 8 and 9)."""
    boxes = []
    for e in entries:
        neck, top = np.asarray(e["joints"][8]), np.asarray(e["joints"][9])
        c, half = (neck + top) / 2, max(np.linalg.norm(top - neck) / 2, 5.0)
        boxes.append([c - half, c + half])
    return np.transpose(np.asarray(boxes, dtype=np.float64), (1, 2, 0))


def _mat_bytes(entries: list[dict]) -> bytes:
    from scipy.io import savemat
    joints = np.asarray([e["joints"] for e in entries], dtype=np.float64)      # (N, 16, 2)
    vis = np.asarray([e["joints_vis"] for e in entries], dtype=np.float64)     # (N, 16)
    buf = io.BytesIO()
    savemat(buf, {"headboxes_src": _headboxes(entries),
                  "pos_gt_src": np.transpose(joints, (1, 2, 0)),
                  "jnt_missing": (1 - vis).T,
                  "dataset_joints": np.array([[n] for n in ("rank", "rkne", "rhip", "lhip", "lkne",
                                                            "lank", "pelv", "thor", "neck", "head",
                                                            "rwri", "relb", "rsho", "lsho", "lelb",
                                                            "lwri")], dtype=object)})
    return buf.getvalue()


def _coco_dets_served() -> list[dict]:
    """The sample detections plus one non-person result (real files are category 1 only; the
    extra one checks that only persons reach person_boxes.json)."""
    dets = json.loads((REALDATA / COCO_DETS).read_text())
    return dets + [{"bbox": [1.0, 2.0, 30.0, 40.0], "category_id": 2, "image_id": 785, "score": 0.5}]


def _served_files() -> dict[str, dict[str, bytes]]:
    """{dataset: {registry file name: bytes}}, member paths as in SOURCES.yaml."""
    rb = lambda p: Path(p).read_bytes()  # noqa: E731
    coco_json = rb(REALDATA / SAMPLE_JSON["coco"])
    mpii_entries = _sample("mpii")
    return {
        "coco": {
            "val2017.zip": _zip({f"val2017/{p.name}": rb(p) for p in _jpgs("coco")}),
            "annotations_trainval2017.zip": _zip({
                "annotations/person_keypoints_val2017.json": coco_json,
                "annotations/person_keypoints_train2017.json": coco_json,
                "annotations/instances_val2017.json": b"{}",          # present, not selected
                "annotations/captions_val2017.json": b"{}",
            }),
            "COCO_val2017_detections_AP_H_56_person.json":
                json.dumps(_coco_dets_served()).encode(),
        },
        "ochuman": {
            "images.zip": _zip({f"images/{p.name}": rb(p) for p in _jpgs("ochuman")}),
            "ochuman_coco_format_val_range_0.00_1.00.json": rb(REALDATA / SAMPLE_JSON["ochuman"]),
            "ochuman_coco_format_test_range_0.00_1.00.json": rb(REALDATA / SAMPLE_JSON["ochuman"]),
        },
        "ap10k": {
            "ap-10k.zip": _zip({
                **{f"ap-10k/data/{p.name}": rb(p) for p in _jpgs("ap10k")},
                **{f"ap-10k/annotations/ap10k-{s}-split{k}.json": rb(REALDATA / SAMPLE_JSON["ap10k"])
                   for s in ("train", "val", "test") for k in (1, 2, 3)},
            }),
        },
        "mpii": {
            "mpii_human_pose_v1.tar.gz": _tar({f"images/{p.name}": rb(p) for p in _jpgs("mpii")},
                                              "w:gz"),
            # mmpose's tar unpacks at the top level (a third-party script moves the files into
            # annotations/ afterwards); the registry extracts the whole tar.
            "mpii_annotations.tar": _tar({
                "mpii_val.json": json.dumps(mpii_entries).encode(),
                "mpii_train.json": json.dumps(mpii_entries).encode(),
                "mpii_trainval.json": json.dumps(mpii_entries).encode(),
                "mpii_test.json": json.dumps(mpii_entries).encode(),
                "mpii_gt_val.mat": _mat_bytes(mpii_entries),
            }, "w"),
        },
    }


# --------------------------------------------------------------------------------------------
# a minimal local host
# --------------------------------------------------------------------------------------------
class _Host(BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        data = self.files.get(self.path.lstrip("/"))
        if data is None:
            self.send_error(404)
            return
        self.send_response(200)   # Range is never needed: every transfer starts fresh
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextlib.contextmanager
def mirrored_registry(served: dict[str, dict[str, bytes]]):
    """Serve ``{dataset: {file name: bytes}}`` from 127.0.0.1 and point the registry entries of
    those datasets at it, with the served bytes' checksums; yields the base URL."""
    handler = type("Handler", (_Host,), {"files": {f"{ds}/{n}": b for ds, fs in served.items()
                                                   for n, b in fs.items()}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.MonkeyPatch.context() as mp:
            patched: dict[str, sources.DatasetSource] = {}
            for ds, files in served.items():
                mp.delenv(sources.mirror_env_var(ds), raising=False)
                src = sources.source(ds)
                assert {f.name for f in src.files} == set(files), ds  # the test mirrors the registry
                mirrored = tuple(dataclasses.replace(
                    f, url=f"{base}/{ds}/{f.name}", sha256=hashlib.sha256(files[f.name]).hexdigest(),
                    bytes=len(files[f.name]), md5=None, alt_urls=()) for f in src.files)
                patched[ds] = dataclasses.replace(src, files=mirrored)
            registry = Registry(sources._REGISTRY.kind)
            for ds, src in sources._REGISTRY.items():
                registry.register(ds, patched.get(ds, src))
            mp.setattr(sources, "_REGISTRY", registry)
            yield base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def raw_root(tmp_path_factory) -> Path:
    """Serve the archives, point the registry at them, fetch all four datasets; yields the raw
    root (``<root>/<dataset>/`` as ``fetch`` leaves it)."""
    served = _served_files()
    root = tmp_path_factory.mktemp("raw")
    with mirrored_registry(served):
        for ds in served:
            fetch(ds, root, progress=False, timeout=10, retries=1, backoff=0.0)
        yield root


def _copy_raw(raw_root: Path, ds: str, dst: Path) -> Path:
    """A private copy of one fetched raw tree, for tests that delete or move files."""
    shutil.copytree(raw_root / ds, dst / ds)
    return dst / ds


def _expected_mpii(raw_dir: Path) -> dict:
    from robustpose.data.mpii import load_headboxes_mat
    entries = _sample("mpii")
    sizes = image_sizes_from_dir(REALDATA / "mpii", [e["image"] for e in entries])
    return mpii_to_coco(entries, sizes, load_headboxes_mat(raw_dir / "mpii_gt_val.mat"),
                        padding=1.0, mmpose_center=True)


def _expected(ds: str, raw_dir: Path) -> dict:
    return _expected_mpii(raw_dir) if ds == "mpii" else _sample(ds)


# --------------------------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------------------------
def test_fetch_leaves_the_real_layout(raw_root):
    """What the registry's member globs leave on disk, i.e. what the preparers read."""
    for rel in ("coco/val2017/000000000785.jpg", "coco/annotations/person_keypoints_val2017.json",
                "coco/downloads/COCO_val2017_detections_AP_H_56_person.json",
                "ochuman/images/003799.jpg",
                "ochuman/downloads/ochuman_coco_format_val_range_0.00_1.00.json",
                "ap10k/ap-10k/annotations/ap10k-val-split1.json", "ap10k/ap-10k/data/000000037516.jpg",
                "mpii/images/005808361.jpg", "mpii/mpii_val.json", "mpii/mpii_gt_val.mat"):
        assert (raw_root / rel).is_file(), rel
    assert not (raw_root / "coco/annotations/instances_val2017.json").exists()  # not selected


@pytest.mark.parametrize("ds", DATASETS)
def test_prepare_full(raw_root, tmp_path, ds):
    raw = raw_root / ds
    ann_path = prepare_dataset(ds, raw, tmp_path / ds)
    assert ann_path == tmp_path / ds / "val" / "annotations.json"
    data = load_annotations(ann_path)
    want = _expected(ds, raw)
    assert len(data["images"]) == len(want["images"]) == len(_jpgs(ds))
    assert len(data["annotations"]) == len(want["annotations"]) == len(
        _sample(ds) if ds == "mpii" else _sample(ds)["annotations"])
    # content as published (COCO-format sets) or as mpii_to_coco converts it
    assert data["images"] == want["images"]
    assert data["annotations"] == want["annotations"]
    assert data["categories"] == want["categories"]
    img_dir = ann_path.parent / "images"
    assert sorted(p.name for p in img_dir.iterdir()) == sorted(im["file_name"] for im in data["images"])
    for im in data["images"]:
        out = img_dir / im["file_name"]
        assert not out.is_symlink()
        assert out.read_bytes() == (REALDATA / ds / im["file_name"]).read_bytes()
    if ds == "coco":
        boxes = json.loads((ann_path.parent / "person_boxes.json").read_text())
        assert boxes == json.loads((REALDATA / COCO_DETS).read_text())
    else:
        assert not (ann_path.parent / "person_boxes.json").exists()


def test_images_are_hard_links(raw_root, tmp_path):
    """Same file system here, so every image is a hard link to the raw file, never a symlink."""
    ann_path = prepare_dataset("ochuman", raw_root / "ochuman", tmp_path / "o")
    for p in (ann_path.parent / "images").iterdir():
        assert not p.is_symlink() and os.path.samefile(p, raw_root / "ochuman" / "images" / p.name)


def test_ap10k_keeps_animal_categories(raw_root, tmp_path):
    data = load_annotations(prepare_dataset("ap10k", raw_root / "ap10k", tmp_path / "a"))
    used = {a["category_id"] for a in data["annotations"]}
    cats = {c["id"]: c for c in data["categories"]}
    assert used and used <= set(cats)
    assert all(len(cats[c]["keypoints"]) == 17 and cats[c]["name"] != "person" for c in used)


def test_mpii_head_boxes(raw_root, tmp_path):
    data = load_annotations(prepare_dataset("mpii", raw_root / "mpii", tmp_path / "m"))
    hb = np.transpose(_headboxes(_sample("mpii")), (2, 0, 1)).reshape(-1, 4)
    for ann in data["annotations"]:
        assert ann["head_box"] == pytest.approx(hb[ann["mpii_index"]].tolist())
        assert ann["id"] == ann["mpii_index"] + 1
    assert [len(a["keypoints"]) for a in data["annotations"]] == [48] * len(data["annotations"])


@pytest.mark.parametrize("ds", DATASETS)
def test_max_images_keeps_first_ids(raw_root, tmp_path, ds):
    raw = raw_root / ds
    full = _expected(ds, raw)
    keep = sorted(im["id"] for im in full["images"])[:2]
    ann_path = prepare_dataset(ds, raw, tmp_path / ds, max_images=2)
    data = load_annotations(ann_path)
    assert sorted(im["id"] for im in data["images"]) == keep
    assert data["annotations"] == [a for a in full["annotations"] if a["image_id"] in keep]
    assert data["annotations"]  # the subset is not trivially empty
    names = {im["file_name"] for im in full["images"] if im["id"] in keep}
    assert {p.name for p in (ann_path.parent / "images").iterdir()} == names
    if ds == "coco":
        boxes = json.loads((ann_path.parent / "person_boxes.json").read_text())
        want = [d for d in json.loads((REALDATA / COCO_DETS).read_text()) if d["image_id"] in keep]
        assert boxes == want and want


@pytest.mark.parametrize("ds", DATASETS)
def test_prepare_is_deterministic(raw_root, tmp_path, ds):
    raw = raw_root / ds
    a = prepare_dataset(ds, raw, tmp_path / "a")
    first = a.read_bytes()
    boxes = a.parent / "person_boxes.json"
    first_boxes = boxes.read_bytes() if boxes.exists() else None
    assert prepare_dataset(ds, raw, tmp_path / "a").read_bytes() == first       # same dir again
    assert prepare_dataset(ds, raw, tmp_path / "b").read_bytes() == first       # fresh dir
    if first_boxes is not None:
        assert boxes.read_bytes() == first_boxes
        assert (tmp_path / "b" / "val" / "person_boxes.json").read_bytes() == first_boxes


def test_rerun_with_fewer_images_removes_stale_files(raw_root, tmp_path):
    out = tmp_path / "c"
    prepare_dataset("coco", raw_root / "coco", out)
    ann_path = prepare_dataset("coco", raw_root / "coco", out, max_images=1)
    data = load_annotations(ann_path)
    assert [p.name for p in (ann_path.parent / "images").iterdir()] == [data["images"][0]["file_name"]]
    assert not list(ann_path.parent.glob(".*.tmp"))


MISSING = [
    ("coco", "annotations/person_keypoints_val2017.json", "annotations_trainval2017.zip"),
    ("coco", "downloads/COCO_val2017_detections_AP_H_56_person.json",
     "COCO_val2017_detections_AP_H_56_person.json"),
    ("coco", "val2017/000000040083.jpg", "val2017.zip"),
    ("ochuman", "downloads/ochuman_coco_format_val_range_0.00_1.00.json",
     "ochuman_coco_format_val_range_0.00_1.00.json"),
    ("ochuman", "images/003896.jpg", "images.zip"),
    ("ap10k", "ap-10k/annotations/ap10k-val-split1.json", "ap-10k.zip"),
    ("ap10k", "ap-10k/data/000000000004.jpg", "ap-10k.zip"),
    ("mpii", "mpii_val.json", "mpii_annotations.tar"),
    ("mpii", "mpii_gt_val.mat", "mpii_annotations.tar"),
    ("mpii", "images/051423444.jpg", "mpii_human_pose_v1.tar.gz"),
]


@pytest.mark.parametrize("ds,rel,archive", MISSING, ids=[f"{d}:{Path(r).name}" for d, r, _ in MISSING])
def test_missing_raw_file_is_named(raw_root, tmp_path, ds, rel, archive):
    raw = _copy_raw(raw_root, ds, tmp_path / "raw")
    (raw / rel).unlink()
    with pytest.raises(FileNotFoundError) as err:
        prepare_dataset(ds, raw, tmp_path / "out")
    msg = str(err.value)
    assert "\n" not in msg
    assert Path(rel).name in msg and archive in msg and ds in msg
    assert not (tmp_path / "out" / "val" / "annotations.json").exists()


def test_mpii_accepts_annotations_subdir(raw_root, tmp_path):
    """mmpose's documented layout (files moved into annotations/) gives the same output."""
    raw = _copy_raw(raw_root, "mpii", tmp_path / "raw")
    (raw / "annotations").mkdir()
    for n in ("mpii_val.json", "mpii_gt_val.mat"):
        os.replace(raw / n, raw / "annotations" / n)
    a = prepare_dataset("mpii", raw, tmp_path / "a")
    b = prepare_dataset("mpii", raw_root / "mpii", tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()


def test_coco_keeps_images_without_people(raw_root, tmp_path):
    """COCO evaluation counts every val image; an image without annotations is kept."""
    raw = _copy_raw(raw_root, "coco", tmp_path / "raw")
    ann = raw / "annotations" / "person_keypoints_val2017.json"
    data = json.loads(ann.read_text())
    data["images"].append({"id": 1, "file_name": "000000000001.jpg", "height": 10, "width": 10})
    ann.write_text(json.dumps(data))
    shutil.copyfile(REALDATA / "coco" / "000000000785.jpg", raw / "val2017" / "000000000001.jpg")
    out = load_annotations(prepare_dataset("coco", raw, tmp_path / "out"))
    assert len(out["images"]) == 5 and any(im["id"] == 1 for im in out["images"])
    out2 = load_annotations(prepare_dataset("coco", raw, tmp_path / "out2", max_images=1))
    assert [im["id"] for im in out2["images"]] == [1] and out2["annotations"] == []


def test_dispatcher_errors(tmp_path):
    assert set(PREPARERS) == set(DATASETS)
    with pytest.raises(ValueError, match="valid: ap10k, coco, mpii, ochuman"):
        prepare_dataset("crowdpose", tmp_path, tmp_path / "o")
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="max_images"):
            prepare_dataset("coco", tmp_path, tmp_path / "o", max_images=bad)
