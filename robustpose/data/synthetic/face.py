"""Where COCO's five face keypoints sit on the head ellipse, and how far a turned head hides them.

A head yaws; a face feature at azimuth a (0 = facing the camera) is drawn and visible while cos(a)
(its "depth") exceeds the feature's threshold: an eye or ear turning away is hidden (v=1).
"""
from __future__ import annotations

# Head yaw visibility: a face feature at azimuth a (0 = facing the camera) is drawn and visible
# while cos(a) exceeds these thresholds; ears sit at +-90 deg and stay visible up to ~27 deg yaw.
_EYE_AZIMUTH = 32.0
MIN_DEPTH = {"nose": 0.3, "eye": 0.15, "ear": -0.45}
# Face features on the head ellipse: (keypoint, azimuth offset from the head's yaw in degrees,
# height above the head centre as a fraction of the half-height ry, radial factor of rx).
FACE = (("nose", 0.0, -0.12, 0.98), ("left_eye", _EYE_AZIMUTH, 0.18, 0.92),
        ("right_eye", -_EYE_AZIMUTH, 0.18, 0.92), ("left_ear", 90.0, 0.04, 1.0),
        ("right_ear", -90.0, 0.04, 1.0))
