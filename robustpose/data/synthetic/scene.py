"""Images with several people: placement, drawing order, occlusion and per-person annotations.

Smaller (farther) people are drawn first and later people cover earlier ones. A keypoint is
occluded (v=1) when every pixel of its 3x3 neighbourhood is covered (alpha > 0.5) by people drawn
after it; one pixel of tolerance keeps joints on an occluder's anti-aliased edge visible.
``bbox`` and ``area`` describe the person's whole silhouette (alpha >= 0.5) clipped to the image,
including parts hidden by people in front, so the OKS scale of a person does not depend on
occlusion.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from robustpose import portable as pm
from robustpose.data.synthetic.appearance import person_colours, torso_texture
from robustpose.data.synthetic.background import paint_background
from robustpose.data.synthetic.body import sample_body
from robustpose.data.synthetic.camera import photograph
from robustpose.data.synthetic.figure import draw_person
from robustpose.data.synthetic.painter import Layer
from robustpose.data.synthetic.visibility import keypoint_flags


@dataclass(frozen=True)
class SyntheticConfig:
    """Image size, people per image and person size of the synthetic dataset.

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
    img = paint_background(rng, h, w)
    bg_mean = img.reshape(3, -1).mean(axis=1, dtype=np.float64)

    n = int(rng.integers(cfg.min_people, cfg.max_people + 1))
    specs = []
    for _ in range(n):
        body = sample_body(rng)
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
                      person_colours(rng, bg_mean), torso_texture(rng)))
    # Smaller (farther) people are drawn first, so the nearest person is in front.
    specs.sort(key=lambda s: s[0])

    drawn = []
    for scale, body, to_img, colours, tex in specs:
        layer = Layer(h, w, light)
        joints = draw_person(layer, body, colours, tex, to_img, scale)
        x0, y0, x1, y1 = layer.extent
        if x1 > x0 and y1 > y0:                   # premultiplied "over", on the painted box only
            region = img[:, y0:y1, x0:x1]
            region *= 1.0 - layer.A[y0:y1, x0:x1]
            region += layer.P[:, y0:y1, x0:x1]
        drawn.append((joints, body["face_depth"], layer))

    people: list[dict] = []
    cover = np.zeros((h, w), np.float32)          # alpha of everyone drawn after this person
    for joints, face_depth, layer in reversed(drawn):
        kps = keypoint_flags(joints, face_depth, cover)
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

    out = photograph(rng, img.transpose(1, 2, 0))
    return np.ascontiguousarray(out), people
