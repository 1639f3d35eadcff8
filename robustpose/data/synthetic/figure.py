"""Painting one posed person part by part: legs, torso, neck and head with its face, then arms.

The person's LEFT limbs are drawn lighter with a dark stripe along their axis and the RIGHT limbs
darker and plain; without such a cue left and right are only separable by position, and crossed
arms or legs would be unlearnable.
"""
from __future__ import annotations

import math

import numpy as np

from robustpose import portable as pm
from robustpose.data.synthetic.appearance import toward
from robustpose.data.synthetic.body import KP
from robustpose.data.synthetic.face import MIN_DEPTH
from robustpose.data.synthetic.painter import capsule, ellipse, Layer, torso


def draw_person(layer: Layer, body: dict, colours: dict, tex: dict, to_img,
                scale: float) -> np.ndarray:
    """Paint one posed body; returns its joints (17, 2) in image coordinates."""
    J = to_img(body["joints"])
    R = {k: v * scale for k, v in body["radii"].items()}

    def to_vec(v: np.ndarray) -> np.ndarray:     # a local direction, in image pixels
        return to_img(v[None])[0] - to_img(np.zeros((1, 2)))[0]

    across, up_t = to_vec(body["across"]), to_vec(body["up_torso"])
    up_h = to_vec(body["up_head"])

    def side_colour(col, side_name):
        # The left/right cue: left limbs lighter with a dark axial stripe, right limbs darker.
        if side_name == "left":
            return toward(col, 255.0, 0.3), toward(col, 0.0, 0.75)
        return toward(col, 0.0, 0.2), None

    skin = colours["skin"]
    upper_arm = skin if colours["sleeves"] == "skin" else colours["shirt"]
    forearm = colours["shirt"] if colours["sleeves"] == "long" else skin
    shin = skin if colours["shorts"] else colours["pants"]

    # Legs first (behind the torso).
    order = body["leg_order"]
    for name, _ in order:
        hip, knee, ankle = (J[KP[f"{name}_{p}"]] for p in ("hip", "knee", "ankle"))
        c_thigh, s_thigh = side_colour(colours["pants"], name)
        c_shin, s_shin = side_colour(shin, name)
        capsule(layer, hip, knee, *R["thigh"], c_thigh, s_thigh)
        capsule(layer, knee, ankle, *R["shin"], c_shin, s_shin)
        shin_len = max(float(pm.hypot(*(ankle - knee))), 1e-6)
        foot = ankle + (ankle - knee) / shin_len * R["foot"] * 0.8
        ellipse(layer, foot, (R["foot"] * 1.5, R["foot"] * 0.9),
                math.degrees(pm.atan2(across[1], across[0])),
                 side_colour(colours["shoes"], name)[0])

    # Torso: shoulders widened by the arm radius, hips by the thigh radius.
    ua, th = R["upper_arm"][0], R["thigh"][0]
    a_hat = across / max(float(pm.hypot(*across)), 1e-6)
    u_hat = up_t / max(float(pm.hypot(*up_t)), 1e-6)
    ls, rs, lh, rh = (J[KP[k]] for k in
                      ("left_shoulder", "right_shoulder", "left_hip", "right_hip"))
    corners = np.array([ls + a_hat * ua * 0.6 + u_hat * ua * 0.9,
                        rs - a_hat * ua * 0.6 + u_hat * ua * 0.9,
                        rh - a_hat * th * 0.7 - u_hat * th * 0.3,
                        lh + a_hat * th * 0.7 - u_hat * th * 0.3])
    torso(layer, corners, to_img(body["pelvis"][None])[0], a_hat, u_hat, scale,
          (colours["shirt"], colours["shirt2"]), tex)

    # Neck and head. Ears turned away are painted behind the head, ears facing us on top of it.
    neck, head = to_img(body["neck"][None])[0], to_img(body["head"][None])[0]
    capsule(layer, neck, head, R["neck"], R["neck"], toward(skin, 0.0, 0.1))
    rx, ry = (a * scale for a in body["head_axes"])
    angle = math.degrees(pm.atan2(up_h[1], up_h[0])) + 90.0     # first axis = head's width
    depth = body["face_depth"]
    ear_r = (max(rx * 0.24, 0.8), max(ry * 0.32, 1.0))
    ears = [(J[KP[n]], d) for n, d in (("left_ear", depth[3]), ("right_ear", depth[4]))
            if d > MIN_DEPTH["ear"]]
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
    for name, d in (("left_eye", depth[1]), ("right_eye", depth[2])):
        if d > MIN_DEPTH["eye"]:
            ellipse(layer, J[KP[name]], (eye_r, eye_r), 0.0, np.array([20.0, 15.0, 25.0]), 0.0)
    if depth[0] > MIN_DEPTH["nose"]:
        nose_col = np.array([200.0, 60.0, 50.0]) * 0.5 + skin * 0.3
        ellipse(layer, J[KP["nose"]], (eye_r * 1.2, eye_r * 1.2), 0.0, nose_col, 0.0)

    # Arms last: in front of the torso.
    for name, _ in order:
        sh, el, wr = (J[KP[f"{name}_{p}"]] for p in ("shoulder", "elbow", "wrist"))
        c_up, s_up = side_colour(upper_arm, name)
        c_fo, s_fo = side_colour(forearm, name)
        capsule(layer, sh, el, *R["upper_arm"], c_up, s_up)
        capsule(layer, el, wr, *R["forearm"], c_fo, s_fo)
        hand = wr + (wr - el) / max(float(pm.hypot(*(wr - el))), 1e-6) * R["hand"] * 0.9
        ellipse(layer, hand, (R["hand"], R["hand"]), 0.0, side_colour(skin, name)[0], 0.2)
    return J


def _face_offset(up_h: np.ndarray, rx: float, ry: float, yaw: float) -> np.ndarray:
    """Shift of the face patch inside the head: towards the yaw side and a little down."""
    u_h = np.array([-up_h[1], up_h[0]])
    u_h /= max(float(pm.hypot(*u_h)), 1e-6)
    v_h = up_h / max(float(pm.hypot(*up_h)), 1e-6)
    return u_h * rx * 0.3 * pm.sin(yaw) - v_h * ry * 0.15
