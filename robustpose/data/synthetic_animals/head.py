"""The head in 3D: cranium, snout, eyes and ears placed from the head's pitch and yaw, and which
of the eyes and the nose a turned head hides from the camera.

Points are in the animal's frame (x towards the head, y up, z towards the animal's right side).
An eye sits on the cranium at ``eye_az`` degrees around from the snout; it is hidden (v=1, not
painted) when it faces away from the camera, so a head in profile shows the near eye only and a
head turned away shows neither. The nose hides behind the cranium when the snout points away.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from robustpose import portable as pm

# An eye is visible while the cosine between its outward direction and the direction towards the
# camera exceeds this: slightly past the silhouette, as the eye bulges out of the skull.
_EYE_MIN_DEPTH = -0.15


class Ear(NamedTuple):
    """One ear as a tapered capsule ``base`` -> ``tip`` with radii ``radii`` (animal units)."""
    base: np.ndarray
    tip: np.ndarray
    radii: tuple[float, float]


class Head(NamedTuple):
    """A posed head: the cranium (``centre``, ``radius``), its frame (``forward`` along the
    snout, ``up``, ``right``), the snout capsule ``snout_base`` -> ``nose`` with ``snout_radii``,
    ``eyes`` (2, 3) left then right, and the two ``ears`` left then right."""
    centre: np.ndarray
    radius: float
    forward: np.ndarray
    up: np.ndarray
    right: np.ndarray
    snout_base: np.ndarray
    nose: np.ndarray
    snout_radii: tuple[float, float]
    eyes: np.ndarray
    ears: tuple[Ear, Ear]


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a x b of two 3-vectors with basic operations only (``np.cross`` is fine too, but this
    keeps every float operation visible)."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                     a[0] * b[1] - a[1] * b[0]])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(pm.norm(v), 1e-12)


def head_frame(pitch_deg: float, yaw_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(forward, up, right) unit vectors of a head whose snout points ``pitch_deg`` above the
    horizontal, turned ``yaw_deg`` about the vertical towards the animal's right."""
    p, y = math.radians(pitch_deg), math.radians(yaw_deg)
    cp, sp, cy, sy = pm.cos(p), pm.sin(p), pm.cos(y), pm.sin(y)
    forward = np.array([cp * cy, sp, cp * sy])
    up = np.array([-sp * cy, cp, -sp * sy])
    return forward, up, _cross(forward, up)


def _ear(kind: str, c: np.ndarray, r: float, size: float, f: np.ndarray, u: np.ndarray,
         s: np.ndarray) -> Ear:
    """One ear of ``kind`` on the side ``s`` (the head's right or minus it)."""
    if kind == "floppy":
        base = c + r * (-0.3 * f + 0.6 * u + 0.6 * s)
        return Ear(base, base + size * r * (-0.85 * u - 0.25 * f + 0.3 * s), (0.32 * r, 0.26 * r))
    if kind == "round":
        base = c + r * (-0.15 * f + 0.8 * u + 0.55 * s)
        return Ear(base, base + 0.05 * r * u, (0.3 * r * size, 0.3 * r * size))
    if kind == "side":
        base = c + r * (-0.2 * f + 0.45 * u + 0.75 * s)
        return Ear(base, base + size * r * (0.15 * u - 0.2 * f + 0.9 * s), (0.25 * r, 0.12 * r))
    base = c + r * (-0.25 * f + 0.72 * u + 0.5 * s)            # pointed
    return Ear(base, base + size * r * (0.9 * u - 0.3 * f + 0.15 * s), (0.3 * r, 0.05 * r))


def pose_head(centre: np.ndarray, geo: dict[str, float], pitch_deg: float, yaw_deg: float,
              ear_kind: str) -> Head:
    """Place the head's parts around ``centre`` for an animal of geometry ``geo``."""
    r = geo["head_r"]
    f, u, s = head_frame(pitch_deg, yaw_deg)
    beta = math.radians(geo["eye_az"])
    eyes = np.array([centre + 0.92 * r * _unit(pm.cos(beta) * f + 0.3 * u + side * pm.sin(beta) * s)
                     for side in (-1.0, 1.0)])
    nose = centre + (0.75 * r + geo["snout_len"]) * f - 0.18 * r * u
    ears = (_ear(ear_kind, centre, r, geo["ear_size"], f, u, -s),
            _ear(ear_kind, centre, r, geo["ear_size"], f, u, s))
    return Head(centre, r, f, u, s, centre + 0.25 * r * f - 0.1 * r * u, nose,
                (0.72 * r, max(geo["snout_r"], 0.2) * r), eyes, ears)


def hidden_features(head: Head, towards_camera: np.ndarray) -> tuple[bool, bool, bool]:
    """(left eye, right eye, nose) hidden by the head itself, seen from ``towards_camera`` (a
    unit vector in the animal's frame)."""
    hidden = []
    for eye in head.eyes:
        out = _unit(eye - head.centre)
        hidden.append(float(np.add.reduce(out * towards_camera)) < _EYE_MIN_DEPTH)
    v = head.nose - head.centre
    depth = float(np.add.reduce(v * towards_camera))
    lateral2 = float(np.add.reduce(v * v)) - depth * depth
    hidden.append(depth < 0.0 and lateral2 < head.radius * head.radius)
    return hidden[0], hidden[1], hidden[2]
