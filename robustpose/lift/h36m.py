"""Paper-scale loaders: Human3.6M and HumanEva-I annotation files (user-provided, licence-restricted).

Human3.6M, as mmpose's ``tools/dataset_converters/preprocess_h36m.py`` writes it::

    h36m/annotation_body3d/fps50/h36m_train.npz     subjects S1, S5, S6, S7, S8
    h36m/annotation_body3d/fps50/h36m_test.npz      subjects S9, S11

Each ``.npz`` holds one row per frame of every (subject, action, camera) video:

- ``imgname`` ``(N,)`` str, e.g. ``S1/S1_Directions_1.54138969/S1_Directions_1.54138969_000001.jpg``
  (subject, action with sub-action, camera id, 1-based frame number);
- ``S`` ``(N, 17, 4)``: camera-frame 3D joints in metres (``D3_Positions_mono`` / 1000) + a 1;
- ``part`` ``(N, 17, 3)``: ground-truth 2D pixels + a 1; ``center`` ``(N, 2)``, ``scale`` ``(N,)``
  (the person box; not needed for lifting).

2D detections (the paper's inputs): the CPN detections of VideoPose3D reformatted by mmpose,
``cpn_ft_h36m_dbb_train.npy`` / ``cpn_ft_h36m_dbb_test.npy``: ``(N, 17, 3)`` pixel x, y, score,
row-aligned with the annotation file (what ``Human36mDataset(keypoint_2d_src="detection")``
loads).

HumanEva-I: mmpose has no HumanEva converter, so we read the same ``.npz`` layout (``imgname``,
``S`` ``(N, 15, 4)``, ``part`` ``(N, 15, 3)``) with the 15-joint order of VideoPose3D's
``data_3d_humaneva15`` (``robustpose.lift.skeleton.HUMANEVA_JOINT_NAMES``) and image names
``<subject>_<action>_<trial>.<camera>_<frame>.jpg`` (e.g. ``S1_Walking_1.C1_000001.jpg``); one
file per split (the standard protocol trains on ``Train/`` and tests on ``Validate/`` trials).

Sequences come out as ``LiftSequence`` (frames sorted by frame number), the unit the benchmark
corrupts and cuts into windows, so paper scale and the synthetic default share every later step.
"""
from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import numpy as np

from robustpose.lift.motion import LiftSequence

# Human3.6M camera id -> (width, height) in pixels (two cameras are 1000 x 1002).
H36M_IMAGE_SIZES: dict[str, tuple[int, int]] = {
    "54138969": (1000, 1002), "55011271": (1000, 1000), "58860488": (1000, 1000), "60457274": (1000, 1002),
}
HUMANEVA_IMAGE_SIZE = (640, 480)   # HumanEva-I colour cameras C1-C3
H36M_TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")
H36M_TEST_SUBJECTS = ("S9", "S11")
_REQUIRED_KEYS = ("imgname", "S", "part")


def parse_imgname(imgname: str) -> tuple[str, str, str, int]:
    """``(subject, action, camera, frame)`` from an mmpose-style image name.

    ``S1/.../S1_Directions_1.54138969_000001.jpg`` -> ``("S1", "Directions_1", "54138969", 1)``.

    Raises:
        ValueError: the name does not follow ``<subject>_<action>.<camera>_<frame>.<ext>``.
    """
    base = os.path.basename(str(imgname))
    stem = base.rsplit(".", 1)[0] if base.count(".") >= 2 else base
    try:
        subject, rest = stem.split("_", 1)
        action, rest = rest.split(".", 1)
        camera, frame = rest.rsplit("_", 1)
        return subject, action, camera, int(frame)
    except ValueError:
        raise ValueError(f"image name {imgname!r} is not <subject>_<action>.<camera>_<frame>.jpg") from None


def _load_npz(path: Path, num_joints: int) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: annotation file not found")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: not a readable .npz without pickled objects ({err})") from None
    missing = [k for k in _REQUIRED_KEYS if k not in arrays]
    if missing:
        raise ValueError(f"{path}: missing key(s) {missing}; found {sorted(arrays)}")
    n = len(arrays["imgname"])
    for key, dims in (("S", 4), ("part", 3)):
        if arrays[key].shape != (n, num_joints, dims):
            raise ValueError(f"{path}: {key} has shape {arrays[key].shape}, expected ({n}, {num_joints}, {dims})")
    return arrays


def _load_detections(path: Path, n: int, num_joints: int) -> np.ndarray:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: 2D detection file not found")
    try:
        dets = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: not a readable .npy array ({err})") from None
    if dets.shape != (n, num_joints, 3):
        raise ValueError(f"{path}: detections have shape {dets.shape}, expected ({n}, {num_joints}, 3) "
                         f"row-aligned with the annotation file")
    return dets.astype(np.float32)


def load_mocap_npz(path: str | os.PathLike, num_joints: int, image_sizes: dict[str, tuple[int, int]],
                   detections: str | os.PathLike | None = None, subjects: tuple[str, ...] | None = None,
                   default_size: tuple[int, int] | None = None) -> list[LiftSequence]:
    """Sequences from one mmpose-layout annotation file (see the module docstring).

    Args:
        path: the ``.npz``.
        num_joints: 17 (Human3.6M) or 15 (HumanEva-I).
        image_sizes: camera id -> (width, height) for screen normalisation.
        detections: optional ``.npy`` of 2D detections replacing the ground-truth 2D.
        subjects: keep only these subjects (None: all in the file).
        default_size: size for cameras missing from ``image_sizes`` (None: that is an error).

    Returns:
        One ``LiftSequence`` per (subject, action, camera), sorted by those keys.

    Raises:
        FileNotFoundError, ValueError: a missing file, key, wrong shape or unknown camera; the
            message names the file.
    """
    path = Path(path)
    data = _load_npz(path, num_joints)
    kp2d = data["part"].astype(np.float32)
    if detections is None:
        kp2d[..., 2] = 1.0                       # ground truth: full confidence
    else:
        kp2d = _load_detections(Path(detections), len(kp2d), num_joints)
    pose3d = data["S"][..., :3].astype(np.float32)
    groups: dict[tuple[str, str, str], list[tuple[int, int]]] = defaultdict(list)
    for row, name in enumerate(data["imgname"]):
        subject, action, camera, frame = parse_imgname(name)
        if subjects is None or subject in subjects:
            groups[(subject, action, camera)].append((frame, row))
    sequences = []
    for (subject, action, camera), frames in sorted(groups.items()):
        size = image_sizes.get(camera, default_size)
        if size is None:
            raise ValueError(f"{path}: unknown camera {camera!r}; known: {sorted(image_sizes)}")
        rows = np.array([row for _, row in sorted(frames)])
        sequences.append(LiftSequence(keypoints_2d=kp2d[rows], pose_3d=pose3d[rows], image_width=size[0],
                                      image_height=size[1], subject=subject, action=action, camera=camera))
    if not sequences:
        raise ValueError(f"{path}: no frames of subjects {subjects}")
    return sequences


def load_h36m(root: str | os.PathLike, split: str, detections: str | os.PathLike | None = None,
              subjects: tuple[str, ...] | None = None) -> list[LiftSequence]:
    """Human3.6M ``split`` ("train" | "test") from ``root`` = ``.../annotation_body3d/fps50``.

    Args:
        detections: e.g. ``cpn_ft_h36m_dbb_test.npy``; None uses the ground-truth 2D.
        subjects: subject filter, default the standard split (S1,5,6,7,8 / S9,11).
    """
    if split not in ("train", "test"):
        raise ValueError(f"Human3.6M split must be 'train' or 'test', got {split!r}")
    default = H36M_TRAIN_SUBJECTS if split == "train" else H36M_TEST_SUBJECTS
    return load_mocap_npz(Path(root) / f"h36m_{split}.npz", 17, H36M_IMAGE_SIZES, detections,
                          subjects or default)


def load_humaneva(path: str | os.PathLike, detections: str | os.PathLike | None = None,
                  subjects: tuple[str, ...] | None = None) -> list[LiftSequence]:
    """HumanEva-I sequences (15 joints) from one split file in the mmpose ``.npz`` layout."""
    return load_mocap_npz(path, 15, {}, detections, subjects, default_size=HUMANEVA_IMAGE_SIZE)


PAPER_DATASETS = ("h36m", "humaneva")


def load_split(dataset: str, root: str | os.PathLike, split: str, detections: str = "") -> list[LiftSequence]:
    """One split of a paper-scale dataset, by name, with the file layout the stage expects.

    ``h36m``: ``<root>/h36m_<split>.npz`` (``root`` = ``annotation_body3d/fps50``);
    ``humaneva``: ``<root>/humaneva_<split>.npz``. With ``detections`` (a file stem such as
    ``cpn_ft_h36m_dbb``), the 2D comes from ``<root>/<detections>_<split>.npy``.

    Args:
        split: "train" or "test".
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    det = Path(root) / f"{detections}_{split}.npy" if detections else None
    if dataset == "h36m":
        return load_h36m(root, split, det)
    if dataset == "humaneva":
        return load_humaneva(Path(root) / f"humaneva_{split}.npz", det)
    raise ValueError(f"unknown paper dataset {dataset!r}; valid: {list(PAPER_DATASETS)}")
