"""The video path of Human3.6M-C: frames -> image corruption -> 2D detector -> lifter input.

Hoang et al.'s Human3.6M-C corrupts the *video*: every frame goes through an image corruption
and then through a 2D pose detector, and the lifter sees the detector's keypoints. This module
does exactly that, for both scales:

- paper scale: Human3.6M frames read from disk (``H36mFrames``: mmpose's frame names and person
  boxes), a COCO top-down model from ``robustpose.models`` (``load_estimator``);
- embedded scale: frames rendered from the synthetic motion (``SyntheticFrames``: the 3D poses
  projected by the sequence's camera, drawn by the synthetic image renderer of
  ``robustpose.data.synthetic``), so the embedded SimpleBaseline, trained on those renders,
  can detect the person.

Corruptions are the image corruptions of ``robustpose.corrupt``; frame ``f`` of a video draws
from ``rng_for(seed, dataset, f, corruption, severity)``, the rule of the corrupt stage, so a
frame corrupts the same whether it is read here or written by ``corrupt@``.

The detector predicts COCO-17; ``coco_to_h36m`` converts to the Human3.6M-17 order the lifters
use. Results: ``detect_sequence`` returns ``(T, 17, 3)`` (x, y, confidence), what the lifter
benchmark consumes in place of a keypoint-corrupted sequence; ``run_video_benchmark`` is the
lift benchmark with these inputs (same results layout, image-corruption columns).
"""
from __future__ import annotations

import functools
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from robustpose import corrupt
from robustpose import portable as pm
from robustpose.data.images import read_image
from robustpose.data.synthetic import HeadPose, render_person, video_style
from robustpose.lift import benchmark as B
from robustpose.lift.h36m import parse_imgname
from robustpose.lift.motion import LiftSequence
from robustpose.lift.skeleton import NUM_JOINTS
from robustpose.lift.train import make_windows
from robustpose.seeding import rng_for
from robustpose.workers import map_jobs

log = logging.getLogger(__name__)
CLEAN = B.CLEAN

# --------------------------------------------------------------------------------------------
# COCO-17 <-> Human3.6M-17

# Human3.6M joint <- the COCO keypoint at the same place (limbs; both layouts name them alike).
H36M_FROM_COCO: dict[int, int] = {1: 12, 2: 14, 3: 16, 4: 11, 5: 13, 6: 15,
                                  11: 5, 12: 7, 13: 9, 14: 6, 15: 8, 16: 10}
COCO_NOSE, COCO_EYES, COCO_SHOULDERS, COCO_HIPS = 0, (1, 2), (5, 6), (11, 12)
# Human3.6M's head joint (10) is the top of the head (its 17-joint subset keeps the end site
# above "Head"), which COCO does not annotate. We extrapolate it above the eye midpoint by this
# many nose-to-eye distances: in an adult head the eye line sits about half-way up and the nose
# tip roughly a third of the eye-to-crown distance below it; the synthetic renderer's face gives
# (1 - 0.18) / (0.18 + 0.12) = 2.73. mmpose's ``convert_keypoint_definition`` puts joint 10 *at*
# the eye midpoint instead, about 10 cm below the crown. The price of extrapolating: the crown
# carries ~3.7x the nose/eye jitter.
HEAD_TOP_FROM_EYES = 2.7


def coco_to_h36m(keypoints: np.ndarray) -> np.ndarray:
    """COCO-17 keypoints ``(..., 17, 3)`` (x, y, confidence) -> Human3.6M-17 ``(..., 17, 3)``.

    Limbs map one to one. Derived joints, as mmpose's convention except the head: pelvis = hip
    midpoint, thorax = shoulder midpoint, spine = midpoint of the two, neck/nose (9) = the nose,
    head (10) = the crown, ``HEAD_TOP_FROM_EYES`` nose-to-eye distances above the eye midpoint.

    Confidence of a derived joint = the *minimum* of its sources': a midpoint is wrong as soon
    as one end is, so it can be no surer than its least sure source (mmpose's linear conversion
    averages scores, which rates a pelvis with one hip missing at half confidence).

    Raises:
        ValueError: the input is not ``(..., 17, 3)``.
    """
    kp = np.asarray(keypoints)
    if kp.ndim < 2 or kp.shape[-2:] != (17, 3):
        raise ValueError(f"expected COCO keypoints of shape (..., 17, 3), got {kp.shape}")
    out = np.zeros(kp.shape[:-2] + (NUM_JOINTS, 3), dtype=np.result_type(kp.dtype, np.float32))
    for h36m, coco in H36M_FROM_COCO.items():
        out[..., h36m, :] = kp[..., coco, :]

    def mid(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate([(a[..., :2] + b[..., :2]) / 2, np.minimum(a[..., 2:], b[..., 2:])], axis=-1)

    out[..., 0, :] = mid(kp[..., COCO_HIPS[0], :], kp[..., COCO_HIPS[1], :])
    out[..., 8, :] = mid(kp[..., COCO_SHOULDERS[0], :], kp[..., COCO_SHOULDERS[1], :])
    out[..., 7, :] = mid(out[..., 0, :], out[..., 8, :])
    out[..., 9, :] = kp[..., COCO_NOSE, :]
    eyes = mid(kp[..., COCO_EYES[0], :], kp[..., COCO_EYES[1], :])
    nose = kp[..., COCO_NOSE, :]
    out[..., 10, :2] = eyes[..., :2] + HEAD_TOP_FROM_EYES * (eyes[..., :2] - nose[..., :2])
    out[..., 10, 2] = np.minimum(eyes[..., 2], nose[..., 2])
    return out


def h36m_to_coco_limbs(points: np.ndarray) -> np.ndarray:
    """Human3.6M-17 points ``(..., 17, D)`` -> COCO-17 ``(..., 17, D)`` with the limbs filled
    and the five face rows NaN (a face needs a head model: ``HeadPose``)."""
    pts = np.asarray(points, np.float64)
    out = np.full(pts.shape[:-2] + (17, pts.shape[-1]), np.nan)
    for h36m, coco in H36M_FROM_COCO.items():
        out[..., coco, :] = pts[..., h36m, :]
    return out


# --------------------------------------------------------------------------------------------
# frames -> corrupted frames -> detections


@dataclass(frozen=True)
class VideoClip:
    """The frames of one sequence as a detector sees them.

    Attributes:
        frames: ``(T, H, W, 3)`` uint8, or T image paths (read one chunk at a time).
        boxes: ``(T, 4)`` person boxes x, y, w, h in frame pixels.
        frame_ids: T names that seed each frame's corruption (file names at paper scale).
        scale, offset: where the frame sits in the sequence's image: frame pixel = (sequence
            pixel - offset) * scale (1 and (0, 0) for real frames; a rendered frame is a crop
            of the camera image around the person, zoomed). ``to_sequence`` maps back.
    """
    frames: np.ndarray | Sequence[str | os.PathLike]
    boxes: np.ndarray
    frame_ids: tuple[str, ...]
    scale: float = 1.0
    offset: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        n = len(self.frames)
        if np.shape(self.boxes) != (n, 4) or len(self.frame_ids) != n:
            raise ValueError(f"a clip of {n} frames needs ({n}, 4) boxes and {n} frame ids, got "
                             f"{np.shape(self.boxes)} and {len(self.frame_ids)}")

    def to_sequence(self, keypoints: np.ndarray) -> np.ndarray:
        """Keypoints ``(..., 3)`` in frame pixels -> the sequence's pixels (confidence kept)."""
        out = np.array(keypoints, dtype=np.float32)
        out[..., :2] = out[..., :2] / self.scale + np.asarray(self.offset, np.float32)
        return out


def corrupt_frame(frame: np.ndarray, corruption: str, severity: int, seed: int, dataset: str, frame_id: str,
                  box: np.ndarray | None = None) -> np.ndarray:
    """One frame under ``corruption`` at ``severity``, drawn from ``rng_for(seed, dataset,
    frame_id, corruption, severity)`` (the corrupt stage's rule: the draw is the frame's own).

    ``box`` (x, y, w, h) is the person the ``mask`` corruption occludes.
    """
    context = None if box is None else {"boxes": np.r_[box[:2], np.asarray(box[:2]) + box[2:]][None]}
    return corrupt.apply(frame, corruption, severity, rng_for(seed, dataset, frame_id, corruption, severity),
                         context)


def _frame(frames: np.ndarray | Sequence, i: int) -> np.ndarray:
    item = frames[i]
    return read_image(item) if isinstance(item, (str, os.PathLike)) else np.asarray(item)


def detect_sequence(frames: np.ndarray | Sequence, boxes: np.ndarray, estimator, corruption: str | None,
                    severity: int, seed: int, *, dataset: str, frame_ids: Sequence[str] | None = None,
                    chunk: int = 32) -> np.ndarray:
    """The Human3.6M-17 keypoints a top-down detector finds in (corrupted) frames.

    Args:
        frames: ``(T, H, W, 3)`` uint8 RGB frames, or T image paths.
        boxes: ``(T, 4)`` person boxes x, y, w, h (one person per frame).
        estimator: a top-down ``PoseEstimator`` predicting COCO-17 (``load_estimator``).
        corruption: an image corruption of ``robustpose.corrupt``, or None for clean frames.
        severity: 1..5 (ignored when clean).
        seed, dataset: with the frame id and the corruption, what each frame's draw derives from.
        frame_ids: one name per frame (default the frame index); a frame's corruption depends on
            its id, not on its position in the batch.
        chunk: frames decoded and detected per forward pass; keep it fixed, as the network's
            arithmetic may differ with the batch size.

    Returns:
        ``(T, 17, 3)`` float32: x, y in frame pixels and the detector's confidence.

    Raises:
        ValueError: boxes or ids that do not match the frames, or a detector without 17 keypoints.
    """
    T = len(frames)
    ids = tuple(str(i) for i in range(T)) if frame_ids is None else tuple(frame_ids)
    boxes = np.asarray(boxes, np.float64)
    VideoClip(frames, boxes, ids)   # validates the lengths
    keypoints = getattr(getattr(estimator, "net", None), "num_keypoints", None)
    if keypoints != 17:
        raise ValueError(f"the video path needs a top-down COCO-17 detector (PoseEstimator), got "
                         f"{type(estimator).__name__} with {keypoints} keypoints")
    if corruption is not None:
        corrupt.check_names([corruption])
    coco = np.zeros((T, 17, 3), np.float64)
    for start in range(0, T, chunk):
        idx = range(start, min(start + chunk, T))
        images = [_frame(frames, i) for i in idx]
        if corruption is not None:
            images = [corrupt_frame(im, corruption, severity, seed, dataset, ids[i], boxes[i])
                      for im, i in zip(images, idx)]
        preds = estimator.predict(images, [boxes[i][None] for i in idx])
        coco[start:start + len(images)] = np.stack([p[0] for p in preds])
    return coco_to_h36m(coco).astype(np.float32)


# --------------------------------------------------------------------------------------------
# frame sources: the embedded renderer and Human3.6M on disk


def fit_projection(seq: LiftSequence) -> tuple[np.ndarray, np.ndarray]:
    """Focal lengths ``(2,)`` and principal point ``(2,)`` (pixels) of the sequence's camera,
    least squares of ``u = f * X / Z + c`` over every joint and frame.

    A ``LiftSequence`` keeps camera-frame 3D and (noisy) 2D but not the camera. Against the
    generating cameras of ``robustpose.lift.motion`` the fit was within 0.5 px of the principal
    point and 1.5 % of the focal length: a person near the image centre lands within ~2 px (of
    1000) of the true projection, far below the detector's error.
    """
    xyz = seq.pose_3d.reshape(-1, 3).astype(np.float64)
    uv = seq.keypoints_2d[..., :2].reshape(-1, 2).astype(np.float64)
    focal, centre = np.zeros(2), np.zeros(2)
    for axis in (0, 1):   # closed-form simple regression: fixed-order sums, not LAPACK (same bits on any CPU)
        a, u = xyz[:, axis] / xyz[:, 2], uv[:, axis]
        da, du = a - np.add.reduce(a) / len(a), u - np.add.reduce(u) / len(u)
        focal[axis] = np.add.reduce(da * du) / np.add.reduce(da * da)
        centre[axis] = np.add.reduce(u - focal[axis] * a) / len(a)
    return focal, centre


def face_yaw(pose_3d: np.ndarray) -> np.ndarray:
    """Yaw (degrees) of the face for Human3.6M-17 camera-frame poses ``(T, 17, 3)``.

    Forward = left x up of the body (left = left minus right shoulder, up = pelvis to thorax);
    0 faces the camera (forward = -z), positive turns to the person's left, which for a person
    facing the camera is image right (+x): ``atan2(f_x, -f_z)``.
    """
    left = pose_3d[:, 11] - pose_3d[:, 14]
    up = pose_3d[:, 8] - pose_3d[:, 0]
    forward = np.cross(left, up)
    return np.degrees(pm.atan2(forward[:, 0], -forward[:, 2]))


def standing_height(pose_3d: np.ndarray) -> float:
    """The person's height (m): leg + trunk + neck + head bones (median over frames) plus the
    8 cm from ankle to sole that ``robustpose.lift.motion`` keeps under the feet."""
    chain = ((1, 2), (2, 3), (0, 7), (7, 8), (8, 9), (9, 10))
    lengths = sum(np.linalg.norm(pose_3d[:, a] - pose_3d[:, b], axis=-1) for a, b in chain)
    return float(np.median(lengths)) + 0.08


@dataclass(frozen=True)
class SyntheticFrames:
    """Render a synthetic sequence as video (embedded scale): ``source(seq) -> VideoClip``.

    A frame is the part of the camera image the person moves through (their path's joint box,
    a quarter of their height added on each side), zoomed so they stand ``person_px`` pixels
    tall (median over frames), as in the synthetic training images (67-182 px): a runner
    filmed from 11 m is 40 px tall in a 256 px view of the 1000 px image (measured: 2D error
    5.3 / 7.8 % of the height at 40 px, 4.4 / 5.9 % at 100 px, two frontal running videos), and
    corruptions act on the same pixel scale for every person.

    The pose is the exact projection of the 3D joints (the detector's error is the only 2D
    error); the head is placed so its nose falls on joint 9 and its crown on joint 10 (what
    ``coco_to_h36m`` reads back); background, clothes and light are fixed per video and drawn
    from ``rng_for(seed, "lift", "video", subject, action, camera)``. Boxes are the rendered
    silhouette (ground-truth boxes, as ``evaluate.boxes: gt``).

    ``person_px``'s default is params.yaml's ``lift.video_person_px`` (the source; the stage passes
    it), and tests/test_param_defaults.py fails when they drift apart.
    """
    seed: int
    person_px: float = 100.0

    def __post_init__(self) -> None:
        if not 32 <= self.person_px <= 1000:
            raise ValueError(f"person_px must be in [32, 1000] pixels, got {self.person_px}")

    def __call__(self, seq: LiftSequence) -> VideoClip:
        focal, centre = fit_projection(seq)
        pose = seq.pose_3d.astype(np.float64)
        pix = pose[..., :2] / pose[..., 2:3] * focal + centre                      # (T, 17, 2) camera px
        height_cam = standing_height(pose) * focal[1] / pose[:, 0, 2]              # (T,) camera px
        median_height = float(np.median(height_cam))
        scale = self.person_px / median_height
        lo = pix.min(axis=(0, 1)) - 0.25 * median_height
        hi = pix.max(axis=(0, 1)) + 0.25 * median_height
        width, height = (max(int(np.ceil(v)), 64) for v in (hi - lo) * scale)
        pix = (pix - lo) * scale                                                   # frame px
        coco = h36m_to_coco_limbs(pix)
        yaw = face_yaw(pose)
        style = video_style(rng_for(self.seed, "lift", "video", seq.subject, seq.action, seq.camera), height, width)
        frames = np.zeros((seq.num_frames, height, width, 3), np.uint8)
        boxes = np.zeros((seq.num_frames, 4))
        for t in range(seq.num_frames):
            head = HeadPose.from_nose_and_crown(pix[t, 9], pix[t, 10], float(yaw[t]))
            frames[t], _, box = render_person(coco[t], head, float(height_cam[t] * scale), style)
            if box[2] < 1 or box[3] < 1:   # nothing drawn inside the frame: the joints' box instead
                box = [*pix[t].min(axis=0), *np.maximum(np.ptp(pix[t], axis=0), 1.0)]
            boxes[t] = box
        ids = tuple(f"{seq.subject}_{seq.action}.{seq.camera}_{t + 1:06d}.png" for t in range(seq.num_frames))
        return VideoClip(frames, boxes, ids, scale, (float(lo[0]), float(lo[1])))


@dataclass(frozen=True)
class H36mFrames:
    """Human3.6M frames on disk (paper scale): ``source(seq) -> VideoClip`` for a sequence of
    ``robustpose.lift.h36m.load_split``.

    ``annotation`` is the ``h36m_test.npz`` the sequences came from (``imgname``, ``center``,
    ``scale``), ``images`` the directory mmpose's converter extracted the frames to
    (``<images>/<imgname>``). Boxes follow mmpose's converter: a square of side ``200 * scale``
    around ``center`` (1.2 x the extent of the 2D joints). Frames are grouped and ordered as
    ``load_mocap_npz`` orders them, so frame t of the clip is frame t of the sequence.
    """
    annotation: str
    images: str

    def __call__(self, seq: LiftSequence) -> VideoClip:
        names, centres, scales, groups = _h36m_frame_table(self.annotation)
        rows = groups.get((seq.subject, seq.action, seq.camera), np.zeros(0, np.int64))
        if len(rows) != seq.num_frames:
            raise ValueError(f"{self.annotation}: {len(rows)} frames of {seq.subject} {seq.action} {seq.camera}, "
                             f"but the sequence has {seq.num_frames}")
        side = 200.0 * scales[rows]
        boxes = np.column_stack([centres[rows] - side[:, None] / 2, side, side])
        paths = [str(Path(self.images) / str(names[r])) for r in rows]
        return VideoClip(paths, boxes, tuple(str(names[r]) for r in rows), 1.0)


@functools.lru_cache(maxsize=2)
def _h36m_frame_table(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[tuple, np.ndarray]]:
    """``imgname``, ``center``, ``scale`` of an mmpose Human3.6M annotation file and its rows per
    (subject, action, camera) in frame order; read once per process (the test file has ~550k
    rows and every video needs it)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: annotation file not found")
    with np.load(path, allow_pickle=False) as data:
        missing = [k for k in ("imgname", "center", "scale") if k not in data.files]
        if missing:
            raise ValueError(f"{path}: the video path needs key(s) {missing} (person boxes); "
                             f"found {sorted(data.files)}")
        names = data["imgname"]
        centres, scales = data["center"].astype(np.float64), data["scale"].astype(np.float64).reshape(-1)
    groups: dict[tuple, list[tuple[int, int]]] = {}
    for row, name in enumerate(names):
        subject, action, camera, frame = parse_imgname(name)
        groups.setdefault((subject, action, camera), []).append((frame, row))
    return names, centres, scales, {k: np.array([r for _, r in sorted(v)], np.int64) for k, v in groups.items()}


FrameSource = Callable[[LiftSequence], VideoClip]


# --------------------------------------------------------------------------------------------
# the lift benchmark on video-path inputs


@dataclass(frozen=True)
class VideoConfig:
    """The video path's settings (repeated in the results).

    Attributes:
        corruptions: image corruptions (``robustpose.corrupt`` names), every one at every severity.
        severities: 1..5.
        detector: model name for ``load_estimator`` (embedded or pretrained, COCO-17 layout).
        checkpoint: its weights file.
        dataset: seeds the frame corruptions (``rng_for(seed, dataset, frame_id, ...)``).
        seed: the params seed (frame corruptions, synthetic rendering).
        cameras: test videos per (subject, action), the most frontal first (``select_videos``),
            to bound the cost (every frame is detected once per condition).
        flip_test: average the detector with the mirrored crop (2x time).
        batch_size: crops per detector forward pass.
        threads, device, workers: torch threads per process, cpu | cuda | auto, processes
            (videos are independent tasks; results do not depend on ``workers``).

    params.yaml is the source of every field but ``checkpoint`` (the stage's ``--detector``) and
    ``batch_size`` (not a param): ``lift.video_*``, ``lift.dataset``, ``severities``, ``threads``,
    ``device``, ``workers`` and ``seed``. The defaults are its values, for tests, and
    tests/test_param_defaults.py fails when they drift apart.
    """
    corruptions: tuple[str, ...]
    severities: tuple[int, ...]
    detector: str
    checkpoint: str
    dataset: str = "synthetic"
    seed: int = 0
    cameras: int = 1
    flip_test: bool = False
    batch_size: int = 64
    threads: int = 1
    device: str = "cpu"
    workers: int = 2

    def __post_init__(self) -> None:
        if not self.corruptions:
            raise ValueError("lift.video_corruptions must not be empty")
        try:
            corrupt.check_names(list(self.corruptions))
        except ValueError as err:
            raise ValueError(f"lift.video_corruptions: {err}") from None
        bad = [s for s in self.severities if s not in corrupt.SEVERITIES]
        if bad or not self.severities:
            raise ValueError(f"lift.severities = {list(self.severities)}: {bad or 'empty'} not in 1..5")
        from robustpose.models.mmpose_inference import keypoint_layout
        from robustpose.models.pretrained import list_pretrained, pretrained_model

        layout = keypoint_layout(self.detector)   # an unknown name lists the valid ones
        if layout != "coco":
            raise ValueError(f"lift.video_detector = {self.detector!r} predicts the {layout} keypoint layout; "
                             "the video path converts COCO-17 to Human3.6M-17, pick a COCO model")
        if self.detector in list_pretrained() and pretrained_model(self.detector).family == "bottomup":
            raise ValueError(f"lift.video_detector = {self.detector!r} is bottom-up; the video path runs a "
                             "top-down model on the person box of each frame")
        for name in ("cameras", "batch_size", "threads", "workers"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"lift.{name if name != 'cameras' else 'video_cameras'} must be >= 1, "
                                 f"got {getattr(self, name)}")

    def conditions(self) -> list[tuple[str, int]]:
        """``[("clean", 0), (corruption, severity), ...]`` in table order."""
        return [(CLEAN, 0)] + [(c, s) for c in self.corruptions for s in self.severities]

    def as_dict(self) -> dict:
        """The settings results depend on (``workers`` changes nothing; the checkpoint's path is
        not its content: the stage records its digest)."""
        d = asdict(self)
        d.pop("workers")
        d.pop("checkpoint")
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def select_videos(test: Sequence[LiftSequence], cameras: int) -> list[LiftSequence]:
    """Per (subject, action), the ``cameras`` test videos that film the person's face most
    (largest mean cosine of ``face_yaw``; ties by camera id), in the test order.

    Why frontal first: the embedded detector was trained on ``render_scene`` people, who all
    face the camera; seen from behind it puts the left limbs on the image's right, as for a
    frontal person, and swaps the pairs (measured on 60 videos: 70-100 % of frames swapped at
    mean cos(yaw) < -0.5, 0-20 % above 0.3). A COCO detector sees people from every side, so at
    paper scale, where every camera is usually kept, the order only decides what a smaller
    budget keeps.
    """
    groups: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for seq in test:
        frontal = float(pm.cos(np.radians(face_yaw(seq.pose_3d.astype(np.float64)))).mean())
        groups.setdefault((seq.subject, seq.action), []).append((-frontal, seq.camera))
    keep = {(key, camera) for key, ranked in groups.items() for _, camera in sorted(ranked)[:cameras]}
    return [s for s in test if ((s.subject, s.action), s.camera) in keep]


_WORKER: dict = {}


def _init_detector(cfg: VideoConfig, source: FrameSource) -> None:
    """Load the detector once per process (the pool's initializer, or the parent)."""
    import torch

    from robustpose.lift.train import resolve_device
    from robustpose.models.mmpose_inference import load_estimator

    torch.set_num_threads(cfg.threads)
    _WORKER.update(cfg=cfg, source=source,
                   estimator=load_estimator(cfg.detector, cfg.checkpoint, batch_size=cfg.batch_size,
                                            flip_test=cfg.flip_test, device=resolve_device(cfg.device)))


def _video_job(seq: LiftSequence) -> dict[tuple[str, int], np.ndarray]:
    """Every condition's 2D (sequence pixels) for one video: frames made once, then corrupted
    and detected per condition."""
    cfg: VideoConfig = _WORKER["cfg"]
    clip = _WORKER["source"](seq)
    out = {}
    for name, severity in cfg.conditions():
        det = detect_sequence(clip.frames, clip.boxes, _WORKER["estimator"], None if name == CLEAN else name,
                              severity, cfg.seed, dataset=cfg.dataset, frame_ids=clip.frame_ids)
        out[(name, severity)] = clip.to_sequence(det)
    return out


def video_inputs(videos: Sequence[LiftSequence], source: FrameSource,
                 cfg: VideoConfig) -> dict[tuple[str, int], list[np.ndarray]]:
    """The lifter inputs of the video path: ``{(condition, severity): [(T, 17, 3) per video]}``
    (clean as ``("clean", 0)``), in sequence pixels with the detector's confidence.

    Args:
        videos: the test sequences to film (``select_videos``).
        source: makes a sequence's frames (``SyntheticFrames`` or ``H36mFrames``); picklable.
        cfg: corruptions, severities, detector and processes.
    """
    from tqdm import tqdm

    per_video = list(tqdm(map_jobs(_video_job, videos, cfg.workers, initializer=_init_detector,
                                   initargs=(cfg, source)), total=len(videos), desc="video path", mininterval=5))
    return {cond: [v[cond] for v in per_video] for cond in cfg.conditions()}


@dataclass(frozen=True)
class _Grid:
    """What ``benchmark.summarise`` / ``_example`` read of a config, with image corruptions."""
    lifters: tuple[str, ...]
    seeds: tuple[int, ...]
    corruptions: tuple[str, ...]
    severities: tuple[int, ...]


def run_video_benchmark(train: Sequence[LiftSequence], test: Sequence[LiftSequence], cfg: B.BenchmarkConfig,
                        video: VideoConfig, source: FrameSource) -> dict:
    """``benchmark.run_benchmark`` with video-path inputs: lifters trained as there (on the
    training split's 2D), scored on the detector's 2D of clean and corrupted frames.

    ``cfg.corruptions`` (the keypoint corruptions) is not used; the conditions are
    ``video.conditions()``. Returns the same layout as ``run_benchmark`` (so the reports and
    ``headline_metrics`` read it unchanged) with ``config.corruptions`` = the image
    corruptions, ``config.inputs = "video"``, ``config.video`` = ``video.as_dict()`` and
    ``videos`` (the test videos filmed).

    The runs go through ``benchmark.run_benchmark`` with these conditions, so a run is trained
    and scored exactly as in keypoint mode.
    """
    videos = select_videos(test, video.cameras)
    t0 = time.time()
    inputs = video_inputs(videos, source, video)
    log.info("video path: %d videos x %d conditions (%d frames per condition) detected in %.1f s", len(videos),
             len(video.conditions()), sum(s.num_frames for s in videos), time.time() - t0)
    conditions = {cond: make_windows(videos, cfg.eval_stride, inputs[cond]) for cond in video.conditions()}
    grid = _Grid(cfg.lifters, cfg.seeds, tuple(video.corruptions), tuple(video.severities))
    results = B.run_benchmark(train, videos, cfg, conditions=conditions, grid=grid)
    results["config"].update(corruptions=list(video.corruptions), severities=list(video.severities),
                             inputs="video", video=video.as_dict())
    results["videos"] = [f"{s.subject}_{s.action}.{s.camera}" for s in videos]
    return results
