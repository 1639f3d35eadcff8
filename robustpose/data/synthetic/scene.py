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
from typing import NamedTuple

import numpy as np

from robustpose import portable as pm
from robustpose.data.synthetic.appearance import person_colours, torso_texture
from robustpose.data.synthetic.background import mean_colour, paint_background
from robustpose.data.synthetic.body import sample_body
from robustpose.data.synthetic.camera import photograph
from robustpose.data.synthetic.figure import ToImage, draw_person
from robustpose.data.synthetic.painter import Layer, blend, light_direction
from robustpose.data.synthetic.visibility import keypoint_flags


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


class _Person(NamedTuple):
    """One person of a scene before painting: pose, where it goes, and how it looks."""
    scale: float            # standing height in pixels
    body: dict
    to_img: ToImage
    colours: dict
    texture: dict


def _image_transform(origin: np.ndarray, scale: float, theta: float) -> ToImage:
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


def _sample_person(rng: np.random.Generator, cfg: SyntheticConfig, bg_mean: np.ndarray) -> _Person:
    """A posed, sized, tilted and placed person with clothes that stand out from ``bg_mean``."""
    h, w = cfg.image_height, cfg.image_width
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
    return _Person(scale, body, _image_transform(origin, scale, theta),
                   person_colours(rng, bg_mean), torso_texture(rng))


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
    light = light_direction(rng)
    img = paint_background(rng, h, w)
    bg_mean = mean_colour(img)
    n = int(rng.integers(cfg.min_people, cfg.max_people + 1))
    persons = [_sample_person(rng, cfg, bg_mean) for _ in range(n)]
    # Smaller (farther) people are drawn first, so the nearest person is in front.
    persons.sort(key=lambda p: p.scale)

    drawn = []
    for person in persons:
        layer = Layer(h, w, light)
        joints = draw_person(layer, person.body, person.colours, person.texture, person.to_img,
                             person.scale)
        layer.composite(img)
        drawn.append((joints, person.body["face_depth"], layer))
    return photograph(rng, img), _annotate(drawn, h, w)


def _annotate(drawn: list[tuple[np.ndarray, np.ndarray, Layer]], h: int, w: int) -> list[dict]:
    """Keypoints with visibility, silhouette box and area of each painted person (in drawing
    order), front to back so that ``cover`` holds the alpha of everyone drawn after a person."""
    people: list[dict] = []
    cover = np.zeros((h, w), np.float32)
    for joints, face_depth, layer in reversed(drawn):
        kps = keypoint_flags(joints, face_depth, cover)
        box = layer.painted_box()
        if box is None:
            continue
        x0, y0, x1, y1 = box
        blend(cover[y0:y1, x0:x1], 1.0, layer.A[y0:y1, x0:x1])
        if not (kps[:, 2] > 0).any():
            continue                              # drawn (and occluding) but not annotated
        silhouette = layer.silhouette()
        if silhouette is None:
            continue
        bbox, area = silhouette
        people.append({"keypoints": kps, "bbox": bbox, "area": area})
    people.reverse()
    return people
