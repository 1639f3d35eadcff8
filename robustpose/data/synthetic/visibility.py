"""COCO visibility flags: outside the image, occluded by people in front, or a face feature turned away."""
from __future__ import annotations

import numpy as np

from robustpose.data.synthetic.face import FACE, turned_away


def keypoint_flags(joints: np.ndarray, face_depth: np.ndarray, cover: np.ndarray) -> np.ndarray:
    """COCO (17, 3) [x, y, v] from image joints, self-hidden face features and the alpha of the
    people in front (``cover``, (H, W)).

    v=0 with x=y=0 outside [0, W-1] x [0, H-1]; v=1 when the 3x3 neighbourhood is covered
    (alpha > 0.5) everywhere, so a joint on an occluder's anti-aliased edge stays visible, or
    when the face feature is turned away; v=2 otherwise.
    """
    h, w = cover.shape
    kps = np.zeros((17, 3))
    hidden = np.zeros(17, bool)
    hidden[:len(FACE)] = turned_away(face_depth)     # the face features are COCO keypoints 0-4
    for k, (x, y) in enumerate(joints):
        if not (0.0 <= x <= w - 1 and 0.0 <= y <= h - 1):
            continue                                   # v=0, x=y=0
        xi, yi = int(round(x)), int(round(y))
        occluded = cover[max(yi - 1, 0):yi + 2, max(xi - 1, 0):xi + 2].min() > 0.5
        kps[k] = (x, y, 1.0 if (occluded or hidden[k]) else 2.0)
    return kps
