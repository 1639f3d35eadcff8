"""Species presets: proportions, ear and tail shapes, poses and coats of the drawn quadrupeds,
and per-animal jitter of the proportions.

Each preset is named after an AP-10K category and carries its id and family (supercategory), so
the annotations read like AP-10K's. Lengths are in torso units: the distance between the
shoulder and hip joints is 1, which keeps every species' numbers comparable. A drawn animal
scales each length by N(1, 0.08), so two dogs differ as two real dogs do and the model cannot
identify a species by an exact ratio.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robustpose.data.keypoints import animal_category

HSV = tuple[tuple[float, float], tuple[float, float], tuple[float, float]]   # hue, sat, value


@dataclass(frozen=True)
class Coat:
    """A fur pattern (``coat.PATTERNS``) over a base colour; ``mark`` None = darker base."""
    pattern: str
    base: HSV
    mark: HSV | None = None


@dataclass(frozen=True)
class Species:
    """One preset. ``geometry`` keys (torso units unless noted):

    body_len, body_depth: half-length and half-height of the trunk outline; body_width: half
    the distance between the left and right legs. leg_front, leg_hind: straight leg lengths;
    leg_r: leg radius at the paw; thigh_r: at the hip. neck_len, neck_r (at the base),
    neck_angle (degrees above the forward horizontal). head_r: cranium radius; snout_len;
    snout_r: snout tip radius / head_r; head_pitch: degrees the snout points above horizontal;
    eye_az: degrees between the snout and an eye around the head; ear_size: / head_r. tail_len,
    tail_r (at the root), tail_tip (tip radius / root radius), tail_angle (degrees above the
    backward horizontal), tail_curl (degrees the tail bends upward over its length).
    """
    name: str
    category_id: int           # AP-10K's category id of this species
    supercategory: str         # AP-10K's family name
    geometry: dict[str, float]
    ears: tuple[str, ...]      # ear kinds to pick from: pointed, floppy, round, side
    poses: tuple[str, ...]     # pose kinds this species takes (``pose.POSES``)
    coats: tuple[Coat, ...]
    hooves: bool = False
    belly: float = 0.0         # how far the belly lightens towards white
    muzzle: float = 0.0        # how far the snout lightens towards white


_CAT_POSES = ("stand", "walk", "sit", "lie")
_HOOF_POSES = ("stand", "walk", "lie", "graze")
_BLACK: HSV = ((0.0, 1.0), (0.0, 0.25), (0.03, 0.15))
_WHITE: HSV = ((0.0, 1.0), (0.0, 0.08), (0.82, 0.97))
_BROWN: HSV = ((0.04, 0.09), (0.45, 0.8), (0.25, 0.6))
_GOLD: HSV = ((0.09, 0.13), (0.45, 0.8), (0.65, 0.92))
_ORANGE: HSV = ((0.05, 0.09), (0.7, 0.95), (0.7, 0.95))
_GREY: HSV = ((0.0, 1.0), (0.0, 0.1), (0.35, 0.7))


def _geo(body_len: float, body_depth: float, body_width: float, leg_front: float, leg_hind: float,
         leg_r: float, thigh_r: float, neck_len: float, neck_r: float, neck_angle: float,
         head_r: float, snout_len: float, snout_r: float, head_pitch: float, eye_az: float,
         ear_size: float, tail_len: float, tail_r: float, tail_tip: float, tail_angle: float,
         tail_curl: float) -> dict[str, float]:
    """The geometry dict, keyword by keyword, so the table below reads as named numbers."""
    return dict(locals())


SPECIES: tuple[Species, ...] = (
    Species("dog", 8, "Canidae",
            _geo(.68, .3, .12, .8, .82, .05, .19, .32, .17, 45, .15, .17, .5, -15, 40, 1.1,
                 .6, .04, .6, 20, 40),
            ("floppy", "pointed"), _CAT_POSES,
            (Coat("plain", _BROWN), Coat("plain", _BLACK), Coat("plain", _GOLD),
             Coat("spots", _WHITE, _BLACK), Coat("blotches", _WHITE, _BROWN)), muzzle=0.2),
    Species("cat", 24, "Felidae",
            _geo(.66, .25, .1, .68, .72, .04, .17, .2, .14, 40, .15, .05, .7, -10, 30, 1.0,
                 .95, .035, .8, -30, 80),
            ("pointed",), _CAT_POSES,
            (Coat("plain", _GREY), Coat("stripes", _ORANGE), Coat("stripes", _GREY),
             Coat("plain", _BLACK), Coat("blotches", _WHITE, _BLACK))),
    Species("horse", 21, "Equidae",
            _geo(.72, .38, .14, 1.1, 1.12, .045, .24, .55, .22, 52, .14, .45, .6, -40, 60, .9,
                 .75, .07, 1.3, -70, -10),
            ("pointed",), _HOOF_POSES,
            (Coat("plain", _BROWN), Coat("plain", ((0.03, 0.07), (0.6, 0.85), (0.35, 0.6))),
             Coat("plain", _BLACK), Coat("plain", ((0.0, 1.0), (0.0, 0.08), (0.65, 0.9))),
             Coat("blotches", _WHITE, _BROWN)), hooves=True),
    Species("zebra", 22, "Equidae",
            _geo(.7, .38, .14, 1.0, 1.02, .045, .24, .5, .22, 45, .13, .34, .55, -50, 60, 1.0,
                 .6, .05, 1.2, -70, 0),
            ("pointed",), _HOOF_POSES, (Coat("stripes", _WHITE, _BLACK),), hooves=True),
    Species("cow", 5, "Bovidae",
            _geo(.75, .42, .17, .8, .82, .06, .26, .35, .26, 15, .15, .25, .75, -40, 60, .8,
                 .8, .025, 2.5, -80, 5),
            ("side",), _HOOF_POSES,
            (Coat("blotches", _WHITE, _BLACK), Coat("blotches", _WHITE, _BROWN),
             Coat("plain", _BROWN)), hooves=True),
    Species("giraffe", 33, "Giraffidae",
            _geo(.7, .36, .14, 1.6, 1.4, .045, .21, 1.4, .15, 62, .11, .22, .6, -25, 60, .8,
                 .7, .025, 2.0, -75, 0),
            ("pointed",), ("stand", "walk", "graze"),
            (Coat("patches", ((0.1, 0.14), (0.1, 0.3), (0.8, 0.95)),
                  ((0.05, 0.09), (0.6, 0.85), (0.3, 0.55))),), hooves=True),
    Species("leopard", 28, "Felidae",
            _geo(.7, .26, .11, .72, .76, .05, .19, .28, .17, 25, .14, .08, .7, -15, 30, .7,
                 1.0, .04, .8, -50, 70),
            ("round",), _CAT_POSES,
            (Coat("rosettes", _GOLD), Coat("spots", _GOLD, _BLACK)), belly=0.5),
    Species("tiger", 32, "Felidae",
            _geo(.72, .3, .13, .72, .76, .065, .22, .28, .21, 20, .16, .1, .7, -15, 30, .7,
                 .85, .05, .8, -50, 60),
            ("round",), _CAT_POSES, (Coat("stripes", _ORANGE, _BLACK),), belly=0.6, muzzle=0.5),
    Species("brown bear", 51, "Ursidae",
            _geo(.72, .38, .17, .72, .72, .1, .26, .25, .25, 15, .19, .14, .6, -15, 40, .8,
                 .12, .06, .8, -10, 0),
            ("round",), _CAT_POSES,
            (Coat("plain", _BROWN), Coat("plain", ((0.05, 0.15), (0.3, 0.6), (0.08, 0.25))))),
    Species("deer", 17, "Cervidae",
            _geo(.68, .32, .12, 1.05, 1.1, .04, .2, .45, .15, 60, .12, .2, .55, -40, 60, 1.3,
                 .15, .05, .8, 30, 0),
            ("pointed",), _HOOF_POSES,
            (Coat("plain", ((0.06, 0.09), (0.5, 0.75), (0.4, 0.65))),
             Coat("spots", ((0.06, 0.09), (0.5, 0.75), (0.4, 0.65)), _WHITE)),
            hooves=True, belly=0.6),
    Species("fox", 9, "Canidae",
            _geo(.66, .25, .1, .68, .72, .04, .17, .25, .14, 40, .13, .17, .4, -10, 40, 1.3,
                 .8, .07, 1.4, -35, 15),
            ("pointed",), _CAT_POSES,
            (Coat("plain", _ORANGE), Coat("plain", _WHITE)), belly=0.7, muzzle=0.6),
)


def species_categories() -> list[dict]:
    """One AP-10K-style category per preset, by id: what ``annotations.json`` lists."""
    return [animal_category(s.category_id, s.name, s.supercategory)
            for s in sorted(SPECIES, key=lambda s: s.category_id)]


def jitter_geometry(rng: np.random.Generator, species: Species) -> dict[str, float]:
    """The preset's lengths and radii times N(1, 0.08) each (clipped to 0.8-1.2); angles get
    N(0, 8) degrees added instead."""
    out = {}
    for key, value in species.geometry.items():
        if key in ("neck_angle", "head_pitch", "tail_angle", "tail_curl", "eye_az"):
            out[key] = value + float(np.clip(rng.normal(0.0, 8.0), -16.0, 16.0))
        else:
            out[key] = value * float(np.clip(rng.normal(1.0, 0.08), 0.8, 1.2))
    return out
