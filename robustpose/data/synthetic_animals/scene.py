"""Images with one or more animals: size and placement, drawing order, occlusion and
per-animal annotations.

Smaller (farther) animals are drawn first and nearer ones cover them. Keypoints get AP-10K
visibility flags (``visibility.animal_flags``); ``bbox`` and ``area`` describe the whole
silhouette (alpha >= 0.5) clipped to the image, hidden parts included, so the OKS scale of an
animal does not depend on what stands in front of it (as in the people generator).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robustpose.data.synthetic.background import mean_colour, paint_background
from robustpose.data.synthetic.camera import photograph
from robustpose.data.synthetic.painter import Layer, blend, light_direction
from robustpose.data.synthetic_animals.animal import Animal, sample_animal
from robustpose.data.synthetic_animals.figure import draw_animal
from robustpose.data.synthetic_animals.head import hidden_features
from robustpose.data.synthetic_animals.skeleton import KP
from robustpose.data.synthetic_animals.visibility import animal_flags

_PAD = 0.12            # animal units around the skeleton's points: limb and head radii
_MAX_OUTSIDE = 0.15    # at most this fraction of an animal's box width/height leaves the image
# An animal is annotated when at least this many keypoints are visible (v=2): an annotator does
# not label an animal hidden behind another one, and a model cannot find it either.
MIN_VISIBLE = 3


@dataclass(frozen=True)
class AnimalConfig:
    """Image size, animals per image and the size of the largest animal.

    params.yaml's ``synthetic_animals:`` section is the source of the image size and animal
    counts (the prepare stage passes them); the defaults are its values. The scales are not
    params: their defaults are the value. ``*_animal_scale`` bound the height of the first
    (largest) animal as a fraction of the image height; a wide animal is made smaller so that
    it is no wider than the image. Other animals in the image are 45-100% of that size.

    Raises:
        ValueError: a field out of range or of the wrong type; the message names the field.
    """
    image_height: int = 192
    image_width: int = 192
    min_animals: int = 1
    max_animals: int = 2
    min_animal_scale: float = 0.4
    max_animal_scale: float = 0.9

    def __post_init__(self) -> None:
        for name in ("image_height", "image_width", "min_animals", "max_animals"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"AnimalConfig.{name} must be an int, got {value!r}")
        for name in ("image_height", "image_width"):
            if getattr(self, name) < 32:
                raise ValueError(f"AnimalConfig.{name}={getattr(self, name)} is too small; "
                                 "use at least 32 pixels")
        if self.min_animals < 1:
            raise ValueError(f"AnimalConfig.min_animals={self.min_animals}; must be >= 1")
        if self.max_animals < self.min_animals:
            raise ValueError(f"AnimalConfig.max_animals={self.max_animals} is below "
                             f"min_animals={self.min_animals}; set max_animals >= min_animals")
        for name in ("min_animal_scale", "max_animal_scale"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"AnimalConfig.{name} must be a number, got {value!r}")
            if not 0.05 <= value <= 2.0:
                raise ValueError(f"AnimalConfig.{name}={value} is outside [0.05, 2.0] "
                                 "(animal height / image height)")
        if self.max_animal_scale < self.min_animal_scale:
            raise ValueError(f"AnimalConfig.max_animal_scale={self.max_animal_scale} is below "
                             f"min_animal_scale={self.min_animal_scale}")


def extent(animal: Animal) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) image corners of the animal's box at its view's scale 1 and origin 0."""
    sk = animal.skeleton
    a, b = sk.outline[:, :1], sk.outline[:, 1:]
    pts = np.vstack([sk.joints, *sk.legs.values(), sk.trunk_origin + a * sk.trunk_u + b * sk.trunk_v,
                     sk.tail, [e.tip for e in sk.head.ears], sk.head.centre[None]])
    probe = animal.view.moved(1.0, (0.0, 0.0)).project(pts)
    return probe.min(0) - _PAD, probe.max(0) + _PAD


def place(animal: Animal, height: float, centre: tuple[float, float]) -> Animal:
    """The animal scaled to ``height`` pixels (its box's) with its box centred on ``centre``."""
    lo, hi = extent(animal)
    scale = height / float(hi[1] - lo[1])
    origin = np.asarray(centre, np.float64) - (lo + hi) / 2 * scale
    return animal._replace(view=animal.view.moved(scale, (origin[0], origin[1])))


def _sample_placed(rng: np.random.Generator, cfg: AnimalConfig, bg_mean: np.ndarray,
                   first: bool) -> Animal:
    """A random animal at a random size and position; the first one of an image is the
    largest-scaled (``cfg``'s range), the others 45-100% of a fresh draw from it."""
    h, w = cfg.image_height, cfg.image_width
    animal = sample_animal(rng, bg_mean)
    frac = rng.uniform(cfg.min_animal_scale, cfg.max_animal_scale)
    if not first:
        frac *= rng.uniform(0.45, 1.0)
    lo, hi = extent(animal)
    size = hi - lo
    height = min(frac * h, w * float(size[1] / size[0]))     # no wider than the image
    bw, bh = height * float(size[0] / size[1]), height
    k = 0.5 - _MAX_OUTSIDE
    centre = (rng.uniform(min(k * bw, w / 2), max(w - k * bw, w / 2)),
              rng.uniform(min(k * bh, h / 2), max(h - k * bh, h / 2)))
    return place(animal, height, centre)


def hidden_mask(animal: Animal) -> np.ndarray:
    """(17,) bool: the eyes and nose the animal's own turned head hides from the camera."""
    mask = np.zeros(len(KP), bool)
    hidden = hidden_features(animal.skeleton.head, animal.view.towards_camera())
    mask[[KP["left_eye"], KP["right_eye"], KP["nose"]]] = hidden
    return mask


def paint_animals(img: np.ndarray, animals: list[Animal], light: np.ndarray) -> list[dict]:
    """Paint placed ``animals`` in list order (later ones in front) onto ``img`` (3, H, W) float,
    in place, and return the annotations of those with at least ``MIN_VISIBLE`` visible
    keypoints, in that order:
    ``keypoints`` (17, 3), ``bbox`` [x, y, w, h], ``area``, ``category_id``."""
    h, w = img.shape[1:]
    drawn = []
    for animal in animals:
        layer = Layer(h, w, light)
        joints = draw_animal(layer, animal)
        layer.composite(img)
        drawn.append((animal, joints, layer))
    out: list[dict] = []
    cover = np.zeros((h, w), np.float32)
    for animal, joints, layer in reversed(drawn):     # front to back: cover = alpha in front
        kps = animal_flags(joints, hidden_mask(animal), cover)
        box = layer.painted_box()
        if box is None:
            continue
        x0, y0, x1, y1 = box
        blend(cover[y0:y1, x0:x1], 1.0, layer.A[y0:y1, x0:x1])
        silhouette = layer.silhouette()
        if int((kps[:, 2] == 2).sum()) < MIN_VISIBLE or silhouette is None:
            continue                                  # drawn (and occluding) but not annotated
        bbox, area = silhouette
        out.append({"keypoints": kps, "bbox": bbox, "area": area,
                    "category_id": animal.species.category_id})
    out.reverse()
    return out


def render_scene(rng: np.random.Generator, cfg: AnimalConfig) -> tuple[np.ndarray, list[dict]]:
    """Draw one image of ``cfg.min_animals``..``cfg.max_animals`` animals on a textured
    background.

    Args:
        rng: the only source of randomness.
        cfg: image size, animal count and size range.

    Returns:
        ``(image, animals)``: RGB uint8 (H, W, 3) and, in drawing order (later animals cover
        earlier ones), one dict per annotated animal with ``keypoints`` float64 (17, 3)
        [x, y, v] in AP-10K order (v=2 visible, v=1 occluded or hidden by the turned head,
        v=0 outside the image with x=y=0), ``bbox`` [x, y, w, h] tight box of the silhouette
        clipped to the image, ``area`` its pixel count and ``category_id`` the species' AP-10K
        id. Animals with fewer than ``MIN_VISIBLE`` visible keypoints (outside the image or
        hidden behind another animal) are drawn but not returned.
    """
    if not isinstance(cfg, AnimalConfig):
        raise TypeError(f"cfg must be an AnimalConfig, got {type(cfg).__name__}")
    light = light_direction(rng)
    img = paint_background(rng, cfg.image_height, cfg.image_width)
    bg_mean = mean_colour(img)
    n = int(rng.integers(cfg.min_animals, cfg.max_animals + 1))
    animals = [_sample_placed(rng, cfg, bg_mean, first=(i == 0)) for i in range(n)]
    animals.sort(key=lambda a: a.view.scale)        # smaller (farther) animals first
    annotations = paint_animals(img, animals, light)
    return photograph(rng, img), annotations
