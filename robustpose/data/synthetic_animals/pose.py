"""The pose prior: joint angles of standing, walking, sitting, lying and grazing quadrupeds.

Leg angles are degrees from straight down, positive towards the head, measured in the world
(not the trunk), so a sitting animal's front legs stay vertical while its trunk tilts up. A front
leg has two segments (shoulder -> elbow -> paw); a hind leg three (hip -> knee -> hock -> paw),
because a hind leg's hock bends the other way than its knee and a two-segment hind leg does not
look like one. The head turns (``head_yaw``) about the vertical: 0 looks along the body,
positive towards the animal's right.
"""
from __future__ import annotations

import math

import numpy as np

from robustpose import portable as pm

POSES = ("stand", "walk", "sit", "lie", "graze")
_POSE_WEIGHTS = {"stand": 0.3, "walk": 0.35, "sit": 0.15, "lie": 0.15, "graze": 0.15}
SIDES = ("left", "right")
# Phase offsets (fractions of a stride) of a lateral-sequence walk and of a trot.
_GAITS = ({"left_hind": 0.0, "left_front": 0.25, "right_hind": 0.5, "right_front": 0.75},
          {"left_hind": 0.0, "right_front": 0.0, "right_hind": 0.5, "left_front": 0.5})


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _standing_legs(rng: np.random.Generator) -> dict[str, tuple[float, ...]]:
    """Near-vertical front legs; hind legs with the knee forward and the hock back."""
    legs: dict[str, tuple[float, ...]] = {}
    for side in SIDES:
        upper = _u(rng, -8, 10)
        legs[f"{side}_front"] = (upper, upper + _u(rng, -6, 6))
        legs[f"{side}_hind"] = (_u(rng, 15, 35), _u(rng, -45, -25), _u(rng, -5, 12))
    return legs


def _walking_legs(rng: np.random.Generator) -> dict[str, tuple[float, ...]]:
    """One instant of a walk or trot: each leg swings by the sine of its phase and folds
    (carpus, hock) while it moves forward through the air."""
    offsets = _GAITS[int(rng.integers(len(_GAITS)))]
    phase0 = _u(rng, 0.0, 1.0)
    swing, fold_f, fold_h = _u(rng, 15, 28), _u(rng, 40, 80), _u(rng, 30, 60)
    legs: dict[str, tuple[float, ...]] = {}
    for leg, offset in offsets.items():
        theta = 2 * math.pi * (phase0 + offset)
        s, lift = pm.sin(theta), max(0.0, pm.cos(theta))
        if leg.endswith("front"):
            upper = 3 + swing * s
            legs[leg] = (upper, upper - fold_f * lift)
        else:
            legs[leg] = (25 + swing * s, -35 - 0.5 * fold_h * lift, 5 - 0.6 * fold_h * lift)
    return legs


def _sitting_legs(rng: np.random.Generator) -> dict[str, tuple[float, ...]]:
    """Front legs straight down; hind legs folded: thigh forward, shank back down to the hock
    on the ground, foot forward along the ground."""
    legs: dict[str, tuple[float, ...]] = {}
    for side in SIDES:
        upper = _u(rng, -10, 8)
        legs[f"{side}_front"] = (upper, upper + _u(rng, -5, 5))
        legs[f"{side}_hind"] = (_u(rng, 75, 100), _u(rng, -70, -50), _u(rng, 85, 100))
    return legs


def _lying_legs(rng: np.random.Generator) -> dict[str, tuple[float, ...]]:
    """Sphinx-like: elbows under the chest, forearms forward along the ground, hind legs
    folded beside the trunk."""
    legs: dict[str, tuple[float, ...]] = {}
    for side in SIDES:
        legs[f"{side}_front"] = (_u(rng, -75, -50), _u(rng, 80, 95))
        legs[f"{side}_hind"] = (_u(rng, 65, 95), _u(rng, -100, -75), _u(rng, 60, 95))
    return legs


def _head_yaw(rng: np.random.Generator) -> float:
    """Half the heads look along the body (+-12 deg); the others turn 25-85 deg to either
    side, towards the camera or away from it."""
    if rng.uniform() < 0.5:
        return float(np.clip(rng.normal(0.0, 12.0), -24.0, 24.0))
    return _u(rng, 25, 85) * (1.0 if rng.uniform() < 0.5 else -1.0)


def sample_pose(rng: np.random.Generator, kinds: tuple[str, ...], geo: dict[str, float]) -> dict:
    """A pose of one of ``kinds`` (weighted by ``_POSE_WEIGHTS``) for an animal of geometry
    ``geo`` (``species.jitter_geometry``).

    Returns a dict: ``kind``; ``pitch`` (degrees the trunk tilts nose-up) about ``pivot``
    ("centre" or "hip"); ``legs`` {"left_front": (upper, lower), "left_hind": (thigh, shank,
    foot), ...} in degrees from straight down; ``neck_angle``, ``head_pitch``, ``head_yaw``,
    ``tail_angle``, ``tail_curl`` in degrees.
    """
    weights = np.array([_POSE_WEIGHTS[k] for k in kinds])
    kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
    pose = {"kind": kind, "pitch": float(rng.normal(0.0, 2.0)), "pivot": "centre",
            "neck_angle": geo["neck_angle"], "head_pitch": geo["head_pitch"],
            "tail_angle": geo["tail_angle"] + _u(rng, -15, 15),
            "tail_curl": geo["tail_curl"] + _u(rng, -15, 15)}
    if kind == "stand":
        pose["legs"] = _standing_legs(rng)
    elif kind == "walk":
        pose["legs"] = _walking_legs(rng)
    elif kind == "graze":
        pose["legs"] = _standing_legs(rng)
        pose["neck_angle"] = _u(rng, -60, -35)
        pose["head_pitch"] = _u(rng, -85, -65)
    elif kind == "sit":
        pose.update(legs=_sitting_legs(rng), pitch=_u(rng, 30, 50), pivot="hip",
                    neck_angle=geo["neck_angle"] + _u(rng, 5, 20),
                    tail_angle=_u(rng, -20, 5), tail_curl=_u(rng, -10, 30))
    else:  # lie
        pose.update(legs=_lying_legs(rng), pitch=_u(rng, -4, 6),
                    neck_angle=geo["neck_angle"] + _u(rng, -10, 5),
                    tail_angle=_u(rng, -30, 0), tail_curl=_u(rng, -10, 20))
    pose["head_yaw"] = _head_yaw(rng)
    return pose
