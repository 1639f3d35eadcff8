"""How a person looks: skin, hair and clothes colours, sleeve and trouser lengths, the torso's pattern.

Colours of clothes are re-drawn a few times until they differ from the background mean, so people
rarely vanish into the background.
"""
from __future__ import annotations

import colorsys
import math

import numpy as np


def hsv(rng: np.random.Generator, hue: tuple[float, float], sat: tuple[float, float],
        val: tuple[float, float]) -> np.ndarray:
    """An RGB colour in [0, 255] (float64) from uniform HSV ranges; hue wraps around 1."""
    h = rng.uniform(*hue) % 1.0
    return np.array(colorsys.hsv_to_rgb(h, rng.uniform(*sat), rng.uniform(*val))) * 255.0


def _contrasting(rng: np.random.Generator, avoid: np.ndarray, sat: tuple[float, float],
                 val: tuple[float, float], min_dist: float = 80.0, tries: int = 6) -> np.ndarray:
    """A saturated colour at least ``min_dist`` (RGB Euclidean) from ``avoid`` when possible."""
    col = hsv(rng, (0.0, 1.0), sat, val)
    for _ in range(tries):
        if np.linalg.norm(col - avoid) >= min_dist:
            break
        col = hsv(rng, (0.0, 1.0), sat, val)
    return col


def toward(col: np.ndarray, target: float, amount: float) -> np.ndarray:
    """``col`` moved ``amount`` of the way to the grey level ``target`` (0 darkens, 255 lightens)."""
    return col * (1.0 - amount) + target * amount


def torso_texture(rng: np.random.Generator) -> dict:
    """Clothes pattern: kind and its parameters in body units (fractions of height)."""
    kind = ("plain", "hstripes", "vstripes", "checker", "blotch")[int(rng.integers(5))]
    return {"kind": kind, "period": rng.uniform(0.035, 0.09), "phase": rng.uniform(0, 2 * math.pi),
            "k": rng.normal(0.0, 40.0, size=(2, 2)), "ph2": rng.uniform(0, 2 * math.pi, size=2)}


def person_colours(rng: np.random.Generator, bg_mean: np.ndarray) -> dict:
    """Skin, hair, shoes, shirt (two colours for its pattern) and trousers, sleeve length, shorts,
    baldness; shirt and trousers keep away from the background's mean colour ``bg_mean``."""
    skin = hsv(rng, (0.02, 0.11), (0.25, 0.65), (0.35, 0.98))
    shirt = _contrasting(rng, bg_mean, (0.35, 1.0), (0.3, 1.0))
    pants = _contrasting(rng, bg_mean, (0.2, 1.0), (0.2, 0.9))
    return {
        "skin": skin,
        "shirt": shirt,
        "shirt2": toward(shirt, 255.0 if shirt.mean() < 128 else 0.0, rng.uniform(0.35, 0.7)),
        "pants": pants,
        "hair": hsv(rng, (0.0, 0.15), (0.2, 0.8), (0.05, 0.6)),
        "shoes": hsv(rng, (0.0, 1.0), (0.0, 0.6), (0.05, 0.45)),
        "sleeves": ("skin", "short", "long")[int(rng.choice(3, p=[0.2, 0.4, 0.4]))],
        "shorts": rng.uniform() < 0.25,
        "bald": rng.uniform() < 0.15,
    }
