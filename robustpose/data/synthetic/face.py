"""Where COCO's five face keypoints sit on the head ellipse, and how far a turned head hides them.

People face the camera and the head yaws: a face feature at azimuth a (0 = facing the camera) is
drawn and visible while cos(a), its "depth", exceeds the feature's ``min_depth``, so an eye or an
ear turning away is hidden (v=1). The still images (``body.sample_body``, y-up body units) and
the video frames (``frames.HeadPose``, image pixels) place the features with the same function.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from robustpose import portable as pm


class FaceFeature(NamedTuple):
    """One face keypoint on the head ellipse.

    ``azimuth``: degrees from the head's yaw direction (the nose is 0); ``height``: above the head
    centre, a fraction of the half-height ry; ``radial``: distance from the head's axis, a
    fraction of the half-width rx; ``min_depth``: the feature is drawn and visible while
    cos(yaw + azimuth) exceeds it.
    """
    name: str
    azimuth: float
    height: float
    radial: float
    min_depth: float


_EYE_AZIMUTH = 32.0
# COCO keypoints 0-4, in COCO order. Ears sit at +-90 deg and stay visible up to ~27 deg yaw away.
FACE = (FaceFeature("nose", 0.0, -0.12, 0.98, 0.3),
        FaceFeature("left_eye", _EYE_AZIMUTH, 0.18, 0.92, 0.15),
        FaceFeature("right_eye", -_EYE_AZIMUTH, 0.18, 0.92, 0.15),
        FaceFeature("left_ear", 90.0, 0.04, 1.0, -0.45),
        FaceFeature("right_ear", -90.0, 0.04, 1.0, -0.45))


def face_keypoints(centre: np.ndarray, up: np.ndarray, across: np.ndarray, rx: float, ry: float,
                   yaw: float) -> tuple[np.ndarray, np.ndarray]:
    """The face keypoints of a head ellipse and how much each faces the camera.

    Args:
        centre: the head's centre (2,).
        up: unit vector towards the crown (2,).
        across: unit vector along the head's width, the side a positive yaw turns the face to;
            the caller picks it because body units are y up and image pixels y down.
        rx, ry: half-width and half-height, in the units of ``centre``.
        yaw: degrees, 0 faces the camera.

    Returns:
        ``(points, depth)``: ``(5, 2)`` in COCO order (nose, eyes, ears) and ``(5,)`` the cosine of
        each feature's azimuth.
    """
    points, depth = np.zeros((len(FACE), 2)), np.zeros(len(FACE))
    for k, feature in enumerate(FACE):
        a = math.radians(yaw + feature.azimuth)
        points[k] = centre + across * rx * feature.radial * pm.sin(a) + up * ry * feature.height
        depth[k] = pm.cos(a)
    return points, depth


def turned_away(depth: np.ndarray) -> np.ndarray:
    """Bool ``(5,)``: the face features a head with these depths hides (not drawn, flagged v=1)."""
    return np.array([d <= feature.min_depth for d, feature in zip(depth, FACE)])
