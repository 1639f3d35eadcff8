"""A posed quadruped in 3D: AP-10K's 17 keypoints plus what the painter needs (leg chains with
the hock, the trunk's plane and outline, neck, head and tail).

Animal frame: x towards the head, y up, z towards the animal's right side; the unit is the
distance between the shoulder and hip joints. The trunk is a rounded box in the sagittal plane
(z = 0) that tilts (``pose["pitch"]``) about its centre or, sitting, about the hips; the legs hang
from it at z = -+``body_width`` (left, right).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from robustpose import portable as pm
from robustpose.data.keypoints import AP10K_KEYPOINTS
from robustpose.data.synthetic_animals.head import Head, pose_head

KP = {name: i for i, name in enumerate(AP10K_KEYPOINTS)}
_OUTLINE_POINTS = 28
_OUTLINE_POWER = 0.7             # superellipse exponent: < 1 is boxier than an ellipse
_TAIL_SEGMENTS = 6
# Hind leg segment lengths (thigh, shank, foot) as fractions of the hind leg length.
_HIND_SEGMENTS = (0.38, 0.38, 0.3)


class Skeleton(NamedTuple):
    """A posed animal in its own frame (see the module docstring).

    ``legs`` maps ``left_front`` ... ``right_hind`` to the chain of points from the trunk to the
    paw ((3, 3) front: shoulder, elbow, paw; (4, 3) hind: hip, knee, hock, paw). The trunk plane
    is ``trunk_origin + a * trunk_u + b * trunk_v`` (a along the spine, b up, before the tilt);
    ``outline`` (M, 2) are (a, b) on the trunk's edge.
    """
    joints: np.ndarray
    legs: dict[str, np.ndarray]
    trunk_origin: np.ndarray
    trunk_u: np.ndarray
    trunk_v: np.ndarray
    outline: np.ndarray
    neck_base: np.ndarray
    head: Head
    tail: np.ndarray


def _down(angle_deg: float) -> np.ndarray:
    """Unit vector ``angle_deg`` from straight down, positive towards the head (z = 0)."""
    a = math.radians(angle_deg)
    return np.array([pm.sin(a), -pm.cos(a), 0.0])


def _unit_outline() -> np.ndarray:
    """(M, 2) points of the unit superellipse |a|^(2/p) + |b|^(2/p) = 1, p = ``_OUTLINE_POWER``
    (computed once: the powers are the costly part of a skeleton)."""
    pts = np.zeros((_OUTLINE_POINTS, 2))
    for k in range(_OUTLINE_POINTS):
        t = 2 * math.pi * k / _OUTLINE_POINTS
        c, s = pm.cos(t), pm.sin(t)
        pts[k] = (math.copysign(pm.power(abs(c), _OUTLINE_POWER), c),
                  math.copysign(pm.power(abs(s), _OUTLINE_POWER), s))
    return pts


_UNIT_OUTLINE = _unit_outline()


def trunk_outline(length: float, depth: float) -> np.ndarray:
    """(a, b) points around the trunk: a superellipse of half-axes ``length``, ``depth`` whose
    belly tucks up towards the hind legs as a real trunk does."""
    a = _UNIT_OUTLINE[:, 0] * length
    b = _UNIT_OUTLINE[:, 1] * depth
    b = np.where(b < 0, b * (0.8 + 0.2 * (a + length) / (2 * length)), b)
    return np.stack([a, b], axis=1)


def _trunk(geo: dict[str, float], pose: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(origin, u, v) of the trunk plane after the tilt about its centre or the hips."""
    p = math.radians(pose["pitch"])
    c, s = pm.cos(p), pm.sin(p)
    u, v = np.array([c, s, 0.0]), np.array([-s, c, 0.0])
    pivot = np.array([-0.5, 0.0, 0.0]) if pose["pivot"] == "hip" else np.zeros(3)
    # A point a*e_x + b*e_y rotates about the pivot to pivot + R (point - pivot).
    origin = pivot - pivot[0] * u - pivot[1] * v
    return origin, u, v


def _legs(geo: dict[str, float], pose: dict, shoulder: np.ndarray,
          hip: np.ndarray) -> dict[str, np.ndarray]:
    """Each leg's chain of points from its trunk joint, at z = -+body_width."""
    legs = {}
    for side, z in (("left", -geo["body_width"]), ("right", geo["body_width"])):
        offset = np.array([0.0, 0.0, z])
        upper, lower = pose["legs"][f"{side}_front"]
        lf = geo["leg_front"]
        chain = [shoulder + offset]
        chain.append(chain[-1] + 0.5 * lf * _down(upper))
        chain.append(chain[-1] + 0.5 * lf * _down(lower))
        legs[f"{side}_front"] = np.array(chain)
        chain = [hip + offset]
        for frac, angle in zip(_HIND_SEGMENTS, pose["legs"][f"{side}_hind"]):
            chain.append(chain[-1] + frac * geo["leg_hind"] * _down(angle))
        legs[f"{side}_hind"] = np.array(chain)
    return legs


def _tail(root: np.ndarray, geo: dict[str, float], pose: dict) -> np.ndarray:
    """Points along the tail: it leaves the rump at ``tail_angle`` above the backward
    horizontal and bends upward by ``tail_curl`` over its length."""
    pts = [root]
    step = geo["tail_len"] / _TAIL_SEGMENTS
    for k in range(_TAIL_SEGMENTS):
        e = math.radians(pose["tail_angle"] + pose["tail_curl"] * (k + 0.5) / _TAIL_SEGMENTS)
        pts.append(pts[-1] + step * np.array([-pm.cos(e), pm.sin(e), 0.0]))
    return np.array(pts)


def pose_skeleton(geo: dict[str, float], pose: dict, ear_kind: str) -> Skeleton:
    """The 3D skeleton of an animal of geometry ``geo`` (``species.jitter_geometry``) in
    ``pose`` (``pose.sample_pose``) with ears of ``ear_kind``."""
    origin, u, v = _trunk(geo, pose)
    length, depth = geo["body_len"], geo["body_depth"]

    def trunk(a: float, b: float) -> np.ndarray:
        return origin + a * u + b * v
    shoulder, hip = trunk(0.5, 0.0), trunk(-0.5, 0.0)
    neck_base = trunk(0.5 + 0.45 * (length - 0.5), 0.55 * depth)
    tail_root = trunk(-0.92 * length, 0.55 * depth)
    e = math.radians(pose["neck_angle"])
    centre = neck_base + geo["neck_len"] * np.array([pm.cos(e), pm.sin(e), 0.0])
    head = pose_head(centre, geo, pose["head_pitch"], pose["head_yaw"], ear_kind)
    legs = _legs(geo, pose, shoulder, hip)

    joints = np.zeros((len(AP10K_KEYPOINTS), 3))
    joints[KP["left_eye"]], joints[KP["right_eye"]] = head.eyes
    joints[KP["nose"]] = head.nose
    joints[KP["neck"]] = neck_base
    joints[KP["root_of_tail"]] = tail_root
    for side in ("left", "right"):
        front, hind = legs[f"{side}_front"], legs[f"{side}_hind"]
        for part, point in (("shoulder", front[0]), ("elbow", front[1]), ("front_paw", front[2]),
                            ("hip", hind[0]), ("knee", hind[1]), ("back_paw", hind[3])):
            joints[KP[f"{side}_{part}"]] = point
    return Skeleton(joints, legs, origin, u, v, trunk_outline(length, depth), neck_base, head,
                    _tail(tail_root, geo, pose))
