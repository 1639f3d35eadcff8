"""Painting one placed animal into its layer, back to front: far legs, tail and head when they
are behind the trunk, the trunk, then the rest, near legs last.

The legs on the far side are drawn darker (in shadow) and behind the trunk; that, with the
facing direction, is what tells left from right, as in photographs of animals.
"""
from __future__ import annotations

import math

import numpy as np

from robustpose import portable as pm
from robustpose.data.synthetic.appearance import toward
from robustpose.data.synthetic.painter import Layer, capsule, ellipse
from robustpose.data.synthetic_animals.animal import Animal
from robustpose.data.synthetic_animals.coat import paint_trunk
from robustpose.data.synthetic_animals.head import hidden_features

_MIN_RADIUS = 0.7        # pixels: thinner parts vanish in anti-aliasing
_FAR_SHADE = 0.3         # how far the far-side legs darken towards black
_BEHIND = 0.35           # animal units behind/in front of the trunk centre that reorders parts


def _r(length: float, scale: float) -> float:
    return max(length * scale, _MIN_RADIUS)


def draw_animal(layer: Layer, animal: Animal) -> np.ndarray:
    """Paint ``animal`` into ``layer``; returns its 17 keypoints in image pixels (2D)."""
    view, sk = animal.view, animal.skeleton
    towards = view.towards_camera()
    near_side = "right" if towards[2] > 0 else "left"
    centre_depth = float(view.depth(sk.trunk_origin[None])[0])
    head_behind = float(view.depth(sk.head.centre[None])[0]) - centre_depth < -_BEHIND
    tail_depth = float(view.depth(sk.tail[len(sk.tail) // 2][None])[0]) - centre_depth
    tail_front = tail_depth > _BEHIND

    far_side = "left" if near_side == "right" else "right"
    for leg in ("hind", "front"):
        _draw_leg(layer, animal, f"{far_side}_{leg}", far=True)
    if not tail_front:
        _draw_tail(layer, animal)
    if head_behind:
        _draw_head(layer, animal)
    _draw_trunk(layer, animal)
    if tail_front:
        _draw_tail(layer, animal)
    if not head_behind:
        _draw_head(layer, animal)
    for leg in ("hind", "front"):
        _draw_leg(layer, animal, f"{near_side}_{leg}", far=False)
    return view.project(sk.joints)


def _forward_angle(animal: Animal) -> float:
    """Image angle (degrees) of the animal's head direction: how paws and the head lie."""
    m = animal.view.matrix()
    return math.degrees(pm.atan2(m[0, 1], m[0, 0]))


def _draw_leg(layer: Layer, animal: Animal, leg: str, far: bool) -> None:
    """Tapered segments from the trunk joint to the paw, then the paw (or hoof)."""
    g, s = animal.geo, animal.view.scale
    pts = animal.view.project(animal.skeleton.legs[leg])
    col = toward(animal.colours["base"], 0.0, _FAR_SHADE) if far else animal.colours["base"]
    if leg.endswith("front"):
        radii = (g["thigh_r"] * 0.75, g["leg_r"] * 1.3, g["leg_r"])
    else:
        radii = (g["thigh_r"], g["leg_r"] * 1.5, g["leg_r"] * 1.1, g["leg_r"])
    for k in range(len(pts) - 1):
        capsule(layer, pts[k], pts[k + 1], _r(radii[k], s), _r(radii[k + 1], s), col)
    paw_col = animal.colours["hoof"] if animal.species.hooves else toward(col, 0.0, 0.1)
    if far:
        paw_col = toward(paw_col, 0.0, _FAR_SHADE) if animal.species.hooves else paw_col
    angle = _forward_angle(animal)
    fwd = np.array([pm.cos(math.radians(angle)), pm.sin(math.radians(angle))])
    r = _r(g["leg_r"], s)
    ellipse(layer, pts[-1] + fwd * r * 0.5, (r * 1.5, r), angle, paw_col, 0.15)


def _draw_tail(layer: Layer, animal: Animal) -> None:
    """Capsules along the tail; the radius grows towards a tuft or brush when ``tail_tip`` > 1."""
    g, s = animal.geo, animal.view.scale
    pts = animal.view.project(animal.skeleton.tail)
    n = len(pts) - 1
    radii = [g["tail_r"] * (1.0 + (g["tail_tip"] - 1.0) * (k / n) ** 2) for k in range(n + 1)]
    col = toward(animal.colours["base"], 0.0, 0.1)
    for k in range(n):
        capsule(layer, pts[k], pts[k + 1], _r(radii[k], s), _r(radii[k + 1], s), col)


def _draw_trunk(layer: Layer, animal: Animal) -> None:
    """The trunk polygon with the coat pattern mapped in the trunk's plane."""
    sk, view = animal.skeleton, animal.view
    a, b = sk.outline[:, :1], sk.outline[:, 1:]
    corners = view.project(sk.trunk_origin + a * sk.trunk_u + b * sk.trunk_v)
    m = view.matrix()
    lin = np.array([pm.matmul(sk.trunk_u[None], m)[0], pm.matmul(sk.trunk_v[None], m)[0]])
    det = lin[0, 0] * lin[1, 1] - lin[0, 1] * lin[1, 0]
    inv = np.array([[lin[1, 1], -lin[0, 1]], [-lin[1, 0], lin[0, 0]]]) / det
    p0 = view.project(sk.trunk_origin[None])[0]
    paint_trunk(layer, corners, (p0, inv), 1.0 / view.scale, animal.geo["body_depth"],
                animal.colours, animal.marks, animal.species.belly > 0)


def _draw_head(layer: Layer, animal: Animal) -> None:
    """Neck, then the far ear, cranium and snout in depth order, the near ear, the visible eyes
    and the nose."""
    g, s, view, head = animal.geo, animal.view.scale, animal.view, animal.skeleton.head
    base, muzzle = animal.colours["base"], animal.colours["muzzle"]
    towards = view.towards_camera()
    c = view.project(head.centre[None])[0]
    capsule(layer, view.project(animal.skeleton.neck_base[None])[0], c, _r(g["neck_r"], s),
            _r(0.75 * head.radius, s), base)
    ears = [(float(np.add.reduce((e.base - head.centre) * towards)), e) for e in head.ears]
    ear_col = toward(base, 0.0, 0.15)
    for depth, ear in ears:
        if depth < 0:
            capsule(layer, *view.project(np.array([ear.base, ear.tip])),
                    _r(ear.radii[0], s), _r(ear.radii[1], s), toward(ear_col, 0.0, _FAR_SHADE))
    snout_pts = view.project(np.array([head.snout_base, head.nose]))
    snout_first = float(np.add.reduce((head.nose - head.centre) * towards)) < 0
    r = head.radius * s
    if snout_first:
        capsule(layer, *snout_pts, _r(head.snout_radii[0], s), _r(head.snout_radii[1], s), muzzle)
    fwd = view.project(np.array([head.centre, head.centre + head.forward]))
    ellipse(layer, c, (max(r * 1.1, 1.0), max(r * 0.95, 1.0)),
            math.degrees(pm.atan2(fwd[1, 1] - fwd[0, 1], fwd[1, 0] - fwd[0, 0])), base)
    if not snout_first:
        capsule(layer, *snout_pts, _r(head.snout_radii[0], s), _r(head.snout_radii[1], s), muzzle)
    for depth, ear in ears:
        if depth >= 0:
            capsule(layer, *view.project(np.array([ear.base, ear.tip])),
                    _r(ear.radii[0], s), _r(ear.radii[1], s), ear_col)
    hidden = hidden_features(head, towards)
    eyes = view.project(head.eyes)
    for k in (0, 1):
        if not hidden[k]:
            ellipse(layer, eyes[k], (_r(0.14 * head.radius, s),) * 2, 0.0,
                    animal.colours["eye"], 0.0)
    if not hidden[2]:
        nose_r = _r(max(0.5 * head.snout_radii[1], 0.15 * head.radius), s)
        ellipse(layer, snout_pts[1], (nose_r, nose_r), 0.0, animal.colours["nose"], 0.0)
