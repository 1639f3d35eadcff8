"""The body model: bone proportions, limb radii, the pose prior, and posed skeletons in local units.

A figure is a kinematic tree (pelvis -> torso -> shoulders / neck -> head; hips -> thighs -> shins;
shoulders -> upper arms -> forearms) posed from a small joint-angle prior (``_POSE_PRIORS``), with
per-person bone lengths and limb thickness. Local units: y up, pelvis at the origin, standing
height (head top to sole) 1.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from robustpose import portable as pm
from robustpose.data.keypoints import COCO_KEYPOINTS
from robustpose.data.synthetic.face import FACE, face_keypoints

KP = {name: i for i, name in enumerate(COCO_KEYPOINTS)}
LIMB_SIDES = (("left", 1.0), ("right", -1.0))   # +1: the person's left is image right

# Bone lengths and radii as fractions of standing height (head top to sole), roughly adult
# proportions (head ~1/7.5 of height, legs ~1/2). Each person scales them by ~N(1, 0.05).
BODY = {
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
RADII = {
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


def _unit(angle_deg: float, side: float) -> np.ndarray:
    """Direction ``angle_deg`` from straight down, away from the midline on ``side`` (y up)."""
    a = math.radians(angle_deg)
    return np.array([side * pm.sin(a), -pm.cos(a)])


def _rot(v: np.ndarray, angle_rad: float) -> np.ndarray:
    """Rotate 2-vector(s) counter-clockwise in y-up coordinates."""
    c, s = pm.cos(angle_rad), pm.sin(angle_rad)
    return pm.matmul(v, np.array([[c, s], [-s, c]]))


def sample_radii(rng: np.random.Generator) -> dict:
    """One person's limb radii (fractions of height): ``RADII`` times a build drawn from U(0.8, 1.25)."""
    build = rng.uniform(0.8, 1.25)
    return {k: (np.array(v) * build if isinstance(v, tuple) else v * build) for k, v in RADII.items()}


def sample_leg_order(rng: np.random.Generator) -> tuple[tuple[str, float], ...]:
    """The order legs (and arms) are painted in, so either leg may cross over the other."""
    return LIMB_SIDES if rng.uniform() < 0.5 else LIMB_SIDES[::-1]


def sample_body(rng: np.random.Generator) -> dict:
    """A posed body in local units: y up, pelvis at the origin, standing height 1.

    Returns a dict with ``joints`` (17, 2) in COCO order, ``face_depth`` (5,) cos of the face
    features' azimuths, and the geometry the painter needs (neck, head centre/axes/yaw, radii).
    """
    prior = _POSE_PRIORS[int(rng.choice(len(_POSE_PRIORS), p=_POSE_WEIGHTS))]
    bone = _bone_lengths(rng)
    radii = sample_radii(rng)

    lean = math.radians(rng.normal(0.0, prior.lean_sd))
    up_t = np.array([pm.sin(lean), pm.cos(lean)])
    across = np.array([pm.cos(lean), -pm.sin(lean)])     # towards the person's left
    width = rng.uniform(0.7, 1.0)                            # torso turned slightly sideways
    neck = bone["torso"] * up_t
    j = np.zeros((17, 2))
    for name, side in LIMB_SIDES:
        j[KP[f"{name}_shoulder"]] = neck + side * bone["shoulder_half"] * width * across
        j[KP[f"{name}_hip"]] = np.array([side * bone["hip_half"] * width, 0.0])
    for name, side in LIMB_SIDES:
        elbow, wrist = _arm(rng, prior, bone, j[KP[f"{name}_shoulder"]], side, lean)
        knee, ankle = _leg(rng, prior, bone, j[KP[f"{name}_hip"]], side)
        for part, point in (("elbow", elbow), ("wrist", wrist), ("knee", knee), ("ankle", ankle)):
            j[KP[f"{name}_{part}"]] = point

    up_h = _rot(up_t, math.radians(rng.normal(0.0, 10.0)))
    rx, ry = bone["head_rx"] * rng.uniform(0.92, 1.08), bone["head_ry"]
    head = neck + up_h * (bone["neck"] + ry)
    yaw = float(np.clip(rng.normal(0.0, 22.0), -65.0, 65.0))
    # across the head: towards the person's left, in these y-up units
    j[:len(FACE)], depth = face_keypoints(head, up_h, np.array([up_h[1], -up_h[0]]), rx, ry, yaw)
    return {"joints": j, "face_depth": depth, "neck": neck, "pelvis": np.zeros(2), "head": head,
            "head_axes": (rx, ry), "up_head": up_h, "up_torso": up_t, "across": across,
            "yaw": yaw, "radii": radii, "leg_order": sample_leg_order(rng)}


def _bone_lengths(rng: np.random.Generator) -> dict[str, float]:
    """``BODY`` with every length scaled by N(1, 0.05) (clipped to 0.85-1.15), renormalised so
    the standing height is 1 again."""
    bone = {k: v * float(np.clip(rng.normal(1.0, 0.05), 0.85, 1.15)) for k, v in BODY.items()}
    height = (bone["torso"] + bone["neck"] + 2 * bone["head_ry"] + bone["thigh"] + bone["shin"]
              + bone["foot"])
    return {k: v / height for k, v in bone.items()}


def _limb_angles(rng: np.random.Generator, prior: _PosePrior, proximal: str,
                 distal: str) -> tuple[float, float]:
    """A limb's two angles from ``prior``, or from the standing prior with ``prior.stand_mix``."""
    use = _STAND if rng.uniform() < prior.stand_mix else prior
    return rng.uniform(*getattr(use, proximal)), rng.uniform(*getattr(use, distal))


def _arm(rng: np.random.Generator, prior: _PosePrior, bone: dict[str, float], shoulder: np.ndarray,
         side: float, lean: float) -> tuple[np.ndarray, np.ndarray]:
    """Elbow and wrist of one arm hanging from ``shoulder``; arm angles follow the torso's lean."""
    a1, a2 = _limb_angles(rng, prior, "arm", "elbow")
    # Arms swinging towards/away from the camera look shorter.
    fs = rng.uniform(0.65, 1.0, size=2) if rng.uniform() < 0.3 else np.ones(2)
    elbow = shoulder + bone["upper_arm"] * fs[0] * _rot(_unit(a1, side), -lean)
    forearm = bone["forearm"] * fs[1] * _rot(_unit(a1 + a2, side), -lean)
    return elbow, elbow + forearm


def _leg(rng: np.random.Generator, prior: _PosePrior, bone: dict[str, float], hip: np.ndarray,
         side: float) -> tuple[np.ndarray, np.ndarray]:
    """Knee and ankle of one leg; leg angles are measured from the vertical, not the torso."""
    g1, g2 = _limb_angles(rng, prior, "thigh", "knee")
    knee = hip + bone["thigh"] * rng.uniform(*prior.foreshorten) * _unit(g1, side)
    return knee, knee + bone["shin"] * rng.uniform(0.9, 1.0) * _unit(g1 + g2, side)
