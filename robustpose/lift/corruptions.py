"""Corruptions of 2D keypoint sequences (Human3.6M-C style), each with 5 severities.

Contract (every entry): ``fn(seq2d, severity, rng) -> seq2d`` where ``seq2d`` is ``(T, J, 3)``
float (pixel x, y and detector confidence in [0, 1]), ``severity`` an int in 1..5 and ``rng`` a
``numpy.random.Generator``, the only source of randomness. The output has the input's shape and
dtype, confidences stay in [0, 1], and the input is never modified. Magnitudes are relative to
the person's pixel height, so a corruption means the same near and far from the camera.

What each one stands for (the failure a 2D detector shows on a corrupted video):

- ``occlusion``: joints (a limb or the whole body) missing for spans of frames; the detector
  hallucinates them elsewhere with a low confidence.
- ``motion_blur``: temporal smearing and lag: a detector on blurred frames lands on the smear
  of the last frames (a causal box average), delivered a few frames late, and less confidently
  where the joint moves fast.
- ``noise_jitter``: pixel noise makes the detector jitter frame to frame, with occasional
  outlier jumps; confidence drops with the size of the error.
- ``left_right_swap``: spans where left and right limbs are confused.
- ``frame_drop``: frames lost (decoder drops, detector misses) and filled by holding the last
  delivered frame, as a tracker does.

These keypoint-level corruptions model a corrupted video's effect on the 2D input directly, so
the default ``lift`` stage needs no frames and no detector. The paper's own construction (the
image corruptions of ``robustpose.corrupt`` applied frame by frame, then a 2D detector) is
``robustpose.lift.video``, run by the ``lift_video@<model>`` stage.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from robustpose import portable as pm
from robustpose._registry import Registry
from robustpose.lift.skeleton import skeleton_for

SequenceCorruption = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]
SEVERITIES = (1, 2, 3, 4, 5)

# Per-severity constants (index = severity - 1), importable so they can be logged and tested.
OCCLUSION = {
    "coverage": (0.10, 0.20, 0.30, 0.40, 0.55),      # fraction of frames inside an occlusion span
    "whole_body": (0.0, 0.1, 0.2, 0.35, 0.5),        # probability a span hides the whole body
}
MOTION_BLUR = {
    "frames": (3, 5, 9, 13, 19),                     # causal box length (smear; lag (k - 1) / 2 frames)
    "delay": (1, 2, 3, 4, 5),                        # extra frames of latency (a blurred frame is late)
}
NOISE_JITTER = {
    "std": (0.01, 0.02, 0.035, 0.05, 0.08),          # jitter std, fraction of person height
    "outlier": (0.0, 0.02, 0.04, 0.07, 0.10),        # probability a joint jumps this frame
}
LR_SWAP_COVERAGE = (0.05, 0.10, 0.20, 0.30, 0.45)    # fraction of frames with a left/right swap
FRAME_DROP = {
    "rate": (0.15, 0.25, 0.35, 0.50, 0.65),          # fraction of frames lost
    "burst": (2.0, 3.0, 4.0, 5.0, 6.0),              # mean length of a run of lost frames
}

_REGISTRY: Registry[SequenceCorruption] = Registry("sequence corruption")


def register(fn: SequenceCorruption) -> SequenceCorruption:
    """Register ``fn`` under its function name; a duplicate name is an error (KeyError)."""
    return _REGISTRY.add(fn)


def names(pattern: str = "*") -> list[str]:
    """Registered corruption names (registration order) matching a wildcard."""
    return _REGISTRY.names(pattern)


def check_names(requested: list[str]) -> None:
    """Raise ValueError naming any unknown corruption and listing the valid ones."""
    _REGISTRY.check_names(requested)


def apply(name: str, seq2d: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Corrupt ``seq2d`` with the registered corruption ``name`` at ``severity``.

    Raises:
        KeyError: unknown name (the message lists the valid ones).
        ValueError: severity outside 1..5 or a sequence that is not ``(T, J, 3)``.
    """
    fn = _REGISTRY.get(name)
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, got {severity!r}")
    seq = np.asarray(seq2d)
    if seq.ndim != 3 or seq.shape[2] != 3 or seq.shape[0] < 1:
        raise ValueError(f"expected a (T, J, 3) keypoint sequence, got shape {seq.shape}")
    out = fn(seq.copy(), severity, rng)
    out[..., 2] = np.clip(out[..., 2], 0.0, 1.0)
    return out.astype(seq.dtype, copy=False)


# ---------------------------------------------------------------------------------------------
# helpers


def person_scale(seq2d: np.ndarray) -> float:
    """The person's pixel height (median over frames of the keypoint box height), >= 1."""
    return max(float(np.median(np.ptp(seq2d[..., 1], axis=1))), 1.0)


def _spans(T: int, coverage: float, rng: np.random.Generator, min_len: int, max_len: int) -> list[tuple[int, int]]:
    """Random ``[start, stop)`` frame spans until about ``coverage`` of ``T`` frames is covered."""
    covered = np.zeros(T, bool)
    spans: list[tuple[int, int]] = []
    target = coverage * T
    while covered.sum() < target:
        length = int(rng.integers(min_len, max_len + 1))
        start = int(rng.integers(0, max(T - length, 0) + 1))
        stop = min(start + length, T)
        spans.append((start, stop))
        covered[start:stop] = True
    return spans


def _limb(rng: np.random.Generator, J: int) -> np.ndarray:
    """A random occluded group: one joint and its descendants (an arm, a leg, a forearm ...)."""
    _, parents, _ = skeleton_for(J)
    start = int(rng.integers(1, J))
    group = {start}
    for j in range(J):   # parents are topologically ordered: a parent comes before its children
        if parents[j] in group:
            group.add(j)
    return np.array(sorted(group))


# ---------------------------------------------------------------------------------------------
# the corruptions


@register
def occlusion(seq: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    T, J, _ = seq.shape
    scale = person_scale(seq)
    for start, stop in _spans(T, OCCLUSION["coverage"][severity - 1], rng, 5, 25):
        if rng.random() < OCCLUSION["whole_body"][severity - 1]:
            joints = np.arange(J)
        else:
            joints = _limb(rng, J)
        n = stop - start
        # the detector places the hidden joints at a wrong but nearby spot, wobbling a little
        offset = rng.normal(0, 0.2 * scale, size=(1, len(joints), 2))
        wobble = rng.normal(0, 0.02 * scale, size=(n, len(joints), 2))
        seq[start:stop, joints, :2] += offset + wobble
        seq[start:stop, joints, 2] = rng.uniform(0.0, 0.2, size=(n, len(joints)))
    return seq


@register
def motion_blur(seq: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    T = seq.shape[0]
    k, delay = MOTION_BLUR["frames"][severity - 1], MOTION_BLUR["delay"][severity - 1]
    scale = person_scale(seq)
    xy = seq[..., :2].astype(np.float64)
    # causal box average over k frames ending `delay` frames ago (the first frames use what exists)
    csum = np.concatenate([np.zeros_like(xy[:1]), np.cumsum(xy, axis=0)])
    end = np.maximum(np.arange(T) - delay, 0)
    lo = np.maximum(end - k + 1, 0)
    smeared = (csum[end + 1] - csum[lo]) / (end + 1 - lo)[:, None, None]
    # confidence falls with the length of the smear (how far the joint moved inside the window)
    smear = np.linalg.norm(smeared - xy, axis=-1) / scale
    seq[..., :2] = smeared
    seq[..., 2] *= pm.exp(-smear / 0.15) * rng.uniform(0.95, 1.0, size=seq.shape[:2])
    return seq


@register
def noise_jitter(seq: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    T, J, _ = seq.shape
    scale = person_scale(seq)
    err = rng.normal(0, NOISE_JITTER["std"][severity - 1] * scale, size=(T, J, 2))
    jumps = rng.random((T, J)) < NOISE_JITTER["outlier"][severity - 1]
    err[jumps] += rng.normal(0, 0.25 * scale, size=(int(jumps.sum()), 2))
    seq[..., :2] += err
    # a heatmap's peak flattens as the localisation error grows (Gaussian fall-off), but the
    # detector only knows its error roughly: a log-normal factor keeps the confidence an
    # imperfect witness instead of an oracle of the error
    dist = np.linalg.norm(err, axis=-1) / scale * rng.lognormal(0.0, 0.5, size=(T, J))
    seq[..., 2] *= pm.exp(-0.5 * (dist / 0.06) ** 2)
    return seq


@register
def left_right_swap(seq: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    T, J, _ = seq.shape
    pairs = np.array(skeleton_for(J)[2])
    for start, stop in _spans(T, LR_SWAP_COVERAGE[severity - 1], rng, 2, 12):
        # the whole body (the detector flips facing), or one half of the pairs (legs or arms)
        which = int(rng.integers(0, 3))
        sel = pairs if which == 0 else pairs[:3] if which == 1 else pairs[3:]
        left, right = sel[:, 0], sel[:, 1]
        seg = seq[start:stop].copy()
        seq[start:stop, left], seq[start:stop, right] = seg[:, right], seg[:, left]
        seq[start:stop, :, 2] *= rng.uniform(0.7, 0.95)
    return seq


@register
def frame_drop(seq: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    T = seq.shape[0]
    rate, burst = FRAME_DROP["rate"][severity - 1], FRAME_DROP["burst"][severity - 1]
    dropped = np.zeros(T, bool)
    # runs of lost frames with geometric lengths (mean `burst`) until `rate` of frames are lost
    while dropped[1:].sum() < rate * (T - 1):
        start = int(rng.integers(1, T))
        length = int(rng.geometric(1.0 / burst))
        dropped[start:start + length] = True
    dropped[0] = False                                   # something must be delivered first
    held = np.maximum.accumulate(np.where(dropped, 0, np.arange(T)))
    return seq[held]
