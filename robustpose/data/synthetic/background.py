"""The textured background of an image: gradient, low-frequency noise, stripes or tiles, shapes."""
from __future__ import annotations

import math

import cv2
import numpy as np

from robustpose import portable as pm
from robustpose.data.synthetic.appearance import hsv
from robustpose.data.synthetic.painter import SCALE, SHIFT, blend, coverage, planes


def _paint_shape(img: np.ndarray, cov: np.ndarray, colour: np.ndarray) -> None:
    """Composite a flat colour with coverage ``cov`` (uint8, image-sized) over its bounding box."""
    x, y, w, h = cv2.boundingRect(cov)
    if w == 0 or h == 0:
        return
    blend(img[:, y:y + h, x:x + w], planes(colour), coverage(cov[y:y + h, x:x + w]))


def mean_colour(img: np.ndarray) -> np.ndarray:
    """Mean RGB (3,) float64 of a channel-first image: what clothes colours keep away from."""
    return img.reshape(3, -1).mean(axis=1, dtype=np.float64)


def _box_points(centre: tuple[float, float], size: tuple[float, float], angle_deg: float) -> np.ndarray:
    """Corners (4, 2) of a rotated rectangle (what ``cv2.boxPoints`` returns, computed with the
    portable sin/cos)."""
    a = math.radians(angle_deg)
    c, s = pm.cos(a) * 0.5, pm.sin(a) * 0.5
    w, h = size
    dx = np.array([-s * h - c * w, s * h - c * w, s * h + c * w, -s * h + c * w])
    dy = np.array([c * h - s * w, -c * h - s * w, -c * h + s * w, c * h + s * w])
    return np.stack([centre[0] + dx, centre[1] + dy], axis=1)


def paint_background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Float32 channel-first (3, h, w) in [0, 255]: gradient + low-frequency noise + optional
    stripes or tiles + a few rectangles/ellipses. Background colours are less saturated than
    clothes on purpose."""
    xs = np.arange(w, dtype=np.float32)[None, :]
    ys = np.arange(h, dtype=np.float32)[:, None]
    c1 = hsv(rng, (0.0, 1.0), (0.0, 0.55), (0.15, 0.9))
    c2 = hsv(rng, (0.0, 1.0), (0.0, 0.55), (0.15, 0.9))
    ang = rng.uniform(0, 2 * math.pi)
    t = xs * pm.cos(ang) + ys * pm.sin(ang)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1.0)
    img = planes(c1) + t * planes(c2 - c1)

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
        blend(img, planes(hsv(rng, (0.0, 1.0), (0.0, 0.6), (0.1, 0.95))), m)

    for _ in range(int(rng.integers(0, 6))):
        cov = np.zeros((h, w), np.uint8)
        centre = (rng.uniform(0, w), rng.uniform(0, h))
        size = (rng.uniform(0.05, 0.4) * w, rng.uniform(0.05, 0.4) * h)
        angle = rng.uniform(0, 180)
        if rng.uniform() < 0.5:
            box = _box_points(centre, size, angle)
            cv2.fillConvexPoly(cov, np.round(box * SCALE).astype(np.int32), 255, cv2.LINE_AA,
                               SHIFT)
        else:
            cv2.ellipse(cov, (int(centre[0] * SCALE), int(centre[1] * SCALE)),
                        (int(size[0] * SCALE / 2), int(size[1] * SCALE / 2)), angle, 0, 360, 255,
                        -1, cv2.LINE_AA, SHIFT)
        _paint_shape(img, cov, hsv(rng, (0.0, 1.0), (0.0, 0.7), (0.1, 0.95)))
    return img
