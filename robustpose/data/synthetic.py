"""Deterministic synthetic people with COCO-17 keypoints: the project's embedded default dataset.

Each image holds ``min_people``..``max_people`` (default 1-3) articulated 2D figures drawn over
a textured background (gradient, low-frequency noise, stripes/tiles, rectangles and ellipses). A figure is a
kinematic tree (pelvis -> torso -> shoulders / neck -> head; hips -> thighs -> shins; shoulders ->
upper arms -> forearms) posed from a small joint-angle prior (``_POSE_PRIORS``), with per-person
bone lengths, limb thickness, clothes, skin and hair colours and a torso texture. Parts are shaded
capsules, polygons and ellipses drawn with ``cv2.LINE_AA`` at 1/16 px precision so keypoints sit
exactly at joint centres.

Why some choices:
  * The person's LEFT limbs are drawn lighter with a dark stripe along their axis and the RIGHT
    limbs darker and plain; without such a cue left and right are only separable by position,
    and crossed arms or legs would be unlearnable.
  * People face the camera; the head yaws, so an eye or ear turning away is hidden (v=1).
  * Smaller (farther) people are drawn first and later people cover earlier ones. A keypoint is occluded (v=1) when every pixel of its 3x3
    neighbourhood is covered (alpha > 0.5) by people drawn after it; one pixel of tolerance keeps
    joints on an occluder's anti-aliased edge visible.
  * Colours of clothes are re-drawn a few times until they differ from the background mean, so
    people rarely vanish into the background.
  * No sensor noise: clean images stay noise-free, so the noise corruptions are a real shift.

Coordinates follow OpenCV: the centre of pixel (col, row) is the point (x=col, y=row), so a
visible keypoint lies in [0, W-1] x [0, H-1]. ``bbox`` and ``area`` describe the person's whole
silhouette (alpha >= 0.5) clipped to the image, including parts hidden by people in front, so the
OKS scale of a person does not depend on occlusion.

Every random draw for image ``index`` comes from ``rng_for(seed, "synthetic", split, index)``:
the same seed gives byte-identical PNG and JSON files on a given machine.

Video frames (the 3D lifting benchmark's video path, ``robustpose.lift.video``): ``render_person``
draws one person with the same painter, posed from given COCO keypoints and a ``HeadPose``, over
a ``video_style`` (background, clothes, light and camera photometry fixed for a whole video).
"""
from __future__ import annotations

import colorsys
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Iterator

import cv2
import numpy as np
from tqdm import tqdm

from robustpose import portable as pm
from robustpose._io import write_json_atomic
from robustpose.data.images import write_image
from robustpose.data.keypoints import COCO_KEYPOINTS, coco_category
from robustpose.seeding import rng_for

_KP = {name: i for i, name in enumerate(COCO_KEYPOINTS)}
_SHIFT = 4                      # cv2 fractional bits: coordinates are drawn at 1/16 px
_SCALE = float(1 << _SHIFT)
_LIMB_SIDES = (("left", 1.0), ("right", -1.0))   # +1: the person's left is image right

# Bone lengths and radii as fractions of standing height (head top to sole), roughly adult
# proportions (head ~1/7.5 of height, legs ~1/2). Each person scales them by ~N(1, 0.05).
_BODY = {
    "torso": 0.29,          # pelvis centre -> shoulder centre
    "neck": 0.045,          # shoulder centre -> chin
    "head_ry": 0.066,       # head half-height
    "head_rx": 0.052,       # head half-width
    "shoulder_half": 0.105,  # shoulder centre -> shoulder joint
    "hip_half": 0.062,      # pelvis centre -> hip joint
    "upper_arm": 0.165,
    "forearm": 0.145,
    "thigh": 0.235,
    "shin": 0.235,
    "foot": 0.03,           # ankle -> sole, only counts towards standing height
}
# Limb radii at (proximal, distal) end, fractions of height; multiplied by a per-person build.
_RADII = {
    "upper_arm": (0.030, 0.024),
    "forearm": (0.023, 0.018),
    "thigh": (0.048, 0.035),
    "shin": (0.034, 0.024),
    "neck": 0.024,
    "hand": 0.022,
    "foot": 0.024,
}


@dataclass(frozen=True)
class _PosePrior:
    """Uniform ranges (degrees) for one kind of pose.

    Limb angles are measured from straight down, positive away from the body's midline; a joint
    bend is the distal segment's angle relative to the proximal one (positive = further outward).
    ``foreshorten`` is the projected/true length of thighs (sitting shows short thighs).
    ``stand_mix`` is the chance that a single limb is drawn from ``stand`` instead (e.g. one arm
    raised, the other down).
    """
    name: str
    weight: float
    arm: tuple[float, float]
    elbow: tuple[float, float]
    thigh: tuple[float, float]
    knee: tuple[float, float]
    foreshorten: tuple[float, float]
    lean_sd: float
    stand_mix: float = 0.0


_POSE_PRIORS: tuple[_PosePrior, ...] = (
    _PosePrior("stand", 0.30, arm=(4, 30), elbow=(-15, 25), thigh=(0, 12), knee=(-8, 8),
               foreshorten=(0.95, 1.0), lean_sd=4),
    _PosePrior("walk", 0.22, arm=(-12, 35), elbow=(-35, 45), thigh=(-12, 25), knee=(-25, 35),
               foreshorten=(0.75, 1.0), lean_sd=6),
    _PosePrior("arms_raised", 0.15, arm=(70, 175), elbow=(-70, 60), thigh=(0, 20), knee=(-10, 10),
               foreshorten=(0.9, 1.0), lean_sd=5, stand_mix=0.25),
    _PosePrior("sit", 0.13, arm=(-5, 35), elbow=(-110, 0), thigh=(5, 45), knee=(-45, 0),
               foreshorten=(0.25, 0.6), lean_sd=6),
    _PosePrior("action", 0.20, arm=(-35, 160), elbow=(-120, 90), thigh=(-15, 75), knee=(-100, 50),
               foreshorten=(0.7, 1.0), lean_sd=14, stand_mix=0.2),
)
_POSE_WEIGHTS = np.array([p.weight for p in _POSE_PRIORS]) / sum(p.weight for p in _POSE_PRIORS)
_STAND = _POSE_PRIORS[0]

# Head yaw visibility: a face feature at azimuth a (0 = facing the camera) is drawn and visible
# while cos(a) exceeds these thresholds; ears sit at +-90 deg and stay visible up to ~27 deg yaw.
_EYE_AZIMUTH = 32.0
_MIN_DEPTH = {"nose": 0.3, "eye": 0.15, "ear": -0.45}
# Face features on the head ellipse: (keypoint, azimuth offset from the head's yaw in degrees,
# height above the head centre as a fraction of the half-height ry, radial factor of rx).
_FACE = (("nose", 0.0, -0.12, 0.98), ("left_eye", _EYE_AZIMUTH, 0.18, 0.92),
         ("right_eye", -_EYE_AZIMUTH, 0.18, 0.92), ("left_ear", 90.0, 0.04, 1.0),
         ("right_ear", -90.0, 0.04, 1.0))


@dataclass(frozen=True)
class SyntheticConfig:
    """Image size, people per image and person size of the synthetic dataset.

    params.yaml's ``synthetic:`` section is the source of the image size and people counts (the
    prepare stage passes them); the defaults are its values, and tests/test_param_defaults.py
    fails when they drift apart. The person scales are not params: their defaults are the value.

    Raises:
        ValueError: a field out of range or of the wrong type; the message names the field.
    """
    image_height: int = 192
    image_width: int = 192
    min_people: int = 1
    max_people: int = 3
    min_person_scale: float = 0.35   # person height / image height
    max_person_scale: float = 0.95

    def __post_init__(self) -> None:
        for name in ("image_height", "image_width", "min_people", "max_people"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"SyntheticConfig.{name} must be an int, got {value!r}")
        for name in ("image_height", "image_width"):
            if getattr(self, name) < 32:
                raise ValueError(f"SyntheticConfig.{name}={getattr(self, name)} is too small; "
                                 "use at least 32 pixels")
        if self.min_people < 1:
            raise ValueError(f"SyntheticConfig.min_people={self.min_people}; must be >= 1")
        if self.max_people < self.min_people:
            raise ValueError(f"SyntheticConfig.max_people={self.max_people} is below "
                             f"min_people={self.min_people}; set max_people >= min_people")
        for name in ("min_person_scale", "max_person_scale"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"SyntheticConfig.{name} must be a number, got {value!r}")
            if not 0.05 <= value <= 2.0:
                raise ValueError(f"SyntheticConfig.{name}={value} is outside [0.05, 2.0] "
                                 "(person height / image height)")
        if self.max_person_scale < self.min_person_scale:
            raise ValueError(f"SyntheticConfig.max_person_scale={self.max_person_scale} is below "
                             f"min_person_scale={self.min_person_scale}")


# --------------------------------------------------------------------------------------------
# Colours


def _hsv(rng: np.random.Generator, hue: tuple[float, float], sat: tuple[float, float],
         val: tuple[float, float]) -> np.ndarray:
    """An RGB colour in [0, 255] (float64) from uniform HSV ranges; hue wraps around 1."""
    h = rng.uniform(*hue) % 1.0
    return np.array(colorsys.hsv_to_rgb(h, rng.uniform(*sat), rng.uniform(*val))) * 255.0


def _contrasting(rng: np.random.Generator, avoid: np.ndarray, sat: tuple[float, float],
                 val: tuple[float, float], min_dist: float = 80.0, tries: int = 6) -> np.ndarray:
    """A saturated colour at least ``min_dist`` (RGB Euclidean) from ``avoid`` when possible."""
    col = _hsv(rng, (0.0, 1.0), sat, val)
    for _ in range(tries):
        if np.linalg.norm(col - avoid) >= min_dist:
            break
        col = _hsv(rng, (0.0, 1.0), sat, val)
    return col


def _toward(col: np.ndarray, target: float, amount: float) -> np.ndarray:
    return col * (1.0 - amount) + target * amount


# --------------------------------------------------------------------------------------------
# Pose


def _unit(angle_deg: float, side: float) -> np.ndarray:
    """Direction ``angle_deg`` from straight down, away from the midline on ``side`` (y up)."""
    a = math.radians(angle_deg)
    return np.array([side * pm.sin(a), -pm.cos(a)])


def _rot(v: np.ndarray, angle_rad: float) -> np.ndarray:
    """Rotate 2-vector(s) counter-clockwise in y-up coordinates."""
    c, s = pm.cos(angle_rad), pm.sin(angle_rad)
    return pm.matmul(v, np.array([[c, s], [-s, c]]))


def _sample_body(rng: np.random.Generator) -> dict:
    """A posed body in local units: y up, pelvis at the origin, standing height 1.

    Returns a dict with ``joints`` (17, 2) in COCO order, ``face_depth`` (5,) cos of the face
    features' azimuths, and the geometry the painter needs (neck, head centre/axes/yaw, radii).
    """
    prior = _POSE_PRIORS[int(rng.choice(len(_POSE_PRIORS), p=_POSE_WEIGHTS))]
    bone = {k: v * float(np.clip(rng.normal(1.0, 0.05), 0.85, 1.15)) for k, v in _BODY.items()}
    height = (bone["torso"] + bone["neck"] + 2 * bone["head_ry"] + bone["thigh"] + bone["shin"]
              + bone["foot"])
    bone = {k: v / height for k, v in bone.items()}
    build = rng.uniform(0.8, 1.25)

    lean = math.radians(rng.normal(0.0, prior.lean_sd))
    up_t = np.array([pm.sin(lean), pm.cos(lean)])
    across = np.array([pm.cos(lean), -pm.sin(lean)])     # towards the person's left
    width = rng.uniform(0.7, 1.0)                            # torso turned slightly sideways
    neck = bone["torso"] * up_t
    j = np.zeros((17, 2))
    for name, side in _LIMB_SIDES:
        j[_KP[f"{name}_shoulder"]] = neck + side * bone["shoulder_half"] * width * across
        j[_KP[f"{name}_hip"]] = np.array([side * bone["hip_half"] * width, 0.0])

    def limb_angles(lo_range, hi_range):
        use = _STAND if rng.uniform() < prior.stand_mix else prior
        return (rng.uniform(*getattr(use, lo_range)), rng.uniform(*getattr(use, hi_range)))

    for name, side in _LIMB_SIDES:
        a1, a2 = limb_angles("arm", "elbow")
        # Arms swinging towards/away from the camera look shorter.
        fs = rng.uniform(0.65, 1.0, size=2) if rng.uniform() < 0.3 else np.ones(2)
        sh = j[_KP[f"{name}_shoulder"]]
        elbow = sh + bone["upper_arm"] * fs[0] * _rot(_unit(a1, side), -lean)
        j[_KP[f"{name}_elbow"]] = elbow
        forearm = bone["forearm"] * fs[1] * _rot(_unit(a1 + a2, side), -lean)
        j[_KP[f"{name}_wrist"]] = elbow + forearm

        g1, g2 = limb_angles("thigh", "knee")
        hip = j[_KP[f"{name}_hip"]]
        knee = hip + bone["thigh"] * rng.uniform(*prior.foreshorten) * _unit(g1, side)
        j[_KP[f"{name}_knee"]] = knee
        j[_KP[f"{name}_ankle"]] = knee + bone["shin"] * rng.uniform(0.9, 1.0) * _unit(g1 + g2, side)

    up_h = _rot(up_t, math.radians(rng.normal(0.0, 10.0)))
    u_h = np.array([up_h[1], -up_h[0]])
    rx, ry = bone["head_rx"] * rng.uniform(0.92, 1.08), bone["head_ry"]
    head = neck + up_h * (bone["neck"] + ry)
    yaw = float(np.clip(rng.normal(0.0, 22.0), -65.0, 65.0))
    depth = np.zeros(5)
    for k, (name, d_az, hgt, radial) in enumerate(_FACE):
        a = math.radians(yaw + d_az)
        j[_KP[name]] = head + u_h * rx * radial * pm.sin(a) + up_h * ry * hgt
        depth[k] = pm.cos(a)
    radii = {k: (np.array(v) * build if isinstance(v, tuple) else v * build)
             for k, v in _RADII.items()}
    # Legs are drawn in this order, so either may cross over the other.
    leg_order = _LIMB_SIDES if rng.uniform() < 0.5 else _LIMB_SIDES[::-1]
    return {"joints": j, "face_depth": depth, "neck": neck, "pelvis": np.zeros(2), "head": head,
            "head_axes": (rx, ry), "up_head": up_h, "up_torso": up_t, "across": across,
            "yaw": yaw, "radii": radii, "leg_order": leg_order}


# --------------------------------------------------------------------------------------------
# Painting: each part is rasterised as an anti-aliased coverage mask over its bounding box and
# composited "over" into the person's premultiplied colour P (3, H, W) and alpha A (H, W).
# Colour planes are channel-first while drawing: numpy broadcasting over a trailing axis of
# length 3 runs ~10x slower than over whole rows.


def _planes(colour: np.ndarray) -> np.ndarray:
    """RGB (3,) -> float32 (3, 1, 1), ready to broadcast over (3, h, w)."""
    return np.asarray(colour, np.float32).reshape(3, 1, 1)


class _Layer:
    def __init__(self, height: int, width: int, light: np.ndarray):
        self.h, self.w = height, width
        self.P = np.zeros((3, height, width), np.float32)
        self.A = np.zeros((height, width), np.float32)
        self.light = (float(light[0]), float(light[1]))   # unit vector, image coords
        self.extent = [width, height, 0, 0]                # union of painted boxes x0, y0, x1, y1

    def box(self, xlo: float, ylo: float, xhi: float, yhi: float):
        """Integer box [x0, x1) x [y0, y1) covering the given range (+2 px), clipped to the
        image; None when empty."""
        x0, y0 = max(math.floor(xlo) - 2, 0), max(math.floor(ylo) - 2, 0)
        x1, y1 = min(math.ceil(xhi) + 3, self.w), min(math.ceil(yhi) + 3, self.h)
        if x1 <= x0 or y1 <= y0:
            return None
        return x0, y0, x1, y1

    def paint(self, box, cov: np.ndarray, colour: np.ndarray) -> None:
        """Composite ``colour`` ((3, h, w) or (3, 1, 1)) with coverage ``cov`` (uint8, (h, w))."""
        x0, y0, x1, y1 = box
        a = cov.astype(np.float32)
        a *= np.float32(1.0 / 255.0)
        P, A = self.P[:, y0:y1, x0:x1], self.A[y0:y1, x0:x1]
        P += (colour - P) * a
        A += (1.0 - A) * a
        e = self.extent
        e[0], e[1], e[2], e[3] = min(e[0], x0), min(e[1], y0), max(e[2], x1), max(e[3], y1)


def _fx(points: np.ndarray, box) -> np.ndarray:
    """Points (N, 2) in image coords -> int32 fixed-point coords relative to the box corner."""
    return np.round((np.asarray(points) - (box[0], box[1])) * _SCALE).astype(np.int32)


def _pt(x: float, y: float, box) -> tuple[int, int]:
    """One image point -> fixed-point (int, int) relative to the box corner."""
    return math.floor((x - box[0]) * _SCALE + 0.5), math.floor((y - box[1]) * _SCALE + 0.5)


def _grid(box):
    x0, y0, x1, y1 = box
    return (np.arange(x0, x1, dtype=np.float32)[None, :],
            np.arange(y0, y1, dtype=np.float32)[:, None])


def _capsule(layer: _Layer, p: np.ndarray, q: np.ndarray, r1: float, r2: float,
             colour: np.ndarray, stripe: np.ndarray | None = None) -> None:
    """A tapered limb p->q with round ends, cylinder-shaded, optionally with an axial stripe."""
    px, py, qx, qy = float(p[0]), float(p[1]), float(q[0]), float(q[1])
    rmax = max(r1, r2)
    box = layer.box(min(px, qx) - rmax, min(py, qy) - rmax, max(px, qx) + rmax, max(py, qy) + rmax)
    if box is None:
        return
    length = pm.hypot(qx - px, qy - py)
    ux, uy = ((qx - px) / length, (qy - py) / length) if length > 1e-6 else (0.0, 1.0)
    nx, ny = -uy, ux
    cov = np.zeros((box[3] - box[1], box[2] - box[0]), np.uint8)
    poly = np.array([_pt(px + nx * r1, py + ny * r1, box), _pt(qx + nx * r2, qy + ny * r2, box),
                     _pt(qx - nx * r2, qy - ny * r2, box), _pt(px - nx * r1, py - ny * r1, box)],
                    np.int32)
    cv2.fillConvexPoly(cov, poly, 255, cv2.LINE_AA, _SHIFT)
    for cx, cy, r in ((px, py, r1), (qx, qy, r2)):
        cv2.circle(cov, _pt(cx, cy, box), max(round(r * _SCALE), 1), 255, -1, cv2.LINE_AA, _SHIFT)
    xs, ys = _grid(box)
    # Signed distance from the axis in limb radii, (h, w) float32.
    inv_r = 2.0 / (r1 + r2)
    perp = xs * (nx * inv_r) + (ys * (ny * inv_r) - (px * nx + py * ny) * inv_r)
    np.clip(perp, -1.0, 1.0, out=perp)
    light = nx * layer.light[0] + ny * layer.light[1]
    shade = perp * (0.25 * light - 0.3 * perp)
    shade += 1.0
    col = shade * _planes(colour)
    if stripe is not None:
        # Soft-edged stripe along the limb axis, about 40% of the limb's width.
        m = np.clip(2.26 - 8.0 * np.abs(perp), 0.0, 1.0)
        col += (_planes(stripe) - col) * m
    layer.paint(box, cov, col)


def _ellipse(layer: _Layer, centre: np.ndarray, axes: tuple[float, float], angle_deg: float,
             colour: np.ndarray, shading: float = 0.25) -> None:
    """A filled, radially shaded ellipse; ``axes`` are half-lengths in pixels."""
    r = max(axes)
    cx, cy = float(centre[0]), float(centre[1])
    box = layer.box(cx - r, cy - r, cx + r, cy + r)
    if box is None:
        return
    cov = np.zeros((box[3] - box[1], box[2] - box[0]), np.uint8)
    ax = (max(round(axes[0] * _SCALE), 1), max(round(axes[1] * _SCALE), 1))
    cv2.ellipse(cov, _pt(cx, cy, box), ax, angle_deg, 0, 360, 255, -1, cv2.LINE_AA, _SHIFT)
    if shading > 0:
        xs, ys = _grid(box)
        dx, dy = (xs - cx) / float(r), (ys - cy) / float(r)
        shade = 1.0 + shading * (dx * layer.light[0] + dy * layer.light[1] - dx * dx - dy * dy)
        col = shade * _planes(colour)
    else:
        col = _planes(colour)
    layer.paint(box, cov, col)


def _torso_texture(rng: np.random.Generator) -> dict:
    """Clothes pattern: kind and its parameters in body units (fractions of height)."""
    kind = ("plain", "hstripes", "vstripes", "checker", "blotch")[int(rng.integers(5))]
    return {"kind": kind, "period": rng.uniform(0.035, 0.09), "phase": rng.uniform(0, 2 * math.pi),
            "k": rng.normal(0.0, 40.0, size=(2, 2)), "ph2": rng.uniform(0, 2 * math.pi, size=2)}


def _torso(layer: _Layer, corners: np.ndarray, origin: np.ndarray, across: np.ndarray,
           up: np.ndarray, unit: float, colours: tuple[np.ndarray, np.ndarray], tex: dict) -> None:
    """Polygon torso with a pattern mixing two colours, laid out in the torso's own frame."""
    box = layer.box(*corners.min(0).tolist(), *corners.max(0).tolist())
    if box is None:
        return
    cov = np.zeros((box[3] - box[1], box[2] - box[0]), np.uint8)
    cv2.fillPoly(cov, [_fx(corners, box)], 255, cv2.LINE_AA, _SHIFT)
    xs, ys = _grid(box)
    rx, ry = (xs - float(origin[0])) / float(unit), (ys - float(origin[1])) / float(unit)
    across, up = across.tolist(), up.tolist()
    a = rx * across[0] + ry * across[1]            # across the body, body units
    b = rx * up[0] + ry * up[1]                    # along the spine
    w = 2 * math.pi / tex["period"]
    kind = tex["kind"]
    if kind == "plain":
        mix = np.zeros_like(a + b)
    elif kind == "hstripes":
        mix = pm.sin(b * w + tex["phase"])
    elif kind == "vstripes":
        mix = pm.sin(a * w + tex["phase"])
    elif kind == "checker":
        mix = pm.sin(a * w + tex["phase"]) * pm.sin(b * w)
    else:
        k = tex["k"]
        mix = 2.0 * (pm.sin(a * k[0, 0] + b * k[0, 1] + tex["ph2"][0])
                     * pm.sin(a * k[1, 0] + b * k[1, 1] + tex["ph2"][1]))
    mix = np.clip(mix * 3.0, -1.0, 1.0) * 0.5 + 0.5
    c1, c2 = (_planes(c) for c in colours)
    col = c1 + mix * (c2 - c1)
    centre = corners.mean(0).tolist()
    extent = max(float(np.ptp(corners[:, 0])), float(np.ptp(corners[:, 1])), 1.0)
    lx, ly = layer.light
    shade = 1.0 + (0.5 / extent) * ((xs - centre[0]) * lx + (ys - centre[1]) * ly)
    layer.paint(box, cov, col * shade)


def _person_colours(rng: np.random.Generator, bg_mean: np.ndarray) -> dict:
    skin = _hsv(rng, (0.02, 0.11), (0.25, 0.65), (0.35, 0.98))
    shirt = _contrasting(rng, bg_mean, (0.35, 1.0), (0.3, 1.0))
    pants = _contrasting(rng, bg_mean, (0.2, 1.0), (0.2, 0.9))
    return {
        "skin": skin,
        "shirt": shirt,
        "shirt2": _toward(shirt, 255.0 if shirt.mean() < 128 else 0.0, rng.uniform(0.35, 0.7)),
        "pants": pants,
        "hair": _hsv(rng, (0.0, 0.15), (0.2, 0.8), (0.05, 0.6)),
        "shoes": _hsv(rng, (0.0, 1.0), (0.0, 0.6), (0.05, 0.45)),
        "sleeves": ("skin", "short", "long")[int(rng.choice(3, p=[0.2, 0.4, 0.4]))],
        "shorts": rng.uniform() < 0.25,
        "bald": rng.uniform() < 0.15,
    }


def _draw_person(layer: _Layer, body: dict, colours: dict, tex: dict, to_img,
                 scale: float) -> np.ndarray:
    """Paint one posed body; returns its joints (17, 2) in image coordinates."""
    J = to_img(body["joints"])
    R = {k: v * scale for k, v in body["radii"].items()}

    def to_vec(v: np.ndarray) -> np.ndarray:     # a local direction, in image pixels
        return to_img(v[None])[0] - to_img(np.zeros((1, 2)))[0]

    across, up_t = to_vec(body["across"]), to_vec(body["up_torso"])
    up_h = to_vec(body["up_head"])

    def side_colour(col, side_name):
        # The left/right cue: left limbs lighter with a dark axial stripe, right limbs darker.
        if side_name == "left":
            return _toward(col, 255.0, 0.3), _toward(col, 0.0, 0.75)
        return _toward(col, 0.0, 0.2), None

    skin = colours["skin"]
    upper_arm = skin if colours["sleeves"] == "skin" else colours["shirt"]
    forearm = colours["shirt"] if colours["sleeves"] == "long" else skin
    shin = skin if colours["shorts"] else colours["pants"]

    # Legs first (behind the torso).
    order = body["leg_order"]
    for name, _ in order:
        hip, knee, ankle = (J[_KP[f"{name}_{p}"]] for p in ("hip", "knee", "ankle"))
        c_thigh, s_thigh = side_colour(colours["pants"], name)
        c_shin, s_shin = side_colour(shin, name)
        _capsule(layer, hip, knee, *R["thigh"], c_thigh, s_thigh)
        _capsule(layer, knee, ankle, *R["shin"], c_shin, s_shin)
        shin_len = max(float(pm.hypot(*(ankle - knee))), 1e-6)
        foot = ankle + (ankle - knee) / shin_len * R["foot"] * 0.8
        _ellipse(layer, foot, (R["foot"] * 1.5, R["foot"] * 0.9),
                 math.degrees(pm.atan2(across[1], across[0])),
                 side_colour(colours["shoes"], name)[0])

    # Torso: shoulders widened by the arm radius, hips by the thigh radius.
    ua, th = R["upper_arm"][0], R["thigh"][0]
    a_hat = across / max(float(pm.hypot(*across)), 1e-6)
    u_hat = up_t / max(float(pm.hypot(*up_t)), 1e-6)
    ls, rs, lh, rh = (J[_KP[k]] for k in
                      ("left_shoulder", "right_shoulder", "left_hip", "right_hip"))
    corners = np.array([ls + a_hat * ua * 0.6 + u_hat * ua * 0.9,
                        rs - a_hat * ua * 0.6 + u_hat * ua * 0.9,
                        rh - a_hat * th * 0.7 - u_hat * th * 0.3,
                        lh + a_hat * th * 0.7 - u_hat * th * 0.3])
    _torso(layer, corners, to_img(body["pelvis"][None])[0], a_hat, u_hat, scale,
           (colours["shirt"], colours["shirt2"]), tex)

    # Neck and head. Ears turned away are painted behind the head, ears facing us on top of it.
    neck, head = to_img(body["neck"][None])[0], to_img(body["head"][None])[0]
    _capsule(layer, neck, head, R["neck"], R["neck"], _toward(skin, 0.0, 0.1))
    rx, ry = (a * scale for a in body["head_axes"])
    angle = math.degrees(pm.atan2(up_h[1], up_h[0])) + 90.0     # first axis = head's width
    depth = body["face_depth"]
    ear_r = (max(rx * 0.24, 0.8), max(ry * 0.32, 1.0))
    ears = [(J[_KP[n]], d) for n, d in (("left_ear", depth[3]), ("right_ear", depth[4]))
            if d > _MIN_DEPTH["ear"]]
    for pos, d in ears:
        if d <= 0:
            _ellipse(layer, pos, ear_r, angle, _toward(skin, 0.0, 0.15), 0.1)
    hair = colours["hair"] if not colours["bald"] else skin
    _ellipse(layer, head, (rx, ry), angle, hair)
    yaw = math.radians(body["yaw"])
    if pm.cos(yaw) > 0:   # a head seen from behind (video frames only) shows hair, no face
        face_c = head + _face_offset(up_h, rx, ry, yaw)
        _ellipse(layer, face_c, (rx * 0.86 * (0.75 + 0.25 * pm.cos(yaw)), ry * 0.8), angle, skin)
    for pos, d in ears:
        if d > 0:
            _ellipse(layer, pos, ear_r, angle, _toward(skin, 0.0, 0.15), 0.1)
    eye_r = max(0.16 * rx, 0.75)
    for name, d in (("left_eye", depth[1]), ("right_eye", depth[2])):
        if d > _MIN_DEPTH["eye"]:
            _ellipse(layer, J[_KP[name]], (eye_r, eye_r), 0.0, np.array([20.0, 15.0, 25.0]), 0.0)
    if depth[0] > _MIN_DEPTH["nose"]:
        nose_col = np.array([200.0, 60.0, 50.0]) * 0.5 + skin * 0.3
        _ellipse(layer, J[_KP["nose"]], (eye_r * 1.2, eye_r * 1.2), 0.0, nose_col, 0.0)

    # Arms last: in front of the torso.
    for name, _ in order:
        sh, el, wr = (J[_KP[f"{name}_{p}"]] for p in ("shoulder", "elbow", "wrist"))
        c_up, s_up = side_colour(upper_arm, name)
        c_fo, s_fo = side_colour(forearm, name)
        _capsule(layer, sh, el, *R["upper_arm"], c_up, s_up)
        _capsule(layer, el, wr, *R["forearm"], c_fo, s_fo)
        hand = wr + (wr - el) / max(float(pm.hypot(*(wr - el))), 1e-6) * R["hand"] * 0.9
        _ellipse(layer, hand, (R["hand"], R["hand"]), 0.0, side_colour(skin, name)[0], 0.2)
    return J


def _face_offset(up_h: np.ndarray, rx: float, ry: float, yaw: float) -> np.ndarray:
    """Shift of the face patch inside the head: towards the yaw side and a little down."""
    u_h = np.array([-up_h[1], up_h[0]])
    u_h /= max(float(pm.hypot(*u_h)), 1e-6)
    v_h = up_h / max(float(pm.hypot(*up_h)), 1e-6)
    return u_h * rx * 0.3 * pm.sin(yaw) - v_h * ry * 0.15


# --------------------------------------------------------------------------------------------
# Background


def _paint_full(img: np.ndarray, cov: np.ndarray, colour: np.ndarray) -> None:
    """Composite a flat colour with coverage ``cov`` (uint8, image-sized) over its bounding box."""
    x, y, w, h = cv2.boundingRect(cov)
    if w == 0 or h == 0:
        return
    a = cov[y:y + h, x:x + w].astype(np.float32)
    a *= np.float32(1.0 / 255.0)
    region = img[:, y:y + h, x:x + w]
    region += (_planes(colour) - region) * a


def _box_points(centre: tuple[float, float], size: tuple[float, float], angle_deg: float) -> np.ndarray:
    """Corners (4, 2) of a rotated rectangle (what ``cv2.boxPoints`` returns, computed with the
    portable sin/cos)."""
    a = math.radians(angle_deg)
    c, s = pm.cos(a) * 0.5, pm.sin(a) * 0.5
    w, h = size
    dx = np.array([-s * h - c * w, s * h - c * w, s * h + c * w, -s * h + c * w])
    dy = np.array([c * h - s * w, -c * h - s * w, -c * h + s * w, c * h + s * w])
    return np.stack([centre[0] + dx, centre[1] + dy], axis=1)


def _background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Float32 channel-first (3, h, w) in [0, 255]: gradient + low-frequency noise + optional
    stripes or tiles + a few rectangles/ellipses. Background colours are less saturated than
    clothes on purpose."""
    xs = np.arange(w, dtype=np.float32)[None, :]
    ys = np.arange(h, dtype=np.float32)[:, None]
    c1 = _hsv(rng, (0.0, 1.0), (0.0, 0.55), (0.15, 0.9))
    c2 = _hsv(rng, (0.0, 1.0), (0.0, 0.55), (0.15, 0.9))
    ang = rng.uniform(0, 2 * math.pi)
    t = xs * pm.cos(ang) + ys * pm.sin(ang)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1.0)
    img = _planes(c1) + t * _planes(c2 - c1)

    # Low-frequency colour noise: cubic up to 1/4 size, then bilinear (full-size cubic is slow).
    gh, gw = int(rng.integers(3, 9)), int(rng.integers(3, 9))
    noise = rng.normal(0.0, rng.uniform(5.0, 30.0), size=(gh, gw, 3)).astype(np.float32)
    noise = pm.resize(noise, max(h // 4, gh), max(w // 4, gw), cubic=True)
    img += pm.resize(noise, h, w).astype(np.float32).transpose(2, 0, 1)

    if rng.uniform() < 0.45:
        period = rng.uniform(6.0, 40.0)
        ang = rng.uniform(0, math.pi)
        s = (xs * pm.cos(ang) + ys * pm.sin(ang)) * (2 * math.pi / period)
        pattern = pm.sin(s)
        if rng.uniform() < 0.5:   # tiles
            s2 = (-xs * pm.sin(ang) + ys * pm.cos(ang)) * (2 * math.pi / period)
            pattern = pattern * pm.sin(s2)
        m = (np.clip(pattern * 4.0, -1.0, 1.0) * 0.5 + 0.5) * rng.uniform(0.15, 0.5)
        img += (_planes(_hsv(rng, (0.0, 1.0), (0.0, 0.6), (0.1, 0.95))) - img) * m

    for _ in range(int(rng.integers(0, 6))):
        cov = np.zeros((h, w), np.uint8)
        centre = (rng.uniform(0, w), rng.uniform(0, h))
        size = (rng.uniform(0.05, 0.4) * w, rng.uniform(0.05, 0.4) * h)
        angle = rng.uniform(0, 180)
        if rng.uniform() < 0.5:
            box = _box_points(centre, size, angle)
            cv2.fillConvexPoly(cov, np.round(box * _SCALE).astype(np.int32), 255, cv2.LINE_AA,
                               _SHIFT)
        else:
            cv2.ellipse(cov, (int(centre[0] * _SCALE), int(centre[1] * _SCALE)),
                        (int(size[0] * _SCALE / 2), int(size[1] * _SCALE / 2)), angle, 0, 360, 255,
                        -1, cv2.LINE_AA, _SHIFT)
        _paint_full(img, cov, _hsv(rng, (0.0, 1.0), (0.0, 0.7), (0.1, 0.95)))
    return img


# --------------------------------------------------------------------------------------------
# Scenes


def _image_transform(origin: np.ndarray, scale: float, theta: float):
    """Local (y up, unit height) -> image (y down, pixels): flip y, rotate, scale, shift."""
    c, s = pm.cos(theta), pm.sin(theta)
    m = np.array([[c, s], [s, -c]]) * scale     # rows: x_local -> image, y_local -> image

    def to_img(pts: np.ndarray) -> np.ndarray:
        return origin + pm.matmul(np.asarray(pts), m)
    return to_img


def _body_rotation(rng: np.random.Generator) -> float:
    """Whole-body tilt in radians: mostly upright, one person in five tilted up to 45 deg."""
    if rng.uniform() < 0.8:
        return math.radians(rng.normal(0.0, 5.0))
    return math.radians(rng.uniform(-45.0, 45.0))


def _keypoint_flags(joints: np.ndarray, face_depth: np.ndarray, cover: np.ndarray) -> np.ndarray:
    """COCO (17, 3) [x, y, v] from image joints, self-hidden face features and the alpha of the
    people in front (``cover``, (H, W))."""
    h, w = cover.shape
    kps = np.zeros((17, 3))
    hidden = np.zeros(17, bool)
    for k, (name, kind) in enumerate((("nose", "nose"), ("left_eye", "eye"), ("right_eye", "eye"),
                                      ("left_ear", "ear"), ("right_ear", "ear"))):
        hidden[_KP[name]] = face_depth[k] <= _MIN_DEPTH[kind]
    for k, (x, y) in enumerate(joints):
        if not (0.0 <= x <= w - 1 and 0.0 <= y <= h - 1):
            continue                                   # v=0, x=y=0
        xi, yi = int(round(x)), int(round(y))
        occluded = cover[max(yi - 1, 0):yi + 2, max(xi - 1, 0):xi + 2].min() > 0.5
        kps[k] = (x, y, 1.0 if (occluded or hidden[k]) else 2.0)
    return kps


def render_scene(rng: np.random.Generator, cfg: SyntheticConfig) -> tuple[np.ndarray, list[dict]]:
    """Draw one image of ``cfg.min_people``..``cfg.max_people`` people on a textured background.

    Args:
        rng: the only source of randomness.
        cfg: image size, people count and person scale range.

    Returns:
        ``(image, people)``: RGB uint8 (H, W, 3) and, in drawing order (later people cover
        earlier ones), one dict per annotated person with ``keypoints`` float64 (17, 3)
        [x, y, v] in COCO order (v=2 visible, v=1 occluded or self-hidden, v=0 outside the
        image with x=y=0), ``bbox`` [x, y, w, h] tight box of the silhouette clipped to the
        image, and ``area`` its pixel count. People with no keypoint in the image are drawn but
        not returned.
    """
    if not isinstance(cfg, SyntheticConfig):
        raise TypeError(f"cfg must be a SyntheticConfig, got {type(cfg).__name__}")
    h, w = cfg.image_height, cfg.image_width
    ang = rng.uniform(0, 2 * math.pi)
    light = np.array([pm.cos(ang), pm.sin(ang)])
    img = _background(rng, h, w)
    bg_mean = img.reshape(3, -1).mean(axis=1, dtype=np.float64)

    n = int(rng.integers(cfg.min_people, cfg.max_people + 1))
    specs = []
    for _ in range(n):
        body = _sample_body(rng)
        scale = rng.uniform(cfg.min_person_scale, cfg.max_person_scale) * h
        theta = _body_rotation(rng)
        # Place the body's box so that at most a fifth of its width/height leaves the image.
        probe = _image_transform(np.zeros(2), scale, theta)(
            np.vstack([body["joints"], body["head"] + body["up_head"] * body["head_axes"][1]]))
        pad = 0.05 * scale
        lo, hi = probe.min(0) - pad, probe.max(0) + pad
        size = hi - lo
        centre = np.array([rng.uniform(min(0.3 * size[0], w / 2), max(w - 0.3 * size[0], w / 2)),
                           rng.uniform(min(0.3 * size[1], h / 2), max(h - 0.3 * size[1], h / 2))])
        origin = centre - (lo + hi) / 2
        specs.append((scale, body, _image_transform(origin, scale, theta),
                      _person_colours(rng, bg_mean), _torso_texture(rng)))
    # Smaller (farther) people are drawn first, so the nearest person is in front.
    specs.sort(key=lambda s: s[0])

    drawn = []
    for scale, body, to_img, colours, tex in specs:
        layer = _Layer(h, w, light)
        joints = _draw_person(layer, body, colours, tex, to_img, scale)
        x0, y0, x1, y1 = layer.extent
        if x1 > x0 and y1 > y0:                   # premultiplied "over", on the painted box only
            region = img[:, y0:y1, x0:x1]
            region *= 1.0 - layer.A[y0:y1, x0:x1]
            region += layer.P[:, y0:y1, x0:x1]
        drawn.append((joints, body["face_depth"], layer))

    people: list[dict] = []
    cover = np.zeros((h, w), np.float32)          # alpha of everyone drawn after this person
    for joints, face_depth, layer in reversed(drawn):
        kps = _keypoint_flags(joints, face_depth, cover)
        x0, y0, x1, y1 = layer.extent
        if x1 <= x0 or y1 <= y0:
            continue
        alpha = layer.A[y0:y1, x0:x1]
        cover[y0:y1, x0:x1] += alpha * (1.0 - cover[y0:y1, x0:x1])
        if not (kps[:, 2] > 0).any():
            continue                              # drawn (and occluding) but not annotated
        sil = alpha >= 0.5
        cols, rows = np.flatnonzero(sil.any(axis=0)), np.flatnonzero(sil.any(axis=1))
        if cols.size == 0:
            continue
        bbox = [float(x0 + cols[0]), float(y0 + rows[0]), float(cols[-1] - cols[0] + 1),
                float(rows[-1] - rows[0] + 1)]
        people.append({"keypoints": kps, "bbox": bbox, "area": float(np.count_nonzero(sil))})
    people.reverse()

    out = _camera(rng, img.transpose(1, 2, 0))
    return np.ascontiguousarray(out), people


def _camera(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """Photometric variation of a real camera: exposure, contrast, gamma, haze and lens softness.

    Real training photos vary in all of these, so a model trained on COCO is not destroyed by
    a mild change of contrast or by a slightly soft image; without this step a model trained on
    perfectly crisp, fully saturated renders collapses under fog/contrast/defocus long before
    motion and zoom blur, the opposite of what the papers observe on real data. The ranges are
    mild (well inside severity 1 of the ImageNet-C corruptions). No sensor noise on purpose:
    clean images stay noise-free so that the noise corruptions are a real shift, and PNG
    encoding of noisy pixels costs ~2x more time and space.

    Args:
        img: float (H, W, 3) in 0..255.
    Returns:
        uint8 (H, W, 3).
    """
    mean = img.mean(axis=(0, 1), keepdims=True)
    img = (img - mean) * rng.uniform(0.6, 1.1) + mean + rng.uniform(-25.0, 25.0)  # contrast, exposure
    if rng.random() < 0.3:                                                       # haze / veiling glare
        veil = rng.uniform(150.0, 235.0)
        img = img + (veil - img) * rng.uniform(0.1, 0.35)
    img = 255.0 * pm.power(np.clip(img, 0, 255) / 255.0, rng.uniform(0.8, 1.25))  # gamma
    if rng.random() < 0.4:                                                       # lens softness
        sigma = rng.uniform(0.3, 1.0)
        img = pm.gaussian_blur(img, sigma)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------------------------
# Video frames: one person posed from given keypoints (the 3D lifting benchmark's video path)


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
        ``_BODY``, the nose of ``_FACE``).

        ``crown - nose = ry * (a * up + b * across)`` with ``a = 1 - nose height`` and ``b`` the
        nose's sideways shift at this yaw, so ``ry`` is the length ratio and ``up`` is the
        direction ``crown - nose`` rotated back by ``atan2(b, a)``.
        """
        _, _, h_nose, r_nose = _FACE[0]
        aspect = _BODY["head_rx"] / _BODY["head_ry"]
        a, b = 1.0 - h_nose, -aspect * r_nose * pm.sin(math.radians(yaw))
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
        of each feature's azimuth ``(5,)`` (how much it faces the camera; <= ``_MIN_DEPTH``: hidden)."""
        up = np.asarray(self.up, np.float64)
        across = np.array([-up[1], up[0]])            # towards image right for an upright head
        centre = np.asarray(self.centre, np.float64)
        points, depth = np.zeros((5, 2)), np.zeros(5)
        for k, (_, d_az, hgt, radial) in enumerate(_FACE):
            a = math.radians(self.yaw + d_az)
            points[k] = centre + across * self.rx * radial * pm.sin(a) + up * self.ry * hgt
            depth[k] = pm.cos(a)
        return points, depth


def video_style(rng: np.random.Generator, height: int, width: int) -> dict:
    """What stays the same in every frame of one video: background, light, the person's clothes,
    build and leg drawing order, and the camera's photometry (a seed, re-used each frame).

    Returns:
        A dict for ``render_person``.
    """
    if height < 32 or width < 32:
        raise ValueError(f"video frames of {height}x{width} are too small; use at least 32x32 pixels")
    ang = rng.uniform(0, 2 * math.pi)
    background = _background(rng, height, width)
    build = rng.uniform(0.8, 1.25)
    return {
        "background": background,
        "light": np.array([pm.cos(ang), pm.sin(ang)]),
        "colours": _person_colours(rng, background.reshape(3, -1).mean(axis=1, dtype=np.float64)),
        "texture": _torso_texture(rng),
        "radii": {k: (np.array(v) * build if isinstance(v, tuple) else v * build) for k, v in _RADII.items()},
        "leg_order": _LIMB_SIDES if rng.uniform() < 0.5 else _LIMB_SIDES[::-1],
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
    pelvis = (joints[_KP["left_hip"]] + joints[_KP["right_hip"]]) / 2
    neck = (joints[_KP["left_shoulder"]] + joints[_KP["right_shoulder"]]) / 2
    up_t = neck - pelvis
    # towards the person's left; seen exactly side-on the shoulders coincide, then any
    # perpendicular of the spine gives the torso its (thin) width
    across = (joints[_KP["left_shoulder"]] - joints[_KP["right_shoulder"]]
              + joints[_KP["left_hip"]] - joints[_KP["right_hip"]])
    if pm.hypot(*across) < 1e-3 * height_px:
        across = np.array([-up_t[1], up_t[0]])
    body = {"joints": joints, "face_depth": depth, "neck": neck, "pelvis": pelvis,
            "head": np.asarray(head.centre, np.float64), "head_axes": (head.rx / height_px, head.ry / height_px),
            "up_head": np.asarray(head.up, np.float64), "up_torso": up_t, "across": across, "yaw": head.yaw,
            "radii": style["radii"], "leg_order": style["leg_order"]}
    img = style["background"].copy()
    h, w = img.shape[1:]
    layer = _Layer(h, w, style["light"])
    _draw_person(layer, body, style["colours"], style["texture"], lambda pts: np.asarray(pts, np.float64),
                 float(height_px))
    x0, y0, x1, y1 = layer.extent
    bbox = [0.0, 0.0, 0.0, 0.0]
    if x1 > x0 and y1 > y0:
        region = img[:, y0:y1, x0:x1]
        region *= 1.0 - layer.A[y0:y1, x0:x1]
        region += layer.P[:, y0:y1, x0:x1]
        sil = layer.A[y0:y1, x0:x1] >= 0.5
        cols, rows = np.flatnonzero(sil.any(axis=0)), np.flatnonzero(sil.any(axis=1))
        if cols.size:
            bbox = [float(x0 + cols[0]), float(y0 + rows[0]), float(cols[-1] - cols[0] + 1),
                    float(rows[-1] - rows[0] + 1)]
    drawn = _keypoint_flags(joints, depth, np.zeros((h, w), np.float32))
    out = _camera(np.random.Generator(np.random.PCG64(style["camera_seed"])), img.transpose(1, 2, 0))
    return np.ascontiguousarray(out), drawn, bbox


def synthesize_split(cfg: SyntheticConfig, seed: int, split: str,
                     n_images: int) -> Iterator[tuple[str, np.ndarray, list[dict]]]:
    """Yield ``(file_name, image, people)`` for index 0..n_images-1.

    Image ``index`` draws only from ``rng_for(seed, "synthetic", split, index)``, so any image
    can be regenerated alone and splits with different names never share images.
    ``file_name`` is ``f"{split}_{index:06d}.png"``.

    Raises:
        ValueError: negative ``n_images`` or an empty ``split``.
    """
    if isinstance(n_images, bool) or not isinstance(n_images, int) or n_images < 0:
        raise ValueError(f"n_images must be a non-negative int, got {n_images!r}")
    if not isinstance(split, str) or not split:
        raise ValueError(f"split must be a non-empty string such as 'train', got {split!r}")
    for index in range(n_images):
        image, people = render_scene(rng_for(seed, "synthetic", split, index), cfg)
        yield f"{split}_{index:06d}.png", image, people


def coco_annotations(cfg: SyntheticConfig,
                     items: Iterable[tuple[str, int, int, list[dict]]]) -> dict:
    """Build a COCO keypoint dict from ``(file_name, height, width, people)`` items.

    Image ids are 1..N in order, annotation ids 1..M; keypoints are a flat list of 51 numbers
    (x, y rounded to 2 decimals, v an int). The resolved config is stored under ``info``.

    Returns:
        ``{"info", "images", "annotations", "categories": [coco_category()]}``.
    """
    if not isinstance(cfg, SyntheticConfig):
        raise TypeError(f"cfg must be a SyntheticConfig, got {type(cfg).__name__}")
    images, annotations = [], []
    for image_id, (file_name, height, width, people) in enumerate(items, start=1):
        images.append({"id": image_id, "file_name": file_name, "height": int(height),
                       "width": int(width)})
        for person in people:
            kps = np.asarray(person["keypoints"], dtype=np.float64)
            if kps.shape != (len(COCO_KEYPOINTS), 3):
                raise ValueError(f"{file_name}: keypoints of shape {kps.shape}; expected (17, 3)")
            flat: list[float | int] = []
            for x, y, v in kps:
                flat += [round(float(x), 2), round(float(y), 2), int(v)]
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": 1,
                "keypoints": flat, "num_keypoints": int((kps[:, 2] > 0).sum()),
                "bbox": [round(float(b), 2) for b in person["bbox"]],
                "area": round(float(person["area"]), 2), "iscrowd": 0,
            })
    return {"info": {"description": "robustpose synthetic people", "config": asdict(cfg)},
            "images": images, "annotations": annotations, "categories": [coco_category()]}


def write_split(out_dir: str | Path, cfg: SyntheticConfig, seed: int, split: str,
                n_images: int) -> Path:
    """Generate a split and write ``out_dir/images/<file_name>`` (PNG) and
    ``out_dir/annotations.json``, each atomically; the annotations are written last.

    Returns:
        The path of ``annotations.json``.
    """
    out_dir = Path(out_dir)
    items = []
    for file_name, image, people in tqdm(synthesize_split(cfg, seed, split, n_images),
                                         total=n_images, desc=f"synthetic {split}", unit="img"):
        write_image(out_dir / "images" / file_name, image)
        items.append((file_name, image.shape[0], image.shape[1], people))
    ann_path = out_dir / "annotations.json"
    # Compact like COCO's own files: indented, one number per line, it is ~5x larger.
    write_json_atomic(ann_path, coco_annotations(cfg, items), indent=None)
    return ann_path
