"""Rasterising body parts into a person's layer and compositing layers: capsules, ellipses, a
textured polygon, the layer's "over" onto the image and its silhouette box.

Each part is rasterised as an anti-aliased coverage mask over its bounding box (``cv2.LINE_AA``
at 1/16 px precision, so keypoints sit exactly at joint centres) and composited "over" into the
person's premultiplied colour P (3, H, W) and alpha A (H, W). A whole person is one layer so that
the scene can composite it in one step and read its silhouette and its occluding alpha. Colour
planes are channel-first while drawing: numpy broadcasting over a trailing axis of length 3 runs
~10x slower than over whole rows.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from robustpose import portable as pm

SHIFT = 4                      # cv2 fractional bits: coordinates are drawn at 1/16 px
SCALE = float(1 << SHIFT)

Box = tuple[int, int, int, int]   # x0, y0, x1, y1: pixels [x0, x1) x [y0, y1)


def planes(colour: np.ndarray) -> np.ndarray:
    """RGB (3,) -> float32 (3, 1, 1), ready to broadcast over (3, h, w)."""
    return np.asarray(colour, np.float32).reshape(3, 1, 1)


def light_direction(rng: np.random.Generator) -> np.ndarray:
    """A random unit vector in image coordinates: where the light comes from for all shading."""
    ang = rng.uniform(0, 2 * math.pi)
    return np.array([pm.cos(ang), pm.sin(ang)])


def coverage(cov: np.ndarray) -> np.ndarray:
    """Float32 alpha in [0, 1] of a uint8 coverage mask (what cv2's anti-aliased fills write)."""
    a = cov.astype(np.float32)
    a *= np.float32(1.0 / 255.0)
    return a


def blend(target: np.ndarray, colour: np.ndarray | float, alpha: np.ndarray) -> None:
    """``target += (colour - target) * alpha``, in place: the one "colour over" step.

    On an opaque image it is plain "over" (the background's pattern and shapes, a limb's stripe);
    on a layer's premultiplied colour it is premultiplied "over" of ``colour * alpha``; on an
    alpha map with ``colour`` 1 it accumulates alpha (a layer's own, the occluders' in front).
    """
    target += (colour - target) * alpha


class Layer:
    """One person being painted: premultiplied colour ``P``, alpha ``A`` and the painted extent."""

    def __init__(self, height: int, width: int, light: np.ndarray):
        self.h, self.w = height, width
        self.P = np.zeros((3, height, width), np.float32)
        self.A = np.zeros((height, width), np.float32)
        self.light = (float(light[0]), float(light[1]))   # unit vector, image coords
        self.extent = [width, height, 0, 0]                # union of painted boxes x0, y0, x1, y1

    def box(self, xlo: float, ylo: float, xhi: float, yhi: float) -> Box | None:
        """Integer box [x0, x1) x [y0, y1) covering the given range (+2 px), clipped to the
        image; None when empty."""
        x0, y0 = max(math.floor(xlo) - 2, 0), max(math.floor(ylo) - 2, 0)
        x1, y1 = min(math.ceil(xhi) + 3, self.w), min(math.ceil(yhi) + 3, self.h)
        if x1 <= x0 or y1 <= y0:
            return None
        return x0, y0, x1, y1

    def paint(self, box: Box, cov: np.ndarray, colour: np.ndarray) -> None:
        """Composite ``colour`` ((3, h, w) or (3, 1, 1)) with coverage ``cov`` (uint8, (h, w))."""
        x0, y0, x1, y1 = box
        a = coverage(cov)
        blend(self.P[:, y0:y1, x0:x1], colour, a)
        blend(self.A[y0:y1, x0:x1], 1.0, a)
        e = self.extent
        e[0], e[1], e[2], e[3] = min(e[0], x0), min(e[1], y0), max(e[2], x1), max(e[3], y1)

    def painted_box(self) -> Box | None:
        """The union of the boxes painted so far; None when nothing was (the person is off-image)."""
        x0, y0, x1, y1 = self.extent
        return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None

    def composite(self, img: np.ndarray) -> None:
        """Premultiplied "over" of this layer onto ``img`` (3, H, W) float32, in place, on the
        painted box only."""
        box = self.painted_box()
        if box is None:
            return
        x0, y0, x1, y1 = box
        region = img[:, y0:y1, x0:x1]
        region *= 1.0 - self.A[y0:y1, x0:x1]
        region += self.P[:, y0:y1, x0:x1]

    def silhouette(self) -> tuple[list[float], float] | None:
        """The tight box [x, y, w, h] of the silhouette (alpha >= 0.5) and its pixel count; None
        when no pixel reaches 0.5. Hidden parts count: the layer knows nothing of occluders."""
        box = self.painted_box()
        if box is None:
            return None
        x0, y0, x1, y1 = box
        sil = self.A[y0:y1, x0:x1] >= 0.5
        cols, rows = np.flatnonzero(sil.any(axis=0)), np.flatnonzero(sil.any(axis=1))
        if cols.size == 0:
            return None
        bbox = [float(x0 + cols[0]), float(y0 + rows[0]), float(cols[-1] - cols[0] + 1),
                float(rows[-1] - rows[0] + 1)]
        return bbox, float(np.count_nonzero(sil))


def fixed_point(points: np.ndarray, box: Box) -> np.ndarray:
    """Points (N, 2) in image coords -> int32 fixed-point coords relative to the box corner."""
    return np.round((np.asarray(points) - (box[0], box[1])) * SCALE).astype(np.int32)


def _pt(x: float, y: float, box: Box) -> tuple[int, int]:
    """One image point -> fixed-point (int, int) relative to the box corner."""
    return math.floor((x - box[0]) * SCALE + 0.5), math.floor((y - box[1]) * SCALE + 0.5)


def pixel_grid(box: Box) -> tuple[np.ndarray, np.ndarray]:
    """Pixel x (1, w) and y (h, 1) coordinates of the box, float32, for shading over it."""
    x0, y0, x1, y1 = box
    return (np.arange(x0, x1, dtype=np.float32)[None, :],
            np.arange(y0, y1, dtype=np.float32)[:, None])


def capsule(layer: Layer, p: np.ndarray, q: np.ndarray, r1: float, r2: float,
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
    cv2.fillConvexPoly(cov, poly, 255, cv2.LINE_AA, SHIFT)
    for cx, cy, r in ((px, py, r1), (qx, qy, r2)):
        cv2.circle(cov, _pt(cx, cy, box), max(round(r * SCALE), 1), 255, -1, cv2.LINE_AA, SHIFT)
    xs, ys = pixel_grid(box)
    # Signed distance from the axis in limb radii, (h, w) float32.
    inv_r = 2.0 / (r1 + r2)
    perp = xs * (nx * inv_r) + (ys * (ny * inv_r) - (px * nx + py * ny) * inv_r)
    np.clip(perp, -1.0, 1.0, out=perp)
    light = nx * layer.light[0] + ny * layer.light[1]
    shade = perp * (0.25 * light - 0.3 * perp)
    shade += 1.0
    col = shade * planes(colour)
    if stripe is not None:
        # Soft-edged stripe along the limb axis, about 40% of the limb's width.
        m = np.clip(2.26 - 8.0 * np.abs(perp), 0.0, 1.0)
        blend(col, planes(stripe), m)
    layer.paint(box, cov, col)


def ellipse(layer: Layer, centre: np.ndarray, axes: tuple[float, float], angle_deg: float,
            colour: np.ndarray, shading: float = 0.25) -> None:
    """A filled, radially shaded ellipse; ``axes`` are half-lengths in pixels."""
    r = max(axes)
    cx, cy = float(centre[0]), float(centre[1])
    box = layer.box(cx - r, cy - r, cx + r, cy + r)
    if box is None:
        return
    cov = np.zeros((box[3] - box[1], box[2] - box[0]), np.uint8)
    ax = (max(round(axes[0] * SCALE), 1), max(round(axes[1] * SCALE), 1))
    cv2.ellipse(cov, _pt(cx, cy, box), ax, angle_deg, 0, 360, 255, -1, cv2.LINE_AA, SHIFT)
    if shading > 0:
        xs, ys = pixel_grid(box)
        dx, dy = (xs - cx) / float(r), (ys - cy) / float(r)
        shade = 1.0 + shading * (dx * layer.light[0] + dy * layer.light[1] - dx * dx - dy * dy)
        col = shade * planes(colour)
    else:
        col = planes(colour)
    layer.paint(box, cov, col)


def polygon_coverage(layer: Layer, corners: np.ndarray) -> tuple[Box, np.ndarray, np.ndarray, np.ndarray] | None:
    """(box, anti-aliased coverage uint8, pixel xs, ys) of the polygon ``corners`` (N, 2) on
    ``layer``, or None when it misses the image: the start of every textured polygon (a
    person's torso, an animal's trunk), which then shades its own pattern over xs, ys."""
    box = layer.box(*corners.min(0).tolist(), *corners.max(0).tolist())
    if box is None:
        return None
    cov = np.zeros((box[3] - box[1], box[2] - box[0]), np.uint8)
    cv2.fillPoly(cov, [fixed_point(corners, box)], 255, cv2.LINE_AA, SHIFT)
    return (box, cov, *pixel_grid(box))


def torso(layer: Layer, corners: np.ndarray, origin: np.ndarray, across: np.ndarray,
          up: np.ndarray, unit: float, colours: tuple[np.ndarray, np.ndarray], tex: dict) -> None:
    """Polygon torso with a pattern mixing two colours, laid out in the torso's own frame."""
    covered = polygon_coverage(layer, corners)
    if covered is None:
        return
    box, cov, xs, ys = covered
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
    c1, c2 = (planes(c) for c in colours)
    col = c1 + mix * (c2 - c1)
    centre = corners.mean(0).tolist()
    extent = max(float(np.ptp(corners[:, 0])), float(np.ptp(corners[:, 1])), 1.0)
    lx, ly = layer.light
    shade = 1.0 + (0.5 / extent) * ((xs - centre[0]) * lx + (ys - centre[1]) * ly)
    layer.paint(box, cov, col * shade)
