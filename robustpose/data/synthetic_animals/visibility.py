"""AP-10K visibility flags of one animal: outside the image (v=0, x=y=0), occluded by animals in
front or self-hidden by a turned head (v=1), visible (v=2).

The occlusion test is the people generator's (``synthetic.visibility.keypoint_flags``: a joint is
occluded when its whole 3x3 neighbourhood is covered by alpha > 0.5); only the self-hidden
features differ: AP-10K's eyes and nose (keypoints 0-2) instead of COCO's face.
"""
from __future__ import annotations

import numpy as np

from robustpose.data.keypoints import AP10K_KEYPOINTS
from robustpose.data.synthetic.face import FACE
from robustpose.data.synthetic.visibility import keypoint_flags

_FACING = np.ones(len(FACE))      # every COCO face feature "faces the camera": none self-hidden


def animal_flags(joints: np.ndarray, hidden: np.ndarray, cover: np.ndarray) -> np.ndarray:
    """(17, 3) [x, y, v] from image ``joints`` (17, 2), the self-hidden mask ``hidden`` (17,)
    and ``cover`` (H, W), the alpha of the animals drawn in front."""
    if joints.shape != (len(AP10K_KEYPOINTS), 2) or hidden.shape != (len(AP10K_KEYPOINTS),):
        raise ValueError(f"expected joints (17, 2) and hidden (17,), got {joints.shape} and "
                         f"{hidden.shape}")
    kps = keypoint_flags(joints, _FACING, cover)
    kps[hidden & (kps[:, 2] == 2), 2] = 1.0
    return kps
