"""MPII Human Pose: joint layout, mmpose-json validation, conversion to COCO keypoint format.

The paper-scale ``prepare`` stage reads mmpose's converted MPII files (``mpii_val.json``: a list of
``{image, center, scale, joints (16x2), joints_vis (16)}`` and ``mpii_gt_val.mat`` with the head
boxes) and writes the project's one data contract, a COCO keypoint ``annotations.json``. PCKh
(:mod:`robustpose.evaluate.pckh`) then reads the per-annotation ``head_box`` from that file.

Conventions (each chosen to stay comparable with mmpose 1.3.2 ``MpiiDataset`` and the MPII toolkit):

* Joint order is mmpose's (``configs/_base_/datasets/mpii.py``), which is also the order of the
  original MPII annotation ids 0..15 and of ``mpii_gt_val.mat``'s ``pos_gt_src``.
* Keypoint coordinates are copied unchanged from the json. They are MATLAB-style (1-based pixel
  centres): mmpose keeps them so and adds 1 to predictions at evaluation time; this module does not
  shift them, so ``annotations.json`` round-trips to the json (see ``pckh_from_coco(pred_offset=)``).
* A joint is *missing* (COCO ``v=0``, written as ``0, 0, 0``) when ``joints_vis`` is 0, or its
  coordinates are the placeholders ``(-1, -1)`` or ``(0, 0)``; every other joint is labelled
  (``v=2``). MPII's ``joints_vis`` means "annotated", not "unoccluded", so occluded but annotated
  joints are ``v=2`` too, as mmpose's evaluation mask treats them.
* MPII ``scale`` is the person height / 200 px and ``center`` the rough person centre. The COCO box
  is the square of side ``scale * 200 * padding`` (``padding=1.25`` by default) around the centre,
  clipped to the image when its size is known. mmpose's own box is the *unpadded* square
  (``padding=1.0``) around a centre moved 15*scale px down and 1 px up-left (``mmpose_center=True``),
  to which its top-down pipeline then applies 1.25 padding; pick ``padding=1.0`` when the crop
  code pads again (``robustpose.models.crop`` pads by 1.25).
* ``area`` = 0.53 * (scale * 200)^2, mmpose's ``MpiiDataset`` value; only OKS area ranges use it.
* Image ids are 1.. over the sorted unique file names; annotation ids are ``entry index + 1`` so
  that annotation ``i`` lines up with row ``i - 1`` of the head boxes (mmpose indexes them by entry).
"""
from __future__ import annotations

import math
import numbers
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from robustpose._io import read_json
from robustpose.data.keypoints import person_category

MPII_KEYPOINTS: tuple[str, ...] = (
    "right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle",
    "pelvis", "thorax", "upper_neck", "head_top",
    "right_wrist", "right_elbow", "right_shoulder", "left_shoulder", "left_elbow", "left_wrist",
)
NUM_MPII_KEYPOINTS = len(MPII_KEYPOINTS)
# 0-based (left/right) index pairs swapped by a horizontal flip (mmpose ``swap`` fields).
MPII_FLIP_PAIRS: tuple[tuple[int, int], ...] = ((0, 5), (1, 4), (2, 3), (10, 15), (11, 14), (12, 13))
# 1-based pairs as in a COCO category's "skeleton"; the links of mmpose's mpii.py skeleton_info.
MPII_SKELETON: tuple[tuple[int, int], ...] = (
    (1, 2), (2, 3), (3, 7), (7, 4), (4, 5), (5, 6),          # right leg, pelvis, left leg
    (7, 8), (8, 9), (9, 10),                                  # pelvis-thorax-upper neck-head top
    (9, 13), (13, 12), (12, 11),                              # upper neck - right arm
    (9, 14), (14, 15), (15, 16),                              # upper neck - left arm
)
PIXEL_STD = 200.0       # MPII scale unit: scale = person height / 200 px
AREA_FACTOR = 0.53      # mmpose MpiiDataset: area = 0.53 * box area


def mpii_category() -> dict:
    """The 'person' category with MPII's 16 keypoint names and 1-based skeleton."""
    return person_category(MPII_KEYPOINTS, MPII_SKELETON)


# --------------------------------------------------------------------------- json validation

def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(float(x))


def validate_mpii_entries(entries: Any, path: str | os.PathLike = "<mpii json>") -> list[dict]:
    """Check mmpose-MPII entries; return them unchanged.

    Each entry needs ``image`` (non-empty string), ``joints`` (16 numeric ``[x, y]``),
    ``joints_vis`` (16 numbers), ``center`` (2 numbers) and a positive numeric ``scale``.

    Raises:
        ValueError: one line naming ``path``, the entry index (and its image) and the problem.
    """
    if not isinstance(entries, list):
        raise ValueError(f"{path}: an MPII json must hold a list of entries, got {type(entries).__name__}")
    for i, e in enumerate(entries):
        where = f"{path}: entry {i}"
        if not isinstance(e, dict):
            raise ValueError(f"{where} is {type(e).__name__}, expected an object")
        img = e.get("image")
        if not isinstance(img, str) or not img:
            raise ValueError(f"{where} has no 'image' file name")
        where = f"{where} ({img})"
        for key in ("joints", "joints_vis", "center", "scale"):
            if key not in e:
                raise ValueError(f"{where} lacks {key!r}")
        joints = e["joints"]
        if not isinstance(joints, list) or len(joints) != NUM_MPII_KEYPOINTS:
            n = len(joints) if isinstance(joints, list) else type(joints).__name__
            raise ValueError(f"{where}: 'joints' has {n} joints; expected {NUM_MPII_KEYPOINTS} [x, y] pairs")
        for j, p in enumerate(joints):
            if not isinstance(p, list) or len(p) != 2 or not all(_is_number(v) for v in p):
                raise ValueError(f"{where}: joint {j} ({MPII_KEYPOINTS[j]}) is {p!r}; expected two finite numbers")
        vis = e["joints_vis"]
        if not isinstance(vis, list) or len(vis) != NUM_MPII_KEYPOINTS or not all(_is_number(v) for v in vis):
            raise ValueError(f"{where}: 'joints_vis' must be {NUM_MPII_KEYPOINTS} numbers, got {vis!r}")
        c = e["center"]
        if not isinstance(c, list) or len(c) != 2 or not all(_is_number(v) for v in c):
            raise ValueError(f"{where}: 'center' must be two finite numbers, got {c!r}")
        if not _is_number(e["scale"]) or e["scale"] <= 0:
            raise ValueError(f"{where}: 'scale' must be a positive number, got {e['scale']!r}")
    return entries


def load_mpii_json(path: str | os.PathLike) -> list[dict]:
    """Read and validate an mmpose MPII json (``mpii_val.json`` and friends)."""
    return validate_mpii_entries(read_json(path), path)


# --------------------------------------------------------------------------- head boxes (.mat)

def _loadmat(path: str | os.PathLike) -> dict:
    # scipy.io.loadmat parses MATLAB v4-v7.2 files itself; it never unpickles anything.
    from scipy.io import loadmat
    try:
        return loadmat(str(path))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: file not found") from None
    except NotImplementedError as err:      # MATLAB v7.3 (HDF5) files
        raise ValueError(f"{path}: unsupported .mat version ({err})") from None
    except Exception as err:                # scipy raises assorted errors on corrupt files
        msg = " ".join(str(err).split())
        raise ValueError(f"{path}: not a readable .mat file ({type(err).__name__}: {msg})") from None


def _mat_array(mat: dict, key: str, path: str | os.PathLike, ndim: int) -> np.ndarray:
    if key not in mat:
        found = sorted(k for k in mat if not k.startswith("__"))
        raise ValueError(f"{path}: missing {key!r} (found {found})")
    arr = np.asarray(mat[key])
    if arr.ndim != ndim or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{path}: {key!r} has shape {arr.shape} ({arr.dtype}); expected a numeric {ndim}-d array")
    return arr


def _headboxes_from_src(src: np.ndarray, path: str | os.PathLike) -> np.ndarray:
    if src.shape[:2] != (2, 2):
        raise ValueError(f"{path}: 'headboxes_src' has shape {src.shape}; expected (2, 2, N)")
    return np.ascontiguousarray(np.transpose(src, (2, 0, 1)).astype(np.float64))


def load_headboxes_mat(path: str | os.PathLike) -> np.ndarray:
    """Head boxes of ``mpii_gt_val.mat`` as (N, 2, 2): ``[i, 0] = (x1, y1)``, ``[i, 1] = (x2, y2)``.

    The file stores ``headboxes_src`` MATLAB-style as (2, 2, N) = (corner, xy, person); mmpose
    transposes it with ``[2, 0, 1]`` and this loader does the same, so row ``i`` belongs to entry
    ``i`` of ``mpii_val.json``.

    Raises:
        ValueError: unreadable file, missing key or wrong shape (one line naming the file).
    """
    mat = _loadmat(path)
    return _headboxes_from_src(_mat_array(mat, "headboxes_src", path, 3), path)


def load_gt_val_mat(path: str | os.PathLike) -> dict[str, Any]:
    """The arrays the MPII / HRNet / mmpose-0.x evaluation reads from ``mpii_gt_val.mat``.

    Returns a dict with, in person-first layout:
        ``headboxes`` (N, 2, 2) from ``headboxes_src`` (2, 2, N);
        ``pos_gt`` (N, 16, 2) from ``pos_gt_src`` (16, 2, N);
        ``jnt_visible`` (N, 16) bool: ``1 - jnt_missing`` (16, N) (or ``jnt_visible`` if stored);
        ``dataset_joints`` list of the 16 toolkit joint names when the file has them, else None.

    Raises:
        ValueError: unreadable file, a missing key, a wrong shape or inconsistent N (one line).
    """
    mat = _loadmat(path)
    headboxes = _headboxes_from_src(_mat_array(mat, "headboxes_src", path, 3), path)
    n = headboxes.shape[0]
    pos = _mat_array(mat, "pos_gt_src", path, 3)
    if pos.shape != (NUM_MPII_KEYPOINTS, 2, n):
        raise ValueError(f"{path}: 'pos_gt_src' has shape {pos.shape}; expected ({NUM_MPII_KEYPOINTS}, 2, {n})")
    if "jnt_missing" in mat:
        key, missing = "jnt_missing", True
    elif "jnt_visible" in mat:
        key, missing = "jnt_visible", False
    else:
        found = sorted(k for k in mat if not k.startswith("__"))
        raise ValueError(f"{path}: missing 'jnt_missing' (or 'jnt_visible') (found {found})")
    flags = _mat_array(mat, key, path, 2)
    if flags.shape != (NUM_MPII_KEYPOINTS, n):
        raise ValueError(f"{path}: {key!r} has shape {flags.shape}; expected ({NUM_MPII_KEYPOINTS}, {n})")
    visible = (flags == 0) if missing else (flags != 0)
    names = None
    if "dataset_joints" in mat:
        names = [str(np.asarray(x).ravel()[0]) if np.asarray(x).size else ""
                 for x in np.asarray(mat["dataset_joints"], dtype=object).ravel()]
    return {
        "headboxes": headboxes,
        "pos_gt": np.ascontiguousarray(np.transpose(pos, (2, 0, 1)).astype(np.float64)),
        "jnt_visible": np.ascontiguousarray(visible.T),
        "dataset_joints": names,
    }


def _as_person_headboxes(headboxes: Any, n: int) -> np.ndarray:
    hb = np.asarray(headboxes, dtype=np.float64)
    if hb.shape == (n, 2, 2):
        return hb
    if hb.shape == (2, 2, n):               # raw headboxes_src layout; (2,2,2) is read as (N,2,2)
        return np.transpose(hb, (2, 0, 1))
    if hb.shape == (n, 4):
        return hb.reshape(n, 2, 2)
    raise ValueError(f"headboxes have shape {hb.shape}; expected ({n}, 2, 2) (or mpii_gt_val.mat's (2, 2, {n})) "
                     f"for {n} entries")


# --------------------------------------------------------------------------- conversion

def joint_labelled(joints: np.ndarray, joints_vis: np.ndarray) -> np.ndarray:
    """(16,) bool: labelled joints (``joints_vis`` != 0 and not a (-1,-1) / (0,0) placeholder)."""
    joints = np.asarray(joints, dtype=np.float64).reshape(-1, 2)
    vis = np.asarray(joints_vis, dtype=np.float64).reshape(-1)
    placeholder = np.all(joints == -1, axis=1) | np.all(joints == 0, axis=1)
    return (vis > 0) & ~placeholder


def image_sizes_from_dir(image_dir: str | os.PathLike, file_names: Sequence[str]) -> dict[str, tuple[int, int]]:
    """``{file_name: (height, width)}`` read from image headers (no pixel decoding).

    Raises:
        ValueError: a missing or unreadable image (message names it).
    """
    from PIL import Image, UnidentifiedImageError
    out: dict[str, tuple[int, int]] = {}
    for name in sorted(set(file_names)):
        p = Path(image_dir) / name
        try:
            with Image.open(p) as im:
                w, h = im.size
        except FileNotFoundError:
            raise ValueError(f"{p}: image file not found") from None
        except (UnidentifiedImageError, OSError) as err:
            raise ValueError(f"{p}: unreadable image ({err})") from None
        out[name] = (int(h), int(w))
    return out


def mpii_box(center: Sequence[float], scale: float, padding: float = 1.25,
             image_size: tuple[int, int] | None = None, mmpose_center: bool = False) -> list[float]:
    """COCO xywh box: square of side ``scale * 200 * padding`` around ``center``.

    ``mmpose_center`` applies mmpose's shift (15*scale px down, then 1 px up-left to 0-based);
    ``image_size`` = (h, w) clips the box to ``[0, w] x [0, h]``.
    """
    cx, cy = float(center[0]), float(center[1])
    if mmpose_center:
        cx, cy = cx - 1.0, cy + 15.0 * float(scale) - 1.0
    half = float(scale) * PIXEL_STD * padding / 2.0
    x1, y1, x2, y2 = cx - half, cy - half, cx + half, cy + half
    if image_size is not None:
        h, w = image_size
        x1, x2 = min(max(x1, 0.0), float(w)), min(max(x2, 0.0), float(w))
        y1, y2 = min(max(y1, 0.0), float(h)), min(max(y2, 0.0), float(h))
    return [x1, y1, x2 - x1, y2 - y1]


def mpii_to_coco(entries: list[dict], image_sizes: Mapping[str, tuple[int, int]] | None = None,
                 headboxes: np.ndarray | None = None, *, padding: float = 1.25,
                 mmpose_center: bool = False) -> dict:
    """Convert mmpose MPII entries to a COCO keypoint dict (one annotation per entry).

    Long for its arguments (three head-box layouts are accepted); the body is one pass over the
    entries.

    Args:
        entries: validated mmpose MPII entries (see :func:`load_mpii_json`).
        image_sizes: ``{file_name: (height, width)}``; when given, images carry ``height``/``width``
            and boxes are clipped to the image (every entry's image must be present).
        headboxes: (N, 2, 2) head boxes aligned with ``entries`` (row i = entry i, corners
            ``(x1, y1), (x2, y2)``); mpii_gt_val.mat's raw (2, 2, N) ``headboxes_src`` layout and
            (N, 4) ``[x1, y1, x2, y2]`` are accepted too (a (2, 2, 2) array is read as (N, 2, 2)).
            Each annotation then gets ``head_box`` = ``[x1, y1, x2, y2]``.
        padding, mmpose_center: box convention, see the module docstring and :func:`mpii_box`.

    Every annotation also keeps its source as ``mpii_index`` (entry index), ``mpii_center`` and
    ``mpii_scale``, so mmpose's exact crop can be rebuilt.

    Raises:
        ValueError: headboxes of the wrong shape, an image missing from ``image_sizes``, or a box
            that is empty after clipping (message names the entry).
    """
    n = len(entries)
    hb = _as_person_headboxes(headboxes, n) if headboxes is not None else None
    names = sorted({e["image"] for e in entries})
    image_ids = {name: i + 1 for i, name in enumerate(names)}
    images = []
    for name in names:
        im: dict[str, Any] = {"id": image_ids[name], "file_name": name}
        if image_sizes is not None:
            if name not in image_sizes:
                raise ValueError(f"image {name!r} has no entry in image_sizes")
            h, w = image_sizes[name]
            im["height"], im["width"] = int(h), int(w)
        images.append(im)
    annotations = []
    for i, e in enumerate(entries):
        joints = np.asarray(e["joints"], dtype=np.float64).reshape(NUM_MPII_KEYPOINTS, 2)
        labelled = joint_labelled(joints, e["joints_vis"])
        kps = np.zeros((NUM_MPII_KEYPOINTS, 3))
        kps[labelled, :2] = joints[labelled]
        kps[labelled, 2] = 2
        size = None if image_sizes is None else tuple(image_sizes[e["image"]])
        bbox = mpii_box(e["center"], e["scale"], padding, size, mmpose_center)
        if not (bbox[2] > 0 and bbox[3] > 0):
            raise ValueError(f"entry {i} ({e['image']}): box {bbox} from center {e['center']} and "
                             f"scale {e['scale']} is empty inside image size {size}")
        ann: dict[str, Any] = {
            "id": i + 1,
            "image_id": image_ids[e["image"]],
            "category_id": 1,
            "iscrowd": 0,
            "keypoints": [float(v) if k % 3 != 2 else int(v) for k, v in enumerate(kps.ravel())],
            "num_keypoints": int(labelled.sum()),
            "bbox": [float(v) for v in bbox],
            "area": float(AREA_FACTOR * (float(e["scale"]) * PIXEL_STD) ** 2),
            "mpii_index": i,
            "mpii_center": [float(v) for v in e["center"]],
            "mpii_scale": float(e["scale"]),
        }
        if hb is not None:
            ann["head_box"] = [float(v) for v in hb[i].reshape(4)]
        annotations.append(ann)
    return {
        "info": {"description": "MPII Human Pose converted from mmpose json; keypoints keep MPII's "
                                "1-based (MATLAB) pixel coordinates"},
        "images": images,
        "annotations": annotations,
        "categories": [mpii_category()],
    }
