"""Video frames for the 3D lifting benchmark's video path (``robustpose.lift.video``).

``render_person`` draws one person with the same painter as the still images, posed from given
COCO keypoints and a ``HeadPose``, over a ``video_style`` (background, clothes, light and camera
photometry fixed for a whole video).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from robustpose import portable as pm
from robustpose.data.keypoints import COCO_KEYPOINTS
from robustpose.data.synthetic.appearance import person_colours, torso_texture
from robustpose.data.synthetic.background import mean_colour, paint_background
from robustpose.data.synthetic.body import BODY, KP, sample_leg_order, sample_radii
from robustpose.data.synthetic.camera import photograph
from robustpose.data.synthetic.face import FACE, face_keypoints
from robustpose.data.synthetic.figure import draw_person
from robustpose.data.synthetic.painter import Layer, light_direction
from robustpose.data.synthetic.visibility import keypoint_flags


@dataclass(frozen=True)
class HeadPose:
    """A head in image pixels, as the painter draws it.

    ``centre`` and ``up`` (unit vector towards the crown) are image vectors (y down), ``rx`` /
    ``ry`` the half-width / half-height in pixels, ``yaw`` degrees: 0 faces the camera, positive
    turns the face towards the person's left, beyond +-90 the head is seen from behind.
    """
    centre: tuple[float, float]
    up: tuple[float, float]
    rx: float
    ry: float
    yaw: float

    @classmethod
    def from_nose_and_crown(cls, nose: np.ndarray, crown: np.ndarray, yaw: float) -> "HeadPose":
        """The head whose nose (``face_keypoints()[0]``) and crown (``centre + up * ry``) land
        exactly on the given image points, with the painter's proportions (``rx / ry`` of
        ``BODY``, the nose of ``FACE``).

        ``crown - nose = ry * (a * up + b * across)`` with ``a = 1 - nose height`` and ``b`` the
        nose's sideways shift at this yaw, so ``ry`` is the length ratio and ``up`` is the
        direction ``crown - nose`` rotated back by ``atan2(b, a)``.
        """
        nose_feature = FACE[KP["nose"]]
        aspect = BODY["head_rx"] / BODY["head_ry"]
        a, b = 1.0 - nose_feature.height, -aspect * nose_feature.radial * pm.sin(math.radians(yaw))
        d = np.asarray(crown, np.float64) - np.asarray(nose, np.float64)
        norm = pm.hypot(a, b)
        length = max(float(pm.hypot(*d)), 1e-6)
        ca, sb = a / norm, b / norm
        dx, dy = d / length
        up = np.array([ca * dx + sb * dy, -sb * dx + ca * dy])
        ry = length / norm
        centre = np.asarray(crown, np.float64) - up * ry
        return cls(centre=(float(centre[0]), float(centre[1])), up=(float(up[0]), float(up[1])),
                   rx=aspect * ry, ry=ry, yaw=float(yaw))

    def face_keypoints(self) -> tuple[np.ndarray, np.ndarray]:
        """COCO's five face keypoints (nose, eyes, ears) ``(5, 2)`` in image pixels, and the cosine
        of each feature's azimuth ``(5,)`` (how much it faces the camera; ``face.turned_away``)."""
        up = np.asarray(self.up, np.float64)
        across = np.array([-up[1], up[0]])            # towards image right for an upright head
        return face_keypoints(np.asarray(self.centre, np.float64), up, across, self.rx, self.ry, self.yaw)


def video_style(rng: np.random.Generator, height: int, width: int) -> dict:
    """What stays the same in every frame of one video: background, light, the person's clothes,
    build and leg drawing order, and the camera's photometry (a seed, re-used each frame).

    Returns:
        A dict for ``render_person``.
    """
    if height < 32 or width < 32:
        raise ValueError(f"video frames of {height}x{width} are too small; use at least 32x32 pixels")
    light = light_direction(rng)
    background = paint_background(rng, height, width)
    radii = sample_radii(rng)
    return {
        "background": background,
        "light": light,
        "colours": person_colours(rng, mean_colour(background)),
        "texture": torso_texture(rng),
        "radii": radii,
        "leg_order": sample_leg_order(rng),
        "camera_seed": int(rng.integers(0, 2**63 - 1)),
    }


def render_person(keypoints: np.ndarray, head: HeadPose, height_px: float,
                  style: dict) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """One video frame: the person of ``style`` posed at ``keypoints`` over its background.

    The same painter as ``render_scene`` (parts, shading, the left/right colour cue, camera
    photometry), but the pose comes from the caller instead of the pose prior, so a model trained
    on ``render_scene`` images can be run on frames of a given motion.

    Args:
        keypoints: ``(17, 2)`` COCO-order image pixels. The five face rows are not read: the face
            is drawn where ``head`` puts it (``head.face_keypoints()``), which the return value reports.
        head: the head's pose (``HeadPose.from_nose_and_crown``).
        height_px: the person's standing height in pixels (limb thickness scales with it).
        style: ``video_style(...)`` of this video.

    Returns:
        ``(image, keypoints, bbox)``: RGB uint8 ``(H, W, 3)``; the drawn keypoints ``(17, 3)``
        [x, y, v] (v as in ``render_scene``: 2 visible, 1 face feature turned away, 0 outside the
        image with x = y = 0); the silhouette box [x, y, w, h] (alpha >= 0.5; zeros when the
        person is entirely outside the image).

    Raises:
        ValueError: keypoints not ``(17, 2)`` or not finite, or ``height_px`` not positive.
    """
    joints = np.array(keypoints, dtype=np.float64)
    if joints.shape != (len(COCO_KEYPOINTS), 2) or not np.isfinite(joints[5:]).all():
        raise ValueError(f"keypoints must be finite (17, 2) COCO-order pixels, got shape {joints.shape}")
    if not height_px > 0:
        raise ValueError(f"height_px must be positive, got {height_px!r}")
    joints[:5], depth = head.face_keypoints()
    img = style["background"].copy()
    h, w = img.shape[1:]
    layer = Layer(h, w, style["light"])
    draw_person(layer, _posed_body(joints, depth, head, height_px, style), style["colours"],
                style["texture"], _pixels, float(height_px))
    layer.composite(img)
    silhouette = layer.silhouette()
    bbox = silhouette[0] if silhouette is not None else [0.0, 0.0, 0.0, 0.0]
    drawn = keypoint_flags(joints, depth, np.zeros((h, w), np.float32))
    out = photograph(np.random.Generator(np.random.PCG64(style["camera_seed"])), img)
    return out, drawn, bbox


def _pixels(points: np.ndarray) -> np.ndarray:
    """The video path's body is already in image pixels: ``draw_person``'s ``to_img`` is the identity."""
    return np.asarray(points, np.float64)


def _posed_body(joints: np.ndarray, depth: np.ndarray, head: HeadPose, height_px: float,
                style: dict) -> dict:
    """The body ``draw_person`` paints (as ``body.sample_body`` returns it), from image joints."""
    pelvis = (joints[KP["left_hip"]] + joints[KP["right_hip"]]) / 2
    neck = (joints[KP["left_shoulder"]] + joints[KP["right_shoulder"]]) / 2
    up_t = neck - pelvis
    # towards the person's left; seen exactly side-on the shoulders coincide, then any
    # perpendicular of the spine gives the torso its (thin) width
    across = (joints[KP["left_shoulder"]] - joints[KP["right_shoulder"]]
              + joints[KP["left_hip"]] - joints[KP["right_hip"]])
    if pm.hypot(*across) < 1e-3 * height_px:
        across = np.array([-up_t[1], up_t[0]])
    return {"joints": joints, "face_depth": depth, "neck": neck, "pelvis": pelvis,
            "head": np.asarray(head.centre, np.float64),
            "head_axes": (head.rx / height_px, head.ry / height_px),
            "up_head": np.asarray(head.up, np.float64), "up_torso": up_t, "across": across,
            "yaw": head.yaw, "radii": style["radii"], "leg_order": style["leg_order"]}
