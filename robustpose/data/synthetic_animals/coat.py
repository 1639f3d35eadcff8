"""Fur: an animal's colours, and its trunk painted with a pattern (stripes, spots, rosettes,
giraffe patches, blotches), a lighter belly and a fine fur grain.

Patterns live in the trunk's own plane (``a`` along the spine, ``b`` up, animal units), so they
move and foreshorten with the animal. Spots, rosettes, patches and blotches are one jittered
centre per cell of a square grid; a pixel looks at the 3 x 3 cells around its own (nine passes
whatever the spot count; with centres jittered by at most 0.35 of a cell, a centre farther out
is almost never the nearest, and when it is the pattern is only slightly different). The fur
grain (a few percent of brightness at ~2.5 px period) is what blur and noise corruptions
destroy first, as they destroy real fur texture.
"""
from __future__ import annotations

import math

import numpy as np

from robustpose import portable as pm
from robustpose.data.synthetic.appearance import hsv, toward
from robustpose.data.synthetic.painter import Layer, planes, polygon_coverage
from robustpose.data.synthetic_animals.species import Coat, Species

PATTERNS = ("plain", "stripes", "spots", "rosettes", "patches", "blotches")
# Grid spacing (animal units) and spot radius range (fractions of it) per spotted pattern.
_SPACING = {"spots": (0.09, 0.14), "rosettes": (0.11, 0.15), "patches": (0.15, 0.21),
            "blotches": (0.35, 0.5)}
_RADIUS = {"spots": (0.18, 0.3), "rosettes": (0.28, 0.36), "patches": (0.0, 0.0),
           "blotches": (0.25, 0.5)}
_MIN_CONTRAST = 60.0     # RGB distance a coat keeps from the background's mean colour


def animal_colours(rng: np.random.Generator, species: Species, coat: Coat,
                   bg_mean: np.ndarray) -> dict[str, np.ndarray]:
    """Base and mark colours of ``coat``, the belly and muzzle shades, hooves, nose and eyes.
    A base colour too close to the background's mean moves towards black or white."""
    base = hsv(rng, *coat.base)
    if pm.norm(base - bg_mean) < _MIN_CONTRAST:
        base = toward(base, 255.0 if float(np.add.reduce(bg_mean)) < 384.0 else 0.0, 0.45)
    mark = hsv(rng, *coat.mark) if coat.mark is not None else toward(base, 0.0,
                                                                       rng.uniform(0.55, 0.8))
    return {"base": base, "mark": mark, "belly": toward(base, 255.0, species.belly),
            "muzzle": toward(base, 255.0, species.muzzle), "hoof": toward(base, 0.0, 0.75),
            "nose": toward(base, 0.0, 0.8), "eye": np.array([20.0, 15.0, 25.0])}


def sample_marks(rng: np.random.Generator, coat: Coat, length: float, depth: float) -> dict:
    """The pattern's parameters for a trunk of half-axes ``length`` x ``depth``."""
    marks: dict = {"pattern": coat.pattern}
    if coat.pattern == "stripes":
        marks.update(period=rng.uniform(0.08, 0.15), angle=math.radians(rng.normal(0.0, 10.0)),
                     wobble=rng.uniform(0.5, 2.0), wobble_k=rng.uniform(8.0, 20.0),
                     phase=rng.uniform(0, 2 * math.pi), phase2=rng.uniform(0, 2 * math.pi),
                     threshold=rng.uniform(-0.1, 0.5))
    elif coat.pattern in _SPACING:
        sp = rng.uniform(*_SPACING[coat.pattern])
        lo = (math.floor(-length / sp) - 2, math.floor(-depth / sp) - 2)
        shape = (math.ceil(length / sp) + 3 - lo[0], math.ceil(depth / sp) + 3 - lo[1])
        radius = rng.uniform(*_RADIUS[coat.pattern], size=shape) * sp
        if coat.pattern == "blotches":
            radius *= rng.uniform(size=shape) < 0.55          # about half the cells hold one
        marks.update(spacing=sp, lo=lo, jitter=rng.uniform(-0.35, 0.35, size=shape + (2,)),
                     radius=radius, wobble_phase=rng.uniform(0, 2 * math.pi, size=2))
    return marks


def _nearest_two(marks: dict, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
    """Distances to the nearest and second-nearest cell centres, and the nearest one's
    radius, for every pixel (arrays shaped like ``a``)."""
    sp, (i0, j0) = marks["spacing"], marks["lo"]
    jit, rad = marks["jitter"], marks["radius"]
    ni, nj = rad.shape
    ci, cj = np.floor(a / sp).astype(np.int64), np.floor(b / sp).astype(np.int64)
    d1 = np.full(a.shape, np.inf)
    d2, r1 = d1.copy(), np.zeros(a.shape)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            ii = np.clip(ci + di - i0, 0, ni - 1)
            jj = np.clip(cj + dj - j0, 0, nj - 1)
            ca = (ii + i0 + 0.5 + jit[ii, jj, 0]) * sp
            cb = (jj + j0 + 0.5 + jit[ii, jj, 1]) * sp
            d = np.sqrt((a - ca) * (a - ca) + (b - cb) * (b - cb))
            closer = d < d1
            d2 = np.where(closer, d1, np.minimum(d2, d))
            r1 = np.where(closer, rad[ii, jj], r1)
            d1 = np.where(closer, d, d1)
    return d1, d2, r1


def mark_mix(marks: dict, a: np.ndarray, b: np.ndarray, pixel: float) -> np.ndarray | None:
    """How much of the mark colour each pixel takes (0..1), anti-aliased over ``pixel``
    (one pixel in animal units); None for a plain coat."""
    kind = marks["pattern"]
    if kind == "plain":
        return None
    if kind == "stripes":
        w = 2 * math.pi / marks["period"]
        ca, sa = pm.cos(marks["angle"]), pm.sin(marks["angle"])
        t = (a * ca + b * sa) * w + marks["wobble"] * pm.sin(b * marks["wobble_k"]
                                                             + marks["phase2"]) + marks["phase"]
        return np.clip((pm.sin(t) - marks["threshold"]) * (marks["period"] / (4 * pixel)) + 0.5,
                       0.0, 1.0)
    d1, d2, r1 = _nearest_two(marks, a, b)
    if kind == "patches":           # dark patches parted by light lines (the cells' borders)
        return np.clip((d2 - d1 - 0.12 * marks["spacing"]) / pixel + 0.5, 0.0, 1.0)
    if kind == "rosettes":          # dark rings
        return np.clip((0.09 * marks["spacing"] - np.abs(d1 - r1)) / pixel + 0.5, 0.0, 1.0)
    if kind == "blotches":          # large irregular patches: the edge wobbles
        ph = marks["wobble_phase"]
        d1 = d1 + 0.04 * (pm.sin(a * 23.0 + ph[0]) + pm.sin(b * 29.0 + ph[1]))
    return np.clip((r1 - d1) / pixel + 0.5, 0.0, 1.0)


def paint_trunk(layer: Layer, corners: np.ndarray, to_trunk: tuple[np.ndarray, np.ndarray],
                pixel: float, depth: float, colours: dict, marks: dict, belly: bool) -> None:
    """Fill the trunk polygon ``corners`` (image pixels) with the coat.

    Args:
        to_trunk: ``(p0, inv)``: a pixel (x, y) lies at trunk coordinates
            ``((x, y) - p0) @ inv``.
        pixel: one pixel in animal units; depth: the trunk's half-height (for the belly and
            the rounded shading).
        belly: lighten the lower part of the trunk towards ``colours["belly"]``.
    """
    covered = polygon_coverage(layer, corners)
    if covered is None:
        return
    box, cov, xs, ys = covered
    (x0, y0), inv = to_trunk
    dx, dy = xs.astype(np.float64) - x0, ys.astype(np.float64) - y0
    a = dx * inv[0, 0] + dy * inv[1, 0]
    b = dx * inv[0, 1] + dy * inv[1, 1]
    col = planes(colours["base"]).astype(np.float64) + np.zeros((3,) + a.shape)
    mix = mark_mix(marks, a, b, pixel)
    if belly:
        under = np.clip((-b / depth - 0.3) * 4.0, 0.0, 1.0)
        col += (planes(colours["belly"]) - col) * under
    if mix is not None:
        col += (planes(colours["mark"]) - col) * mix
    lx, ly = layer.light
    extent = max(float(np.ptp(corners[:, 0])), float(np.ptp(corners[:, 1])), 1.0)
    cx, cy = corners.mean(0).tolist()
    shade = 1.0 + (0.5 / extent) * ((xs - cx) * lx + (ys - cy) * ly)
    shade = shade - 0.3 * np.clip(b / depth, -1.0, 1.0) ** 2
    k = 2 * math.pi / (2.5 * pixel)            # fur: wavy lines along the spine, ~2.5 px apart
    shade = shade * (1.0 + 0.06 * pm.sin(b * k + 0.7 * pm.sin(a * 9.0)))
    layer.paint(box, cov, (col * shade).astype(np.float32))
