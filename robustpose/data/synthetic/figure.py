"""Painting one posed person part by part, back to front: legs, torso, neck and head, arms.

The person's LEFT limbs are drawn lighter with a dark stripe along their axis and the RIGHT limbs
darker and plain; without such a cue left and right are only separable by position, and crossed
arms or legs would be unlearnable.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from robustpose import portable as pm
from robustpose.data.synthetic.appearance import toward
from robustpose.data.synthetic.body import KP
from robustpose.data.synthetic.face import turned_away
from robustpose.data.synthetic.painter import Layer, capsule, ellipse, torso

ToImage = Callable[[np.ndarray], np.ndarray]     # points (N, 2) in body units -> image pixels
_EYE_COLOUR = np.array([20.0, 15.0, 25.0])
_NOSE_TINT = np.array([200.0, 60.0, 50.0])


def draw_person(layer: Layer, body: dict, colours: dict, tex: dict, to_img: ToImage,
                scale: float) -> np.ndarray:
    """Paint one posed body into ``layer``; returns its joints (17, 2) in image coordinates.

    Args:
        body: a posed body (``body.sample_body``, or the video path's body in pixels).
        colours, tex: the person's look (``appearance.person_colours``, ``appearance.torso_texture``).
        to_img: maps the body's points to image pixels.
        scale: image pixels per body unit (limb radii and the head's axes scale with it).
    """
    J = to_img(body["joints"])
    R = {k: v * scale for k, v in body["radii"].items()}
    across, up_t = _image_vector(to_img, body["across"]), _image_vector(to_img, body["up_torso"])
    up_h = _image_vector(to_img, body["up_head"])
    _draw_legs(layer, J, R, body["leg_order"], across, colours)
    _draw_torso(layer, J, R, across, up_t, to_img(body["pelvis"][None])[0], scale, colours, tex)
    _draw_head(layer, J, R, body, to_img, up_h, scale, colours)
    _draw_arms(layer, J, R, body["leg_order"], colours)
    return J


def _image_vector(to_img: ToImage, v: np.ndarray) -> np.ndarray:
    """A local direction, in image pixels."""
    return to_img(v[None])[0] - to_img(np.zeros((1, 2)))[0]


def _side_colour(col: np.ndarray, side_name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The left/right cue: (limb colour, stripe colour or None) for a limb on ``side_name``."""
    if side_name == "left":
        return toward(col, 255.0, 0.3), toward(col, 0.0, 0.75)
    return toward(col, 0.0, 0.2), None


def _draw_legs(layer: Layer, J: np.ndarray, R: dict, order: tuple, across: np.ndarray,
               colours: dict) -> None:
    """Thighs, shins and feet, first: the torso covers the hips."""
    shin = colours["skin"] if colours["shorts"] else colours["pants"]
    for name, _ in order:
        hip, knee, ankle = (J[KP[f"{name}_{p}"]] for p in ("hip", "knee", "ankle"))
        c_thigh, s_thigh = _side_colour(colours["pants"], name)
        c_shin, s_shin = _side_colour(shin, name)
        capsule(layer, hip, knee, *R["thigh"], c_thigh, s_thigh)
        capsule(layer, knee, ankle, *R["shin"], c_shin, s_shin)
        shin_len = max(float(pm.hypot(*(ankle - knee))), 1e-6)
        foot = ankle + (ankle - knee) / shin_len * R["foot"] * 0.8
        ellipse(layer, foot, (R["foot"] * 1.5, R["foot"] * 0.9),
                math.degrees(pm.atan2(across[1], across[0])),
                _side_colour(colours["shoes"], name)[0])


def _draw_torso(layer: Layer, J: np.ndarray, R: dict, across: np.ndarray, up_t: np.ndarray,
                pelvis: np.ndarray, scale: float, colours: dict, tex: dict) -> None:
    """The torso polygon: shoulders widened by the arm radius, hips by the thigh radius."""
    ua, th = R["upper_arm"][0], R["thigh"][0]
    a_hat = across / max(float(pm.hypot(*across)), 1e-6)
    u_hat = up_t / max(float(pm.hypot(*up_t)), 1e-6)
    ls, rs, lh, rh = (J[KP[k]] for k in
                      ("left_shoulder", "right_shoulder", "left_hip", "right_hip"))
    corners = np.array([ls + a_hat * ua * 0.6 + u_hat * ua * 0.9,
                        rs - a_hat * ua * 0.6 + u_hat * ua * 0.9,
                        rh - a_hat * th * 0.7 - u_hat * th * 0.3,
                        lh + a_hat * th * 0.7 - u_hat * th * 0.3])
    torso(layer, corners, pelvis, a_hat, u_hat, scale, (colours["shirt"], colours["shirt2"]), tex)


def _draw_head(layer: Layer, J: np.ndarray, R: dict, body: dict, to_img: ToImage,
               up_h: np.ndarray, scale: float, colours: dict) -> None:
    """Neck, head, face patch, ears, eyes and nose. Ears turned away are painted behind the head,
    ears facing us on top of it; features ``face.turned_away`` hides are not painted."""
    skin = colours["skin"]
    neck, head = to_img(body["neck"][None])[0], to_img(body["head"][None])[0]
    capsule(layer, neck, head, R["neck"], R["neck"], toward(skin, 0.0, 0.1))
    rx, ry = (a * scale for a in body["head_axes"])
    angle = math.degrees(pm.atan2(up_h[1], up_h[0])) + 90.0     # first axis = head's width
    depth = body["face_depth"]
    shown = ~turned_away(depth)
    ear_r = (max(rx * 0.24, 0.8), max(ry * 0.32, 1.0))
    ears = [(J[k], depth[k]) for k in (KP["left_ear"], KP["right_ear"]) if shown[k]]
    for pos, d in ears:
        if d <= 0:
            ellipse(layer, pos, ear_r, angle, toward(skin, 0.0, 0.15), 0.1)
    hair = colours["hair"] if not colours["bald"] else skin
    ellipse(layer, head, (rx, ry), angle, hair)
    yaw = math.radians(body["yaw"])
    if pm.cos(yaw) > 0:   # a head seen from behind (video frames only) shows hair, no face
        face_c = head + _face_offset(up_h, rx, ry, yaw)
        ellipse(layer, face_c, (rx * 0.86 * (0.75 + 0.25 * pm.cos(yaw)), ry * 0.8), angle, skin)
    for pos, d in ears:
        if d > 0:
            ellipse(layer, pos, ear_r, angle, toward(skin, 0.0, 0.15), 0.1)
    eye_r = max(0.16 * rx, 0.75)
    for k in (KP["left_eye"], KP["right_eye"]):
        if shown[k]:
            ellipse(layer, J[k], (eye_r, eye_r), 0.0, _EYE_COLOUR, 0.0)
    if shown[KP["nose"]]:
        nose_col = _NOSE_TINT * 0.5 + skin * 0.3
        ellipse(layer, J[KP["nose"]], (eye_r * 1.2, eye_r * 1.2), 0.0, nose_col, 0.0)


def _face_offset(up_h: np.ndarray, rx: float, ry: float, yaw: float) -> np.ndarray:
    """Shift of the face patch inside the head: towards the yaw side and a little down."""
    u_h = np.array([-up_h[1], up_h[0]])
    u_h /= max(float(pm.hypot(*u_h)), 1e-6)
    v_h = up_h / max(float(pm.hypot(*up_h)), 1e-6)
    return u_h * rx * 0.3 * pm.sin(yaw) - v_h * ry * 0.15


def _draw_arms(layer: Layer, J: np.ndarray, R: dict, order: tuple, colours: dict) -> None:
    """Upper arms, forearms and hands, last: in front of the torso."""
    skin = colours["skin"]
    upper_arm = skin if colours["sleeves"] == "skin" else colours["shirt"]
    forearm = colours["shirt"] if colours["sleeves"] == "long" else skin
    for name, _ in order:
        sh, el, wr = (J[KP[f"{name}_{p}"]] for p in ("shoulder", "elbow", "wrist"))
        c_up, s_up = _side_colour(upper_arm, name)
        c_fo, s_fo = _side_colour(forearm, name)
        capsule(layer, sh, el, *R["upper_arm"], c_up, s_up)
        capsule(layer, el, wr, *R["forearm"], c_fo, s_fo)
        hand = wr + (wr - el) / max(float(pm.hypot(*(wr - el))), 1e-6) * R["hand"] * 0.9
        ellipse(layer, hand, (R["hand"], R["hand"]), 0.0, _side_colour(skin, name)[0], 0.2)
